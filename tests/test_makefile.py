"""The quick start's promises about interpreters, checked with the Makefile itself."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from lessons.core.settings import ROOT


def test_python_3_10_gets_one_clear_line_and_no_venv(tmp_path: Path) -> None:
    fake = tmp_path / "python3.10"
    fake.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = "--version" ] || [ "$1" = "-V" ]; then echo "Python 3.10.13"; exit 0; fi\n'
        "exit 1  # any version check run with -c: 3.10 is older than 3.11\n"
    )
    fake.chmod(0o755)
    venv = tmp_path / "venv"
    result = subprocess.run(
        ["make", "--no-print-directory", "-C", str(ROOT), "setup", f"PYTHON={fake}", f"VENV={venv}"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "MAKEFLAGS": ""},
    )
    assert result.returncode != 0
    assert "Python 3.11 or newer is needed (found Python 3.10.13)" in result.stdout + result.stderr
    assert not venv.exists()
