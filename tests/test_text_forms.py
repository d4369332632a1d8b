"""A lesson change reads as a change: beside every solutions/NN-name.ipynb, its text form solutions/NN-name.py.

The .py (jupytext's percent format) is what an author edits and a review reads; publishing reads it into the
notebook's cells, runs it and writes both back. These tests fail while the two disagree in any cell (type, source,
tags), when one exists without the other, or when the .py is not in the normal form publishing writes; each failure
says which command fixes it. Nothing here executes a notebook.
"""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest

import lessons.tooling.publish
from lessons.tooling.publish import (
    SOLUTIONS,
    PublishError,
    cells_of,
    from_text,
    lesson_source,
    refusals,
    text_drift,
    text_path,
    to_text,
)

LESSONS = sorted({path.stem for suffix in ("*.ipynb", "*.py") for path in SOLUTIONS.glob(suffix)})


def test_every_notebook_has_its_text_form_and_every_text_form_its_notebook() -> None:
    notebooks = {path.stem for path in SOLUTIONS.glob("*.ipynb")}
    texts = {path.stem for path in SOLUTIONS.glob("*.py")}
    assert notebooks, "no solution notebooks found"
    unpaired = [line for stem in sorted(notebooks ^ texts) for line in text_drift(SOLUTIONS / f"{stem}.ipynb")]
    assert not unpaired, "\n".join(unpaired)


@pytest.mark.parametrize("stem", LESSONS)
def test_the_text_form_holds_the_notebooks_cells(stem: str) -> None:
    """solutions/NN.py read back gives solutions/NN.ipynb's cells (types, sources, tags), and is in normal form."""
    found = text_drift(SOLUTIONS / f"{stem}.ipynb")
    assert not found, "\n".join(found)


def _lesson(*cells: nbformat.NotebookNode) -> nbformat.NotebookNode:
    return nbformat.v4.new_notebook(cells=list(cells))


KINDS_OF_CELL = _lesson(
    nbformat.v4.new_markdown_cell("# 03 · A title\n\nA table:\n\n| a | b |\n|---|---|\n\n```python\nx = 1\n```"),
    nbformat.v4.new_code_cell("from lessons import clock\n\nclock.freeze()\ndb = await fresh_database('03')\ndb"),
    nbformat.v4.new_code_cell("async with db.session() as s:\n    await s.get(User, 1)", metadata={"tags": ["a", "b"]}),
    nbformat.v4.new_code_cell("%timeit sum(range(9))\n!ls"),
    nbformat.v4.new_code_cell("def f():\n    # BEGIN SOLUTION\n    return 1\n    # END SOLUTION\n\n\n\nf()"),
    nbformat.v4.new_code_cell('s = """\n# %%\n"""'),
    nbformat.v4.new_code_cell(""),
    nbformat.v4.new_markdown_cell("<!-- BEGIN SOLUTION -->\nThe answer.\n<!-- END SOLUTION -->\n\n\nAfter blanks."),
)


def test_every_kind_of_cell_survives_the_round_trip() -> None:
    text = to_text(KINDS_OF_CELL)
    assert cells_of(from_text(text)) == cells_of(KINDS_OF_CELL)
    assert to_text(from_text(text)) == text
    assert not text.startswith("# ---"), "no header: it would carry jupytext's version"
    assert '# %% tags=["a", "b"]' in text


def test_jupytext_on_the_command_line_writes_the_same_text_form(tmp_path: Path) -> None:
    """The fix the failures give for a notebook edited in JupyterLab writes exactly what publishing writes."""
    from jupytext.cli import jupytext

    out = tmp_path / "00-setup.py"
    jupytext(["--quiet", "--to", "py:percent", "-o", str(out), str(SOLUTIONS / "00-setup.ipynb")])
    assert out.read_text() == (SOLUTIONS / "00-setup.py").read_text()


def _pair(folder: Path, notebook: nbformat.NotebookNode, text: str | None = None) -> Path:
    """solutions/01-x.ipynb and, given or made from it, solutions/01-x.py (the older of the two)."""
    folder.mkdir(exist_ok=True)
    path = folder / "01-x.ipynb"
    text_path(path).write_text(to_text(notebook) if text is None else text)
    path.write_text(lessons.tooling.publish.dumps(lessons.tooling.publish.normalize(notebook)))
    os.utime(text_path(path), ns=(path.stat().st_mtime_ns - 10**9,) * 2)
    return path


def _edited(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    changed = nbformat.from_dict(nbformat.v4.new_notebook(cells=[*notebook.cells]))
    changed.cells = [*notebook.cells[:2], nbformat.v4.new_code_cell("print('edited')"), *notebook.cells[2:]]
    return changed


def test_text_drift_names_the_cell_and_both_fixes(tmp_path: Path) -> None:
    path = _pair(tmp_path, _edited(KINDS_OF_CELL), to_text(KINDS_OF_CELL))
    [complaint] = text_drift(path)
    assert "01-x.py and solutions/01-x.ipynb differ in cell 2's source" in complaint
    assert "python -m lessons.tooling.publish 01-x" in complaint
    assert "jupytext --to py:percent solutions/01-x.ipynb" in complaint


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        (None, "has no solutions/01-x.py: write it with python -m lessons.tooling.publish --no-execute 01-x"),
        (to_text(_lesson(KINDS_OF_CELL.cells[0])), "differ in the number of cells (1 and 8)"),
        ("# ---\n# jupyter:\n#   jupytext:\n#     formats: ipynb,py\n# ---\n\n", "not in its normal form"),
    ],
    ids=["missing", "fewer-cells", "header"],
)
def test_text_drift_finds_a_missing_short_or_unnormal_text_form(tmp_path: Path, text: str | None, complaint) -> None:
    path = _pair(tmp_path, KINDS_OF_CELL)
    if text is None:
        text_path(path).unlink()
    elif text.startswith("# ---"):
        text_path(path).write_text(text + to_text(KINDS_OF_CELL))
    else:
        text_path(path).write_text(text)
    [found] = text_drift(path)
    assert complaint in found, found


