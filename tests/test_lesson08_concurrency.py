"""Lesson 08b's claims, on every backend: read-modify-write loses updates, and each fix loses none (and 08a's
SQLite savepoint trap)."""

from __future__ import annotations

import asyncio
import os

from sqlalchemy import String, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.orm.exc import StaleDataError

from lessons.core.database import LessonDatabase, fresh_database
from lessons.core.models import User
from lessons.core.settings import DEFAULT_URL as SQLITE_URL

TASKS = 5


class TallyBase(DeclarativeBase):
    pass


class Tally(TallyBase):
    __tablename__ = "t08_tallies"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    value: Mapped[int] = mapped_column(default=0)
    version: Mapped[int] = mapped_column(nullable=False)

    __mapper_args__ = {"version_id_col": version}


async def _tally(Session: async_sessionmaker[AsyncSession], name: str) -> int:
    async with Session.begin() as session:
        tally = Tally(name=name)
        session.add(tally)
        await session.flush()
        return tally.id


async def _value(Session: async_sessionmaker[AsyncSession], tally_id: int) -> int:
    async with Session() as session:
        return await session.scalar(select(Tally.value).where(Tally.id == tally_id))


async def test_lost_updates_and_the_fixes(db: LessonDatabase) -> None:
    async with db.engine.begin() as conn:
        await conn.run_sync(TallyBase.metadata.create_all)
    Session = db.Session

    # Versioning is part of the mapping, so the naive race runs through Core here: SELECT, then UPDATE a number.
    async def naive(tally_id: int, barrier: asyncio.Barrier) -> None:
        async with Session() as session:
            value = await session.scalar(select(Tally.value).where(Tally.id == tally_id))
            await barrier.wait()
            await session.execute(update(Tally).where(Tally.id == tally_id).values(value=value + 1))
            await session.commit()

    async def atomic(tally_id: int, barrier: asyncio.Barrier) -> None:
        async with Session() as session:
            await barrier.wait()
            await session.execute(update(Tally).where(Tally.id == tally_id).values(value=Tally.value + 1))
            await session.commit()

    async def optimistic(tally_id: int, barrier: asyncio.Barrier) -> int:
        for attempt in range(1, 50):
            async with Session() as session:
                tally = await session.get(Tally, tally_id)
                if attempt == 1:
                    await barrier.wait()
                tally.value += 1
                try:
                    await session.commit()
                    return attempt
                except StaleDataError:
                    pass
        raise AssertionError("no attempt succeeded")

    cases = [("naive", naive, 1), ("atomic", atomic, TASKS), ("optimistic", optimistic, TASKS)]
    for name, increment, expected in cases:
        tally_id = await _tally(Session, name)
        barrier = asyncio.Barrier(TASKS)
        outcomes = await asyncio.gather(*(increment(tally_id, barrier) for _ in range(TASKS)))
        assert await _value(Session, tally_id) == expected, name
        if name == "optimistic":
            assert outcomes.count(1) == 1  # exactly one task wins the first round

    if db.backend != "sqlite":  # FOR UPDATE is dropped on SQLite

        async def locked(tally_id: int) -> None:
            async with Session() as session:
                tally = await session.get(Tally, tally_id, with_for_update=True)
                await asyncio.sleep(0.005)
                tally.value += 1
                await session.commit()

        tally_id = await _tally(Session, "locked")
        await asyncio.gather(*(locked(tally_id) for _ in range(TASKS)))
        assert await _value(Session, tally_id) == TASKS


async def test_sqlite_savepoint_before_any_write_escapes_the_rollback() -> None:
    # The sqlite3 driver's legacy transaction control: no BEGIN before a SAVEPOINT. If a future Python changes
    # that default, lesson 08a's "Careful (SQLite)" section must change too. (SQLite only: not in the matrix.)
    db = await fresh_database(f"test-lesson08-savepoint-{os.getpid()}", SQLITE_URL, make_current=False)
    try:
        async with db.Session() as session:
            async with session.begin_nested():
                session.add(User(name="Ghost", email="ghost@example.com"))
            await session.rollback()
        async with db.Session() as session:
            assert await session.scalar(select(User.name).where(User.email == "ghost@example.com")) == "Ghost"
    finally:
        await db.drop()


async def _locked_view(Session: async_sessionmaker[AsyncSession], page_id: int) -> None:
    from lessons.exercises.lesson08 import PageViews

    async with Session() as session:
        page = await session.get(PageViews, page_id, with_for_update=True)
        page.views += 1
        await session.commit()


async def test_a_row_lock_counts_every_view_on_the_servers_and_is_named_as_dropped_on_sqlite(
    database_url_env: str,
) -> None:
    # The 08b task says so: FOR UPDATE locks the row on PostgreSQL and MariaDB; SQLite drops it.
    from lessons import exercises

    result = await exercises.get("08.record_view").check(_locked_view)
    if database_url_env.startswith("sqlite"):
        assert result.status == "failed"
        assert "SQLite drops FOR UPDATE" in result.message
    else:
        assert result.passed, result.message
