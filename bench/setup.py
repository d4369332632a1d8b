"""Setup time: ``make setup`` and ``make lab`` on a fresh clone, beside a plain pip install, measured in one run.

The goals (issue 13): ``make setup`` takes at most 0.4 × ``python -m venv`` + ``pip install -r requirements.txt``,
and a fresh clone's ``make lab`` prints its URL in under 20 s with warm package caches. Each fresh clone is a copy
of the files git would commit (tracked and untracked-but-not-ignored), so no venv, no ``.tools/`` and no ``.data/``.

Run it with ``make bench`` or ``.venv/bin/python -m bench.setup``; the timings are of this machine, as it is loaded
now. Run it twice to have warm caches for both installers (the first run may download).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
URL = re.compile(r"http://127\.0\.0\.1:\d+/lab\S*\?token=\w+")
GOAL_RATIO = 0.4
GOAL_LAB_SECONDS = 20.0


def fresh_clone(into: Path) -> Path:
    """Copy the files a clone would have (the working tree's, committed or not) into a new folder."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout.split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            target = into / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return into


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def timed(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode:
        sys.exit(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")
    return seconds, done.stdout + done.stderr


def installer_line(output: str) -> str:
    return next((line for line in output.splitlines() if line.startswith("setup:")), "setup: (no report)")


def time_make_lab(clone: Path, python: str, timeout: float = 300) -> float:
    """Seconds from ``make lab`` on a fresh clone to the URL it prints; the server is stopped afterwards."""
    start = time.perf_counter()
    process = subprocess.Popen(
        ["make", "--no-print-directory", "lab", f"PORT={free_port()}", f"PYTHON={python}"],
        cwd=clone, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )
    lines: list[str] = []
    try:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if URL.search(line):
                return time.perf_counter() - start
            if time.perf_counter() - start > timeout:
                break
        sys.exit("make lab printed no URL:\n" + "".join(lines[-40:]))
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default="python3", help="the Python to build venvs with (default: python3)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folders")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-setup-"))
    try:
        print(f"Setup time on this machine (load average {os.getloadavg()[0]:.1f}, {os.cpu_count()} cores):")

        clone = fresh_clone(work / "clone-setup")
        setup_seconds, output = timed(["make", "--no-print-directory", "setup", f"PYTHON={args.python}"], clone)
        print(f"  make setup, fresh clone (bootstraps uv):       {setup_seconds:6.1f} s   {installer_line(output)}")

        env = os.environ | {"PIP_DISABLE_PIP_VERSION_CHECK": "1"}
        venv_seconds, _ = timed([args.python, "-m", "venv", str(work / "pip-venv")], ROOT)
        pip = str(work / "pip-venv" / "bin" / "pip")
        pip_seconds, _ = timed([pip, "install", "--quiet", "-r", "requirements.txt"], ROOT, env)
        baseline = venv_seconds + pip_seconds
        print(f"  baseline: python -m venv + pip install -r requirements.txt: {baseline:6.1f} s"
              f"   (venv {venv_seconds:.1f} s, pip {pip_seconds:.1f} s)")

        ratio = setup_seconds / baseline
        met = "met" if ratio <= GOAL_RATIO else "NOT met"
        print(f"  make setup / baseline: {ratio:.2f}  (goal ≤ {GOAL_RATIO}: {met})")

        lab_seconds = time_make_lab(fresh_clone(work / "clone-lab"), args.python)
        met = "met" if lab_seconds < GOAL_LAB_SECONDS else "NOT met"
        print(f"  make lab on a fresh clone, until its URL:      {lab_seconds:6.1f} s"
              f"   (goal < {GOAL_LAB_SECONDS:.0f} s: {met})")
    finally:
        if args.keep:
            print(f"  (kept {work})")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
