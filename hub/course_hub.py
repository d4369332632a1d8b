"""JupyterHub for this course on one machine: what ``hub/jupyterhub_config.py`` configures (see hub/README.md).

Everything the hub keeps lives in one git-ignored folder of the checkout (``HUB_STATE_DIR``, default ``.hub/``)::

    .hub/secrets/learner-password      the class password (mode 600), generated on the first start
    .hub/secrets/instructor-password   the instructors' password (mode 600), generated on the first start
    .hub/jupyterhub.sqlite             the hub's own database (users, tokens), its cookie secret, pid files
    .hub/users/<username>/             each user's home: notebooks/ (copied on first start, never overwritten),
                                       .data/ (their SQLite databases and progress.json); instructors also
                                       get solutions/ and class-progress.ipynb

Each single-user server gets ``COURSE_DATA_DIR=<home>/.data``, ``COURSE_NAMESPACE=<username>`` and the
instructor's ``DATABASE_URL`` (empty when none is set: SQLite files in the learner's own ``.data``).

>>> valid_username("alice_2")
True
>>> valid_username("Alice.Smith")   # must be the learner's namespace unchanged
False
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import shutil
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from jupyterhub.spawner import SimpleLocalProcessSpawner
from traitlets import Unicode

#: The checkout: notebooks/, solutions/ and the venv the single-user servers run in.
ROOT = Path(__file__).resolve().parent.parent
#: Where `make hub` installs configurable-http-proxy from hub/proxy/package-lock.json.
PROXY = ROOT / ".tools" / "hub-proxy" / "node_modules" / ".bin" / "configurable-http-proxy"
#: A username is also the learner's namespace on a shared database server and a folder name, so it must be what
#: ``lessons.settings.clean_namespace`` leaves unchanged: lower case, letters, digits and single ``_``, 1-16 long.
USERNAME_PATTERN = r"^(?=.{1,16}$)[a-z][a-z0-9]*(?:_[a-z0-9]+)*$"
#: The class password: three groups of four, easy to write on a board (no 0/o, 1/l); about 59 bits.
_LEARNER_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"
#: What is never copied into a home (an instructor's own Lab leaves checkpoints in notebooks/).
_NOT_COPIED = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", "*.pyc")


def valid_username(name: str) -> bool:
    """True when ``name`` can be a hub user: it is their folder and their database namespace, unchanged."""
    return re.fullmatch(USERNAME_PATTERN, name) is not None


def names(text: str | None) -> list[str]:
    """A comma- or space-separated list of usernames, lower-cased, each checked.

    >>> names("Ada, grace  linus")
    ['ada', 'grace', 'linus']
    """
    found = [name.lower() for name in re.split(r"[,\s]+", text or "") if name]
    wrong = [name for name in found if not valid_username(name)]
    if wrong:
        raise ValueError(
            f"not usable as hub usernames: {', '.join(wrong)} (lower case letters, digits and single _, "
            "starting with a letter, at most 16 characters)"
        )
    return found


# --------------------------------------------------------------------------------------------------------------
# Passwords: generated once, kept 0600 in the state folder, never a default
# --------------------------------------------------------------------------------------------------------------


def new_learner_password() -> str:
    """A class password such as ``k7wq-m2pa-x9rt``."""
    return "-".join("".join(secrets.choice(_LEARNER_ALPHABET) for _ in range(4)) for _ in range(3))


def new_instructor_password() -> str:
    """An instructor password: 43 URL-safe characters (JupyterHub asks for at least 32)."""
    return secrets.token_urlsafe(32)


def read_or_create_secret(path: Path, generate: Any, minimum: int) -> tuple[str, bool]:
    """The secret in ``path``, or a new one written there with mode 600; says whether it was created.

    A file you wrote yourself is used as it is, when it is long enough and nobody else can read it.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if path.exists():
        if path.stat().st_mode & 0o077:
            raise PermissionError(f"{path} can be read by others; run: chmod 600 {path}")
        value = path.read_text().strip()
        if len(value) < minimum:
            raise ValueError(f"{path} holds a password shorter than {minimum} characters; delete it to get a new one")
        return value, False
    value = generate()
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(value + "\n")
    return value, True


# --------------------------------------------------------------------------------------------------------------
# A user's home: the course copied in on the first start
# --------------------------------------------------------------------------------------------------------------


