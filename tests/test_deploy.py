"""What can be checked of deploy/ on a machine without Docker or Kubernetes.

The image recipe installs exactly the lock, hash-checked, and copies files that exist; the Helm values parse and
name the image the README builds; the first-start hook copies the course once and never over a learner's work.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from lessons.core.settings import ROOT, Settings

DEPLOY = ROOT / "deploy"


def instructions() -> list[tuple[str, str]]:
    """The Dockerfile as (INSTRUCTION, arguments), continuation lines joined, comments left out."""
    joined: list[str] = []
    pending = ""
    for line in (DEPLOY / "Dockerfile").read_text().splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        pending += line.rstrip().removesuffix("\\") + " " if line.rstrip().endswith("\\") else line.strip()
        if not line.rstrip().endswith("\\"):
            joined.append(" ".join(pending.split()))
            pending = ""
    return [(line.split(" ", 1)[0].upper(), line.split(" ", 1)[1]) for line in joined]


def values() -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / "values.yaml").read_text())


def readme() -> str:
    return (DEPLOY / "README.md").read_text()


def test_the_image_starts_from_a_pinned_python_311() -> None:
    steps = instructions()
    assert steps[0][0] == "FROM"
    assert re.fullmatch(r"python:3\.11\.\d+-slim-\w+", steps[0][1]), steps[0][1]


def test_the_image_installs_exactly_the_lock_with_hashes_then_the_course_without_dependencies() -> None:
    runs = [arguments for instruction, arguments in instructions() if instruction == "RUN"]
    installs = [command for run in runs for command in run.split("&&") if "pip install" in command]
    assert len(installs) == 2, installs
    lock_install, course_install = (shlex.split(command) for command in installs)
    assert "--require-hashes" in lock_install
    assert lock_install[lock_install.index("-r") + 1] == "/opt/course/requirements.lock"
    assert "--no-deps" in course_install and course_install[-1] == "/opt/course"
    copied = {
        arguments.split()[-1]: arguments.split()[0]
        for instruction, arguments in instructions()
        if instruction == "COPY"
    }
    assert copied["/opt/course/requirements.lock"] == "requirements.lock"


def test_every_path_the_image_copies_exists_and_is_let_through_the_dockerignore() -> None:
    sources = [arguments.split()[0] for instruction, arguments in instructions() if instruction == "COPY"]
    assert {"requirements.lock", "lessons", "notebooks", "deploy/course-first-start"} <= set(sources)
    ignore = (DEPLOY / "Dockerfile.dockerignore").read_text().splitlines()
    for source in sources:
        assert (ROOT / source).exists(), f"the Dockerfile copies {source}, which is not in the repository"
        assert f"!{source}" in ignore or f"!{source}/" in ignore, f"{source} is not let through the .dockerignore"


def test_the_image_is_what_zero_to_jupyterhub_expects() -> None:
    steps = instructions()
    assert ("USER", "1000") in steps and [s for s in steps if s[0] == "USER"][-1] == ("USER", "1000")
    assert ("CMD", '["jupyterhub-singleuser"]') in steps
    assert "jupyterhub-singleuser --version" in " ".join(arguments for _, arguments in steps)
    assert not [arguments for instruction, arguments in steps if instruction == "ADD"]  # COPY, never ADD
    environment = " ".join(arguments for instruction, arguments in steps if instruction == "ENV")
    assert "COURSE_DATA_DIR=/home/jovyan/.data" in environment
    assert values()["singleuser"]["storage"]["homeMountPath"] == "/home/jovyan"
    assert values()["singleuser"]["extraEnv"]["COURSE_DATA_DIR"] == "/home/jovyan/.data"


def test_the_lock_brings_jupyterhub_singleuser_when_the_course_requires_jupyterhub() -> None:
    if not re.search(r"^jupyterhub==", (ROOT / "requirements.txt").read_text(), re.MULTILINE):
        pytest.skip("requirements.txt pins no jupyterhub yet (make hub adds it): the image build would stop there")
    # Pinned for Linux at least (the lock leaves JupyterHub out on Windows only): the image is Linux.
    lock = (ROOT / "requirements.lock").read_text()
    pin = re.search(r"^jupyterhub==\S+(?: ; (?P<marker>[^\\]+))? \\$", lock, re.MULTILINE)
    assert pin, "the lock has no jupyterhub pin"
    assert pin["marker"] in (None, "sys_platform != 'win32'"), f"jupyterhub is not pinned for Linux: {pin['marker']}"


def test_the_values_name_the_image_the_readme_builds_and_pushes() -> None:
    image = values()["singleuser"]["image"]
    reference = f"{image['name']}:{image['tag']}"
    text = readme()
    assert f"docker build -f deploy/Dockerfile -t {reference} ." in text
    assert f"docker push {reference}" in text
    assert f"-t {reference} ." in (DEPLOY / "Dockerfile").read_text()
    init = values()["singleuser"]["initContainers"]
    assert [container["image"] for container in init] == [reference]


def test_the_readme_pins_the_chart_and_uses_the_values_file() -> None:
    text = readme()
    match = re.search(r"helm upgrade --install \S+ jupyterhub/jupyterhub --version (\S+)", text)
    assert match and re.fullmatch(r"\d+\.\d+\.\d+", match.group(1)), "pin the chart version in the README"
    assert "--values deploy/values.yaml" in text


def test_the_instructor_s_database_url_reaches_the_hub_only() -> None:
    """Issue 21: the hub keeps the instructor's credentials; each learner's server gets a role of its own."""
    hub_env = values()["hub"]["extraEnv"]
    reference = hub_env["COURSE_ADMIN_DATABASE_URL"]["valueFrom"]["secretKeyRef"]
    assert f"create secret generic {reference['name']} " in readme()
    assert f"--from-literal={reference['key']}=postgresql+asyncpg://" in readme()
    key = hub_env["COURSE_ROLE_KEY"]["valueFrom"]["secretKeyRef"]
    assert key["name"] == reference["name"] and f"--from-literal={key['key']}=" in readme()
    assert "DATABASE_URL" not in values()["singleuser"]["extraEnv"]  # set per learner by the hook
    hook = values()["hub"]["extraConfig"]["course-instructor"]
    assert "CONNECTION LIMIT 20" in hook and '"DATABASE_URL": url' in hook
    assert "COURSE_ADMIN_DATABASE_URL" not in " ".join(map(str, values()["singleuser"].values()))


def test_the_learner_role_hook_gives_each_learner_their_own_role(monkeypatch: pytest.MonkeyPatch) -> None:
    """The hook's SQL, run against a stand-in for psycopg2 (no cluster here: deploy/README.md says so)."""
    import sys
    import types

    executed: list[tuple[str, tuple]] = []

    class Cursor:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def execute(self, statement, parameters=()):
            executed.append((str(statement), parameters))

        def fetchone(self):
            return None  # a new learner: no role yet

    class Connection(Cursor):
        def cursor(self):
            return Cursor()

        def close(self):
            pass

    sql = types.SimpleNamespace(SQL=lambda text: types.SimpleNamespace(format=lambda name: text.format(name)),
                                Identifier=lambda name: f'"{name}"')  # fmt: skip
    psycopg2 = types.SimpleNamespace(connect=lambda dsn: Connection(), sql=sql)
    monkeypatch.setitem(sys.modules, "psycopg2", psycopg2)
    monkeypatch.setitem(sys.modules, "psycopg2.sql", sql)
    monkeypatch.setenv("COURSE_ADMIN_DATABASE_URL", "postgresql+asyncpg://course:secret@db.example.org:5432/course")
    monkeypatch.setenv("COURSE_ROLE_KEY", "k" * 64)
    scope: dict[str, Any] = {"c": types.SimpleNamespace(KubeSpawner=types.SimpleNamespace())}
    exec(compile(values()["hub"]["extraConfig"]["course-instructor"], "extraConfig", "exec"), scope)
    url = scope["_learner_database_url"]("ada")
    assert url.startswith("postgresql+asyncpg://course_ada:") and url.endswith("@db.example.org:5432/course")
    assert "secret" not in url  # never the instructor's password
    assert executed[-1][0] == 'CREATE ROLE "course_ada" LOGIN CREATEDB CONNECTION LIMIT 20 PASSWORD %s'
    assert scope["_learner_database_url"]("ada") == url  # the same password on every start


