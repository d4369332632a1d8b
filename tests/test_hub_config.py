"""`make hub`'s configuration, loaded as JupyterHub loads it, without starting a hub.

What an instructor relies on: the hub listens on 127.0.0.1 unless HOST says otherwise, no password is a default
(each is generated on the first start, kept mode 600, and kept on later starts), each learner's password is their
own, usernames are safe as folders and database namespaces, a shared-user hub is not opened to the network by
accident, and each learner's server gets the course's settings (the contract of hub/README.md).
"""

from __future__ import annotations

import json
import stat
import sys
from pathlib import Path

import pytest
from traitlets.config import PyFileConfigLoader

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "hub"))

import course_hub  # noqa: E402


def load(monkeypatch: pytest.MonkeyPatch, state: Path, **environ: str):
    """The config JupyterHub would get from hub/jupyterhub_config.py with this environment."""
    for name in ("HOST", "HUB_PORT", "HUB_INSTRUCTORS", "HUB_LEARNERS", "HUB_INTERNAL_PORT", "HUB_API_PORT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HUB_STATE_DIR", str(state))
    monkeypatch.setenv("HUB_ISOLATION", "shared")  # the isolated mode closes the checkout: see its own test
    monkeypatch.setenv("HUB_TRUST_EVERYONE", "yes")
    monkeypatch.setenv("DATABASE_URL", "")
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    return PyFileConfigLoader("jupyterhub_config.py", path=str(ROOT / "hub")).load_config()


def test_the_hub_listens_on_this_machine_only_by_default(monkeypatch, tmp_path, capsys):
    config = load(monkeypatch, tmp_path)
    assert config.JupyterHub.bind_url == "http://127.0.0.1:8000"
    assert config.JupyterHub.hub_ip == "127.0.0.1"
    assert config.Spawner.ip == "127.0.0.1"
    assert config.ConfigurableHTTPProxy.api_url.startswith("http://127.0.0.1:")
    moved = load(monkeypatch, tmp_path, HOST="0.0.0.0", HUB_PORT="9000")
    assert moved.JupyterHub.bind_url == "http://0.0.0.0:9000"
    assert moved.JupyterHub.hub_ip == "127.0.0.1"  # the hub's own API stays internal


def test_no_password_is_a_default(monkeypatch, tmp_path, capsys):
    first = load(monkeypatch, tmp_path / "one")
    shown = capsys.readouterr().out
    other = load(monkeypatch, tmp_path / "two")
    learner = first.CourseAuthenticator.class_password
    instructor = first.CourseAuthenticator.instructor_password
    assert learner != other.CourseAuthenticator.class_password
    assert instructor != other.CourseAuthenticator.instructor_password
    assert len(learner) >= 8 and len(instructor) >= 32 and learner != instructor
    assert learner in shown and instructor in shown  # printed once, on the first start
    for name in ("learner-password", "instructor-password"):
        path = tmp_path / "one" / "secrets" / name
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "one" / "secrets").stat().st_mode) == 0o700

    again = load(monkeypatch, tmp_path / "one")
    assert again.CourseAuthenticator.class_password == learner  # kept across restarts
    assert learner not in capsys.readouterr().out  # and not printed again


def test_a_password_file_others_can_read_is_refused(monkeypatch, tmp_path, capsys):
    load(monkeypatch, tmp_path)
    (tmp_path / "secrets" / "learner-password").chmod(0o644)
    with pytest.raises(PermissionError, match="chmod 600"):
        load(monkeypatch, tmp_path)


def test_instructors_are_admins_and_learners_can_be_listed(monkeypatch, tmp_path, capsys):
    config = load(monkeypatch, tmp_path, HUB_INSTRUCTORS="ada, grace")
    assert config.Authenticator.admin_users == {"ada", "grace"}
    assert config.Authenticator.allow_all is True
    listed = load(monkeypatch, tmp_path, HUB_LEARNERS="linus ken")
    assert listed.Authenticator.allowed_users == {"linus", "ken"}
    with pytest.raises(ValueError, match="not usable as hub usernames"):
        load(monkeypatch, tmp_path, HUB_LEARNERS="Bob.Smith")


@pytest.mark.parametrize("name", ["ada", "a", "ada_2", "l3fa2_01", "abcdefghijklmnop"])
def test_a_username_is_its_own_namespace(name):
    from lessons.core.settings import clean_namespace

    assert course_hub.valid_username(name)
    assert clean_namespace(name) == name  # the folder, the namespace and the login are one name


@pytest.mark.parametrize("name", ["Ada", "ada.smith", "ada__b", "ada_", "_ada", "2ada", "abcdefghijklmnopq", ""])
def test_names_that_would_collide_or_escape_are_refused(name):
    assert not course_hub.valid_username(name)


