"""Each learner's progress through the practice tasks, and the instructor's view of a whole class.

Every ``check()`` records its result for the learner who ran it, on their own machine, in ``progress.json``
(:mod:`lessons.core.progress_book` says what it holds and how it is written). This module reads those books into
tables: passed, tried, not started.

From a terminal, in the course's folder::

    python -m lessons.tooling.progress                                  # your own table
    python -m lessons.tooling.progress --class .hub/exchange            # the instructor: one row per learner
    python -m lessons.tooling.progress --class .hub/exchange --csv class.csv

``--class ROOT`` reads ``ROOT/<learner>/.data/progress.json`` for every learner (one folder per learner), or,
when ``ROOT`` is a drop folder (``COURSE_PROGRESS_EXCHANGE``), ``ROOT/<learner>.json``: nobody's notebooks are
opened.

**Handing in** (``make hub``, ``deploy/``): when ``COURSE_PROGRESS_EXCHANGE`` names a folder, every recording also
writes the learner's whole book to ``<folder>/<namespace>.json`` (mode 640), as nbgrader's exchange does. On
``make hub`` as root that folder lets learners create files but not list or read it (``-wx``, sticky, its group
the instructors'), so a learner writes only their own file; the class view accepts a file only from that
learner's own account (``course-<learner>``) or the folder's owner. A learner can still fake their own row.

>>> status_of({"01.tag_model": {"status": "passed"}}, "01.tag_model")
'passed'
"""

from __future__ import annotations

import argparse
import csv
import os
import stat
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lessons.core.progress_book import (
    CLASS_LAYOUT,
    EXCHANGE_ACCOUNT_PREFIX,
    NOT_STARTED,
    PASSED,
    TRIED,
    progress_file,
    read_book,
    recording_enabled,
    status_of,
)

#: The symbols of the class table (the CSV says the status in words).
SYMBOLS = {PASSED: "✓", TRIED: "~", NOT_STARTED: "·"}


# --------------------------------------------------------------------------------------------------------------
# Reading: the exercises in lesson order, a learner's table, a class's table
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExerciseInfo:
    id: str
    title: str


def exercises_in_order() -> list[ExerciseInfo]:
    """Every registered exercise in lesson order: by lesson module, then as the module defines them.

    >>> [exercise.id for exercise in exercises_in_order()][:2]
    ['00.count_active_users', '01.tag_model']
    """
    from lessons.exercises import framework

    framework._load_all()
    registered = list(framework._registry.values())
    order = sorted(range(len(registered)), key=lambda index: (type(registered[index]).__module__, index))
    return [ExerciseInfo(registered[index].id, registered[index].title) for index in order]


def learner_table(book: dict[str, Any], exercises: Sequence[ExerciseInfo]) -> str:
    """A learner's own table: one line per exercise with its status and attempts, then the totals.

    >>> info = [ExerciseInfo("00.count_active_users", "Count the active users"), ExerciseInfo("01.tag_model", "Tag")]
    >>> print(learner_table({"00.count_active_users": {"status": "passed", "attempts": 2}}, info))
    Exercise               Title                   Status         Attempts
    00.count_active_users  Count the active users  ✓ passed              2
    01.tag_model           Tag                     · not started         0
    1 of 2 passed, 0 tried, 1 not started.
    """
    rows = [
        (
            exercise.id,
            exercise.title if len(exercise.title) <= 50 else exercise.title[:49] + "…",
            f"{SYMBOLS[status_of(book, exercise.id)]} {status_of(book, exercise.id)}",
            str(int((book.get(exercise.id) or {}).get("attempts") or 0)),
        )
        for exercise in exercises
    ]
    header = ("Exercise", "Title", "Status", "Attempts")
    widths = [max(len(row[column]) for row in [header, *rows]) for column in range(4)]
    lines = [
        f"{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]:<{widths[2]}}  {row[3]:>{widths[3]}}"
        for row in [header, *rows]
    ]
    counts = _counts(book, exercises)
    lines.append(
        f"{counts[PASSED]} of {len(exercises)} passed, {counts[TRIED]} tried, {counts[NOT_STARTED]} not started."
    )
    return "\n".join(lines)


def _counts(book: dict[str, Any], exercises: Sequence[ExerciseInfo]) -> dict[str, int]:
    counts = dict.fromkeys((PASSED, TRIED, NOT_STARTED), 0)
    for exercise in exercises:
        counts[status_of(book, exercise.id)] += 1
    return counts


