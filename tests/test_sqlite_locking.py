"""lesson08_sqlite_locking: SQLAlchemy's own BEGIN makes savepoints and reads transactional, BEGIN IMMEDIATE makes
writers take turns, and the busy timeout is the one asked for (lesson 08a's fix and lesson 08b's locks)."""

from __future__ import annotations

import asyncio
import doctest
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

import lessons.scenery.lesson08_sqlite_locking
from lessons.core.connections import create_engine
from lessons.core.database import create_sessionmaker
from lessons.scenery.lesson08_sqlite_locking import sqlite_engine
from lessons.scenery.lesson08b_counters import Counter, Counters
from lessons.scenery.lesson08b_races import TASKS, everyone_reads_first, run_concurrently


@pytest.fixture
async def url(tmp_path: Path) -> str:
    """A SQLite file with the counters' table."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'locking.sqlite3'}"
    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(Counter.metadata.create_all)
    await engine.dispose()
    return url


async def _ghost_survives(engine: AsyncEngine) -> bool:
    Session = create_sessionmaker(engine)
    async with Session() as session:
        async with session.begin_nested():
            session.add(Counter(name="ghost"))
        await session.rollback()
    async with Session() as session:
        return await session.scalar(select(func.count()).select_from(Counter).where(Counter.name == "ghost")) == 1


def _read_modify_write(Session: async_sessionmaker[AsyncSession]):
    async def increment(counter_id: int, pause) -> None:
        async with Session() as session:
            counter = await session.get(Counter, counter_id)
            await pause()
            counter.value += 1
            await session.commit()

    return increment


async def test_with_begin_a_savepoint_before_any_write_is_rolled_back(url: str) -> None:
    course, begins = create_engine(url), sqlite_engine(url, begin="BEGIN")
    try:
        assert await _ghost_survives(course)  # the driver's default: the RELEASE committed it
        async with course.begin() as conn:
            await conn.execute(Counter.__table__.delete())
        assert not await _ghost_survives(begins)
    finally:
        await course.dispose()
        await begins.dispose()


async def test_with_begin_a_write_based_on_a_stale_read_is_refused_not_lost(url: str) -> None:
    engine = sqlite_engine(url, begin="BEGIN")
    try:
        counters = Counters(create_sessionmaker(engine))
        counter = await counters.new("strict")
        increment = _read_modify_write(counters.Session)
        outcomes = await asyncio.wait_for(
            run_concurrently(increment, counter, everyone_reads_first(), return_exceptions=True), timeout=30
        )
        refused = [outcome for outcome in outcomes if isinstance(outcome, OperationalError)]
        assert len(refused) == TASKS - 1 and "database is locked" in str(refused[0])
        assert await counters.value(counter) == 1
    finally:
        await engine.dispose()


async def test_begin_immediate_makes_read_modify_write_take_turns(url: str) -> None:
    engine = sqlite_engine(url, begin="BEGIN IMMEDIATE")
    try:
        counters = Counters(create_sessionmaker(engine))
        counter = await counters.new("locked")

        async def short_pause() -> None:
            await asyncio.sleep(0.005)

        await asyncio.wait_for(run_concurrently(_read_modify_write(counters.Session), counter, short_pause), 30)
        assert await counters.value(counter) == TASKS
    finally:
        await engine.dispose()


async def test_the_busy_timeout_is_the_one_asked_for(url: str) -> None:
    course, impatient = create_engine(url), sqlite_engine(url, busy_timeout_ms=100)
    try:
        async with impatient.connect() as conn:
            assert await conn.scalar(text("PRAGMA busy_timeout")) == 100
        counters = Counters(create_sessionmaker(course))
        first, second = await counters.new("first"), await counters.new("second")
        async with course.connect() as writer_a, impatient.connect() as writer_b:
            await writer_a.execute(update(Counter).where(Counter.id == first).values(value=1))
            started = time.perf_counter()
            with pytest.raises(OperationalError, match="database is locked"):
                await writer_b.execute(update(Counter).where(Counter.id == second).values(value=2))
            assert time.perf_counter() - started < 4  # it gave up well before the course's 5 s
            await writer_a.rollback()
    finally:
        await course.dispose()
        await impatient.dispose()


def test_a_server_database_is_refused() -> None:
    with pytest.raises(ValueError, match="needs a SQLite database"):
        sqlite_engine("postgresql+asyncpg://postgres@127.0.0.1:5432/nowhere")


def test_the_docstring_example_runs() -> None:
    assert doctest.testmod(lessons.scenery.lesson08_sqlite_locking).failed == 0
