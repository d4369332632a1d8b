"""The pristine database: damage is noticed and repaired, an unwritable data folder is explained, Ctrl-C
keeps nothing half-built. Each test works in a data folder of its own (``COURSE_DATA_DIR``)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lessons.core.settings import ROOT


def run(*args: str, data_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "COURSE_DATA_DIR": str(data_dir), **env}
    environment.pop("DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )


COUNT_USERS = (
    "import asyncio\n"
    "from sqlalchemy import text\n"
    "from lessons.core.database import fresh_database\n"
    "async def main():\n"
    "    db = await fresh_database('00-setup')\n"
    "    async with db.engine.connect() as conn:\n"
    "        print((await conn.execute(text('SELECT count(*) FROM users'))).scalar())\n"
    "    await db.dispose()\n"
    "asyncio.run(main())\n"
)


def damage(path: Path) -> None:
    path.chmod(0o644)
    with open(path, "r+b") as handle:
        handle.seek(path.stat().st_size // 2)
        handle.write(os.urandom(4096))
    path.chmod(0o444)


def test_random_bytes_in_the_pristine_file_are_noticed_and_the_file_rebuilt(tmp_path: Path) -> None:
    built = run("-m", "lessons.tooling.seed", data_dir=tmp_path)
    assert built.returncode == 0 and "(built in" in built.stdout, built.stderr
    [pristine] = tmp_path.glob("course-seed_default_*.sqlite3")
    damage(pristine)

    again = run("-m", "lessons.tooling.seed", data_dir=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "rebuilt (the file was damaged)" in again.stdout
    assert "200 users" in again.stdout

    damage(pristine)  # and a lesson never copies a damaged file: it rebuilds first
    lesson = run("-c", COUNT_USERS, data_dir=tmp_path)
    assert (lesson.returncode, lesson.stdout.strip(), lesson.stderr) == (0, "200", "")


def test_an_unwritable_data_folder_is_one_sentence_saying_what_to_set(tmp_path: Path) -> None:
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    if os.geteuid() == 0:  # root writes anywhere; sysfs refuses even root (EPERM), as a read-only mount would
        folder = Path("/sys/course-data")
    result = run("-m", "lessons.tooling.seed", data_dir=folder)
    assert result.returncode == 2
    assert result.stderr.startswith("error: the course cannot write to its data folder"), result.stderr
    assert "COURSE_DATA_DIR" in result.stderr
    assert "cannot reach the database" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1

    in_a_notebook = run("-c", COUNT_USERS, data_dir=folder)
    assert "ConfigurationError: the course cannot write to its data folder" in in_a_notebook.stderr
    assert "PermissionError" not in in_a_notebook.stderr


#: ``python -m lessons.tooling.seed --size default``, held still once its rows are written and not yet committed (the
#: worst moment to stop it) until Ctrl-C comes: it touches the file named by its first argument to say it is there.
SEED_HELD_WHILE_WRITING = (
    "import asyncio, pathlib, sys\n"
    "from lessons.core import seed\n"
    "insert_rows = seed.insert_rows\n"
    "async def held(conn, data, progress=False):\n"
    "    counts = await insert_rows(conn, data, progress)\n"
    "    pathlib.Path(sys.argv[1]).touch()\n"
    "    await asyncio.sleep(120)\n"
    "    return counts\n"
    "seed.insert_rows = held\n"
    "from lessons.tooling.seed import main\n"
    "raise SystemExit(main(['--size', 'default']))\n"
)


@pytest.mark.usefixtures("ctrl_c_as_in_a_terminal")
def test_ctrl_c_while_seeding_prints_one_line_and_keeps_nothing(tmp_path: Path) -> None:
    data, writing = tmp_path / "data", tmp_path / "writing"
    environment = {**os.environ, "COURSE_DATA_DIR": str(data)}
    environment.pop("DATABASE_URL", None)
    seeding = subprocess.Popen(
        [sys.executable, "-c", SEED_HELD_WHILE_WRITING, str(writing)],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while not writing.exists() and seeding.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert list(data.glob("*.building-*")), "the seed was not writing its file"
    seeding.send_signal(signal.SIGINT)
    _, stderr = seeding.communicate(timeout=120)
    assert seeding.returncode == 130, stderr
    assert stderr.strip().splitlines() == [
        "interrupted: nothing half-built was kept; run the same command again to build it."
    ]
    assert sorted(path.name for path in data.glob("*.sqlite3*")) == []


def test_a_configuration_error_in_a_notebook_shows_its_sentence_not_a_traceback() -> None:
    from IPython.core.interactiveshell import InteractiveShell

    from lessons.core.errors import ConfigurationError

    shell = InteractiveShell.instance()
    try:
        error = ConfigurationError("DATABASE_URL 'x' is not a database URL; use one like …")
        shown = shell.InteractiveTB.stb2text(error._render_traceback_())
        assert "ConfigurationError" in shown and "is not a database URL" in shown
        assert len(shown.splitlines()) == 1
    finally:
        InteractiveShell.clear_instance()


@pytest.mark.parametrize("lesson_size", ["default"])
def test_a_fresh_copy_is_quick_once_the_pristine_file_is_verified(lesson_size: str, tmp_path: Path) -> None:
    timing = (
        "import asyncio, time\n"
        "from lessons.core.database import fresh_database\n"
        "async def main():\n"
        f"    await fresh_database('warm-up', size={lesson_size!r})\n"
        "    best = float('inf')\n"
        "    for _ in range(5):\n"
        "        started = time.perf_counter()\n"
        f"        db = await fresh_database('timed', size={lesson_size!r})\n"
        "        best = min(best, time.perf_counter() - started)\n"
        "        await db.dispose()\n"
        "    print(best)\n"
        "asyncio.run(main())\n"
    )
    result = run("-c", timing, data_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    # Not a speed test (bench/ measures that): a copy must not rebuild or re-hash the pristine file each time.
    assert float(result.stdout) < 1.0


def test_learners_whose_names_clean_alike_get_separate_namespaces() -> None:
    from lessons.core.settings import NAMESPACE_MAX_LENGTH, clean_namespace

    names = ["alice", "Alice", "alice.smith", "alice_smith", "Alice.Smith", "alexander_the_great", "alexander_the_grey"]
    spaces = [clean_namespace(name) for name in names]
    assert len(set(spaces)) == len(names), spaces
    assert all(len(space) <= NAMESPACE_MAX_LENGTH and re.fullmatch(r"[a-z0-9_]+", space) for space in spaces)
    assert clean_namespace("alice") == "alice"  # a name that is already a namespace is kept as it is
