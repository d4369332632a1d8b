"""Opening a lesson and letting its kernel start leaves it unmodified: closing it does not ask to save.

JupyterLab 4 writes the kernel's kernelspec and language_info into the notebook when the kernel starts and marks
the tab modified (●) unless they equal what the file holds; lessons.tooling.publish commits them complete.
"""

from __future__ import annotations

import json
import platform
from pathlib import Path

import pytest
from playwright.sync_api import Page

from e2e.conftest import NOTEBOOKS
from e2e.jupyterlab import Lab, opens_modified

LESSON = "02-crud.ipynb"


def test_a_lesson_opens_unmodified(page: Page, lab: Lab, shots: Path) -> None:
    committed = json.loads((NOTEBOOKS / LESSON).read_text(encoding="utf-8"))["metadata"]["language_info"]["version"]
    if committed != platform.python_version():
        pytest.skip(f"the lessons were executed on Python {committed}, this kernel runs {platform.python_version()}: "
                    "JupyterLab compares the version too, so the tab is marked modified here")
    assert not opens_modified(page, lab, LESSON, shots), f"{LESSON} is marked modified once its kernel starts"


def test_incomplete_metadata_is_seen_as_modified(page: Page, lab: Lab, shots: Path) -> None:
    # The test of the test: the metadata lessons had before (language_info without the kernel's fields).
    notebook = json.loads((NOTEBOOKS / LESSON).read_text(encoding="utf-8"))
    notebook["metadata"]["language_info"] = {"name": "python"}
    (lab.root / "zz-incomplete-metadata.ipynb").write_text(json.dumps(notebook), encoding="utf-8")
    assert opens_modified(page, lab, "zz-incomplete-metadata.ipynb", shots)