@dataclass
class ClassProgress:
    """Every learner's book under a users' root, by learner name (sorted); unreadable files listed apart."""

    root: Path
    books: dict[str, dict[str, Any]] = field(default_factory=dict)
    unreadable: dict[str, str] = field(default_factory=dict)


def _handed_in_by(path: Path, learner: str, folder_owner: int) -> bool:
    """True when ``path`` belongs to ``learner``'s own account (``course-<learner>``) or the folder's owner."""
    import pwd

    info = path.lstat()  # the drop folder is writable by every learner: a link or a FIFO there is nobody's hand-in
    if not stat.S_ISREG(info.st_mode):
        raise ValueError(f"{path.name} is not a regular file")
    owner = info.st_uid
    if owner == folder_owner:
        return True
    try:
        return pwd.getpwuid(owner).pw_name == EXCHANGE_ACCOUNT_PREFIX + learner
    except KeyError:
        return False


def read_class(root: Path) -> ClassProgress:
    """Read ``root/<learner>/.data/progress.json`` for every learner who has one, sorted by name.

    Or, in a drop folder (``root/<learner>.json``, see :func:`lessons.core.progress_book.hand_in`), every file
    handed in by its learner.
    A damaged file does not stop the others: its learner is listed in ``unreadable`` with the reason.
    """
    progress = ClassProgress(root)
    handed_in = sorted(path for path in root.glob("*.json") if not path.name.startswith("."))
    # deploy/: each learner's pod mounts only its own folder of the exchange volume: <root>/<learner>/<learner>.json
    mounted = sorted(path for path in root.glob("*/*.json") if path.stem == path.parent.name)
    if mounted and not handed_in:
        for path in mounted:
            try:
                progress.books[path.stem] = read_book(path)
            except (OSError, ValueError) as error:
                progress.unreadable[path.stem] = str(error)
        return progress
    if handed_in:
        folder_owner = root.stat().st_uid
        for path in handed_in:
            learner = path.stem
            try:
                if not _handed_in_by(path, learner, folder_owner):
                    raise ValueError(f"{path.name} was not handed in by {learner}'s own account")
                progress.books[learner] = read_book(path)
            except (OSError, ValueError) as error:
                progress.unreadable[learner] = str(error)
        return progress
    for path in sorted(root.glob(f"*/{CLASS_LAYOUT}")):
        learner = path.parent.parent.name
        try:
            progress.books[learner] = read_book(path)
        except (OSError, ValueError) as error:
            progress.unreadable[learner] = str(error)
    return progress


def class_rows(progress: ClassProgress, exercises: Sequence[ExerciseInfo]) -> list[dict[str, str | int]]:
    """One row per learner (sorted by name): the learner, each exercise's status, then the totals.

    >>> info = [ExerciseInfo("00.count_active_users", "Count")]
    >>> class_rows(ClassProgress(Path("."), {"bob": {}, "ada": {"00.count_active_users": {"status": "passed"}}}), info)
    ... # doctest: +NORMALIZE_WHITESPACE
    [{'learner': 'ada', '00.count_active_users': 'passed', 'passed': 1, 'tried': 0, 'not started': 0},
     {'learner': 'bob', '00.count_active_users': 'not started', 'passed': 0, 'tried': 0, 'not started': 1}]
    """
    rows: list[dict[str, str | int]] = []
    for learner in sorted(progress.books):
        book = progress.books[learner]
        row: dict[str, str | int] = {"learner": learner}
        row.update({exercise.id: status_of(book, exercise.id) for exercise in exercises})
        row.update(_counts(book, exercises))
        rows.append(row)
    return rows


