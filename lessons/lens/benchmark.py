"""Time several ways of doing the same work, fairly, and keep what does not depend on the machine.

:func:`compare_ways` runs each way the number of times asked, in alternating rounds (so a slow patch of the
machine hits every way, not just one), with the garbage collector off while a way runs (as Python's ``timeit``
does), and counts the statements each way sent through SQLAlchemy. It reads two clocks: ``seconds``, the wall
clock you wait, and ``cpu``, the processor time this Python process spent (steadier on a busy machine). Print them
only in cells tagged ``nbval-ignore-output``, labelled as measured on this machine; the statement counts, what
each way returned and whatever ``after_each`` returned (rows inserted, say) are the same on every machine.

>>> comparison = await compare_ways(  # doctest: +SKIP
...     {"add_all": with_add_all, "Core insert": with_core_insert}, rows,
...     runs={"add_all": 1, "Core insert": 5}, after_each=count_then_empty,
... )
>>> comparison.statements, comparison.after  # doctest: +SKIP
({'add_all': 20000, 'Core insert': 1}, {'add_all': 20000, 'Core insert': 20000})
>>> min(comparison.seconds["Core insert"])  # doctest: +SKIP
0.064
"""

from __future__ import annotations

import gc
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from lessons.lens.sql import count_queries
from lessons.lens.timing import stopwatch


@dataclass
class Comparison:
    """What :func:`compare_ways` measured, by way name."""

    #: Every run's time, in seconds (machine-dependent: show it only in ignored cells).
    seconds: dict[str, list[float]] = field(default_factory=dict)
    #: Every run's processor time in this process, in seconds (steadier than ``seconds``; still machine-dependent).
    cpu: dict[str, list[float]] = field(default_factory=dict)
    #: What a way returned in its last run (rows it read, say: the same on every machine).
    returned: dict[str, Any] = field(default_factory=dict)
    #: Statements SQLAlchemy sent in a way's last run.
    statements: dict[str, int] = field(default_factory=dict)
    #: What ``after_each`` returned after a way's last run.
    after: dict[str, Any] = field(default_factory=dict)

    def best(self) -> dict[str, float]:
        """The fastest run of each way: the one least disturbed by other work on the machine."""
        return {name: min(times) for name, times in self.seconds.items()}

    def best_cpu(self) -> dict[str, float]:
        """The least processor time of each way's runs."""
        return {name: min(times) for name, times in self.cpu.items()}


async def compare_ways(
    ways: dict[str, Callable[[Any], Awaitable[Any]]],
    argument: Any,
    runs: dict[str, int],
    after_each: Callable[[], Awaitable[Any]] | None = None,
) -> Comparison:
    """Await ``way(argument)`` ``runs[name]`` times for each way, in alternating rounds; see the module docstring.

    ``after_each`` is awaited after every run, outside the timing (to count and remove what the way inserted).
    """
    comparison = Comparison(seconds={name: [] for name in ways}, cpu={name: [] for name in ways})
    for round_number in range(max(runs[name] for name in ways)):
        for name, way in ways.items():
            if round_number >= runs[name]:
                continue
            gc.disable()
            try:
                with count_queries() as queries, stopwatch() as watch:
                    cpu_started = time.process_time()
                    returned = await way(argument)
                    cpu = time.process_time() - cpu_started
            finally:
                gc.enable()
            comparison.seconds[name].append(watch.seconds)
            comparison.cpu[name].append(cpu)
            comparison.returned[name] = returned
            comparison.statements[name] = queries.count
            if after_each is not None:
                comparison.after[name] = await after_each()
    return comparison
