"""``make lab`` without make: the same steps in Python, for Windows (and anyone without make).

From the course's folder, with any Python 3.11 or newer (on Windows the ``py`` launcher)::

    py -m lessons.tooling.lab                 # Windows
    python3 -m lessons.tooling.lab            # Linux, macOS (make lab does the same)

1. **setup**: creates ``.venv`` from ``requirements.lock`` (hash-checked), again whenever the lock, ``requirements.txt``
   or ``pyproject.toml`` changes; with uv (installed from PyPI into ``.tools/``, never into your system) when it can
   be had, else with pip; it says which ran. ``--setup-only`` stops here;
2. **seed**: builds the pristine seeded database, beside the server's start;
3. **JupyterLab** on ``notebooks/``: it prints a URL with a token to open. Ctrl-C stops it, as with make.

Until the virtual environment exists, this module runs on the Python that started it, so it uses the standard
library alone (``tests/test_portability.py`` runs it with no third-party package importable).

>>> from pathlib import PureWindowsPath
>>> venv_python(PureWindowsPath(r"C:\\course\\.venv"), windows=True)
PureWindowsPath('C:/course/.venv/Scripts/python.exe')
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path, PurePath

#: The repository root (this file is ``lessons/tooling/lab.py``).
ROOT = Path(__file__).resolve().parents[2]
#: The same uv as the Makefile's ``UV_VERSION`` (tests/test_portability.py checks they agree).
UV_VERSION = "0.13.8"
MINIMUM_PYTHON = (3, 11)
#: What ``make setup`` rebuilds the venv after (its stamp's prerequisites).
SETUP_INPUTS = ("requirements.txt", "requirements.lock", "pyproject.toml", "tools/setup-venv")
WINDOWS = os.name == "nt"
#: Python's UTF-8 mode for everything started from here: the lessons, notebooks and README are UTF-8, and Windows'
#: default encoding for ``open()`` is the locale's (cp1252), which cannot read every character they hold.
UTF8 = {"PYTHONUTF8": "1"}


def say(message: str) -> None:
    print(f"setup: {message}", flush=True)


def python_too_old(found: str, system: str | None = None) -> str:
    """The one-line error for a Python older than 3.11, saying how to get a newer one on this system.

    >>> python_too_old("3.9.6", "Darwin")  # doctest: +ELLIPSIS
    'error: Python 3.11 or newer is needed (found Python 3.9.6); on macOS: brew install python@3.12 (or ...'
    """
    system = system or platform.system()
    how = {
        "Darwin": "on macOS: brew install python@3.12 (or the installer from python.org), then python3.12 -m "
        "lessons.tooling.lab",
        "Windows": "install Python 3.12 from python.org or with winget install Python.Python.3.12, then py -3.12 -m "
        "lessons.tooling.lab",
    }.get(system, "install python3.11 or newer, then python3.11 -m lessons.tooling.lab")
    return f"error: Python 3.11 or newer is needed (found Python {found}); {how}"


def venv_python(venv: PurePath, windows: bool = WINDOWS) -> PurePath:
    """The venv's interpreter: ``Scripts\\python.exe`` on Windows, ``bin/python`` elsewhere."""
    return venv / "Scripts" / "python.exe" if windows else venv / "bin" / "python"


def uv_binary(folder: PurePath, windows: bool = WINDOWS) -> list[PurePath]:
    """Where pip ``--target`` puts uv's executable: ``bin/uv`` (Linux, macOS) or ``Scripts\\uv.exe`` (Windows)."""
    return [folder / "Scripts" / "uv.exe", folder / "bin" / "uv.exe"] if windows else [folder / "bin" / "uv"]


def needs_setup(venv: Path, root: Path = ROOT) -> bool:
    """True when the venv is missing, or older than any of :data:`SETUP_INPUTS` (as make's stamp file tells)."""
    stamp = venv / ".installed"
    if not stamp.exists() or not Path(venv_python(venv)).exists():
        return True
    built = stamp.stat().st_mtime
    return any((root / name).exists() and (root / name).stat().st_mtime > built for name in SETUP_INPUTS)


def _run(command: Sequence[str | PurePath], **options: object) -> None:
    subprocess.run([str(part) for part in command], check=True, cwd=ROOT, **options)  # type: ignore[call-overload]


def _quietly(command: Sequence[str | PurePath], env: dict[str, str] | None = None) -> bool:
    """Run a command, show its output only when it fails; True when it succeeded."""
    result = subprocess.run(
        [str(part) for part in command], cwd=ROOT, capture_output=True, text=True, env=env, check=False
    )
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
    return result.returncode == 0


def bootstrap_uv(pip_python: str) -> Path | None:
    """uv from PyPI into ``.tools/uv-<version>/`` (the folder ``make setup`` uses), or None when it cannot be had."""
    folder = ROOT / ".tools" / f"uv-{UV_VERSION}"
    for candidate in uv_binary(folder):
        if Path(candidate).exists():
            return Path(candidate)
    has_pip = subprocess.run([pip_python, "-m", "pip", "--version"], capture_output=True, check=False)
    if has_pip.returncode != 0:
        return None
    (ROOT / ".tools").mkdir(exist_ok=True)
    temporary = Path(tempfile.mkdtemp(prefix="tmp.", dir=ROOT / ".tools"))
    environment = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    command = [pip_python, "-m", "pip", "install", "--quiet", "--no-deps", "--only-binary", ":all:"]
    if _quietly([*command, "--target", str(temporary), f"uv=={UV_VERSION}"], env=environment):
        with contextlib.suppress(OSError):  # lost a race with another setup: its uv is just as good
            temporary.rename(folder)
    shutil.rmtree(temporary, ignore_errors=True)
    return next((Path(found) for found in uv_binary(folder) if Path(found).exists()), None)


