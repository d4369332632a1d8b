"""Drive JupyterLab as a learner does: open a notebook, Run → Run All Cells, wait, then read what every cell did.

JupyterLab 4 renders only the cells in view, so the verdict never comes from the DOM: the notebook is saved and
read back through the server's contents API, and every code cell is judged from the model (execution count,
outputs). The DOM is used only for what a person does and sees: the menu, the kernel indicator, the screenshots.
"""

from __future__ import annotations

import contextlib
import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout

#: What a checker prints (lessons.exercises.framework.Result): passed, not attempted, failed.
CHECK_MARKS = {"✅": "passed", "⬜": "not attempted", "❌": "failed"}

#: Seconds one notebook may run (the slowest lessons, on the large seed, take about 15 s on a quiet machine).
RUN_TIMEOUT = 300.0

INDICATOR = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook-ExecutionIndicator"


@dataclass
class Lab:
    """A running JupyterLab: its base URL, token and the folder it serves."""

    url: str
    token: str
    root: Path

    def api(self, page: Page, method: str, path: str) -> Any:
        response = page.request.fetch(
            f"{self.url}/api/{path}", method=method, headers={"Authorization": f"token {self.token}"}
        )
        assert response.ok, f"{method} /api/{path}: {response.status} {response.text()[:300]}"
        return response.json() if response.status != 204 else None


@dataclass
class Report:
    """What running one notebook showed: the problems found (empty when all is well) and the cells counted."""

    name: str
    problems: list[str] = field(default_factory=list)
    code_cells: int = 0
    seconds: float = 0.0


def _text(output: dict[str, Any]) -> str:
    """All text an output shows: a stream's text, or the plain-text and HTML forms of a result or display."""
    if output.get("output_type") == "stream":
        return "".join(output.get("text", ""))
    data = output.get("data", {})
    parts = [data.get("text/plain", ""), data.get("text/html", ""), data.get("text/markdown", "")]
    return "\n".join("".join(part) if isinstance(part, list) else part for part in parts)


def inspect(notebook: dict[str, Any], allowed_checks: frozenset[str]) -> tuple[list[str], int]:
    """The problems in an executed notebook: errors, stderr, check results not allowed, cells not executed.

    ``allowed_checks`` holds the marks a check may show (``{"⬜"}`` for learners' copies, ``{"✅"}`` for solutions).
    """
    problems: list[str] = []
    code_cells = 0
    for number, cell in enumerate(notebook["cells"], start=1):
        if cell["cell_type"] != "code" or not "".join(cell["source"]).strip():
            continue
        code_cells += 1
        where = f"cell {number} ({''.join(cell['source']).strip().splitlines()[0][:60]!r})"
        if cell.get("execution_count") is None:
            problems.append(f"{where}: not executed")
        for output in cell.get("outputs", []):
            kind = output.get("output_type")
            if kind == "error":
                problems.append(f"{where}: error {output.get('ename')}: {output.get('evalue', '')[:200]}")
            elif kind == "stream" and output.get("name") == "stderr":
                problems.append(f"{where}: wrote to stderr: {_text(output).strip()[:200]!r}")
            text = _text(output)
            for mark, meaning in CHECK_MARKS.items():
                if mark in text and mark not in allowed_checks:
                    line = next(line for line in text.splitlines() if mark in line)
                    problems.append(f"{where}: a check {meaning}: {line.strip()[:200]!r}")
    return problems, code_cells


def _wait_idle(page: Page, deadline: float) -> None:
    """Wait until the notebook's kernel indicator has said idle for a second on end (cells may still be queued
    between two polls, so one idle reading is not enough)."""
    idle_since: float | None = None
    while time.monotonic() < deadline:
        status = page.locator(INDICATOR).first.get_attribute("data-status", timeout=30_000)
        now = time.monotonic()
        if status == "idle":
            idle_since = idle_since or now
            if now - idle_since >= 1.0:
                return
        else:
            idle_since = None
        page.wait_for_timeout(250)
    raise PlaywrightTimeout("the kernel did not go idle in time")


def _wait_for_kernel(page: Page, lab: Lab, name: str, deadline: float) -> None:
    """Wait until the server has started the notebook's kernel and it is idle (Run All before that would ask
    which kernel to start)."""
    while time.monotonic() < deadline:
        for session in lab.api(page, "GET", "sessions"):
            if session["path"] == name and (session.get("kernel") or {}).get("execution_state") == "idle":
                return
        page.wait_for_timeout(250)
    raise PlaywrightTimeout(f"no idle kernel for {name}")