def _copy_once(source: Path, target: Path) -> bool:
    """Copy the folder ``source`` to ``target`` unless ``target`` exists (a learner's work is never overwritten)."""
    if target.exists():
        return False
    partial = target.with_name(f".{target.name}.copying-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    shutil.copytree(source, partial, ignore=_NOT_COPIED)
    partial.rename(target)
    return True


def _link_or_copy(source: Path, target: Path) -> None:
    """A hard link when the file system allows one (read-only seed files: 45 MB saved per learner), else a copy."""
    if target.exists():
        return
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def seed_files(data_dir: Path) -> list[Path]:
    """The checkout's built, verified pristine SQLite seeds (and their checksums), if ``make seed`` made them."""
    found: list[Path] = []
    for database in sorted(data_dir.glob("course-seed_*.sqlite3")):
        checksum = database.with_name(database.name + ".sha256")
        if checksum.exists():
            found += [database, checksum]
    return found


def prepare_home(home: Path, instructor: bool, root: Path = ROOT) -> list[str]:
    """Make ``home`` ready for its user; returns what was added (nothing on later starts).

    - ``notebooks/``: the learner copies, on the first start only;
    - ``.data/``: the checkout's pristine SQLite seeds, linked, so a learner's first lesson does not seed again;
    - instructors: ``solutions/`` and ``class-progress.ipynb`` (the whole class's exercises), first start only.
    """
    added: list[str] = []
    home.mkdir(parents=True, exist_ok=True)
    if _copy_once(root / "notebooks", home / "notebooks"):
        added.append("notebooks/")
    data = home / ".data"
    data.mkdir(exist_ok=True)
    for seed in seed_files(root / ".data"):
        _link_or_copy(seed, data / seed.name)
    if instructor:
        if _copy_once(root / "solutions", home / "solutions"):
            added.append("solutions/")
        progress = home / "class-progress.ipynb"
        if not progress.exists():
            shutil.copyfile(root / "hub" / "class-progress.ipynb", progress)
            added.append("class-progress.ipynb")
    return added


class CourseSpawner(SimpleLocalProcessSpawner):
    """SimpleLocalProcessSpawner, with the course copied into the home and the course's settings in the env.

    Every single-user server runs as the hub's own system user: the homes are separate folders, not separate
    accounts (see hub/README.md, "Isolation").
    """

    users_root = Unicode(help="The folder holding every user's home (<state>/users).").tag(config=True)
    database_url = Unicode("", help="DATABASE_URL for every learner; empty: SQLite in their own .data.").tag(
        config=True
    )

    @property
    def instructor(self) -> bool:
        return bool(self.user.admin)

    async def start(self) -> Any:
        home = Path(self.home_dir)
        added = await asyncio.to_thread(prepare_home, home, self.instructor)
        if added:
            self.log.info("Prepared %s for %s: %s", home, self.user.name, ", ".join(added))
        return await super().start()

    def get_env(self) -> dict[str, str]:
        env = super().get_env()
        env.update(course_env(Path(self.home_dir), self.user.name, self.database_url, Path(self.users_root)))
        if not self.instructor:
            env.pop("COURSE_HUB_USERS", None)
        return env


def course_env(home: Path, username: str, database_url: str, users_root: Path) -> dict[str, str]:
    """The contract with the course: where a user's databases go, their namespace, the shared server if any.

    >>> env = course_env(Path("/h/users/ada"), "ada", "", Path("/h/users"))
    >>> env["COURSE_DATA_DIR"], env["COURSE_NAMESPACE"], env["DATABASE_URL"]
    ('/h/users/ada/.data', 'ada', '')
    """
    venv_bin = str(Path(sys.executable).parent)
    return {
        "COURSE_DATA_DIR": str(home / ".data"),
        "COURSE_NAMESPACE": username,
        # Set even when empty: an empty DATABASE_URL means "SQLite in COURSE_DATA_DIR", whatever .env says.
        "DATABASE_URL": database_url,
        # `!python`, `!pip` and a Terminal use the course's venv, where `import lessons` works.
        "PATH": os.pathsep.join([venv_bin, os.environ.get("PATH", os.defpath)]),
        "COURSE_HUB_USERS": str(users_root),
    }


# --------------------------------------------------------------------------------------------------------------
# The configuration
# --------------------------------------------------------------------------------------------------------------


def _port(environ: dict[str, str], name: str, default: int) -> int:
    value = environ.get(name) or str(default)
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise ValueError(f"{name}={value!r} is not a port number")
    return int(value)


def _database_url(environ: dict[str, str]) -> str:
    """The instructor's DATABASE_URL (environment, else the checkout's .env), checked; empty for SQLite."""
    from lessons.settings import Settings, parse_database_url

    url = environ["DATABASE_URL"] if "DATABASE_URL" in environ else Settings().DATABASE_URL
    if url:
        parse_database_url(url)  # one sentence saying what is wrong, before anyone logs in
    return url


def configure(c: Any, environ: dict[str, str] | None = None, announce: Any = print) -> None:
    """Fill the JupyterHub config ``c`` from the environment (HOST, HUB_PORT, HUB_STATE_DIR, HUB_INSTRUCTORS…)."""
    environ = dict(os.environ if environ is None else environ)
    state = Path(environ.get("HUB_STATE_DIR") or ROOT / ".hub").resolve()
    users_root = state / "users"
    users_root.mkdir(parents=True, exist_ok=True)
    host = environ.get("HOST") or "127.0.0.1"
    port = _port(environ, "HUB_PORT", 8000)
    instructors = names(environ.get("HUB_INSTRUCTORS", "instructor"))
    learners = names(environ.get("HUB_LEARNERS"))

    # Where the hub listens (the only public port), and its internal ports, all on this machine.
    c.JupyterHub.bind_url = f"http://{host}:{port}"
    c.JupyterHub.hub_ip = "127.0.0.1"
    c.JupyterHub.hub_port = _port(environ, "HUB_INTERNAL_PORT", port + 1)
    c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{_port(environ, 'HUB_API_PORT', port + 2)}"
    c.ConfigurableHTTPProxy.command = [str(PROXY)]
    c.ConfigurableHTTPProxy.pid_file = str(state / "proxy.pid")
    c.JupyterHub.db_url = f"sqlite:///{state / 'jupyterhub.sqlite'}"
    c.JupyterHub.cookie_secret_file = str(state / "jupyterhub_cookie_secret")
    c.JupyterHub.pid_file = str(state / "jupyterhub.pid")
    c.JupyterHub.cleanup_servers = True  # stopping the hub stops every learner's server

    # Sign-in: one class password for learners, another for the instructors (SharedPasswordAuthenticator).
    secrets_dir = state / "secrets"
    learner_password, new_learner = read_or_create_secret(
        secrets_dir / "learner-password", new_learner_password, minimum=8
    )
    instructor_password, new_instructor = read_or_create_secret(
        secrets_dir / "instructor-password", new_instructor_password, minimum=32
    )
    c.JupyterHub.authenticator_class = "shared-password"
    c.SharedPasswordAuthenticator.user_password = learner_password
    c.SharedPasswordAuthenticator.admin_password = instructor_password
    c.Authenticator.admin_users = set(instructors)
    c.Authenticator.username_pattern = USERNAME_PATTERN
    if learners:
        c.Authenticator.allowed_users = set(learners)
    else:
        c.Authenticator.allow_all = True  # anyone with the class password picks a username
    if new_learner or new_instructor:
        announce(
            "\n".join(
                [
                    "",
                    "=" * 72,
                    "New passwords for this hub (shown once; kept, mode 600, in " + str(secrets_dir) + "):",
                    f"  learners (any username):          {learner_password}" if new_learner else "",
                    f"  instructors ({', '.join(instructors) or 'none: set HUB_INSTRUCTORS'}): {instructor_password}"
                    if new_instructor
                    else "",
                    "=" * 72,
                ]
            ).replace("\n\n", "\n"),
        )

    # Single-user servers: local processes of this system user, in the course's venv, homes under users/.
    c.JupyterHub.spawner_class = CourseSpawner
    c.CourseSpawner.home_dir_template = str(users_root / "{username}")
    c.CourseSpawner.users_root = str(users_root)
    c.CourseSpawner.database_url = _database_url(environ)
    c.Spawner.cmd = [str(Path(sys.executable).parent / "jupyterhub-singleuser")]
    c.Spawner.ip = "127.0.0.1"
    c.Spawner.notebook_dir = str(users_root / "{username}")
    c.Spawner.default_url = "/lab/tree/notebooks/00-setup.ipynb"
    c.Spawner.env_keep = ["LANG", "LC_ALL"]
    c.Spawner.start_timeout = 180  # ten servers starting at once on two busy cores
    c.Spawner.http_timeout = 120
    c.Spawner.args = list(single_user_args(is_root=os.geteuid() == 0))


def single_user_args(is_root: bool) -> Iterable[str]:
    """Arguments of every single-user server: no news pop-up, a closed tab's kernel freed after an idle hour."""
    yield f"--LabApp.app_settings_dir={ROOT / 'jupyter' / 'settings'}"
    yield "--MappingKernelManager.cull_idle_timeout=3600"
    yield "--MappingKernelManager.cull_interval=300"
    yield "--MappingKernelManager.cull_connected=False"
    # A closing kernel drops its lesson copies on a database server (lessons.pristine); 5 s, the default, is not
    # always enough on a busy machine, and a killed kernel's copies wait for that learner's next kernel.
    yield "--KernelManager.shutdown_wait_time=15"
    if is_root:  # a container or CI runs as root; the servers run as the hub's user either way
        yield "--ServerApp.allow_root=True"
