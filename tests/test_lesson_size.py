"""The authors' size report: what it counts, and that it covers every lesson."""

from __future__ import annotations

from lessons.core.settings import ROOT
from lessons.tooling.lesson_size import MAX_CELL_LINES, measure, report


def notebook(*cells: tuple[str, str]) -> dict:
    return {"cells": [{"cell_type": kind, "source": source} for kind, source in cells]}


def test_a_practice_answer_and_comments_do_not_make_a_cell_long() -> None:
    answer = "\n".join(f"    line_{n} = {n}" for n in range(60))
    size = measure(notebook(("code", f"async def f():\n    # BEGIN SOLUTION\n{answer}\n    # END SOLUTION\n# a why\n")))
    assert size.longest == 2  # the def line, and the answer as one


def test_a_long_cell_and_a_long_lesson_are_reported() -> None:
    long_cell = "\n".join(f"x{n} = {n}" for n in range(MAX_CELL_LINES + 1))
    size = measure(notebook(("markdown", "word " * 6000), ("code", long_cell), ("code", "await q.check(f)")))
    assert size.longest == MAX_CELL_LINES + 1 and size.practice == 1
    assert size.advice == "over 45 min, a cell over 25 lines"


def test_the_report_has_a_row_per_lesson() -> None:
    rows = report().splitlines()[1:]
    assert [row.split()[0] for row in rows] == sorted(path.stem for path in (ROOT / "solutions").glob("*.ipynb"))