def class_table(progress: ClassProgress, exercises: Sequence[ExerciseInfo]) -> str:
    """The class as a grid: a row per learner, a numbered column per exercise (a key below), totals at the end.

    >>> info = [ExerciseInfo("00.count_active_users", "Count"), ExerciseInfo("01.tag_model", "Tag")]
    >>> books = {"ada": {"00.count_active_users": {"status": "passed"}}, "bob": {"01.tag_model": {"status": "tried"}}}
    >>> print(class_table(ClassProgress(Path("users"), books), info))
    Learner  1  2  passed  tried
    ada      ✓  ·       1      0
    bob      ·  ~       0      1
    passed   1  0
    ✓ passed  ~ tried  · not started
    1 = 00.count_active_users  Count
    2 = 01.tag_model  Tag
    """
    rows = class_rows(progress, exercises)
    names = ["Learner", *(row["learner"] for row in rows), PASSED]
    name_width = max(len(str(name)) for name in names)
    widths = [len(str(number)) for number in range(1, len(exercises) + 1)]
    header = "  ".join(
        [f"{'Learner':<{name_width}}", *(str(number) for number in range(1, len(exercises) + 1)), "passed", "tried"]
    )
    lines = [header]
    for row in rows:
        cells = [
            f"{SYMBOLS[str(row[exercise.id])]:<{width}}" for exercise, width in zip(exercises, widths, strict=True)
        ]
        lines.append("  ".join([f"{row['learner']!s:<{name_width}}", *cells, f"{row[PASSED]:>6}", f"{row[TRIED]:>5}"]))
    passed = [sum(row[exercise.id] == PASSED for row in rows) for exercise in exercises]
    lines.append("  ".join([f"{PASSED:<{name_width}}", *(f"{n:<{w}}" for n, w in zip(passed, widths, strict=True))]))
    lines.append("  ".join(f"{symbol} {status}" for status, symbol in SYMBOLS.items()))
    lines.extend(f"{number} = {exercise.id}  {exercise.title}" for number, exercise in enumerate(exercises, 1))
    return "\n".join(line.rstrip() for line in lines)


def write_csv(rows: Sequence[dict[str, str | int]], exercises: Sequence[ExerciseInfo], target: Path) -> None:
    """The class as CSV: ``learner``, one column per exercise id (its status in words), ``passed,tried,not started``."""
    columns = ["learner", *(exercise.id for exercise in exercises), PASSED, TRIED, NOT_STARTED]
    with open(target, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)


# --------------------------------------------------------------------------------------------------------------
# The command
# --------------------------------------------------------------------------------------------------------------


def _writable(folder: Path) -> bool:
    """True when progress can be written in ``folder`` (or in the nearest existing folder above it)."""
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    return existing.is_dir() and os.access(existing, os.W_OK | os.X_OK)


def show_mine() -> int:
    target = progress_file()
    exercises = exercises_in_order()
    try:
        book = read_book(target)
        note = f"Your progress ({target}):"
    except ValueError as error:
        book = {}
        note = f"Your progress file could not be read ({error}); the next check starts it afresh."
    print(note)
    print(learner_table(book, exercises))
    if not recording_enabled():
        print("Recording is off (COURSE_PROGRESS=off): checks are not being recorded.")
    elif not _writable(target.parent):
        print(
            f"Checks are not being recorded: {target.parent} cannot be written; "
            "set COURSE_DATA_DIR to a folder of yours."
        )
    return 0


def show_class(root: Path, csv_target: Path | None) -> int:
    if not root.is_dir():
        print(f"error: {root} is not a folder; give the folder that holds one folder per learner.", file=sys.stderr)
        return 2
    progress = read_class(root)
    exercises = exercises_in_order()
    for learner, why in sorted(progress.unreadable.items()):
        print(f"{learner}: progress left out, unreadable ({why})")
    if not progress.books:
        print(f"No learner has started yet: no {root}/<learner>/{CLASS_LAYOUT} found.")
        return 0
    learners = f"{len(progress.books)} learner{'' if len(progress.books) == 1 else 's'}"
    print(f"Class progress: {learners}, {len(exercises)} exercises ({root})")
    print(class_table(progress, exercises))
    if csv_target is not None:
        write_csv(class_rows(progress, exercises), exercises, csv_target)
        print(f"Wrote {csv_target} ({learners}).")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m lessons.tooling.progress",
        description="Your progress through the practice tasks, or a whole class's.",
    )
    parser.add_argument(
        "--class",
        dest="class_root",
        type=Path,
        metavar="USERS_ROOT",
        help=f"the folder holding one folder per learner (reads each <learner>/{CLASS_LAYOUT})",
    )
    parser.add_argument("--csv", type=Path, metavar="FILE", help="with --class: also write the class table as CSV")
    options = parser.parse_args(argv)
    if options.csv is not None and options.class_root is None:
        parser.error("--csv goes with --class USERS_ROOT")
    if options.class_root is not None:
        return show_class(options.class_root, options.csv)
    return show_mine()


if __name__ == "__main__":
    sys.exit(main())
