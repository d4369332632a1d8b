"""The course on Windows and macOS, proved on Linux as far as Linux can.

- The library's main paths (a fresh database, the seed, a ``check()``, progress recording, cleaning up after a
  killed kernel, ``python -m lessons.tooling.seed``, the make-free route's pure parts) run in a Python where ``fcntl``,
  ``pwd``, ``grp``, ``resource`` and ``termios`` cannot be imported, as on Windows, with an ``msvcrt`` standing in
  for Windows' (over ``flock``, per handle as Windows' ``LockFile`` is, and as strict: unlocking what is not locked
  fails). So ``lessons.core.locks`` takes its Windows branch.
- Paths are built as on Windows (``PureWindowsPath``: drive letters, backslashes, spaces).
- No POSIX-only (or Windows-only) import appears in ``lessons/`` outside the module allowed to have one.
- macOS's Python 3.9 gets one line saying how to get 3.11 or newer.
"""

from __future__ import annotations

import ast
import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path, PureWindowsPath

import pytest
from sqlalchemy.engine import make_url

from lessons.core import pristine, settings
from lessons.core.settings import ROOT
from lessons.tooling import lab, selftest

#: Modules Windows does not have, hidden in the runs below.
HIDDEN = ("fcntl", "pwd", "grp", "resource", "termios")

BOOT = f"""
import errno, importlib.abc, os, sys, types
import fcntl as _flock

HIDDEN = {HIDDEN!r}
for _name in HIDDEN:
    sys.modules.pop(_name, None)


class _WindowsHasNone(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name in HIDDEN:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None


sys.meta_path.insert(0, _WindowsHasNone())
# The standard library asks "is there an msvcrt?" to mean "is this Windows?" (subprocess, getpass): it is still
# Linux underneath, so they answer before the stand-in below exists. lessons.core.locks asks when it is imported.
import asyncio, getpass, subprocess  # noqa: E401, F401
_held = set()


def locking(fd, mode, nbytes, _flock=_flock):
    # Windows' contract, as lessons.core.locks must call it: one byte, at the start of the file.
    assert nbytes == 1 and os.lseek(fd, 0, os.SEEK_CUR) == 0, "msvcrt.locking called off byte 0"
    if mode == msvcrt.LK_NBLCK:
        try:
            _flock.flock(fd, _flock.LOCK_EX | _flock.LOCK_NB)
        except BlockingIOError:
            raise PermissionError(errno.EACCES, "Permission denied") from None
        _held.add(fd)
    elif mode == msvcrt.LK_UNLCK:
        if fd not in _held:
            raise PermissionError(errno.EACCES, "Permission denied")  # Windows: unlocking what is not locked
        _held.discard(fd)
        _flock.flock(fd, _flock.LOCK_UN)
    else:
        raise AssertionError(f"msvcrt.locking mode {{mode}} is not one lessons.core.locks uses")


msvcrt = types.ModuleType("msvcrt")
msvcrt.LK_UNLCK, msvcrt.LK_LOCK, msvcrt.LK_NBLCK, msvcrt.LK_RLCK, msvcrt.LK_NBRLCK = range(5)
msvcrt.locking = locking
sys.modules["msvcrt"] = msvcrt
del _flock
"""


