"""Every learner notebook, run in JupyterLab as a learner runs it: Run → Run All Cells, then every cell judged.

A learner's copy passes when every code cell ran, nothing failed or wrote to stderr, and every check says
"⬜ not attempted" (the answers are stubs). Screenshots before and after: build/e2e/NN-name-{before,after}.png.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Page

from e2e.conftest import NOTEBOOKS
from e2e.jupyterlab import Lab, run_notebook

ALL_NOTEBOOKS = sorted(path.name for path in NOTEBOOKS.glob("*.ipynb"))
#: E2E_NOTEBOOKS="00-setup 02-crud" runs only those (CI: a few lessons; nbval runs every learner copy for errors).
CHOSEN = os.environ.get("E2E_NOTEBOOKS", "").split()
LEARNER_NOTEBOOKS = [f"{stem}.ipynb" for stem in CHOSEN] if CHOSEN else ALL_NOTEBOOKS


def test_every_learner_notebook_is_tested() -> None:
    assert len(ALL_NOTEBOOKS) >= 17, ALL_NOTEBOOKS
    assert set(LEARNER_NOTEBOOKS) <= set(ALL_NOTEBOOKS), f"E2E_NOTEBOOKS names no such notebook: {CHOSEN}"


@pytest.mark.parametrize("name", LEARNER_NOTEBOOKS)
def test_run_all_cells(page: Page, lab: Lab, shots: Path, name: str) -> None:
    report = run_notebook(page, lab, name, shots)
    assert report.code_cells > 0
    assert not report.problems, f"{name} in JupyterLab:\n  " + "\n  ".join(report.problems)