def test_a_learner_s_server_gets_the_course_settings(monkeypatch, tmp_path, capsys):
    config = load(monkeypatch, tmp_path, DATABASE_URL="postgresql+asyncpg://postgres@127.0.0.1:5432/class")
    assert config.JupyterHub.spawner_class is course_hub.CourseSpawner
    assert config.CourseSpawner.home_dir_template == str(tmp_path / "users" / "{username}")
    assert config.CourseSpawner.database_url == "postgresql+asyncpg://postgres@127.0.0.1:5432/class"
    assert Path(config.Spawner.cmd[0]).name == "jupyterhub-singleuser"
    home = tmp_path / "users" / "ada"
    env = course_hub.course_env(home, "ada", "", tmp_path / "users")
    assert env["COURSE_DATA_DIR"] == str(home / ".data")
    assert env["COURSE_NAMESPACE"] == "ada"
    assert env["DATABASE_URL"] == ""  # SQLite in the learner's own .data, whatever the checkout's .env says
    assert env["PATH"].split(":")[0] == str(Path(sys.executable).parent)  # the venv, where `import lessons` works
    assert "CONFIGPROXY_AUTH_TOKEN" not in config.Spawner.env_keep


def test_a_wrong_database_url_stops_the_hub_before_anyone_logs_in(monkeypatch, tmp_path, capsys):
    from lessons.core.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="postgres"):
        load(monkeypatch, tmp_path, DATABASE_URL="postgres://127.0.0.1/class")


def test_the_first_start_copies_the_course_and_later_starts_keep_the_learner_s_work(tmp_path):
    root = tmp_path / "checkout"
    (root / "notebooks" / ".ipynb_checkpoints").mkdir(parents=True)
    (root / "notebooks" / "02-crud.ipynb").write_text("{}")
    (root / "solutions").mkdir()
    (root / "solutions" / "02-crud.ipynb").write_text('{"answers": true}')
    (root / "hub").mkdir()
    (root / "hub" / "class-progress.ipynb").write_text("{}")
    (root / ".data").mkdir()
    seed = root / ".data" / "course-seed_default_abc.sqlite3"
    seed.write_text("seeded")
    (root / ".data" / "course-seed_default_abc.sqlite3.sha256").write_text("sum")

    learner = tmp_path / "users" / "ada"
    assert course_hub.prepare_home(learner, instructor=False, root=root) == ["notebooks/"]
    assert (learner / "notebooks" / "02-crud.ipynb").exists()
    assert not (learner / "notebooks" / ".ipynb_checkpoints").exists()
    assert not (learner / "solutions").exists()
    assert (learner / ".data" / seed.name).read_text() == "seeded"

    (learner / "notebooks" / "02-crud.ipynb").write_text('{"my work": 1}')
    assert course_hub.prepare_home(learner, instructor=False, root=root) == []
    assert json.loads((learner / "notebooks" / "02-crud.ipynb").read_text()) == {"my work": 1}

    teacher = tmp_path / "users" / "grace"
    added = course_hub.prepare_home(teacher, instructor=True, root=root)
    assert added == ["notebooks/", "solutions/", "class-progress.ipynb"]
    assert (teacher / "solutions" / "02-crud.ipynb").exists()


def test_the_instructor_notebook_runs_the_class_progress_command():
    import nbformat

    notebook = nbformat.read(ROOT / "hub" / "class-progress.ipynb", as_version=4)
    code = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
    assert '"lessons.tooling.progress", "--class"' in code and "--csv" in code


def test_the_examples_in_course_hub_hold():
    import doctest

    assert doctest.testmod(course_hub).failed == 0


def test_a_shared_user_hub_is_not_opened_to_the_network_unless_everyone_is_trusted(monkeypatch, tmp_path, capsys):
    with pytest.raises(PermissionError, match="HUB_TRUST_EVERYONE"):
        load(monkeypatch, tmp_path, HOST="0.0.0.0", HUB_TRUST_EVERYONE="")
    assert "shared-user mode" in capsys.readouterr().out  # said in one line at start
    assert load(monkeypatch, tmp_path, HOST="127.0.0.1", HUB_TRUST_EVERYONE="").JupyterHub.bind_url


def authenticator(tmp_path: Path) -> course_hub.CourseAuthenticator:
    return course_hub.CourseAuthenticator(
        class_password="class-pass-1",
        instructor_password="i" * 40,
        passwords_file=str(tmp_path / "passwords.json"),
        instructors={"teach"},
    )


def sign_in(auth: course_hub.CourseAuthenticator, username: str, password: str, class_password: str = ""):
    import asyncio

    data = {"username": username, "password": password, "class_password": class_password}
    return asyncio.run(auth.authenticate(None, data))


