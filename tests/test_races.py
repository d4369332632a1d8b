"""lessons.scenery.lesson08b_races: the race lesson 08 relies on happens on every run, and only because of the pause."""

from __future__ import annotations

import asyncio

from lessons.scenery.lesson08b_races import TASKS, everyone_reads_first, no_pause, run_concurrently


def _counter_and_increment() -> tuple[dict[int, int], object]:
    counters = {1: 0}

    async def increment(counter_id: int, pause) -> int:
        value = counters[counter_id]
        await pause()
        counters[counter_id] = value + 1
        return value

    return counters, increment


async def test_everyone_reads_first_loses_all_but_one_update() -> None:
    counters, increment = _counter_and_increment()
    read = await asyncio.wait_for(run_concurrently(increment, 1, everyone_reads_first()), timeout=5)
    assert read == [0] * TASKS  # every task read before any wrote
    assert counters[1] == 1


async def test_without_the_pause_nothing_is_lost() -> None:
    counters, increment = _counter_and_increment()
    await run_concurrently(increment, 1, no_pause)
    assert counters[1] == TASKS


async def test_a_retry_in_the_same_task_is_not_held_again() -> None:
    pause = everyone_reads_first(3)
    attempts: list[int] = []

    async def retrying(counter_id: int, pause) -> int:
        for attempt in (1, 2):  # a second await in the same task would wait forever at a fresh barrier round
            await pause()
            attempts.append(attempt)
        return counter_id

    results = await asyncio.wait_for(run_concurrently(retrying, 7, pause, tasks=3), timeout=5)
    assert results == [7, 7, 7]
    assert sorted(attempts) == [1, 1, 1, 2, 2, 2]


async def test_return_exceptions_gives_each_error_as_a_result_and_lets_the_others_finish() -> None:
    finished: list[int] = []

    async def odd_ones_fail(counter_id: int, pause) -> int:
        await pause()
        number = len(finished) + 1
        finished.append(number)
        if number % 2:
            raise ValueError(f"increment {number} failed")
        return number

    results = await asyncio.wait_for(
        run_concurrently(odd_ones_fail, 1, everyone_reads_first(4), tasks=4, return_exceptions=True), timeout=5
    )
    errors = [result for result in results if isinstance(result, ValueError)]
    assert len(errors) == 2 and sorted(result for result in results if isinstance(result, int)) == [2, 4]
    assert finished == [1, 2, 3, 4]  # the first error stopped nobody
