"""Every learner notebook, run in JupyterLab as a learner runs it: Run → Run All Cells, then every cell judged.

A learner's copy passes when every code cell ran, nothing failed or wrote to stderr, and every check says
"⬜ not attempted" (the answers are stubs). Screenshots before and after: build/e2e/NN-name-{before,after}.png.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page

from e2e.conftest import NOTEBOOKS
from e2e.jupyterlab import Lab, run_notebook

LEARNER_NOTEBOOKS = sorted(path.name for path in NOTEBOOKS.glob("*.ipynb"))


def test_every_learner_notebook_is_tested() -> None:
    assert len(LEARNER_NOTEBOOKS) >= 17, LEARNER_NOTEBOOKS


@pytest.mark.parametrize("name", LEARNER_NOTEBOOKS)
def test_run_all_cells(page: Page, lab: Lab, shots: Path, name: str) -> None:
    report = run_notebook(page, lab, name, shots)
    assert report.code_cells > 0
    assert not report.problems, f"{name} in JupyterLab:\n  " + "\n  ".join(report.problems)
