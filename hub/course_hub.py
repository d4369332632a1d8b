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
import base64
import contextlib
import grp
import hashlib
import hmac
import ipaddress
import json
import os
import pwd
import re
import resource
import secrets
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import psutil
from jupyterhub.auth import Authenticator
from jupyterhub.spawner import LocalProcessSpawner
from traitlets import Bool, Integer, Set, Unicode

#: The checkout: notebooks/, solutions/ and the venv the single-user servers run in.
ROOT = Path(__file__).resolve().parent.parent
#: Where `make hub` installs configurable-http-proxy from hub/proxy/package-lock.json.
PROXY = ROOT / ".tools" / "hub-proxy" / "node_modules" / ".bin" / "configurable-http-proxy"
#: A username is also the learner's namespace on a shared database server and a folder name, so it must be what
#: ``lessons.core.settings.clean_namespace`` leaves unchanged: lower case, letters, digits and single ``_``, 1-16 long.
USERNAME_PATTERN = r"^(?=.{1,16}$)[a-z][a-z0-9]*(?:_[a-z0-9]+)*$"
#: The class password: three groups of four, easy to write on a board (no 0/o, 1/l); about 59 bits.
_LEARNER_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"
#: What is never copied into a home (an instructor's own Lab leaves checkpoints in notebooks/).
_NOT_COPIED = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", "*.pyc")
#: The system account of hub user ``ada`` is ``course-ada`` (isolated mode): never an account the machine had.
ACCOUNT_PREFIX = "course-"
#: The checkout's top-level entries a learner's server needs (read-only): the venv, the ``lessons`` package it
#: imports (installed editable), Lab's settings, the learner copies. In isolated mode everything else in the
#: checkout (solutions/, .git, .env, .data, tests…) is closed to other users, and the checkout cannot be listed.
LEARNERS_NEED = frozenset({".venv", ".venv-hub", "lessons", "jupyter", "notebooks", "pyproject.toml"})
#: The venv the servers run in when isolated: built by `make hub` from a Python every account can run (the
#: checkout's .venv may point to an interpreter under a private home, such as pyenv's under /root).
HUB_VENV = ROOT / ".venv-hub"
#: A learner's own password: at least this long, and not the class password.
MIN_PASSWORD = 8


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
# Sign-in: each learner's own password, set on their first sign-in (FirstUseAuthenticator's way)
# --------------------------------------------------------------------------------------------------------------


def hash_password(password: str, salt: bytes | None = None) -> str:
    """A salted scrypt hash (the standard library's; n=2**14, r=8, p=1), as ``scrypt$<salt>$<hash>``.

    >>> stored = hash_password("correct horse")
    >>> password_matches("correct horse", stored), password_matches("wrong horse", stored)
    (True, False)
    """
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1)
    return "scrypt$" + base64.b64encode(salt).decode() + "$" + base64.b64encode(digest).decode()


def password_matches(password: str, stored: str) -> bool:
    kind, salt, _ = stored.split("$")
    return kind == "scrypt" and hmac.compare_digest(hash_password(password, base64.b64decode(salt)), stored)


