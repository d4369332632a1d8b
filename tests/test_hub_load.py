"""The load test's judge (bench/hub_load.py): a learner's outputs against hub/expected/, by nbval's rules.

The run itself needs a hub and PostgreSQL (`make hub-load`, CI); what it compares is checked here in a moment.
"""

from __future__ import annotations

import nbformat
import pytest

from bench.hub_load import EXPECTED, LESSONS, PLAN_TAG, ROOT, cell_options, outputs_differ


def stream(text: str) -> dict:
    return {"output_type": "stream", "name": "stdout", "text": text}


def result(text: str, count: int = 1) -> dict:
    return {"output_type": "execute_result", "data": {"text/plain": text}, "metadata": {}, "execution_count": count}


def test_outputs_equal_as_nbval_sees_them():
    # Streams split differently, another execution count, other metadata: the same cell for nbval.
    expected = [stream("User 1\nUser 2\n"), result("2", count=3)]
    actual = [stream("User 1\n"), stream("User 2\n"), {**result("2", count=9), "metadata": {"x": 1}}]
    assert outputs_differ(expected, actual) is None


def test_another_learner_s_row_is_a_difference():
    problem = outputs_differ([stream("User(id=201, name='Ada')\n")], [stream("User(id=202, name='Ada')\n")])
    assert problem is not None and "id=202" in problem


def test_a_missing_output_is_a_difference():
    assert outputs_differ([result("3")], []) is not None


def test_tagged_cells_are_not_compared():
    cell = nbformat.v4.new_code_cell("print(time.perf_counter())", metadata={"tags": ["nbval-ignore-output"]})
    assert cell_options(cell)["check"] is False
    assert cell_options(nbformat.v4.new_code_cell("1 + 1"))["check"] is True


@pytest.mark.parametrize("lesson", LESSONS)
def test_the_expected_outputs_are_of_the_current_solution(lesson):
    """A changed solution needs new expected outputs: `make hub-expected` (PostgreSQL), then read the diff."""
    expected = nbformat.read(EXPECTED / f"{lesson}.ipynb", as_version=4)
    solution = nbformat.read(ROOT / "solutions" / f"{lesson}.ipynb", as_version=4)
    code = [cell.source for cell in solution.cells if cell.cell_type == "code"]
    assert [cell.source for cell in expected.cells if cell.cell_type == "code"] == code, (
        f"solutions/{lesson}.ipynb changed since hub/expected/ was recorded: run make hub-expected"
    )
    recorded = [cell for cell in expected.cells if cell.cell_type == "code"]
    assert all(not cell.outputs for cell in recorded if PLAN_TAG in cell.metadata.get("tags", []))  # never compared
    assert any(cell.outputs for cell in recorded), "the expected notebook has no outputs"
