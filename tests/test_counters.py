"""lesson08b_counters: a counter starts at 0, and its value is what has been committed, on every backend."""

from __future__ import annotations

import doctest

from sqlalchemy import String, update
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

import lessons.scenery.lesson08b_counters
from lessons.core.database import LessonDatabase
from lessons.scenery.lesson08b_counters import Counter, Counters


class _Base(DeclarativeBase):
    pass


class _VersionedTally(_Base):
    __tablename__ = "t08_versioned_tallies"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    value: Mapped[int] = mapped_column(default=0)
    version: Mapped[int] = mapped_column()

    __mapper_args__ = {"version_id_col": version}


async def test_a_new_counter_is_committed_at_zero_and_value_reads_only_what_is_committed(db: LessonDatabase) -> None:
    async with db.engine.begin() as conn:
        await conn.run_sync(Counter.metadata.create_all)
    counters = Counters(db.Session)
    hits, misses = await counters.new("hits"), await counters.new("misses")
    assert hits != misses
    assert (await counters.value(hits), await counters.value(misses)) == (0, 0)
    async with db.Session() as writer:
        await writer.execute(update(Counter).where(Counter.id == hits).values(value=5))
        assert await counters.value(hits) == 0  # not committed yet: another session does not see it
        await writer.commit()
    assert await counters.value(hits) == 5


async def test_another_model_with_the_same_columns_works_too(db: LessonDatabase) -> None:
    async with db.engine.begin() as conn:
        await conn.run_sync(_Base.metadata.create_all)
    tallies = Counters(db.Session, _VersionedTally)
    tally = await tallies.new("versioned")
    async with db.Session.begin() as session:
        row = await session.get(_VersionedTally, tally)
        assert (row.value, row.version) == (0, 1)
        row.value += 1
    assert await tallies.value(tally) == 1


def test_the_docstring_example_runs() -> None:
    assert doctest.testmod(lessons.scenery.lesson08b_counters).failed == 0