def test_progress_is_handed_in_to_a_folder_of_the_learner_s_own() -> None:
    storage = values()["singleuser"]["storage"]
    assert values()["singleuser"]["extraEnv"]["COURSE_PROGRESS_EXCHANGE"] == "/srv/exchange"
    mount = next(m for m in storage["extraVolumeMounts"] if m["mountPath"] == "/srv/exchange")
    assert mount["subPath"] == "{username}"
    claim = next(v for v in storage["extraVolumes"] if v["name"] == mount["name"])
    assert claim["persistentVolumeClaim"]["claimName"] == "course-exchange" and "course-exchange" in readme()


def test_the_hub_has_instructors_no_default_password_and_culls_idle_servers() -> None:
    config = values()
    assert config["hub"]["config"]["Authenticator"]["admin_users"]
    assert "Dummy" not in config["hub"]["config"]["JupyterHub"]["authenticator_class"]
    assert not re.search(r"^\s*password\s*:", (DEPLOY / "values.yaml").read_text(), re.MULTILINE)
    assert config["cull"]["enabled"] is True and config["cull"]["timeout"] > 0
    memory = config["singleuser"]["memory"]
    assert _bytes(memory["guarantee"]) <= _bytes(memory["limit"])
    hook = config["singleuser"]["lifecycleHooks"]["postStart"]["exec"]["command"]
    assert hook == ["course-first-start"]
    assert "course-class" in config["hub"]["extraConfig"]["course-instructor"]
    assert "/srv/handed-in" in config["hub"]["extraConfig"]["course-instructor"]
    assert "python -m lessons.tooling.progress --class /srv/handed-in" in readme()
    compile(config["hub"]["extraConfig"]["course-instructor"], "extraConfig", "exec")  # valid Python