def run_without_posix(code: str, data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a Python where the POSIX-only modules cannot be imported (``args`` become ``sys.argv[1:]``)."""
    script = data_dir.parent / f"{data_dir.name}-script.py"
    script.write_text(BOOT + textwrap.dedent(code))
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "COURSE_NAMESPACE", "COURSE_PROGRESS", "LOGNAME", "USER", "LNAME", "USERNAME"}
    }
    environment["COURSE_DATA_DIR"] = str(data_dir)
    return subprocess.run(
        [sys.executable, str(script), *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=300
    )


MAIN_PATHS = """
import asyncio, json
from sqlalchemy import func, select
from lessons.core import locks
from lessons.core import progress_book as progress
from lessons.core.database import fresh_database
from lessons.exercises import get
from lessons.exercises.lesson00 import count_active_users
from lessons.core.models import User
from lessons.core.settings import get_settings

async def main():
    db = await fresh_database("00-setup")
    async with db.Session() as session:
        session.add(User(name="Ana", email="ana@example.com"))
        await session.commit()
        print("users after an insert:", await session.scalar(select(func.count()).select_from(User)))
    db = await db.reset()
    async with db.Session() as session:
        print("users after a reset:", await session.scalar(select(func.count()).select_from(User)))
    print("check:", (await get("00.count_active_users").check(count_active_users)).status)
    await db.dispose()

asyncio.run(main())
book = json.loads(progress.progress_file().read_text(encoding="utf-8"))["exercises"]
print("recorded:", book["00.count_active_users"]["status"], book["00.count_active_users"]["attempts"])
target = progress.progress_file()
with progress._locked(target) as held:  # another kernel holds the progress lock: a check skips recording
    progress.LOCK_WAIT_SECONDS = 0.1
    print("held:", held, "recorded while held:", progress.record("00.count_active_users", "passed"))
print("lock:", locks.MECHANISM, "namespace:", get_settings().namespace)
print("hidden still:", [name for name in HIDDEN if name in sys.modules])
"""


def test_the_main_paths_run_where_fcntl_pwd_resource_do_not_exist(tmp_path: Path) -> None:
    result = run_without_posix(MAIN_PATHS, tmp_path / "data")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.splitlines() == [
        "users after an insert: 201",
        "users after a reset: 200",
        "check: passed",
        "recorded: passed 1",
        "held: True recorded while held: False",
        f"lock: msvcrt namespace: uid{os.getuid()}",  # no login name in the environment, no pwd: the uid
        "hidden still: []",
    ]


KILLED_KERNEL = """
import asyncio
from lessons.core.database import fresh_database

async def main():
    db = await fresh_database("02-crud")
    print(db.url.database)

asyncio.run(main())
sys.stdout.flush()
os._exit(0)  # like a killed kernel: no atexit; the system releases its lock
"""

NEXT_KERNEL = """
import asyncio
from pathlib import Path
from lessons.core import pristine
from lessons.core.database import fresh_database

async def main():
    db = await fresh_database("00-setup")
    print("left by the killed kernel:", Path(sys.argv[1]).exists())
    print("this kernel's copy:", Path(db.url.database).exists())
    await db.dispose()

asyncio.run(main())
"""


def test_a_killed_kernels_copy_is_removed_by_the_next_one_with_windows_locks(tmp_path: Path) -> None:
    killed = run_without_posix(KILLED_KERNEL, tmp_path / "data")
    assert killed.returncode == 0, killed.stderr
    copy = killed.stdout.strip()
    assert Path(copy).exists()
    following = run_without_posix(NEXT_KERNEL, tmp_path / "data", copy)
    assert (following.returncode, following.stderr) == (0, "")
    assert following.stdout.splitlines() == ["left by the killed kernel: False", "this kernel's copy: True"]
    assert sorted(path.name for path in (tmp_path / "data").glob("course-*-*.sqlite3")) == []  # gone at exit
    assert list((tmp_path / "data" / "owners").iterdir()) == []


SEED_AND_ROUTE = """
import runpy
from pathlib import Path
from lessons.tooling import lab, selftest

sys.argv = ["python -m lessons.tooling.seed"]
try:
    runpy.run_module("lessons.tooling.seed", run_name="__main__")
except SystemExit as exit:
    print("seed exit:", exit.code)
print("venv python:", lab.venv_python(lab.ROOT / ".venv").name)
print("commands:", selftest.main(["--list", "--only", "sizes"]))
"""


def test_python_m_lessons_seed_and_the_make_free_route_run_without_posix_modules(tmp_path: Path) -> None:
    result = run_without_posix(SEED_AND_ROUTE, tmp_path / "data")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Seeded default database at sqlite+aiosqlite:///"), lines
    assert "200 users" in lines[0] and "(built in" in lines[0]  # the counts come through read_only_uri()
    assert lines[1:] == [
        "seed exit: 0",
        "venv python: python",
        f"{lab.venv_python(ROOT / '.venv')} -m lessons.tooling.lesson_size",
        "commands: 0",
    ]


# --------------------------------------------------------------------------------------------------------------
# Paths as Windows builds them
# --------------------------------------------------------------------------------------------------------------

WINDOWS_DATA = PureWindowsPath(r"C:\Users\Ana Lee\course\.data")


def test_an_sqlite_url_on_windows_keeps_its_drive_letter_and_backslashes() -> None:
    default = f"sqlite+aiosqlite:///{WINDOWS_DATA / 'course.sqlite3'}"  # as Settings.database_url builds it
    assert make_url(default).database == r"C:\Users\Ana Lee\course\.data\course.sqlite3"


def test_copies_and_pristine_files_are_named_as_on_linux_beside_a_windows_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pristine, "Path", PureWindowsPath)
    base = make_url(f"sqlite+aiosqlite:///{WINDOWS_DATA / 'course.sqlite3'}")
    copy = pristine.derived_url(base, "alice", "02_crud", "p4242x1a2b").database
    assert copy == r"C:\Users\Ana Lee\course\.data\course-alice-02_crud-p4242x1a2b.sqlite3"
    assert re.search(rf"-({pristine._TOKEN.pattern})\.sqlite3$", PureWindowsPath(copy).name).group(1) == "p4242x1a2b"
    assert pristine.derived_url(base, "seed_default_abc").database == rf"{WINDOWS_DATA}\course-seed_default_abc.sqlite3"
    assert pristine.read_only_uri(PureWindowsPath(copy)) == (
        "file:///C:/Users/Ana%20Lee/course/.data/course-alice-02_crud-p4242x1a2b.sqlite3?mode=ro"
    )


def test_a_relative_sqlite_path_is_taken_from_the_repository_on_windows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "Path", PureWindowsPath)
    monkeypatch.setattr(settings, "ROOT", PureWindowsPath(r"C:\course"))
    relative = settings.parse_database_url(r"sqlite+aiosqlite:///.data\mine.sqlite3")
    assert relative.database == r"C:\course\.data\mine.sqlite3"
    absolute = settings.parse_database_url(r"sqlite+aiosqlite:///D:\elsewhere\mine.sqlite3")
    assert absolute.database == r"D:\elsewhere\mine.sqlite3"


def test_the_make_free_route_uses_scripts_and_python_exe_on_windows() -> None:
    venv = PureWindowsPath(r"C:\course\.venv")
    python = lab.venv_python(venv, windows=True)
    assert str(python) == r"C:\course\.venv\Scripts\python.exe"
    assert str(lab.venv_python(Path("/course/.venv"), windows=False)) == "/course/.venv/bin/python"
    assert lab.uv_binary(PureWindowsPath(r"C:\course\.tools\uv"), windows=True)[0].name == "uv.exe"
    command = lab.lab_command(python, PureWindowsPath(r"C:\course"), "127.0.0.1", "8888")
    assert command[:3] == [r"C:\course\.venv\Scripts\python.exe", "-m", "jupyterlab"]
    assert r"--ServerApp.root_dir=C:\course\notebooks" in command
    steps = {step.name: step for step in selftest.plan(python, windows=True)}
    assert list(steps) == ["lint", "seed", "unit", "notebooks", "sizes"]
    unit = steps["unit"].command
    assert all(part.startswith(r"C:\course") or "\\" not in part for part in unit)
    assert unit[unit.index("tests/test_makefile.py") - 1 :][:2] == ["--ignore", "tests/test_makefile.py"]
    assert "--ignore" not in selftest.plan(python, windows=False)[2].command  # Linux and macOS run every test
    assert selftest.ENVIRONMENT["PYTHONUTF8"] == "1"  # open() reads the UTF-8 notebooks, not as cp1252


def test_the_make_free_route_rebuilds_the_venv_when_make_would(tmp_path: Path) -> None:
    for name in lab.SETUP_INPUTS:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
    venv = tmp_path / ".venv"
    assert lab.needs_setup(venv, tmp_path)  # no venv yet
    Path(lab.venv_python(venv)).parent.mkdir(parents=True)
    Path(lab.venv_python(venv)).write_text("")
    stamp = venv / ".installed"
    stamp.write_text("")
    later = stamp.stat().st_mtime + 10
    os.utime(stamp, (later, later))
    assert not lab.needs_setup(venv, tmp_path)
    os.utime(tmp_path / "requirements.lock", (later + 10, later + 10))  # the lock changed after the last setup
    assert lab.needs_setup(venv, tmp_path)


WAIT_THROUGH_CTRL_C = lab.wait_through_ctrl_c.__code__


@pytest.mark.usefixtures("ctrl_c_as_in_a_terminal")
def test_ctrl_c_leaves_jupyterlab_to_stop_and_reports_130() -> None:
    # JupyterLab's stand-in runs until this test lets it end, and the test does so only once Ctrl-C has reached this
    # process while it waits for the child: no timing to get wrong, however busy the machine.
    child = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    before = signal.getsignal(signal.SIGTERM)
    waiter = threading.get_ident()

    def waiting_for_the_child() -> bool:
        frame = sys._current_frames().get(waiter)
        while frame is not None:
            caller = frame.f_back
            if caller and (frame.f_code, caller.f_code) == (subprocess.Popen.wait.__code__, WAIT_THROUGH_CTRL_C):
                return True
            frame = caller
        return False

    def ctrl_c_then_the_child_ends() -> None:
        try:
            while not waiting_for_the_child():
                time.sleep(0.01)
            signal.raise_signal(signal.SIGINT)  # Ctrl-C reaches this process only
        finally:
            child.stdin.close()  # the child ends (and the test with it) whatever happened above

    helper = threading.Thread(target=ctrl_c_then_the_child_ends, daemon=True)
    helper.start()
    try:
        assert lab.wait_through_ctrl_c(child) == 130  # it waited for the child to end, not killed it
    finally:
        helper.join(timeout=60)
    assert child.returncode == 0
    assert signal.getsignal(signal.SIGTERM) is before


# --------------------------------------------------------------------------------------------------------------
# No platform-only module creeps back in
# --------------------------------------------------------------------------------------------------------------

#: Modules a platform lacks: POSIX-only ones (missing on Windows) and Windows-only ones.
PLATFORM_ONLY = {"fcntl", "pwd", "grp", "resource", "termios", "tty", "pty", "posix", "syslog", "crypt", "spwd", "nis"}
PLATFORM_ONLY |= {"msvcrt", "winreg", "winsound", "_winapi", "nt"}
#: ``os`` functions Windows lacks.
POSIX_ONLY_OS = {"getuid", "geteuid", "getgid", "getegid", "fork", "killpg", "setsid", "getpgid", "setpgid", "chown"}
POSIX_ONLY_OS |= {"getpwnam", "wait3", "wait4", "getloadavg", "sysconf", "statvfs", "nice"}
#: The only signals Windows' ``signal`` module has (the rest are POSIX-only).
WINDOWS_SIGNALS = {"SIGABRT", "SIGFPE", "SIGILL", "SIGINT", "SIGSEGV", "SIGTERM", "SIGBREAK", "CTRL_C_EVENT"}
WINDOWS_SIGNALS |= {"CTRL_BREAK_EVENT", "signal", "getsignal", "raise_signal", "default_int_handler", "SIG_DFL"}
WINDOWS_SIGNALS |= {"SIG_IGN", "Signals", "Handlers", "strsignal", "valid_signals", "set_wakeup_fd", "NSIG"}
#: The modules allowed a platform-only import: the lock, which picks flock or msvcrt; and the progress tables' reading
#: of a hub's drop folder (``_handed_in_by`` imports pwd inside the function: only an instructor on a Linux hub reaches
#: it; a learner's kernel never imports the tables, it only writes its own book through lessons.core.progress_book).
ALLOWED = {"lessons/core/locks.py": {"fcntl", "msvcrt"}, "lessons/tooling/progress.py": {"pwd"}}


def platform_only_uses(source: str) -> list[str]:
    """Every platform-only import or attribute in ``source``, as ``line: what``.

    >>> platform_only_uses("import os\\nos.getuid()\\nfrom fcntl import flock\\nimport signal\\nsignal.SIGKILL")
    ['2: os.getuid', '3: fcntl', '5: signal.SIGKILL']
    """
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [f"{node.lineno}: {a.name}" for a in node.names if a.name.split(".")[0] in PLATFORM_ONLY]
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in PLATFORM_ONLY:
            found.append(f"{node.lineno}: {node.module}")
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            owner, name = node.value.id, node.attr
            if (owner == "os" and name in POSIX_ONLY_OS) or (owner == "signal" and name not in WINDOWS_SIGNALS):
                found.append(f"{node.lineno}: {owner}.{name}")
    return sorted(found, key=lambda item: int(item.split(":")[0]))


def test_the_checker_finds_what_it_must() -> None:
    import doctest

    assert doctest.run_docstring_examples(platform_only_uses, globals()) is None  # prints on failure
    assert platform_only_uses("import fcntl") == ["1: fcntl"]
    assert platform_only_uses("def f():\n    import pwd\n    return pwd") == ["2: pwd"]
    assert platform_only_uses("import os.path\nos.getcwd()\nimport signal\nsignal.SIGINT") == []


def test_no_platform_only_module_on_a_learners_path() -> None:
    offenders = {}
    for path in sorted((ROOT / "lessons").rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        uses = platform_only_uses(path.read_text(encoding="utf-8"))
        uses = [use for use in uses if use.split(": ")[1].split(".")[0] not in ALLOWED.get(relative, set())]
        if uses:
            offenders[relative] = uses
    assert offenders == {}, "a platform-only module: use lessons.core.locks, or guard it as lessons/tooling/lab.py does"


# --------------------------------------------------------------------------------------------------------------
# macOS's python3 is 3.9; the uv the Makefile and the make-free route install is the same
# --------------------------------------------------------------------------------------------------------------


def test_macos_python_3_9_is_told_how_to_get_a_newer_one(tmp_path: Path) -> None:
    fake = tmp_path / "python3"
    fake.write_text('#!/bin/sh\n[ "$1" = "--version" ] && echo "Python 3.9.6" && exit 0\nexit 1\n')
    uname = tmp_path / "uname"
    uname.write_text("#!/bin/sh\necho Darwin\n")
    for script in (fake, uname):
        script.chmod(0o755)
    result = subprocess.run(
        [str(ROOT / "tools" / "setup-venv")],
        env={
            **os.environ,
            "PATH": f"{tmp_path}:{os.environ['PATH']}",
            "PYTHON": str(fake),
            "VENV": str(tmp_path / "v"),
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.splitlines() == [
        "error: Python 3.11 or newer is needed (found Python 3.9.6); on macOS: brew install python@3.12 "
        "(or the installer from python.org), then make lab PYTHON=python3.12"
    ]
    assert lab.python_too_old("3.9.6", "Darwin").startswith(
        "error: Python 3.11 or newer is needed (found Python 3.9.6)"
    )
    assert "py -3.12 -m lessons.tooling.lab" in lab.python_too_old("3.10.11", "Windows")


def test_the_make_free_route_installs_the_makefiles_uv() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^UV_VERSION := (\S+)$", makefile, re.MULTILINE).group(1) == lab.UV_VERSION


# --------------------------------------------------------------------------------------------------------------
# The lock, per platform (offline; which wheels exist was checked against PyPI with uv, see README)
# --------------------------------------------------------------------------------------------------------------


def _platform(sys_platform: str, os_name: str, machine: str, system: str) -> dict[str, str]:
    return {"sys_platform": sys_platform, "os_name": os_name, "platform_machine": machine, "platform_system": system}


PLATFORMS = {
    "Windows x86-64": _platform("win32", "nt", "AMD64", "Windows"),
    "macOS arm64": _platform("darwin", "posix", "arm64", "Darwin"),
    "macOS x86-64": _platform("darwin", "posix", "x86_64", "Darwin"),
    "Linux x86-64": _platform("linux", "posix", "x86_64", "Linux"),
}


def locked_for(platform: dict[str, str], python: str) -> dict[str, list[str]]:
    """What ``make setup`` installs from the lock on ``platform`` with Python ``python``: {name: [versions]}."""
    from packaging.markers import Marker, default_environment

    environment = {**default_environment(), **platform, "python_version": python, "python_full_version": f"{python}.0"}
    chosen: dict[str, list[str]] = {}
    for name, version, marker in re.findall(
        r"^([a-z0-9._-]+)==(\S+?)(?: ; ([^\\\n]+?))? \\$", (ROOT / "requirements.lock").read_text(), re.MULTILINE
    ):
        if not marker or Marker(marker).evaluate(environment):
            chosen.setdefault(name, []).append(version)
    return chosen


@pytest.mark.parametrize("python", ["3.11", "3.13"])
@pytest.mark.parametrize("platform", list(PLATFORMS))
def test_the_lock_pins_one_version_of_each_package_per_platform(platform: str, python: str) -> None:
    chosen = locked_for(PLATFORMS[platform], python)
    assert {name: versions for name, versions in chosen.items() if len(versions) != 1} == {}
    assert {"jupyterlab", "sqlalchemy", "aiosqlite", "pandas", "ipykernel"} <= set(chosen)
    hub = {"jupyterhub", "pamela", "certipy"}
    assert (hub & set(chosen) == set()) if platform.startswith("Windows") else hub <= set(chosen)
    assert ("pywinpty" in chosen) == platform.startswith("Windows")  # JupyterLab's terminals on Windows
    if platform == "macOS x86-64":  # the last releases with Intel wheels
        assert (chosen["argon2-cffi-bindings"], chosen["cryptography"]) == (["25.1.0"], ["48.0.1"])
    elif not platform.startswith("Windows"):
        assert (chosen["argon2-cffi-bindings"], chosen["cryptography"]) == (["26.2.0"], ["50.0.2"])
