"""Facts lesson 01 teaches, checked on every backend: no index on a primary key, timestamps set together on
insert and aware, and what a plain ``DateTime(timezone=True)`` column reads back."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import DateTime, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from lessons import clock
from lessons.database import LessonDatabase
from lessons.models import Base, Post
from lessons.types import UTCDateTime


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