def _bytes(size: str) -> int:
    number, unit = re.fullmatch(r"(\d+)([KMG]?)", str(size)).groups()  # type: ignore[union-attr]
    return int(number) * {"": 1, "K": 10**3, "M": 10**6, "G": 10**9}[unit]


def _first_start(home: Path, **env: str) -> None:
    environment = {"PATH": os.environ["PATH"], "HOME": str(home), "COURSE_ROOT": str(ROOT), **env}
    subprocess.run([str(DEPLOY / "course-first-start")], env=environment, check=True, timeout=60)


def test_the_first_start_copies_the_notebooks_once_and_never_over_a_learners_work(tmp_path: Path) -> None:
    _first_start(tmp_path)
    copied = sorted(path.name for path in (tmp_path / "notebooks").glob("*.ipynb"))
    assert copied == sorted(path.name for path in (ROOT / "notebooks").glob("*.ipynb"))
    assert (tmp_path / ".data").is_dir() and not (tmp_path / "solutions").exists()
    mine = tmp_path / "notebooks" / "00-setup.ipynb"
    mine.write_text("my work")
    _first_start(tmp_path)
    assert mine.read_text() == "my work"
    assert sorted(path.name for path in tmp_path.iterdir()) == [".data", "notebooks"]  # no temporary folder left


def test_an_instructors_first_start_also_copies_the_solutions(tmp_path: Path) -> None:
    _first_start(tmp_path, COURSE_INSTRUCTOR="1")
    assert (tmp_path / "solutions" / "00-setup.ipynb").is_file()


def test_on_a_hub_the_namespace_is_the_hub_user_unless_course_namespace_says_otherwise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("COURSE_NAMESPACE", raising=False)
    monkeypatch.setenv("JUPYTERHUB_USER", "ada_lovelace")
    assert Settings().namespace == "ada_lovelace"
    monkeypatch.setenv("JUPYTERHUB_USER", "ada.lovelace")  # cleaned, and told apart from ada_lovelace
    assert Settings().namespace.startswith("ada_lovela_") and Settings().namespace != "ada_lovelace"
    monkeypatch.setenv("COURSE_NAMESPACE", "ada")
    assert Settings().namespace == "ada"
