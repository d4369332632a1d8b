"""lessons.lens.benchmark: the runs asked for, in alternating rounds, with statements counted and gc restored."""

from __future__ import annotations

import gc

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from lessons.lens.benchmark import compare_ways


async def test_runs_alternate_and_statements_are_counted() -> None:
    engine = create_async_engine("sqlite+aiosqlite:///:memory:")
    order: list[str] = []

    def way(name: str, statements: int):
        async def run(argument: int) -> None:
            order.append(name)
            assert gc.isenabled() is False  # a collection never lands inside a timed run
            async with engine.connect() as conn:
                for _ in range(statements * argument):
                    await conn.execute(text("SELECT 1"))

        return run

    emptied = iter(range(100))

    async def after() -> int:
        return next(emptied)

    comparison = await compare_ways(
        {"slow": way("slow", 3), "fast": way("fast", 1)}, 2, runs={"slow": 1, "fast": 3}, after_each=after
    )
    await engine.dispose()
    assert order == ["slow", "fast", "fast", "fast"]
    assert comparison.statements == {"slow": 6, "fast": 2}
    assert [len(times) for times in comparison.seconds.values()] == [1, 3]
    assert set(comparison.best()) == {"slow", "fast"}
    assert comparison.after == {"slow": 0, "fast": 3}  # the value after each way's last run
    assert gc.isenabled()


async def test_the_garbage_collector_comes_back_after_an_error() -> None:
    async def failing(argument: object) -> None:
        raise RuntimeError("the way broke")

    with pytest.raises(RuntimeError):
        await compare_ways({"broken": failing}, None, runs={"broken": 1})
    assert gc.isenabled()


async def test_cpu_time_and_what_each_way_returned_are_kept() -> None:
    async def way(argument: int) -> int:
        return argument * 2

    comparison = await compare_ways({"double": way}, 21, runs={"double": 2})
    assert comparison.returned == {"double": 42}
    assert len(comparison.cpu["double"]) == 2 and all(cpu >= 0 for cpu in comparison.cpu["double"])
    assert set(comparison.best_cpu()) == {"double"}