def test_a_text_form_without_its_notebook_is_a_lesson_to_publish(tmp_path: Path) -> None:
    path = _pair(tmp_path, KINDS_OF_CELL)
    path.unlink()
    assert text_drift(path) == ["solutions/01-x.py has no solutions/01-x.ipynb: python -m lessons.tooling.publish 01-x"]


def test_publishing_takes_the_cells_of_the_text_form(tmp_path: Path) -> None:
    path = _pair(tmp_path, KINDS_OF_CELL)
    os.utime(text_path(path))  # the author just edited the .py
    text_path(path).write_text(to_text(_edited(KINDS_OF_CELL)))
    assert cells_of(lesson_source(path)) == cells_of(_edited(KINDS_OF_CELL))


def test_a_notebook_edited_after_its_text_form_is_not_overwritten(tmp_path: Path) -> None:
    """The author changed the .ipynb in JupyterLab: publishing from the older .py would lose that edit."""
    path = _pair(tmp_path, _edited(KINDS_OF_CELL), to_text(KINDS_OF_CELL))
    with pytest.raises(PublishError, match=r"changed after solutions/01-x\.py and they differ in cell 2's source"):
        lesson_source(path)
    assert "jupytext --to py:percent solutions/01-x.ipynb" in refusals([path])[0]
    assert "touch solutions/01-x.py" in refusals([path])[0]
    os.utime(text_path(path))  # `touch`: the author drops the notebook's edit
    assert cells_of(lesson_source(path)) == cells_of(KINDS_OF_CELL)


def test_the_same_cells_in_a_newer_notebook_are_no_edit(tmp_path: Path) -> None:
    """A re-recorded notebook (new outputs, same cells) is newer than its text form: nothing to refuse."""
    path = _pair(tmp_path, KINDS_OF_CELL)
    assert refusals([path]) == [] and cells_of(lesson_source(path)) == cells_of(KINDS_OF_CELL)


@pytest.fixture
def course(tmp_path: Path, monkeypatch) -> Path:
    """A course of one lesson, solutions/01-x.ipynb, in tmp_path: publishing writes there."""
    solutions, notebooks = tmp_path / "solutions", tmp_path / "notebooks"
    notebooks.mkdir()
    monkeypatch.setattr(lessons.tooling.publish, "SOLUTIONS", solutions)
    monkeypatch.setattr(lessons.tooling.publish, "NOTEBOOKS", notebooks)
    return _pair(solutions, KINDS_OF_CELL)


def test_no_execute_writes_a_missing_text_form(course: Path) -> None:
    text_path(course).unlink()
    assert lessons.tooling.publish.publish(["01-x"], run=False) == 0
    assert text_path(course).read_text() == to_text(KINDS_OF_CELL)
    assert text_drift(course) == []


def test_no_execute_refuses_an_edited_text_form(course: Path, capsys) -> None:
    text_path(course).write_text(to_text(_edited(KINDS_OF_CELL)))
    os.utime(text_path(course), ns=(course.stat().st_mtime_ns + 10**9,) * 2)
    assert lessons.tooling.publish.main(["--no-execute", "01-x"]) == 1
    assert "publish it without --no-execute: python -m lessons.tooling.publish 01-x" in capsys.readouterr().err
    assert cells_of(nbformat.read(course, as_version=4)) == cells_of(KINDS_OF_CELL), "nothing written"


def test_publishing_writes_the_notebook_from_the_text_form_and_the_text_form_last(course: Path, monkeypatch) -> None:
    """What a run would do, the kernel aside: the .py's cells into the .ipynb, the .py rewritten in normal form."""
    monkeypatch.setattr(lessons.tooling.publish, "execute", lambda path, **kwargs: lesson_source(path))
    edited = to_text(_edited(KINDS_OF_CELL))
    text_path(course).write_text(edited.replace("\n\n# %%", "\n\n\n# %%", 1))  # not quite the normal form
    os.utime(text_path(course), ns=(course.stat().st_mtime_ns + 10**9,) * 2)
    lessons.tooling.publish.publish(["01-x"])  # its status counts the unexecuted cells: not the point here
    assert cells_of(nbformat.read(course, as_version=4)) == cells_of(_edited(KINDS_OF_CELL))
    assert text_path(course).read_text() == edited
    assert text_drift(course) == []
    assert text_path(course).stat().st_mtime_ns >= course.stat().st_mtime_ns


def test_a_lesson_written_only_as_text_is_found_by_its_name(course: Path) -> None:
    (course.parent / "02-new.py").write_text("# %%\nx = 1\n")
    assert [path.name for path in lessons.tooling.publish._solution_paths(["02"])] == ["02-new.ipynb"]
    assert [path.name for path in lessons.tooling.publish._solution_paths([])] == ["01-x.ipynb", "02-new.ipynb"]


def test_a_cell_the_text_form_cannot_hold_is_a_problem_not_a_silent_split(course: Path, capsys) -> None:
    """A code line starting with "# %%" starts a new cell in the text form: publishing says so, writes no .py."""
    notebook = _lesson(nbformat.v4.new_code_cell("x = 1\n# %% not a new cell\ny = 2"))
    course.write_text(lessons.tooling.publish.dumps(lessons.tooling.publish.normalize(notebook)))
    text_path(course).unlink()
    assert lessons.tooling.publish.publish(["01-x"], run=False) == 1
    assert "01-x.py not written: read back, it would differ in cell 0's source" in capsys.readouterr().out
    assert not text_path(course).exists()