class CourseAuthenticator(Authenticator):
    """Learners sign up once with the class password and choose their own; afterwards only theirs works.

    - a name already taken (by a learner or an instructor) can only be signed into with its owner's password;
    - a new name needs the class password in the form's "class password" field, and a password of the learner's
      own (at least :data:`MIN_PASSWORD` characters, not the class password), stored as a scrypt hash;
    - instructors (``admin_users``) sign in with the instructors' password.
    """

    class_password = Unicode(help="The class password: lets a new learner sign up.").tag(config=True)
    instructor_password = Unicode(help="The instructors' password.").tag(config=True)
    passwords_file = Unicode(help="Where each learner's password hash is kept (mode 600).").tag(config=True)
    instructors = Set(help="Usernames that sign in with the instructors' password.").tag(config=True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._lock = asyncio.Lock()

    def _read(self) -> dict[str, str]:
        path = Path(self.passwords_file)
        return json.loads(path.read_text()) if path.exists() else {}

    def _write(self, hashes: dict[str, str]) -> None:
        path = Path(self.passwords_file)
        temporary = path.with_name(path.name + ".tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            json.dump(hashes, handle, indent=1, sort_keys=True)
        os.replace(temporary, path)

    async def authenticate(self, handler: Any, data: dict[str, str]) -> str | None:
        username = (data.get("username") or "").strip().lower()
        password = data.get("password") or ""
        if not valid_username(username) or not password:
            return None
        if username in self.instructors:
            return username if hmac.compare_digest(password, self.instructor_password) else None
        async with self._lock:  # two first sign-ins under one name: the second finds it taken
            hashes = await asyncio.to_thread(self._read)
            if username not in hashes and any(
                username.startswith(f"{taken}_") or taken.startswith(f"{username}_")
                for taken in [*hashes, *self.instructors]
            ):
                self.log.warning("Sign-up of %s refused: it extends a taken name (a shared database prefix)", username)
                return None
            if username in hashes:
                matches = await asyncio.to_thread(password_matches, password, hashes[username])
                return username if matches else None
            offered = data.get("class_password") or ""
            if not self.class_password or not hmac.compare_digest(offered, self.class_password):
                self.log.warning("Sign-up of %s refused: no class password", username)
                return None
            if len(password) < MIN_PASSWORD or hmac.compare_digest(password, self.class_password):
                self.log.warning("Sign-up of %s refused: password too short or the class password", username)
                return None
            hashes[username] = await asyncio.to_thread(hash_password, password)
            await asyncio.to_thread(self._write, hashes)
            self.log.info("New learner %s signed up", username)
            return username


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


def _link_or_copy(source: Path, folder: int, name: str) -> None:
    """A hard link when the file system allows one (read-only seed files: 45 MB saved per learner), else a copy.

    ``folder`` is an open descriptor of the learner's ``.data``: nothing here follows a link they planted.
    """
    with contextlib.suppress(FileExistsError):
        try:
            os.link(source, name, dst_dir_fd=folder)
        except FileExistsError:
            raise
        except OSError:
            with open(source, "rb") as original:
                descriptor = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644, dir_fd=folder)
                with os.fdopen(descriptor, "wb") as copy:
                    shutil.copyfileobj(original, copy)


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
    if data.is_symlink():  # planted by the learner: the hub, as root, would link the seeds wherever it leads
        data.unlink()
    data.mkdir(exist_ok=True)
    folder = os.open(data, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        for seed in seed_files(root / ".data"):
            _link_or_copy(seed, folder, seed.name)
    finally:
        os.close(folder)
    if instructor:
        if _copy_once(root / "solutions", home / "solutions"):
            added.append("solutions/")
        progress = home / "class-progress.ipynb"
        if not progress.exists():
            shutil.copyfile(root / "hub" / "class-progress.ipynb", progress)
            added.append("class-progress.ipynb")
    return added


# --------------------------------------------------------------------------------------------------------------
# Isolation: one system account per user, a private state folder, a private checkout
# --------------------------------------------------------------------------------------------------------------


def can_isolate() -> bool:
    """True when this process can create system users and switch to them (root, with ``useradd``)."""
    return os.geteuid() == 0 and shutil.which("useradd") is not None and shutil.which("userdel") is not None


def account_name(username: str) -> str:
    """The system account of a hub user.

    >>> account_name("ada")
    'course-ada'
    """
    return ACCOUNT_PREFIX + username


def _marker(state: Path) -> str:
    """The comment (GECOS) of every account this hub creates: which hub made it, so nothing else is removed."""
    return f"course hub {state}"


def ensure_account(username: str, home: Path, state: Path, instructor: bool = False) -> pwd.struct_passwd:
    """The system account ``course-<username>`` (created if missing, password locked, no home made by useradd).

    An instructor's is also in the instructors' group. An account of that name that this hub did not create is
    refused: it is never taken over.
    """
    name = account_name(username)
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        _note_account(state, name)
        subprocess.run(
            ["useradd", "--system", "--user-group", "--no-create-home", "--home-dir", str(home),
             "--shell", "/bin/bash", "--comment", _marker(state), name],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        entry = pwd.getpwnam(name)
    if entry.pw_gecos != _marker(state):
        raise PermissionError(f"the system account {name} exists and was not created by this hub: not used")
    group = instructors_group(state)
    if instructor and name not in grp.getgrnam(group).gr_mem:
        subprocess.run(["usermod", "--append", "--groups", group, name], check=True, capture_output=True)
    return entry


def instructors_group(state: Path) -> str:
    """The group of this hub's instructors (it reads the progress drop folder): one per state folder."""
    return f"{ACCOUNT_PREFIX}staff-{hashlib.sha1(str(state).encode()).hexdigest()[:8]}"


def ensure_exchange(state: Path, isolate: bool) -> Path:
    """``<state>/exchange``, the progress drop folder (lessons.core.progress_book.hand_in).

    Isolated: ``root:<instructors' group>``, mode 3753: learners create their file but cannot list the folder
    nor read a file (files are 640, in the instructors' group by the setgid bit), nor replace another's (sticky).
    """
    folder = state / "exchange"
    folder.mkdir(exist_ok=True)
    if not isolate:
        folder.chmod(0o700)
        return folder
    group = instructors_group(state)
    try:
        grp.getgrnam(group)
    except KeyError:
        _note_account(state, "group:" + group)
        subprocess.run(["groupadd", "--system", group], check=True, capture_output=True, text=True)
    os.chown(folder, 0, grp.getgrnam(group).gr_gid)
    folder.chmod(0o3753)
    return folder


def claim_hand_in(exchange: Path, username: str, uid: int, instructor: bool = False) -> None:
    """Make ``<exchange>/<username>.json`` the learner's own before their server starts.

    The drop folder is writable by every learner: another could create that name first (a file, a link, a FIFO)
    and, the folder being sticky, the owner could never replace it, so their progress would never reach the
    instructor. Whatever is there under their name and is not a regular file of their account is removed (as
    root), and an empty hand-in of theirs put in its place.
    """
    target = exchange / f"{username}.json"
    with contextlib.suppress(FileNotFoundError):
        info = target.lstat()
        if stat.S_ISREG(info.st_mode) and info.st_uid == uid and info.st_nlink == 1:
            return
        target.unlink()
    if instructor:  # not in the class's table until they run a check() themselves
        return
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o640)
    with os.fdopen(descriptor, "w") as handle:
        os.fchown(handle.fileno(), uid, -1)
        handle.write('{"version": 1, "exercises": {}}\n')


def _note_account(state: Path, name: str) -> None:
    """Add ``name`` to ``<state>/accounts.json`` before creating it, so that a crash cannot leave it unlisted."""
    path = state / "accounts.json"
    known = set(json.loads(path.read_text())) if path.exists() else set()
    known.add(name)
    descriptor = os.open(path.with_suffix(".tmp"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        json.dump(sorted(known), handle)
    os.replace(path.with_suffix(".tmp"), path)


def kill_processes_of(uid: int, rounds: int = 5) -> int:
    """Kill every process running as ``uid`` (real or effective id), again while new ones appear; returns how many.

    A learner's cell can start a process in a session of its own (``setsid``, ``nohup … &``): stopping their
    server would not end it, and it would keep its memory and processes after the idle culler stopped them.
    """
    killed = 0
    for _ in range(rounds):
        found = []
        for process in psutil.process_iter(["uids"]):
            uids = process.info["uids"]
            if uids and uid in (uids.real, uids.effective):
                with contextlib.suppress(psutil.Error):
                    process.kill()
                    found.append(process)
        if not found:
            break
        psutil.wait_procs(found, timeout=5)
        killed += len(found)
    return killed


def remove_accounts(state: Path) -> list[str]:
    """Remove every system account this hub created (``<state>/accounts.json``, checked by its comment).

    Their processes must have ended (the hub stops every server); their homes go with the state folder.
    Returns the accounts removed.
    """
    path = state / "accounts.json"
    if not path.exists():
        return []
    removed = []
    listed = json.loads(path.read_text())
    for name in [name for name in listed if not name.startswith("group:")]:
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        if entry.pw_gecos != _marker(state):
            continue
        kill_processes_of(entry.pw_uid)
        subprocess.run(["userdel", name], check=True, capture_output=True, text=True)
        removed.append(name)
    for group in [name.removeprefix("group:") for name in listed if name.startswith("group:")]:
        with contextlib.suppress(KeyError):
            grp.getgrnam(group)
            subprocess.run(["groupdel", group], check=True, capture_output=True, text=True)
            removed.append(group)
    return removed


def _private_file(path: Path) -> None:
    """Create ``path`` empty with mode 600 (a database SQLite then opens as it is), or make it 600."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    os.close(descriptor)
    path.chmod(0o600)


def close_state(state: Path) -> None:
    """The state folder: 711 (each user reaches their own home, nobody lists it); the rest for the hub only."""
    state.chmod(0o711)
    (state / "users").chmod(0o711)
    _private_file(state / "jupyterhub.sqlite")  # SQLite keeps an existing file's mode (and gives it to journals)
    for child in state.iterdir():
        if child.name not in {"users", "exchange"} and not child.is_symlink():
            child.chmod(0o700 if child.is_dir() else 0o600)


def close_checkout(root: Path, keep: frozenset[str] = LEARNERS_NEED) -> list[str]:
    """Make the checkout private to the hub except ``keep``: ``o-rwx`` on every other top-level entry.

    The checkout itself stays listable (``o+rx``, never writable): Python's import system lists the folders on
    ``sys.path``, and the editable install of ``lessons`` puts the checkout there. Returns the entries closed now
    (none on a later start). What stays open is read-only for other users.
    """
    closed = []
    root.chmod(stat.S_IMODE(root.stat().st_mode) & ~0o022 | 0o005)
    for child in sorted(root.iterdir()):
        if child.name in keep or child.is_symlink():
            continue
        mode = stat.S_IMODE(child.lstat().st_mode)
        if mode & 0o007:
            child.chmod(mode & ~0o007)
            closed.append(child.name)
    return closed


def _give(path: Path, uid: int, gid: int) -> None:
    """``chown -R`` of a home to its user, run as root on a folder the learner controls, so it never follows a link.

    Left as they are: every file with more than one hard link that is not the user's already (the seed files are
    links to the checkout's, under any name the learner moves them to; were they given away, the learner could
    change everyone's seed). It walks by descriptors (``os.fwalk``), so a folder swapped for a symbolic link
    while it runs leads nowhere.
    """
    os.chown(path, uid, gid, follow_symlinks=False)
    for _, folders, files, folder in os.fwalk(path, follow_symlinks=False):
        for name in [*folders, *files]:
            info = os.stat(name, dir_fd=folder, follow_symlinks=False)
            if info.st_nlink > 1 and not stat.S_ISDIR(info.st_mode) and info.st_uid != uid:
                continue
            os.chown(name, uid, gid, dir_fd=folder, follow_symlinks=False)


def prepare_account(username: str, home: Path, state: Path, instructor: bool, root: Path = ROOT) -> list[str]:
    """What the hub does as root before every start of an isolated server; returns what was added.

    The home is prepared (:func:`prepare_home`), the account made if missing, the home given to it and closed
    (700), and the learner's hand-in file claimed. The learner's own processes may have changed anything in
    that home since: nothing here follows a link or gives away a file that was not theirs.
    """
    added = prepare_home(home, instructor, root)
    account = ensure_account(username, home, state, instructor)
    _give(home, account.pw_uid, account.pw_gid)
    home.chmod(0o700)
    claim_hand_in(state / "exchange", username, account.pw_uid, instructor)
    return added


# --------------------------------------------------------------------------------------------------------------
# A database role per learner (PostgreSQL): the instructor's credentials stay with the hub
# --------------------------------------------------------------------------------------------------------------


def role_name(database_url: str, username: str) -> str:
    """The learner's role: the base database's name and theirs, the prefix of every database they create.

    >>> role_name("postgresql+asyncpg://teacher:secret@db/course", "ada")
    'course_ada'
    """
    from lessons.core.settings import parse_database_url

    return f"{parse_database_url(database_url).database}_{username}"


#: A password the hub generated (``secrets.token_urlsafe(24)``): the only kind it reads back from a home.
_GENERATED_PASSWORD = r"[A-Za-z0-9_-]{32}"


def _read_from_home(path: Path) -> str:
    """A small regular file of a learner's home, read as root without following a link or waiting on a FIFO."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return ""
    with os.fdopen(descriptor, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            return ""
        return handle.read(4096).decode("utf-8", "replace")


def _write_to_home(path: Path, content: str, owner: tuple[int, int] | None) -> None:
    """Write ``path`` (mode 600, given to ``owner``) in a learner's home, never through a link they planted."""
    temporary = path.with_name(path.name + ".tmp")
    with contextlib.suppress(FileNotFoundError):
        os.unlink(temporary)
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(content)
        if owner is not None:
            os.fchown(handle.fileno(), *owner)
    os.replace(temporary, path)


def _pgpass_password(path: Path, role: str) -> str | None:
    """The role's password in the learner's ``.pgpass``, when it is one the hub generated.

    The learner can write that file: anything else (a quote would end the SQL literal the hub puts it in, as
    the instructor's role) is ignored and a new password generated.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / ".pgpass").write_text("*:*:*:course_ada:x' SUPERUSER --")
    >>> _pgpass_password(folder / ".pgpass", "course_ada") is None
    True
    """
    for line in _read_from_home(path).splitlines():
        *_, user, password = ["", "", *line.split(":")]
        if user == role and re.fullmatch(_GENERATED_PASSWORD, password):
            return password
    return None


async def ensure_database_role(
    admin_url: str, username: str, home: Path, owner: tuple[int, int] | None, state: Path, connections: int
) -> str:
    """The learner's own role on the PostgreSQL server (created on their first start), and their DATABASE_URL.

    ``LOGIN CREATEDB CONNECTION LIMIT <connections>``, a generated password kept in ``<home>/.pgpass``
    (mode 600: libpq and asyncpg read it), marked by a comment as this hub's; the URL carries no password. The
    databases the learner creates are theirs alone (lessons.core.pristine revokes ``CONNECT`` from ``PUBLIC``).
    """
    from sqlalchemy import text

    from lessons.core.connections import server_connection
    from lessons.core.settings import parse_database_url

    url = parse_database_url(admin_url)
    role = role_name(admin_url, username)
    if url.get_backend_name() != "postgresql":
        return await _mariadb_account(url, role, home, owner, state, connections)
    pgpass = home / ".pgpass"
    password = _pgpass_password(pgpass, role) or secrets.token_urlsafe(24)
    async with server_connection(url) as conn:
        comment = await conn.scalar(
            text("SELECT coalesce(shobj_description(oid, 'pg_authid'), '') FROM pg_roles WHERE rolname = :r"),
            {"r": role},
        )
        if comment is None:
            await conn.execute(
                text(f"CREATE ROLE \"{role}\" LOGIN CREATEDB CONNECTION LIMIT {int(connections)} "
                     f"PASSWORD '{password}'")
            )  # fmt: skip
            await conn.execute(text(f"COMMENT ON ROLE \"{role}\" IS '{_marker(state)}'"))
        elif comment != _marker(state):
            raise PermissionError(f"the database role {role} exists and was not created by this hub: not used")
        else:
            await conn.execute(
                text(f"ALTER ROLE \"{role}\" CONNECTION LIMIT {int(connections)} PASSWORD '{password}'")
            )
    _write_to_home(pgpass, f"*:*:*:{role}:{password}\n", owner)
    return url.set(username=role, password=None).render_as_string(hide_password=False)


async def _mariadb_account(
    url: Any, role: str, home: Path, owner: tuple[int, int] | None, state: Path, connections: int
) -> str:
    """MariaDB: the learner's own account ``'<role>'@'%'`` with ``ALL`` on the databases named ``<role>_…`` only.

    ``MAX_USER_CONNECTIONS <connections>``; the generated password is kept in ``<home>/.my.cnf`` (mode 600) and
    is in the learner's DATABASE_URL (aiomysql reads no option file by itself). The hub lists the accounts it
    made in ``<state>/accounts.json`` and never takes over another.
    """
    from sqlalchemy import text

    from lessons.core.connections import server_connection

    option_file = home / ".my.cnf"
    found = re.search(rf"^password=({_GENERATED_PASSWORD})$", _read_from_home(option_file), re.MULTILINE)
    password = found.group(1) if found else secrets.token_urlsafe(24)  # the learner can write that file
    listed = f"mariadb:{role}"
    async with server_connection(url) as conn:
        exists = await conn.scalar(text("SELECT 1 FROM mysql.user WHERE User = :u AND Host = '%'"), {"u": role})
        known = (state / "accounts.json").exists() and listed in json.loads((state / "accounts.json").read_text())
        if exists and not known:
            raise PermissionError(f"the MariaDB account {role} exists and was not created by this hub: not used")
        _note_account(state, listed)
        limit = f"WITH MAX_USER_CONNECTIONS {int(connections)}"
        await conn.execute(text(f"CREATE USER IF NOT EXISTS '{role}'@'%' IDENTIFIED BY '{password}' {limit}"))
        await conn.execute(text(f"ALTER USER '{role}'@'%' IDENTIFIED BY '{password}' {limit}"))
        pattern = role.replace("_", "\\_") + "\\_%"
        await conn.execute(text(f"GRANT ALL PRIVILEGES ON `{pattern}`.* TO '{role}'@'%'"))
        # The course connects to the base database to create and drop its own: a harmless privilege there.
        await conn.execute(text(f"GRANT CREATE TEMPORARY TABLES ON `{url.database}`.* TO '{role}'@'%'"))
    _write_to_home(option_file, f"[client]\nuser={role}\npassword={password}\n", owner)
    return url.set(username=role, password=password).render_as_string(hide_password=False)


async def remove_database_roles(admin_url: str, state: Path) -> list[str]:
    """Drop the roles this hub created (their databases must be dropped first); returns those dropped."""
    from sqlalchemy import text

    from lessons.core.connections import server_connection
    from lessons.core.settings import parse_database_url

    url = parse_database_url(admin_url)
    if url.get_backend_name() != "postgresql":
        path = state / "accounts.json"
        listed = json.loads(path.read_text()) if path.exists() else []
        accounts = [name.removeprefix("mariadb:") for name in listed if name.startswith("mariadb:")]
        async with server_connection(url) as conn:
            for account in accounts:
                await conn.execute(text(f"DROP USER IF EXISTS '{account}'@'%'"))
        return accounts
    async with server_connection(url) as conn:
        roles = (
            await conn.scalars(
                text("SELECT rolname FROM pg_roles WHERE shobj_description(oid, 'pg_authid') = :m"),
                {"m": _marker(state)},
            )
        ).all()
        for role in roles:
            await conn.execute(text(f'DROP OWNED BY "{role}"'))
            await conn.execute(text(f'DROP ROLE "{role}"'))
    return list(roles)


async def accepts_without_password(url: Any, user: str) -> bool:
    """True when the server of ``url`` lets ``user`` in with no password (``trust``), as any local process could.

    No password file or ``PGPASSWORD`` is consulted: an empty password is sent, which only ``trust`` accepts.
    """
    host, port = url.host or "127.0.0.1", url.port
    try:
        if url.get_backend_name() == "postgresql":
            import asyncpg

            conn = await asyncpg.connect(
                host=host, port=port or 5432, user=user, password="", passfile="/dev/null",
                database=url.database or "postgres", timeout=5,
            )  # fmt: skip
        else:
            import aiomysql

            conn = await aiomysql.connect(host=host, port=port or 3306, user=user, password="", connect_timeout=5)
    except Exception:  # refused, unknown, unreachable: it did not let them in
        return False
    with contextlib.suppress(Exception):
        if hasattr(conn, "ensure_closed"):
            await conn.ensure_closed()
        else:
            await conn.close()
    return True


def password_check(admin_url: str, learner_role: str = "") -> str:
    """One line when the database server lets a role in without its password, else ``""``.

    Tried from the hub's machine over TCP, as a learner's kernel could: the instructor's role, the server's
    superuser (``postgres``, ``root``) and, when given, a learner's role. Run in a thread of its own (the hub's
    configuration is read inside its event loop).
    """
    import concurrent.futures

    from lessons.core.settings import parse_database_url

    url = parse_database_url(admin_url)
    superuser = "postgres" if url.get_backend_name() == "postgresql" else "root"
    users = list(dict.fromkeys(name for name in [learner_role, url.username, superuser] if name))

    async def check() -> list[str]:
        return [user for user in users if await accepts_without_password(url, user)]

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        open_to_all = pool.submit(asyncio.run, check()).result()
    if not open_to_all:
        return ""
    return (
        f"make hub: WARNING: the database server at {url.host or '127.0.0.1'}:{url.port or ''} lets "
        f"{', '.join(open_to_all)} in without a password, so any learner's kernel can too and the per-learner roles "
        "protect nothing: "
        + ("set scram-sha-256 for host connections in pg_hba.conf" if superuser == "postgres" else "give it a password")
        + ' (hub/README.md, "The database server")'
    )


class CourseSpawner(LocalProcessSpawner):
    """A local process per user, with the course copied into the home and the course's settings in the env.

    ``isolate``: the server runs as the user's own system account (``course-<username>``, created on the first
    start), with a home of mode 700; otherwise as the hub's own user (see hub/README.md, "Security").
    """

    home_dir_template = Unicode(help="Each user's home, with {username} (<state>/users/{username}).").tag(config=True)
    users_root = Unicode(help="The folder holding every user's home (<state>/users).").tag(config=True)
    state_dir = Unicode(help="The hub's state folder (where accounts.json lists the accounts it made).").tag(
        config=True
    )
    isolate = Bool(False, help="Run each user's server as a system account of their own.").tag(config=True)
    memory_limit_bytes = Integer(0, help="Address-space cap of every process of a user's server; 0: none.").tag(
        config=True
    )
    process_limit = Integer(0, help="Processes and threads one account may run at once (isolated); 0: none.").tag(
        config=True
    )
    database_url = Unicode("", help="DATABASE_URL for every learner; empty: SQLite in their own .data.").tag(
        config=True
    )
    venv_bin = Unicode(help="The bin folder of the venv the servers run in.").tag(config=True)
    database_roles = Bool(False, help="Give each user a PostgreSQL role of their own (database_url's server).").tag(
        config=True
    )
    database_connections = Integer(20, help="Each user's role's connection limit.").tag(config=True)
    _user_database_url = ""
    _roles_checked = False

    @property
    def home_dir(self) -> str:
        return self.home_dir_template.format(username=self.user.name)

    @property
    def instructor(self) -> bool:
        return bool(self.user.admin)

    def _prepare(self) -> list[str]:
        home = Path(self.home_dir)
        if self.isolate:
            return prepare_account(self.user.name, home, Path(self.state_dir), self.instructor)
        return prepare_home(home, self.instructor)

    async def start(self) -> Any:
        added = await asyncio.to_thread(self._prepare)
        if added:
            self.log.info("Prepared %s for %s: %s", self.home_dir, self.user.name, ", ".join(added))
        self._user_database_url = self.database_url
        if self.database_roles and self.database_url:
            owner = None
            if self.isolate:
                account = pwd.getpwnam(account_name(self.user.name))
                owner = (account.pw_uid, account.pw_gid)
            self._user_database_url = await ensure_database_role(
                self.database_url, self.user.name, Path(self.home_dir), owner, Path(self.state_dir),
                self.database_connections,
            )  # fmt: skip
            if not CourseSpawner._roles_checked:  # once per hub: does the server ask a learner's role a password?
                CourseSpawner._roles_checked = True
                role = role_name(self.database_url, self.user.name)
                warning = await asyncio.to_thread(password_check, self.database_url, role)
                if warning:
                    self.log.warning(warning)
        return await super().start()

    async def stop(self, now: bool = False) -> None:
        await super().stop(now=now)
        if self.isolate:  # whatever the learner left running in a session of its own ends with their server
            with contextlib.suppress(KeyError):
                uid = pwd.getpwnam(account_name(self.user.name)).pw_uid
                left = await asyncio.to_thread(kill_processes_of, uid)
                if left:
                    self.log.info("Stopped %d process(es) %s left running after their server", left, self.user.name)

    def make_preexec_fn(self, name: str) -> Any:
        home, limit = self.home_dir, self.memory_limit_bytes
        switch = set_user(account_name(self.user.name)) if self.isolate else None
        processes = self.process_limit if self.isolate else 0  # counted per account: shared, it would be everyone's

        def preexec() -> None:
            if limit:
                resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
            if processes:  # a fork bomb stops at this many tasks of the learner's account, not at the machine's
                resource.setrlimit(resource.RLIMIT_NPROC, (processes, processes))
            if switch is not None:
                switch()
            os.umask(0o077)
            os.chdir(home)

        return preexec

    def user_env(self, env: dict[str, str]) -> dict[str, str]:
        env["USER"] = account_name(self.user.name) if self.isolate else self.user.name
        env["HOME"] = self.home_dir
        env["SHELL"] = "/bin/bash"
        return env

    async def move_certs(self, paths: dict[str, str]) -> dict[str, str]:
        return paths  # internal SSL is not used

    def get_env(self) -> dict[str, str]:
        env = super().get_env()
        home, users = Path(self.home_dir), Path(self.users_root)
        venv_bin = Path(self.venv_bin) if self.venv_bin else None
        env.update(course_env(home, self.user.name, self._user_database_url, users, venv_bin))
        env["COURSE_PROGRESS_EXCHANGE"] = str(Path(self.state_dir) / "exchange")
        if not self.instructor:
            env.pop("COURSE_HUB_USERS", None)
        return env


def set_user(account: str) -> Any:
    """A ``preexec_fn`` switching to ``account`` (its group only: no supplementary group of the hub's)."""
    entry = pwd.getpwnam(account)
    groups = os.getgrouplist(account, entry.pw_gid)

    def switch() -> None:
        os.setgroups(groups)
        os.setgid(entry.pw_gid)
        os.setuid(entry.pw_uid)
        if os.getuid() != entry.pw_uid or os.geteuid() != entry.pw_uid:
            raise PermissionError(f"could not switch to {account}")

    return switch


def reachable_by_all(path: Path) -> bool:
    """True when any account can run ``path``: it and every folder above its real path are ``o+x``."""
    real = path.resolve()
    return all(stat.S_IMODE(p.stat().st_mode) & 0o001 for p in [real, *real.parents])


def servers_venv(environ: dict[str, str], isolate: bool) -> Path:
    """The venv's ``bin`` the single-user servers run from: this hub's, or (isolated) one every account can run."""
    if not isolate:
        return Path(sys.executable).parent
    venv = Path(environ.get("HUB_VENV") or HUB_VENV)
    python = venv / "bin" / "python"
    if not python.exists():
        raise FileNotFoundError(f"{venv} is missing: start the hub with make hub (it builds it from HUB_PYTHON)")
    if not reachable_by_all(python):
        raise PermissionError(
            f"{python} leads to {python.resolve()}, which other accounts cannot run: rebuild {venv.name} with "
            "a Python outside any private home (make hub HUB_PYTHON=/usr/bin/python3)"
        )
    return venv / "bin"


def course_env(
    home: Path, username: str, database_url: str, users_root: Path, venv_bin: Path | None = None
) -> dict[str, str]:
    """The contract with the course: where a user's databases go, their namespace, the shared server if any.

    >>> env = course_env(Path("/h/users/ada"), "ada", "", Path("/h/users"))
    >>> env["COURSE_DATA_DIR"], env["COURSE_NAMESPACE"], env["DATABASE_URL"]
    ('/h/users/ada/.data', 'ada', '')
    """
    venv_bin = venv_bin or Path(sys.executable).parent
    return {
        "COURSE_DATA_DIR": str(home / ".data"),
        "COURSE_NAMESPACE": username,
        # Set even when empty: an empty DATABASE_URL means "SQLite in COURSE_DATA_DIR", whatever .env says.
        "DATABASE_URL": database_url,
        # `!python`, `!pip` and a Terminal use the course's venv, where `import lessons` works.
        "PATH": os.pathsep.join([str(venv_bin), os.environ.get("PATH", os.defpath)]),
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
    from lessons.core.settings import Settings, parse_database_url

    url = environ["DATABASE_URL"] if "DATABASE_URL" in environ else Settings().DATABASE_URL
    if url:
        parse_database_url(url)  # one sentence saying what is wrong, before anyone logs in
    return url


def isolation_mode(environ: dict[str, str]) -> str:
    """``users`` (one system account per user) or ``shared`` (every server as the hub's user), from HUB_ISOLATION.

    ``auto`` (the default) is ``users`` whenever this process can create accounts (root, with ``useradd``).
    """
    wanted = (environ.get("HUB_ISOLATION") or "auto").strip().lower()
    if wanted not in {"auto", "users", "shared"}:
        raise ValueError(f"HUB_ISOLATION={wanted!r}: use auto, users or shared")
    if wanted == "users" and not can_isolate():
        raise PermissionError("HUB_ISOLATION=users needs the hub to run as root on a machine with useradd")
    if wanted == "auto":
        return "users" if can_isolate() else "shared"
    return wanted


def memory_bytes(text: str) -> int:
    """``HUB_MEMORY_LIMIT``: ``3G``, ``512M`` or a number of bytes; ``0`` for none.

    >>> memory_bytes("3G"), memory_bytes("512M"), memory_bytes("0")
    (3221225472, 536870912, 0)
    """
    match = re.fullmatch(r"\s*(\d+)\s*([KMG]?)i?B?\s*", text.upper())
    if not match:
        raise ValueError(f"HUB_MEMORY_LIMIT={text!r}: write 3G, 512M or a number of bytes")
    return int(match.group(1)) << {"": 0, "K": 10, "M": 20, "G": 30}[match.group(2)]


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


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
    mode = isolation_mode(environ)
    trusted = (environ.get("HUB_TRUST_EVERYONE") or "").strip().lower() in {"yes", "1", "true"}
    if mode == "shared":
        announce(
            "make hub: shared-user mode (not root, or no useradd): every learner's server runs as "
            f"{pwd.getpwuid(os.geteuid()).pw_name} and can read the others' work: for colleagues, not strangers."
        )
        if not _loopback(host) and not trusted:
            raise PermissionError(
                f"HOST={host} opens a shared-user hub to the network: run as root for one account per learner, "
                "or set HUB_TRUST_EVERYONE=yes if everyone who can reach it is trusted (hub/README.md)"
            )
        ensure_exchange(state, isolate=False)
    else:
        if (ROOT / ".env").exists():
            raise PermissionError(
                f"{ROOT / '.env'} exists: learners' kernels could not read it (nor may they: it holds your "
                "credentials), and the course's settings read it; pass DATABASE_URL in the environment instead"
            )
        close_state(state)
        ensure_exchange(state, isolate=True)
        closed = close_checkout(ROOT)
        announce(
            f"make hub: one system account per learner ({ACCOUNT_PREFIX}<name>, home mode 700)"
            + (f"; closed to other users in the checkout: {', '.join(closed)}" if closed else "")
        )

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
    c.JupyterHub.template_paths = [str(ROOT / "hub" / "templates")]  # the sign-up field on the login page

    # Sign-in: the class password lets a learner sign up with a password of their own; instructors have theirs.
    secrets_dir = state / "secrets"
    learner_password, new_learner = read_or_create_secret(
        secrets_dir / "learner-password", new_learner_password, minimum=8
    )
    instructor_password, new_instructor = read_or_create_secret(
        secrets_dir / "instructor-password", new_instructor_password, minimum=32
    )
    c.JupyterHub.authenticator_class = CourseAuthenticator
    c.CourseAuthenticator.class_password = learner_password
    c.CourseAuthenticator.instructor_password = instructor_password
    c.CourseAuthenticator.passwords_file = str(secrets_dir / "passwords.json")
    c.CourseAuthenticator.instructors = set(instructors)
    c.Authenticator.admin_users = set(instructors)
    c.Authenticator.username_pattern = USERNAME_PATTERN
    if learners:
        c.Authenticator.allowed_users = set(learners)
    else:
        c.Authenticator.allow_all = True  # anyone with the class password signs up under a free username
    if new_learner or new_instructor:
        announce(
            "\n".join(
                [
                    "",
                    "=" * 72,
                    "New passwords for this hub (shown once; kept, mode 600, in " + str(secrets_dir) + "):",
                    f"  class password (to sign up once): {learner_password}" if new_learner else "",
                    f"  instructors ({', '.join(instructors) or 'none: set HUB_INSTRUCTORS'}): {instructor_password}"
                    if new_instructor
                    else "",
                    "=" * 72,
                ]
            ).replace("\n\n", "\n"),
        )

    # Single-user servers: local processes (of each user's own account when isolated), in the course's venv.
    c.JupyterHub.spawner_class = CourseSpawner
    c.CourseSpawner.home_dir_template = str(users_root / "{username}")
    c.CourseSpawner.users_root = str(users_root)
    c.CourseSpawner.state_dir = str(state)
    c.CourseSpawner.isolate = mode == "users"
    database_url = _database_url(environ)
    c.CourseSpawner.database_url = database_url
    # A role (an account on MariaDB) per learner: the instructor's credentials never reach a learner.
    c.CourseSpawner.database_roles = mode == "users" and bool(database_url)
    c.CourseSpawner.database_connections = int(environ.get("HUB_DB_CONNECTIONS") or 20)
    if database_url and mode == "users":
        # A server that trusts 127.0.0.1 lets every learner in as any role, the instructor's and the superuser's.
        warning = password_check(database_url)
        if warning:
            announce(warning)
    venv_bin = servers_venv(environ, isolate=mode == "users")
    c.CourseSpawner.venv_bin = str(venv_bin)
    c.Spawner.cmd = [str(venv_bin / "jupyterhub-singleuser")]
    c.Spawner.ip = "127.0.0.1"
    c.Spawner.notebook_dir = str(users_root / "{username}")
    c.Spawner.default_url = "/lab/tree/notebooks/00-setup.ipynb"
    c.Spawner.env_keep = ["LANG", "LC_ALL"]
    c.Spawner.start_timeout = 180  # ten servers starting at once on two busy cores
    c.Spawner.http_timeout = 120
    c.Spawner.args = list(single_user_args(is_root=os.geteuid() == 0 and mode == "shared"))

    # A runaway learner: each process of their server (the server, each kernel) may map HUB_MEMORY_LIMIT at most
    # (RLIMIT_AS: a MemoryError in their cell, not the machine swapping); a kernel maps about 1 GB when idle.
    c.CourseSpawner.memory_limit_bytes = memory_bytes(environ.get("HUB_MEMORY_LIMIT") or "3G")
    # …and their account may run HUB_PROCESS_LIMIT processes and threads at once (RLIMIT_NPROC, per account: a fork
    # bomb stops there); a server with three kernels runs about 60.
    c.CourseSpawner.process_limit = int(environ.get("HUB_PROCESS_LIMIT") or 512)
    # An idle server (no activity for HUB_CULL_IDLE seconds, default an hour) is stopped; its work stays.
    idle = int(environ.get("HUB_CULL_IDLE") or 3600)
    culler = [sys.executable, "-m", "jupyterhub_idle_culler", f"--timeout={idle}", "--cull-every=60"]
    c.JupyterHub.services = [{"name": "idle-culler", "command": culler}]
    c.JupyterHub.load_roles = [
        {
            "name": "idle-culler",
            "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
            "services": ["idle-culler"],
        }
    ]


def single_user_args(is_root: bool) -> Iterable[str]:
    """Arguments of every single-user server: no news pop-up, a closed tab's kernel freed after an idle hour."""
    yield f"--LabApp.app_settings_dir={ROOT / 'jupyter' / 'settings'}"
    yield "--MappingKernelManager.cull_idle_timeout=3600"
    yield "--MappingKernelManager.cull_interval=300"
    yield "--MappingKernelManager.cull_connected=False"
    # A closing kernel drops its lesson copies on a database server (lessons.core.pristine); 5 s, the default, is not
    # always enough on a busy machine, and a killed kernel's copies wait for that learner's next kernel.
    yield "--KernelManager.shutdown_wait_time=15"
    if is_root:  # shared-user mode as root (HUB_ISOLATION=shared): the servers run as root too
        yield "--ServerApp.allow_root=True"
