"""A learner's progress book: what every ``check()`` records, in ``progress.json`` in the course's data folder.

The practice framework (:mod:`lessons.exercises.framework`) reports each result here; this module imports
nothing of the framework back. Reading the book into tables, for a learner or a class, is course tooling:
:mod:`lessons.tooling.progress` (``make progress``).

Every ``check()`` records its result for the learner who ran it, on their own machine (no network), in
``progress.json`` in the course's data folder (``COURSE_DATA_DIR``, ``.data/`` by default)::

    {"version": 1, "exercises": {"02.create_user": {"status": "passed", "attempts": 2,
        "first_passed": "2026-11-29T10:02:11+00:00", "last_tried": "2026-11-29T10:05:40+00:00"}}}

Three states, like the checker's own: **passed** (once passed, it stays passed), **tried** (run, not correct
yet) and **not started** (the stub is still there, or the check never ran). Recording never prints, never
changes what ``check()`` returns and never fails it: a folder that cannot be written is skipped silently
(``make progress`` says so). ``COURSE_PROGRESS=off`` turns recording off (the course's own tests do).

**Handing in** (``make hub``, ``deploy/``): when ``COURSE_PROGRESS_EXCHANGE`` names a folder, every recording also
writes the learner's whole book to ``<folder>/<namespace>.json`` (mode 640), as nbgrader's exchange does.

>>> book = {}
>>> book = updated(book, "02.create_user", "failed", at="2026-11-29T10:00:00+00:00")
>>> book = updated(book, "02.create_user", "passed", at="2026-11-29T10:05:00+00:00")
>>> book = updated(book, "02.create_user", "failed", at="2026-11-29T10:09:00+00:00")
>>> book["02.create_user"]["status"], book["02.create_user"]["attempts"], book["02.create_user"]["first_passed"]
('passed', 3, '2026-11-29T10:05:00+00:00')
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from lessons.core import locks
from lessons.core.settings import get_settings

PASSED, TRIED, NOT_STARTED = "passed", "tried", "not started"
#: The file, in the data folder.
FILE_NAME = "progress.json"
#: Where a learner's file sits under their home on the hub (``<users_root>/<learner>/.data/progress.json``).
CLASS_LAYOUT = f".data/{FILE_NAME}"
VERSION = 1
#: How long a check waits for another kernel of the same learner to finish writing, before it skips recording.
LOCK_WAIT_SECONDS = 1.0


# --------------------------------------------------------------------------------------------------------------
# Recording (called by every check)
# --------------------------------------------------------------------------------------------------------------


def progress_file() -> Path:
    """This learner's file: ``progress.json`` in the course's data folder (``COURSE_DATA_DIR``)."""
    return get_settings().data_dir / FILE_NAME


def recording_enabled() -> bool:
    """False when ``COURSE_PROGRESS=off`` (or ``0``/``no``/``false``): the course's own tests set it.

    >>> recording_enabled() in {True, False}
    True
    """
    return os.environ.get("COURSE_PROGRESS", "").strip().lower() not in {"off", "0", "no", "false"}


def updated(book: dict[str, Any], exercise_id: str, outcome: str, at: str) -> dict[str, Any]:
    """``book`` (exercise id → entry) after one check of ``exercise_id`` ended in ``outcome``.

    ``outcome`` is the checker's status: ``passed``, ``failed`` (an attempt, not correct) or ``unattempted``
    (the stub: the exercise is seen, not started). An attempt counts once passed stays passed.

    >>> updated({}, "00.count_active_users", "unattempted", at="2026-11-29T10:00:00+00:00")
    {'00.count_active_users': {'status': 'not started', 'attempts': 0, 'first_passed': None, 'last_tried': None}}
    >>> updated({}, "00.count_active_users", "failed", at="2026-11-29T10:00:00+00:00")["00.count_active_users"]
    {'status': 'tried', 'attempts': 1, 'first_passed': None, 'last_tried': '2026-11-29T10:00:00+00:00'}
    """
    book = dict(book)
    entry = dict(book.get(exercise_id) or {})
    entry.setdefault("status", NOT_STARTED)
    entry.setdefault("attempts", 0)
    entry.setdefault("first_passed", None)
    entry.setdefault("last_tried", None)
    if outcome in {"passed", "failed"}:
        entry["attempts"] = int(entry["attempts"] or 0) + 1
        entry["last_tried"] = at
        if outcome == "passed":
            entry["first_passed"] = entry["first_passed"] or at
            entry["status"] = PASSED
        elif entry["status"] != PASSED:
            entry["status"] = TRIED
    book[exercise_id] = entry
    return book


def record(exercise_id: str, outcome: str, path: Path | None = None) -> bool:
    """Record one check's ``outcome`` for ``exercise_id``; True when it was written. Never raises, never prints.

    Safe with two kernels of one learner at once: the read-modify-write holds a lock file beside the progress
    file, and the new content replaces the old in one step (a temporary file, then ``os.replace``), so a reader
    never sees half a file. A damaged ``progress.json`` is kept aside as ``progress.json.damaged`` and started
    afresh. An unwritable folder, or a lock held longer than :data:`LOCK_WAIT_SECONDS`, skips the recording.
    """
    if not recording_enabled():
        return False
    try:
        target = path or progress_file()
        target.parent.mkdir(parents=True, exist_ok=True)
        with _locked(target) as acquired:
            if not acquired:
                return False
            try:
                book = read_book(target)
            except ValueError:
                os.replace(target, target.with_name(target.name + ".damaged"))
                book = {}
            now = datetime.now(timezone.utc).isoformat(timespec="seconds")
            new = updated(book, exercise_id, outcome, at=now)
            if new == book:  # the stub again: nothing to write
                return True
            _write_atomically(target, {"version": VERSION, "exercises": new})
        hand_in({"version": VERSION, "exercises": new})
        return True
    except Exception:
        return False


#: The hub's system account of learner ``<name>`` (hub/course_hub.py): the only owner whose hand-in is trusted.
EXCHANGE_ACCOUNT_PREFIX = "course-"


def hand_in(content: dict[str, Any]) -> bool:
    """Write this learner's book into the drop folder ``COURSE_PROGRESS_EXCHANGE``, if set; never raises.

    A temporary file, then a rename (the folder cannot be listed, the file name is the learner's namespace).
    """
    folder = os.environ.get("COURSE_PROGRESS_EXCHANGE", "").strip()
    if not folder:
        return False
    target = Path(folder) / f"{get_settings().namespace}.json"
    temporary = target.with_name(f".{target.stem}.{os.getpid()}.{time.monotonic_ns()}.tmp")
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            os.fchmod(handle.fileno(), 0o640)  # whatever the umask: the instructors' group reads it
            json.dump(content, handle, indent=1, sort_keys=True)
            handle.write("\n")
        os.replace(temporary, target)
        return True
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        return False


@contextlib.contextmanager
def _locked(target: Path) -> Iterator[bool]:
    """Hold ``<target>.lock`` (:mod:`lessons.core.locks`), waiting at most :data:`LOCK_WAIT_SECONDS`; yields whether
    it is held."""
    with open(target.with_name(target.name + ".lock"), "a") as handle:
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        while not locks.try_lock(handle):
            if time.monotonic() > deadline:
                yield False
                return
            time.sleep(0.01)
        try:
            yield True
        finally:
            locks.unlock(handle)


def _write_atomically(target: Path, content: dict[str, Any]) -> None:
    descriptor, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(content, handle, indent=1, sort_keys=True)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        _replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _replace(source: str, target: Path) -> None:
    """``os.replace``, retried for a moment on Windows, which replaces no file that a reader has open just then."""
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    while True:
        try:
            os.replace(source, target)
            return
        except PermissionError:
            if os.name != "nt" or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def read_book(path: Path) -> dict[str, Any]:
    """The exercises recorded in ``path`` (id → entry); empty when there is no file yet.

    Raises ``ValueError`` when the file is not a progress file (damaged, or something else).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):
        return {}
    except UnicodeDecodeError as error:
        raise ValueError(f"{path} is not text") from error
    except OSError as error:
        raise ValueError(f"{path} cannot be read: {error.strerror}") from error
    try:
        content = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"{path} is not JSON: {error}") from error
    book = content.get("exercises") if isinstance(content, dict) else None
    if not isinstance(book, dict) or not all(isinstance(entry, dict) for entry in book.values()):
        raise ValueError(f"{path} is not a progress file")
    return book


def status_of(book: dict[str, Any], exercise_id: str) -> str:
    """``passed``, ``tried`` or ``not started`` (also for an exercise the book never saw, or a strange entry).

    >>> status_of({"01.tag_model": {"status": "tried"}}, "01.tag_model"), status_of({}, "01.tag_model")
    ('tried', 'not started')
    """
    status = (book.get(exercise_id) or {}).get("status")
    return status if status in {PASSED, TRIED} else NOT_STARTED
