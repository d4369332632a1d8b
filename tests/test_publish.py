"""One source, two folders: notebooks/ is exactly what solutions/ generate, and solutions are clean."""

from __future__ import annotations

import nbformat
import pytest

from lessons.publish import NOTEBOOKS, SOLUTIONS, PublishError, drift, learner_notebook, problems, strip_solutions

SOLUTION_FILES = sorted(SOLUTIONS.glob("*.ipynb"))


def test_notebooks_match_what_solutions_generate() -> None:
    assert drift() == [], "run `make notebooks` (or `python -m lessons.publish --no-execute`) and commit"


def test_every_lesson_exists_in_both_folders() -> None:
    assert SOLUTION_FILES, "no solution notebooks found"
    assert [path.name for path in SOLUTION_FILES] == sorted(path.name for path in NOTEBOOKS.glob("*.ipynb"))


@pytest.mark.parametrize("path", SOLUTION_FILES, ids=[path.stem for path in SOLUTION_FILES])
def test_solution_notebooks_are_executed_and_clean(path) -> None:
    assert problems(nbformat.read(path, as_version=4)) == []


@pytest.mark.parametrize("path", SOLUTION_FILES, ids=[path.stem for path in SOLUTION_FILES])
def test_learner_notebooks_hold_no_answers_and_no_outputs(path) -> None:
    learner = nbformat.read(NOTEBOOKS / path.name, as_version=4)
    for cell in learner.cells:
        assert "BEGIN SOLUTION" not in cell.source
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


def test_strip_solutions_keeps_the_indent_and_uses_the_stub() -> None:
    source = (
        "async def f(s):\n    x = 1\n    # BEGIN SOLUTION\n    # STUB: return None\n    return x\n    # END SOLUTION\n"
    )
    assert strip_solutions(source) == "async def f(s):\n    x = 1\n    return None\n"


@pytest.mark.parametrize(
    "source",
    ["# BEGIN SOLUTION\nx = 1\n", "x = 1\n# END SOLUTION\n", "# BEGIN SOLUTION\n# BEGIN SOLUTION\n# END SOLUTION\n"],
)
def test_unbalanced_markers_are_refused(source: str) -> None:
    with pytest.raises(PublishError):
        strip_solutions(source)


def test_solution_only_cells_are_left_out() -> None:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell("x = 1"),
        nbformat.v4.new_code_cell("secret = 2", metadata={"tags": ["solution-only"]}),
    ]
    assert [cell.source for cell in learner_notebook(notebook).cells] == ["x = 1"]
