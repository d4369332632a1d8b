"""make nbval runs each lesson and its learner's copy in one kernel (tests/lesson_runs.py): what it runs is both."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from lessons.tooling.publish import NOTEBOOKS, SOLUTIONS
from tests.lesson_runs import SEPARATE, lesson_run, shared_cells, write

LESSONS = sorted(path.stem for path in SOLUTIONS.glob("*.ipynb"))


def _code(notebook) -> list[tuple[str, list[str]]]:
    return [(cell.source, cell.get("metadata", {}).get("tags", [])) for cell in notebook.cells
            if cell.cell_type == "code"]


@pytest.mark.parametrize("lesson", LESSONS)
def test_a_lesson_run_is_the_learner_s_copy_then_the_rest_of_the_solution(lesson: str) -> None:
    solution = nbformat.read(SOLUTIONS / f"{lesson}.ipynb", as_version=4)
    learner = nbformat.read(NOTEBOOKS / f"{lesson}.ipynb", as_version=4)
    run = lesson_run(solution, learner)
    shared, learner_cells = shared_cells(solution, learner), len(_code(learner))
    assert shared >= 1
    # The learner's copy, every code cell in order, from the top: a fresh kernel runs exactly what a learner runs.
    assert _code(run)[:learner_cells] == _code(learner)
    # The solution: its shared cells, then the rest of its cells in order, with their recorded outputs.
    assert _code(run)[:shared] + _code(run)[learner_cells:] == _code(solution)
    solution_cells = [cell for cell in solution.cells if cell.cell_type == "code"]
    kept = run.cells[:shared] + run.cells[learner_cells:]
    assert [cell.outputs for cell in kept] == [cell.outputs for cell in solution_cells]
    assert [cell.execution_count for cell in kept] == [cell.execution_count for cell in solution_cells]
    # The learner's cells were never run: nbval compares none of their outputs (it runs them for errors).
    assert all(cell.outputs == [] and cell.execution_count is None for cell in run.cells[shared:learner_cells])
    assert len({cell.id for cell in run.cells}) == len(run.cells)


def test_every_lesson_is_written_once_and_a_separate_one_twice(tmp_path: Path) -> None:
    assert set(SEPARATE) <= set(LESSONS)
    written = sorted(path.name for path in write(tmp_path))
    expected = [f"{lesson}.ipynb" for lesson in LESSONS] + [f"{lesson}-learner-copy.ipynb" for lesson in SEPARATE]
    assert written == sorted(expected)
    for lesson in SEPARATE:
        assert _code(nbformat.read(tmp_path / f"{lesson}-learner-copy.ipynb", as_version=4)) == _code(
            nbformat.read(NOTEBOOKS / f"{lesson}.ipynb", as_version=4)
        )
        assert nbformat.read(tmp_path / f"{lesson}.ipynb", as_version=4) == nbformat.read(
            SOLUTIONS / f"{lesson}.ipynb", as_version=4
        )