def test_a_learner_s_first_sign_in_sets_their_own_password(tmp_path):
    auth = authenticator(tmp_path)
    assert sign_in(auth, "ada", "ada-secret-9") is None  # no class password: no sign-up
    assert sign_in(auth, "ada", "short", "class-pass-1") is None  # too short
    assert sign_in(auth, "ada", "class-pass-1", "class-pass-1") is None  # the class password is not one's own
    assert sign_in(auth, "ada", "ada-secret-9", "class-pass-1") == "ada"
    assert sign_in(auth, "ada", "ada-secret-9") == "ada"  # afterwards, her own password alone
    stored = (tmp_path / "passwords.json").read_text()
    assert "ada-secret-9" not in stored and "scrypt$" in stored
    assert stat.S_IMODE((tmp_path / "passwords.json").stat().st_mode) == 0o600


def test_nobody_signs_in_under_a_name_already_taken(tmp_path):
    auth = authenticator(tmp_path)
    assert sign_in(auth, "ada", "ada-secret-9", "class-pass-1") == "ada"
    assert sign_in(auth, "ada", "class-pass-1", "class-pass-1") is None
    assert sign_in(auth, "ada", "grace-wants-in", "class-pass-1") is None
    assert sign_in(auth, "teach", "class-pass-1", "class-pass-1") is None  # an instructor's name is taken too
    assert sign_in(auth, "teach", "i" * 40) == "teach"


def test_a_name_that_extends_a_taken_one_is_refused(tmp_path):
    """ada_2's databases would start with ada's prefix (test_ada_…), which MariaDB grants go by."""
    auth = authenticator(tmp_path)
    assert sign_in(auth, "ada", "ada-secret-9", "class-pass-1") == "ada"
    assert sign_in(auth, "ada_2", "ada2-secret-9", "class-pass-1") is None
    assert sign_in(auth, "teach_x", "teachx-secret", "class-pass-1") is None
    assert sign_in(auth, "adam", "adam-secret-9", "class-pass-1") == "adam"  # another prefix entirely


def test_the_isolated_mode_gives_each_learner_an_account_of_their_own(monkeypatch, tmp_path, capsys):
    closed: list[Path] = []
    monkeypatch.setattr(course_hub, "can_isolate", lambda: True)
    monkeypatch.setattr(course_hub, "close_checkout", lambda root: closed.append(root) or ["solutions"])
    exchanges: list[bool] = []  # the real one adds a system group: the break-in test covers it
    monkeypatch.setattr(course_hub, "ensure_exchange", lambda state, isolate: exchanges.append(isolate))
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").symlink_to("/usr/bin/env")  # any program every account can run
    config = load(monkeypatch, tmp_path / "state", HUB_ISOLATION="users", HUB_VENV=str(venv))
    assert config.CourseSpawner.isolate is True
    assert config.Spawner.cmd == [str(venv / "bin" / "jupyterhub-singleuser")]
    assert "--ServerApp.allow_root=True" not in config.Spawner.args
    assert closed == [course_hub.ROOT] and exchanges == [True]
    assert "one system account per learner" in capsys.readouterr().out
    state = tmp_path / "state"
    assert stat.S_IMODE(state.stat().st_mode) == 0o711  # a learner reaches their home, lists nothing
    assert stat.S_IMODE((state / "jupyterhub.sqlite").stat().st_mode) == 0o600
    assert stat.S_IMODE((state / "secrets").stat().st_mode) == 0o700
    assert course_hub.account_name("ada") == "course-ada"


def test_a_venv_other_accounts_cannot_run_is_refused(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(course_hub, "can_isolate", lambda: True)
    monkeypatch.setattr(course_hub, "close_checkout", lambda root: [])
    monkeypatch.setattr(course_hub, "ensure_exchange", lambda state, isolate: None)
    private = tmp_path / "private"
    (private / "bin").mkdir(parents=True)
    (private / "bin" / "python").write_text("")
    private.chmod(0o700)
    with pytest.raises(PermissionError, match="HUB_PYTHON"):
        load(monkeypatch, tmp_path / "state", HUB_ISOLATION="users", HUB_VENV=str(private))


def test_closing_the_checkout_keeps_only_what_a_server_needs(tmp_path):
    for name in ("solutions", ".git", "lessons", ".venv", "notebooks"):
        (tmp_path / name).mkdir()
    (tmp_path / ".env").write_text("DATABASE_URL=postgresql+asyncpg://teacher:secret@db/course")
    for child in tmp_path.iterdir():
        child.chmod(0o755 if child.is_dir() else 0o644)
    assert course_hub.close_checkout(tmp_path) == [".env", ".git", "solutions"]
    assert stat.S_IMODE((tmp_path / "solutions").stat().st_mode) & 0o007 == 0
    assert stat.S_IMODE((tmp_path / ".env").stat().st_mode) & 0o007 == 0
    assert stat.S_IMODE((tmp_path / "lessons").stat().st_mode) == 0o755
    assert course_hub.close_checkout(tmp_path) == []  # a later start changes nothing
