"""Facts lesson 01 teaches, checked on every backend: no index on a primary key, timestamps set together on
insert and aware, and what a plain ``DateTime(timezone=True)`` column reads back."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import DateTime, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from lessons.core import clock
from lessons.core.database import LessonDatabase
from lessons.core.models import Base, Post
from lessons.core.seed import _utc_text
from lessons.core.types import UTCDateTime


def test_no_course_model_indexes_its_primary_key() -> None:
    for table in Base.metadata.sorted_tables:
        primary_key = [column.name for column in table.primary_key.columns]
        for index in table.indexes:
            assert [column.name for column in index.columns] != primary_key, f"{index.name} repeats the primary key"


async def test_timestamps_are_aware_and_equal_on_insert_and_only_updated_at_moves(db: LessonDatabase) -> None:
    async with db.Session() as session:
        post = Post(title="Stamped", user_id=1)
        session.add(post)
        await session.commit()
        post_id = post.id
    clock.travel(minutes=5)
    async with db.Session() as session:
        post = await session.get(Post, post_id)
        post.title = "Restamped"
        await session.commit()
    async with db.Session() as session:
        post = await session.get(Post, post_id)
    assert post.created_at == clock.LESSON_TIME and post.created_at.tzinfo is not None
    assert post.updated_at == clock.LESSON_TIME + timedelta(minutes=5)


class _EventBase(DeclarativeBase):
    pass


class _Event(_EventBase):
    __tablename__ = "l01_test_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    plain_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    utc_at: Mapped[datetime] = mapped_column(UTCDateTime)


async def test_plain_datetime_loses_the_zone_where_the_lesson_says(db: LessonDatabase) -> None:
    meeting = datetime(2025, 1, 15, 10, 0, tzinfo=timezone(timedelta(hours=1)))
    async with db.engine.begin() as conn:
        await conn.run_sync(_EventBase.metadata.create_all)
    async with db.Session() as session:
        session.add(_Event(plain_at=meeting, utc_at=meeting))
        await session.commit()
    async with db.Session() as session:
        event = await session.scalar(select(_Event))
    assert event.utc_at == meeting and event.utc_at.tzinfo is timezone.utc
    if db.backend == "postgresql":
        assert event.plain_at == meeting
    else:  # SQLite and MariaDB keep the wall time and drop the offset
        assert event.plain_at == datetime(2025, 1, 15, 10, 0) and event.plain_at.tzinfo is None


@pytest.mark.parametrize("course_url", ["sqlite"], indirect=True)  # the servers have date types, not text
async def test_utc_datetime_writes_the_seed_s_text_on_sqlite(db: LessonDatabase) -> None:
    # The seed writes SQLite's rows as text without the ORM (lessons.core.seed._utc_text); rows the ORM writes
    # through UTCDateTime must be the same text, or SQLite's text comparisons would order them wrongly.

    meeting = datetime(2025, 1, 15, 10, 0, 0, 5, tzinfo=timezone(timedelta(hours=1)))
    async with db.engine.begin() as conn:
        await conn.run_sync(_EventBase.metadata.create_all)
    async with db.Session() as session:
        session.add(_Event(plain_at=meeting, utc_at=meeting))
        await session.commit()
    async with db.engine.connect() as conn:
        stored = (await conn.exec_driver_sql("SELECT utc_at FROM l01_test_events")).scalar_one()
    assert stored == _utc_text(meeting) == "2025-01-15 09:00:00.000005"


def test_utc_datetime_keeps_the_impl_s_bind_processing() -> None:
    # SQLAlchemy: subclasses of TypeDecorator implement process_bind_param, not bind_processor, so the
    # dialect's own conversion still runs after it.
    assert UTCDateTime.bind_processor is TypeDecorator.bind_processor
    assert UTCDateTime.result_processor is TypeDecorator.result_processor
