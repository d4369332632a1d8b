"""Answers to lesson 01's practice, written from the task statement alone (not from the checker).

01.tag_model: a typed ``Tag`` on a ``DeclarativeBase`` of its own, table ``l01_tags``; ``id`` an integer primary key
with no extra index; ``name`` required, unique, at most 50 characters; ``created_at``/``updated_at`` read back aware
on every backend, equal on insert, ``updated_at`` alone moving on every update, both from ``clock.now``.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import DateTime, String, UniqueConstraint, event, func
from sqlalchemy.engine import ExecutionContext
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from lessons.core import clock
from lessons.core.models import TimestampMixin
from lessons.core.types import UTCDateTime
from tests.answers import right, wrong

# --------------------------------------------------------------------------------------------------------------
# Right
# --------------------------------------------------------------------------------------------------------------


@right("01.tag_model")
def tag_with_the_course_mixin() -> type:
    class TagBase(DeclarativeBase):
        pass

    class Tag(TimestampMixin, TagBase):
        __tablename__ = "l01_tags"

        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(50), unique=True)

    return Tag


@right("01.tag_model")
def tag_with_its_own_timestamp_columns() -> type:
    def same_as_created(context: ExecutionContext) -> datetime:
        return context.get_current_parameters()["created_at"]

    class TagBase(DeclarativeBase):
        pass

    class Tag(TagBase):
        __tablename__ = "l01_tags"
        __table_args__ = (UniqueConstraint("name"),)

        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(50), nullable=False)
        created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, nullable=False)
        updated_at: Mapped[datetime] = mapped_column(
            UTCDateTime, default=same_as_created, onupdate=clock.now, nullable=False
        )

    return Tag


@right("01.tag_model")
def tag_with_one_now_per_insert() -> type:
    # One call to clock.now() per INSERT, stored in the context and reused for updated_at.
    def stamp(context: ExecutionContext) -> datetime:
        return context.get_current_parameters().get("created_at") or clock.now()

    class TagBase(DeclarativeBase):
        pass

    class Tag(TagBase):
        __tablename__ = "l01_tags"

        id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
        name: Mapped[str] = mapped_column(String(50), unique=True, index=False)
        created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: clock.now())
        updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=stamp, onupdate=lambda: clock.now())

    return Tag


# --------------------------------------------------------------------------------------------------------------
# Wrong (each names the input on which it differs)
# --------------------------------------------------------------------------------------------------------------


# A 51-character name: VARCHAR(100) takes it on PostgreSQL and MariaDB (and the declared length says 100).
@wrong("01.tag_model", "name limited to 100 characters, not 50")
def name_too_long_allowed() -> type:
    class TagBase(DeclarativeBase):
        pass

    class Tag(TimestampMixin, TagBase):
        __tablename__ = "l01_tags"

        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(100), unique=True)

    return Tag


# Tag(name=None) is inserted.
@wrong("01.tag_model", "name nullable (Mapped[str | None])")
def name_nullable() -> type:
    class TagBase(DeclarativeBase):
        pass

    class Tag(TimestampMixin, TagBase):
        __tablename__ = "l01_tags"

        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str | None] = mapped_column(String(50), unique=True)

    return Tag


# Two tags named "python" are both inserted.
@wrong("01.tag_model", "name not unique")
def name_not_unique() -> type:
    class TagBase(DeclarativeBase):
        pass

    class Tag(TimestampMixin, TagBase):
        __tablename__ = "l01_tags"

        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(50))

    return Tag


# The DDL has CREATE INDEX ix_l01_tags_id.
@wrong("01.tag_model", "index=True on the primary key: an extra index")
def indexed_primary_key() -> type:
    class TagBase(DeclarativeBase):
        pass

    class Tag(TimestampMixin, TagBase):
        __tablename__ = "l01_tags"

        id: Mapped[int] = mapped_column(primary_key=True, index=True)
        name: Mapped[str] = mapped_column(String(50), unique=True)

    return Tag


# On SQLite and MariaDB created_at reads back naive.
@wrong("01.tag_model", "DateTime(timezone=True): naive on SQLite and MariaDB")
def plain_datetime_columns() -> type:
    class TagBase(DeclarativeBase):
        pass

    class Tag(TagBase):
        __tablename__ = "l01_tags"

        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(50), unique=True)
        created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
        updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now, onupdate=clock.now)

    return Tag


# With the clock frozen at 2025-03-01, the row says today's date.
@wrong("01.tag_model", "stamps with the wall clock (datetime.now), not clock.now")
def wall_clock_timestamps() -> type:
    def wall_now() -> datetime:
        return datetime.now(timezone.utc)

    def same_as_created(context: ExecutionContext) -> datetime:
        return context.get_current_parameters()["created_at"]

    class TagBase(DeclarativeBase):
        pass

    class Tag(TagBase):
        __tablename__ = "l01_tags"

        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(50), unique=True)
        created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=wall_now)
        updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=same_as_created, onupdate=wall_now)

    return Tag


# clock.now() evaluated once, when the class is built: a later insert (clock moved) gets the old time.
@wrong("01.tag_model", "default=clock.now() called once at definition time, not per insert")
def default_called_at_definition() -> type:
    created = clock.now()

    class TagBase(DeclarativeBase):
        pass

    class Tag(TagBase):
        __tablename__ = "l01_tags"

        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(50), unique=True)
        created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=created)
        updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=created, onupdate=clock.now)

    return Tag


# After an update five minutes later, updated_at still says the insert time.
@wrong("01.tag_model", "updated_at has no onupdate: never moves")
def updated_at_never_moves() -> type:
    def same_as_created(context: ExecutionContext) -> datetime:
        return context.get_current_parameters()["created_at"]

    class TagBase(DeclarativeBase):
        pass

    class Tag(TagBase):
        __tablename__ = "l01_tags"

        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(50), unique=True)
        created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
        updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=same_as_created)

    return Tag


# After an update, created_at moved too.
@wrong("01.tag_model", "created_at also has onupdate: moves on update")
def created_at_moves_on_update() -> type:
    def same_as_created(context: ExecutionContext) -> datetime:
        return context.get_current_parameters()["created_at"]

    class TagBase(DeclarativeBase):
        pass

    class Tag(TagBase):
        __tablename__ = "l01_tags"

        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(50), unique=True)
        created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, onupdate=clock.now)
        updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=same_as_created, onupdate=clock.now)

    return Tag


# The chapter's mixin: updated_at is NULL after the insert, and created_at comes from the database's clock.
@wrong("01.tag_model", "chapter's server_default=func.now(): database clock, updated_at NULL on insert")
def server_side_timestamps() -> type:
    class TagBase(DeclarativeBase):
        pass

    class Tag(TagBase):
        __tablename__ = "l01_tags"

        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(50), unique=True)
        created_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now())
        updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, onupdate=func.now())

    return Tag


# With a running (unfrozen) clock, two clock.now() calls give created_at != updated_at on insert.
@wrong("01.tag_model", "two separate clock.now defaults: not equal on insert unless the clock is frozen")
def two_separate_defaults() -> type:
    class TagBase(DeclarativeBase):
        pass

    class Tag(TagBase):
        __tablename__ = "l01_tags"

        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(50), unique=True)
        created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
        updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, onupdate=clock.now)

    return Tag


# The table is called "tags".
@wrong("01.tag_model", "wrong table name (Laravel's plural 'tags')")
def wrong_table_name() -> type:
    class TagBase(DeclarativeBase):
        pass

    class Tag(TimestampMixin, TagBase):
        __tablename__ = "tags"

        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(50), unique=True)

    return Tag


# Timestamps set by ORM events only: a Core insert(Tag) (or an update() statement) leaves them NULL / unmoved.
@wrong("01.tag_model", "timestamps set in ORM events only: Core INSERT/UPDATE statements skip them")
def timestamps_from_orm_events() -> type:
    class TagBase(DeclarativeBase):
        pass

    class Tag(TagBase):
        __tablename__ = "l01_tags"

        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(50), unique=True)
        created_at: Mapped[datetime] = mapped_column(UTCDateTime)
        updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    @event.listens_for(Tag, "before_insert")
    def _stamp_insert(mapper, connection, target) -> None:
        target.created_at = target.updated_at = clock.now()

    @event.listens_for(Tag, "before_update")
    def _stamp_update(mapper, connection, target) -> None:
        target.updated_at = clock.now()

    return Tag
