"""Each lesson and its learner's copy in ONE kernel run: what ``make nbval`` executes (``python -m tests.lesson_runs``).

A learner's copy (``notebooks/NN.ipynb``) is its solution (``solutions/NN.ipynb``) with the answers replaced by stubs
and the outputs dropped (``lessons.tooling.publish.learner_notebook``; ``tests/test_publish.py`` proves that every
copy is exactly that). So the two notebooks start with the same code cells, up to the first cell a stub changed:
every cell before it is the solution's, and the strict run of the solution already executes it. Executing the copy
from the top again would run those cells a second time.

Each lesson's run is therefore one notebook, executed by nbval in one kernel, compared output by output::

    the shared cells             the solution's, up to the first cell a stub changed (compared)
    the learner's cells          the copy's cells from there to its end (run for errors only)
    the solution's cells         the solution's cells from there to its end (compared)

What each part proves:

- the shared cells and the learner's cells are the learner's copy, cell for cell, in its order, in a fresh kernel:
  a learner who runs the untouched copy top to bottom gets no error (every stub's check says "not yet", every
  cell that uses an unfinished answer is guarded), exactly as ``--nbval-lax notebooks`` proved. Their sources are
  the copy's own, unchanged, with no outputs: nbval compares no output of a cell that was never run (no execution
  count), as ``--nbval-lax`` compares none.
- the shared cells and the solution's cells are the solution, in its order, every output compared. The learner's
  cells ran in between: they are the same cells with stubs where the answers stand, and each solution cell still has
  to print the output that a run of the solution alone recorded (``make notebooks``). A lesson whose learner's cells
  change what its solution's cells print fails that comparison: list it in :data:`SEPARATE`, with the reason, and it
  runs as two notebooks, as before (``make nbval LESSON_RUNS=separate`` runs every lesson so).

The generated notebooks go to ``build/lesson-runs/`` (git-ignored), named after the lessons.
"""

from __future__ import annotations

import argparse
import copy
import shutil
import sys
from pathlib import Path
from typing import Any

import nbformat

from lessons.tooling.publish import NOTEBOOKS, SOLUTIONS

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build" / "lesson-runs"


#: The lessons whose learner's cells change what the solution's cells then print: each runs as two notebooks, in
#: two kernels, as before. Why, per lesson.
SEPARATE = {
    "14c-full-text-search": "its learner's cells create the FTS5 demo table, which the solution's cells create again",
}


def _code(notebook: Any) -> list[Any]:
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def shared_cells(solution: Any, learner: Any) -> int:
    """How many code cells the two notebooks start with in common (same source, same tags)."""
    count = 0
    for mine, theirs in zip(_code(solution), _code(learner), strict=False):
        tags = [cell.get("metadata", {}).get("tags", []) for cell in (mine, theirs)]
        if mine.source != theirs.source or tags[0] != tags[1]:
            break
        count += 1
    return count


def lesson_run(solution: Any, learner: Any) -> Any:
    """The one notebook that runs ``solution`` strictly and ``learner`` for errors (see the module's docstring)."""
    solution_cells, learner_cells = _code(solution), _code(learner)
    shared = shared_cells(solution, learner)
    for cell in learner_cells[shared:]:
        if cell.outputs or cell.execution_count is not None:  # (a learner's copy never has any)
            raise ValueError("a learner's cell with outputs would be compared")
    run = nbformat.v4.new_notebook(metadata=copy.deepcopy(solution.metadata))
    for part, cells in (("shared", solution_cells[:shared]), ("learner", learner_cells[shared:]),
                        ("solution", solution_cells[shared:])):
        for number, cell in enumerate(cells, shared if part != "shared" else 0):
            cell = copy.deepcopy(cell)
            cell.id = f"{part}-{number}"  # the notebook's own cell number, after where it comes from
            run.cells.append(cell)
    return run


def write(folder: Path = BUILD, names: list[str] | None = None) -> list[Path]:
    """Write every lesson's run (or those of ``names``) into ``folder``, emptied first.

    A lesson of :data:`SEPARATE` gets two: its solution, and its learner's copy, whose cells have no outputs to
    compare (it runs for errors alone, as under ``--nbval-lax``).
    """
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    written = []
    for path in sorted(SOLUTIONS.glob("*.ipynb")):
        if names and path.stem not in names and path.name not in names:
            continue
        solution = nbformat.read(path, as_version=4)
        learner = nbformat.read(NOTEBOOKS / path.name, as_version=4)
        if path.stem in SEPARATE:
            runs = {path.name: solution, f"{path.stem}-learner-copy.ipynb": learner}
        else:
            runs = {path.name: lesson_run(solution, learner)}
        for name, notebook in runs.items():
            nbformat.write(notebook, folder / name)
            written.append(folder / name)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.lesson_runs", description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", nargs="?", type=Path, default=BUILD)
    parser.add_argument("lessons", nargs="*", help="only these lessons (e.g. 02-crud)")
    options = parser.parse_args(argv)
    written = write(options.folder, options.lessons or None)
    print(f"{len(written)} notebooks in {options.folder}: each lesson with its learner's copy in one kernel, but "
          f"{', '.join(sorted(SEPARATE))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
