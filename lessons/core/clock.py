"""A clock the course can freeze, like Laravel's ``Carbon::setTestNow()`` or ``$this->travelTo()``.

Models stamp ``created_at``/``updated_at`` with :func:`now`. Lessons freeze it so every run of a
notebook writes the same timestamps and prints the same output.

>>> from datetime import datetime, timezone
>>> freeze(datetime(2025, 1, 15, 9, 0, tzinfo=timezone.utc))
>>> now().isoformat()
'2025-01-15T09:00:00+00:00'
>>> travel(minutes=5)
>>> now().isoformat()
'2025-01-15T09:05:00+00:00'
>>> unfreeze()
>>> now().tzinfo is timezone.utc
True
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

#: The moment every lesson starts at, unless it freezes another.
LESSON_TIME = datetime(2025, 1, 15, 9, 0, tzinfo=timezone.utc)

_frozen: datetime | None = None


#: With a frozen clock, how far each read of :func:`now` moves it (see :func:`running`); None: it stays.
_tick: timedelta | None = None


def now() -> datetime:
    """The current time, timezone-aware in UTC (never ``datetime.utcnow()``, which is naive and deprecated)."""
    global _frozen
    if _frozen is None:
        return datetime.now(timezone.utc)
    moment = _frozen
    if _tick is not None:
        _frozen = moment + _tick
    return moment


def freeze(at: datetime = LESSON_TIME) -> None:
    """Stop the clock at ``at`` (timezone-aware), like ``Carbon::setTestNow($at)``."""
    global _frozen
    if at.tzinfo is None:
        raise ValueError("freeze() needs a timezone-aware datetime, e.g. datetime(2025, 1, 1, tzinfo=timezone.utc)")
    _frozen = at.astimezone(timezone.utc)


def travel(**delta: float) -> None:
    """Move a frozen clock forward, e.g. ``travel(minutes=5)`` (Laravel's ``$this->travel(5)->minutes()``)."""
    if _frozen is None:
        raise RuntimeError("travel() moves a frozen clock; call freeze() first")
    freeze(_frozen + timedelta(**delta))


@contextmanager
def frozen(at: datetime = LESSON_TIME) -> Iterator[None]:
    """Freeze the clock at ``at`` for a block, then put it back as it was (frozen or running).

    >>> with frozen(datetime(2030, 1, 1, tzinfo=timezone.utc)):
    ...     now().year
    2030
    """
    global _frozen, _tick
    before = _frozen, _tick
    freeze(at)
    _tick = None
    try:
        yield
    finally:
        _frozen, _tick = before


@contextmanager
def running(at: datetime, tick: timedelta = timedelta(seconds=1)) -> Iterator[None]:
    """A clock that runs, predictably, for a block: it starts at ``at`` and every read is ``tick`` later.

    For a test that must tell "one moment" from "two reads of the clock" (a checker, say) on every run alike.

    >>> with running(datetime(2030, 1, 1, tzinfo=timezone.utc)):
    ...     first, second = now(), now()
    >>> (second - first).total_seconds()
    1.0
    """
    global _frozen, _tick
    before = _frozen, _tick
    freeze(at)
    _tick = tick
    try:
        yield
    finally:
        _frozen, _tick = before


def unfreeze() -> None:
    """Let the clock run again (``Carbon::setTestNow()`` with no argument)."""
    global _frozen
    _frozen = None
