"""``make test`` without make, on SQLite: the same checks, one after another, for Windows (and anyone without make).

From the course's folder::

    py -m lessons.tooling.selftest            # Windows
    python3 -m lessons.tooling.selftest   # Linux, macOS (make test does the same, plus the servers if configured)
    py -m lessons.tooling.selftest --list     # the commands, without running them
    py -m lessons.tooling.selftest --only unit --only sizes

It sets up ``.venv`` as ``python -m lessons.tooling.lab`` does, then runs ruff, the library's tests, every solution
notebook compared output by output with its learner's copy run for errors (one kernel per lesson, as ``make nbval``
does: ``tests/lesson_runs.py``), and the lesson sizes, with progress recording off (``COURSE_PROGRESS=off``) and the
server tests left out (``TEST_BACKENDS=sqlite``). It stops at the first check that fails. On Windows it leaves out
the tests of Linux-only tooling (make, the hub, the Kubernetes deployment, POSIX signals) and names them.

>>> from pathlib import PureWindowsPath
>>> steps = plan(PureWindowsPath(r"C:\\course\\.venv\\Scripts\\python.exe"), windows=True)
>>> [step.name for step in steps]
['lint', 'seed', 'unit', 'notebooks', 'sizes']
>>> steps[0].command[:4]
['C:\\\\course\\\\.venv\\\\Scripts\\\\python.exe', '-m', 'ruff', 'check']
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import PurePath

from lessons.tooling.lab import MINIMUM_PYTHON, ROOT, UTF8, WINDOWS, python_too_old, setup, venv_python

#: The environment of every check, as the Makefile's ``test-sqlite`` sets it, in Python's UTF-8 mode (tooling.lab).
ENVIRONMENT = {"COURSE_PROGRESS": "off", "TEST_BACKENDS": "sqlite", **UTF8}
#: Where the lessons' runs are written (``make nbval``'s folder).
LESSON_RUNS = "build/lesson-runs"
#: What ``make lint`` checks.
LINTED = ("lessons", "tests", "notebooks", "solutions", "bench", "e2e", "site")
#: Tests of Linux-only tooling, left out on Windows: what each needs.
LINUX_ONLY = {
    "tests/test_makefile.py": "make and bash",
    "tests/test_hub_config.py": "JupyterHub (make hub), Linux only",
    "tests/test_hub_load.py": "JupyterHub (make hub-load), Linux only",
    "tests/test_deploy.py": "the Kubernetes image's shell scripts",
    "tests/test_blog_server.py::test_make_api_passes_port_and_host_through": "make",
    "tests/test_pristine.py::test_ctrl_c_while_seeding_prints_one_line_and_keeps_nothing": "sending SIGINT",
    "tests/test_pristine.py::test_an_unwritable_data_folder_is_one_sentence_saying_what_to_set": "POSIX permissions",
}


@dataclass
class Step:
    name: str
    what: str
    command: list[str]
    commands: list[list[str]] = field(default_factory=list)  # more commands, run after the first

    def all(self) -> list[list[str]]:
        return [self.command, *self.commands]


def plan(python: PurePath, windows: bool = WINDOWS) -> list[Step]:
    """The checks of ``make test`` on SQLite, as commands of the venv's ``python``."""
    py = str(python)
    pytest = [py, "-m", "pytest", "-p", "no:cacheprovider"]
    nbval = [*pytest, "--nbval-current-env", "-n", "2", "--dist", "loadfile"]
    unit = [*pytest, "-n", "2", "--dist", "worksteal"]
    if windows:
        for test in LINUX_ONLY:
            unit += ["--deselect" if "::" in test else "--ignore", test]
    seed = [py, "-m", "lessons.tooling.seed", "--size"]
    return [
        Step("lint", "ruff", [py, "-m", "ruff", "check", "--output-format", "concise", *LINTED]),
        Step("seed", "both seeds", [*seed, "default"], [[*seed, "large"]]),
        Step("unit", "the library's tests", [*unit, "tests"]),
        Step(
            "notebooks",
            "every solution notebook output by output, and its learner's copy for errors, in one kernel",
            [py, "-m", "tests.lesson_runs", LESSON_RUNS],
            [[*nbval, "--nbval", LESSON_RUNS]],
        ),
        Step("sizes", "each lesson's size", [py, "-m", "lessons.tooling.lesson_size"]),
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lessons.tooling.selftest", description=__doc__.split("\n\n")[0])
    parser.add_argument("--venv", default=os.environ.get("VENV", ".venv"), help="the virtual environment (.venv)")
    parser.add_argument("--only", action="append", metavar="STEP", help="run only this step (repeatable)")
    parser.add_argument("--list", action="store_true", help="print the commands without running them")
    options = parser.parse_args(argv)
    if sys.version_info < MINIMUM_PYTHON:
        too_old = python_too_old(platform.python_version())
        print(too_old.replace("lessons.tooling.lab", "lessons.tooling.selftest"), file=sys.stderr)
        return 1
    venv = ROOT / options.venv
    steps = plan(venv_python(venv))
    unknown = set(options.only or []) - {step.name for step in steps}
    if unknown:
        parser.error(f"unknown step {', '.join(sorted(unknown))}; the steps are {', '.join(s.name for s in steps)}")
    chosen = [step for step in steps if options.only is None or step.name in options.only]
    if options.list:
        for step in chosen:
            for command in step.all():
                print(subprocess.list2cmdline(command) if WINDOWS else " ".join(command))
        return 0
    try:
        setup(venv)
    except subprocess.CalledProcessError as error:
        print(f"error: setup failed ({error.cmd[0]} exited with {error.returncode}); see above", file=sys.stderr)
        return 1
    if WINDOWS:
        print("SKIPPED on Windows (Linux-only tooling):", flush=True)
        for test, needs in LINUX_ONLY.items():
            print(f"  {test} (needs {needs})", flush=True)
    environment = {**os.environ, **ENVIRONMENT}
    for step in chosen:
        print(f"selftest: {step.name}: {step.what}", flush=True)
        for command in step.all():
            try:
                code = subprocess.run(command, cwd=ROOT, env=environment, check=False).returncode
            except KeyboardInterrupt:  # Ctrl-C reached the check too (same terminal or console): it has stopped
                print(f"selftest: interrupted during {step.name}.", file=sys.stderr)
                return 130
            if code != 0:
                print(f"selftest: {step.name} failed (exit {code}).", file=sys.stderr)
                return code
    names = ", ".join(step.name for step in chosen)
    print(f"selftest: all checks passed ({names}) on {platform.system()}, Python {platform.python_version()}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
