"""How pytest is set up for this course, as a person would type it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat

from lessons.core.settings import ROOT


def test_pytest_n_2_on_a_notebook_keeps_its_cells_in_one_kernel(tmp_path: Path) -> None:
    # Cells depend on the cells before them: spread over two workers, the second cell's `db` is undefined.
    notebook = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(f"value_{n} = {n}{f' + value_{n - 1}' if n else ''}") for n in range(6)]
    )
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = tmp_path / "cells-depend-on-each-other.ipynb"
    nbformat.write(notebook, path)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-c", str(ROOT / "pyproject.toml"), "--rootdir", str(tmp_path),
         "-p", "no:cacheprovider", "-n", "2", "--nbval-lax", "--nbval-current-env", str(path), "-q"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert "6 passed" in result.stdout
