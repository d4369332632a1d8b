"""Measure async code the same way in every performance lesson.

Timings vary from run to run and with the machine's load: print them, and anything derived from them (which
is faster, a ratio), only in cells tagged ``nbval-ignore-output``, labelled as measured on this machine. A
compared cell states what holds on any machine: the plan, the statement count, the rows read.

>>> async def work():
...     return sum(range(1000))
>>> seconds = await best_of(work, repeat=3)      # doctest: +SKIP
>>> seconds < 1                                  # doctest: +SKIP
True
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any


@dataclass
class Stopwatch:
    """What :func:`stopwatch` measured: ``.seconds`` (and ``.milliseconds``)."""

    seconds: float = 0.0

    @property
    def milliseconds(self) -> float:
        return self.seconds * 1000


@contextmanager
def stopwatch() -> Iterator[Stopwatch]:
    """Time the block with ``time.perf_counter()`` (``%time`` cannot time code that awaits).

    >>> with stopwatch() as watch:                   # doctest: +SKIP
    ...     await session.execute(statement)
    >>> print(f"{watch.milliseconds:.1f} ms")        # doctest: +SKIP
    """
    watch = Stopwatch()
    started = time.perf_counter()
    try:
        yield watch
    finally:
        watch.seconds = time.perf_counter() - started


async def best_of(function: Callable[[], Awaitable[Any]], repeat: int = 5) -> float:
    """The fastest of ``repeat`` runs of ``await function()``, in seconds (the least disturbed by the machine)."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        await function()
        best = min(best, time.perf_counter() - started)
    return best