def _menu(page: Page, menu: str, item: str) -> None:
    """Click ``menu`` in the menu bar, then ``item`` in it, as a person does."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{re.escape(menu)}$")).first.click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(f"^{re.escape(item)}$")).first.click()


def _save_and_read(page: Page, lab: Lab, name: str) -> dict[str, Any]:
    """Save through JupyterLab (File → Save Notebook) and read the saved file back from the server."""
    before = lab.api(page, "GET", f"contents/{name}?content=0")["last_modified"]
    _menu(page, "File", "Save Notebook")
    page.get_by_text("Saving completed", exact=True).first.wait_for(timeout=120_000)
    for _ in range(240):
        response = page.request.get(f"{lab.url}/api/contents/{name}?content=1",
                                    headers={"Authorization": f"token {lab.token}"})
        # A read while the server writes the file fails (400, empty file): read again.
        if response.ok and (model := response.json())["last_modified"] != before:
            return model["content"]
        page.wait_for_timeout(250)
    raise AssertionError(f"{name} was not saved within a minute")


def run_notebook(
    page: Page, lab: Lab, name: str, shots: Path, allowed_checks: frozenset[str] = frozenset({"⬜"})
) -> Report:
    """Open ``name``, run all its cells through the Run menu, wait for the kernel, and judge every cell."""
    report = Report(name)
    start = time.monotonic()
    try:
        _run(page, lab, name, shots, allowed_checks, report)
    except Exception:
        page.screenshot(path=shots / f"{Path(name).stem}-failed.png")
        raise
    finally:
        for session in lab.api(page, "GET", "sessions"):  # shut the kernel down, as closing the notebook would
            lab.api(page, "DELETE", f"sessions/{session['id']}")
    report.seconds = time.monotonic() - start
    return report


def _run(page: Page, lab: Lab, name: str, shots: Path, allowed_checks: frozenset[str], report: Report) -> None:
    start = time.monotonic()
    stem = Path(name).stem
    page.goto(f"{lab.url}/lab/tree/{name}?reset&token={lab.token}")
    _wait_for_kernel(page, lab, name, time.monotonic() + 90)
    page.wait_for_selector(f'{INDICATOR}[data-status="idle"]', timeout=60_000)
    page.screenshot(path=shots / f"{stem}-before.png")

    _menu(page, "Run", "Run All Cells")
    with contextlib.suppress(PlaywrightTimeout):  # JupyterLab may still ask which kernel: a learner clicks Select
        page.locator(".jp-Dialog-button", has_text=re.compile("^Select$")).click(timeout=2_000)
    with contextlib.suppress(PlaywrightTimeout):  # a short notebook may be done before the indicator is seen busy
        page.wait_for_selector(f'{INDICATOR}[data-status="busy"]', timeout=5_000)

    deadline = start + RUN_TIMEOUT
    while True:
        _wait_idle(page, deadline)
        notebook = _save_and_read(page, lab, name)
        problems, report.code_cells = inspect(notebook, allowed_checks)
        pending = any(p.endswith("not executed") for p in problems)
        failed = any(o["output_type"] == "error" for c in notebook["cells"] for o in c.get("outputs", []))
        # Run All stops at an error; without one, cells not yet executed mean the queue is still running.
        if not pending or failed or time.monotonic() > deadline:
            break
        page.wait_for_timeout(1000)

    page.screenshot(path=shots / f"{stem}-after.png", full_page=True)
    if page.get_by_text("official Jupyter news").count():
        problems.append("JupyterLab asks about official Jupyter news: jupyter/settings/overrides.json not applied")
    report.problems = problems


def write_notebook(path: Path, cells: list[str]) -> None:
    """A minimal notebook of code cells (for the test of the test)."""
    notebook = {
        "cells": [
            {"cell_type": "code", "execution_count": None, "id": f"cell-{i}", "metadata": {}, "outputs": [],
             "source": source}
            for i, source in enumerate(cells)
        ],
        "metadata": {"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.write_text(json.dumps(notebook, indent=1), encoding="utf-8")


def opens_modified(page: Page, lab: Lab, name: str, shots: Path) -> bool:
    """Open ``name`` as a learner does, wait until its kernel is idle and JupyterLab has written the kernel's
    metadata into the model, and say whether its tab shows the modified mark (●: closing it would ask to save)."""
    page.goto(f"{lab.url}/lab/tree/{name}?reset&token={lab.token}")
    try:
        _wait_for_kernel(page, lab, name, time.monotonic() + 90)
        page.wait_for_selector(f'{INDICATOR}[data-status="idle"]', timeout=60_000)
        page.wait_for_timeout(2_000)  # the kernel info reply and the kernelspec are applied asynchronously
        page.screenshot(path=shots / f"{Path(name).stem}-opened.png")
        return page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.jp-mod-dirty").count() > 0
    finally:
        for session in lab.api(page, "GET", "sessions"):
            lab.api(page, "DELETE", f"sessions/{session['id']}")