def setup(venv: Path, installer: str = "auto") -> Path:
    """Create or update ``venv`` from the lock, as ``make setup`` does; returns the venv's Python."""
    python = venv_python(venv)
    if not needs_setup(venv):
        return Path(python)
    lock = ROOT / "requirements.lock"
    uv = None if installer == "pip" else bootstrap_uv(sys.executable)
    if uv is None and installer != "pip" and not Path(python).exists():  # this Python has no pip: the venv's fetches uv
        _run([sys.executable, "-m", "venv", venv])
        uv = bootstrap_uv(str(python))
    if uv is not None:
        environment = {**os.environ, "UV_PYTHON_DOWNLOADS": "never", "UV_NO_CONFIG": "1"}
        if not Path(python).exists():
            _run([uv, "venv", "--quiet", "--python", sys.executable, venv], env=environment)
        _run([uv, "pip", "sync", "--quiet", "--python", python, "--require-hashes", lock], env=environment)
        _run([uv, "pip", "install", "--quiet", "--python", python, "--no-deps", "-e", "."], env=environment)
        which = f"uv {UV_VERSION}"
    else:
        why = "INSTALLER=pip" if installer == "pip" else f"uv {UV_VERSION} could not be installed from PyPI"
        say(f"uv not used ({why}): installing with pip, which is slower")
        if not Path(python).exists():
            _run([sys.executable, "-m", "venv", venv])
        pip = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        _run([*pip, "--require-hashes", "-r", lock])
        _run([*pip, "--no-deps", "-e", "."])
        which = "pip"
    (venv / ".installed").touch()
    version = subprocess.run([str(python), "--version"], capture_output=True, text=True, check=False).stdout.strip()
    say(f"installed requirements.lock into {venv.name} with {which} ({version})")
    return Path(python)


def lab_command(python: PurePath, root: PurePath, host: str, port: str) -> list[str]:
    """JupyterLab as ``make lab`` starts it: no browser, on ``notebooks/``, lesson 00 first, no news pop-up.

    >>> from pathlib import PureWindowsPath
    >>> python = PureWindowsPath(r"C:\\c\\.venv\\Scripts\\python.exe")
    >>> lab_command(python, PureWindowsPath(r"C:\\c"), "127.0.0.1", "8888")[-1]
    '--LabApp.app_settings_dir=C:\\\\c\\\\jupyter\\\\settings'
    """
    return [
        str(python),
        "-m",
        "jupyterlab",
        "--no-browser",
        "--allow-root",
        f"--ip={host}",
        f"--port={port}",
        f"--ServerApp.root_dir={root / 'notebooks'}",
        "--LabApp.default_url=/lab/tree/00-setup.ipynb",
        f"--LabApp.app_settings_dir={root / 'jupyter' / 'settings'}",
    ]


def wait_through_ctrl_c(process: subprocess.Popen[bytes]) -> int:
    """Wait for ``process``, however many Ctrl-C it takes; its exit code, or 130 when Ctrl-C stopped it.

    Ctrl-C reaches every process of the terminal (a POSIX terminal's foreground group, a Windows console): JupyterLab
    asks whether to stop and stops on a second Ctrl-C; this process keeps waiting until it has. A SIGTERM (POSIX
    only: Windows has no such signal to send) is passed on to it.
    """
    previous = None if WINDOWS else signal.signal(signal.SIGTERM, lambda *_: process.terminate())
    interrupted = False
    try:
        while True:
            try:
                code = process.wait()
            except KeyboardInterrupt:
                interrupted = True
                continue
            return 130 if interrupted else code  # 130: stopped by Ctrl-C, as a shell reports it
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m lessons.tooling.lab", description="Set up, seed, then start JupyterLab."
    )
    parser.add_argument("--venv", default=os.environ.get("VENV", ".venv"), help="the virtual environment (.venv)")
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", default=os.environ.get("PORT", "8888"))
    parser.add_argument("--installer", choices=("auto", "pip"), default=os.environ.get("INSTALLER", "auto"))
    parser.add_argument("--setup-only", action="store_true", help="create or update the venv, then stop")
    options = parser.parse_args(argv)
    if sys.version_info < MINIMUM_PYTHON:
        print(python_too_old(platform.python_version()), file=sys.stderr)
        return 1
    venv = ROOT / options.venv
    try:
        python = setup(venv, options.installer)
    except subprocess.CalledProcessError as error:
        print(f"error: setup failed ({error.cmd[0]} exited with {error.returncode}); see above", file=sys.stderr)
        return 1
    if options.setup_only:
        return 0
    print("Starting JupyterLab on notebooks/ — open the URL it prints (Ctrl-C to stop).", flush=True)
    environment = {**os.environ, **UTF8}
    seed = [str(python), "-m", "lessons.tooling.seed", "--size", "default"]
    seeding = subprocess.Popen(seed, cwd=ROOT, env=environment)
    lab = subprocess.Popen(lab_command(python, ROOT, options.host, options.port), cwd=ROOT, env=environment)
    code = wait_through_ctrl_c(lab)
    if seeding.poll() is None:
        seeding.terminate()
    wait_through_ctrl_c(seeding)
    return code


if __name__ == "__main__":
    sys.exit(main())
