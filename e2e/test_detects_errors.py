"""The test of the test: a notebook with a deliberate error, stderr output and a failed check must fail it."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page

from e2e.jupyterlab import Lab, run_notebook, write_notebook


def test_a_broken_notebook_is_reported(page: Page, lab: Lab, shots: Path) -> None:
    write_notebook(
        lab.root / "zz-deliberately-broken.ipynb",
        [
            'print("this cell is fine")',
            'import sys\nprint("a warning", file=sys.stderr)',
            'from lessons.exercises.framework import Result\nResult("failed", "deliberately wrong")',
            'Result("unattempted", "a stub")',
            "1 / 0",
            'print("never runs: Run All stops at the error")',
        ],
    )
    report = run_notebook(page, lab, "zz-deliberately-broken.ipynb", shots)

    assert report.code_cells == 6
    assert len(report.problems) == 4, report.problems
    stderr, check, error, not_run = report.problems
    assert stderr.startswith("cell 2 ") and "wrote to stderr: 'a warning'" in stderr
    assert check.startswith("cell 3 ") and "a check failed: '❌ Not yet: deliberately wrong'" in check
    assert error.startswith("cell 5 ") and "error ZeroDivisionError: division by zero" in error
    assert not_run.startswith("cell 6 ") and not_run.endswith("not executed")


def test_a_solved_check_fails_a_learner_copy_but_passes_a_solution(page: Page, lab: Lab, shots: Path) -> None:
    write_notebook(
        lab.root / "zz-solved.ipynb",
        ['from lessons.exercises.framework import Result\nResult("passed", "well done")'],
    )
    learner = run_notebook(page, lab, "zz-solved.ipynb", shots)
    assert [p.split(": ", 1)[1] for p in learner.problems] == ["a check passed: '✅ Correct: well done'"]
    solution = run_notebook(page, lab, "zz-solved.ipynb", shots, allowed_checks=frozenset({"✅"}))
    assert solution.problems == []
