"""Start many copies of a coroutine at once, as concurrent requests would, and make their race repeatable.

Lesson 08b runs ten increments of one counter at the same time. A real race depends on timing; to get the same
race on every run, :func:`everyone_reads_first` gives the tasks a pause that holds each of them (the first time
only) until all of them have reached it, which is what a busy server does by accident.

>>> counters = {1: 0}
>>> async def increment(counter_id: int, pause) -> None:
...     value = counters[counter_id]  # read
...     await pause()  # every task has read before any writes
...     counters[counter_id] = value + 1  # write back: all but one increment is lost
>>> _ = asyncio.run(run_concurrently(increment, 1, everyone_reads_first(TASKS)))
>>> counters[1]
1
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

#: How many concurrent tasks :func:`run_concurrently` starts unless told otherwise.
TASKS = 10

Pause = Callable[[], Awaitable[None]]


async def run_concurrently(
    increment: Callable[[int, Pause], Awaitable[Any]],
    counter_id: int,
    pause: Pause,
    tasks: int = TASKS,
    *,
    return_exceptions: bool = False,
) -> list[Any]:
    """Run ``increment(counter_id, pause)`` ``tasks`` times at once (``asyncio.gather``); return the results.

    With ``return_exceptions=True`` an increment that raises gives its exception as its result, and the call
    returns once every increment has finished; otherwise the first error is raised at once.
    """
    calls = (increment(counter_id, pause) for _ in range(tasks))
    return await asyncio.gather(*calls, return_exceptions=return_exceptions)


def everyone_reads_first(tasks: int = TASKS) -> Pause:
    """A pause that holds each task, the first time it is awaited, until all ``tasks`` tasks have reached it.

    Later awaits in the same task (a retry) pass straight through, so a retrying task is never held again.
    """
    barrier, held = asyncio.Barrier(tasks), set()

    async def pause() -> None:
        task = asyncio.current_task()
        if task not in held:
            held.add(task)
            await barrier.wait()

    return pause


async def no_pause() -> None:
    """The pause for running one increment on its own: nothing to wait for."""
