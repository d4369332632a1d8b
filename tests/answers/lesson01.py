"""Known answers the checkers' authors wrote (moved from lessons/exercises/), with their verdicts."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from sqlalchemy import Column, DateTime, Integer, String, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from lessons.core import clock
from lessons.core.models import TimestampMixin
from lessons.core.types import UTCDateTime
from tests.answers import right, wrong

#: A reusable column type, the way a project shares its column conventions.
Name50 = Annotated[str, mapped_column(String(50), unique=True)]


@right("01.tag_model")
def define_tag_model() -> type:
    class TagBase(DeclarativeBase):
        pass

    class Tag(TimestampMixin, TagBase):
        __tablename__ = "l01_tags"

        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(50), unique=True)

    return Tag


# Judged right by the old checker, which froze the clock: with it running, the two defaults read it twice, so
# created_at and updated_at differ on insert (the statement: "equal on insert").
@wrong("01.tag_model", "two separate clock.now defaults: unequal on insert while the clock runs")
def wrong_inline_timestamps() -> type:
    class Base(DeclarativeBase):
        pass

    class Tag(Base):
        __tablename__ = "l01_tags"

        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(50), unique=True)
        created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
        updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, onupdate=clock.now)

    return Tag


@right("01.tag_model")
def right_classic_columns() -> type:
    class Base(DeclarativeBase):
        pass

    class Tag(Base):
        __tablename__ = "l01_tags"

        id = Column(Integer, primary_key=True)
        name = Column(String(50), nullable=False, unique=True)
        created_at = Column(UTCDateTime, nullable=False, default=lambda: clock.now())
        updated_at = Column(
            UTCDateTime,
            nullable=False,
            default=lambda context: context.get_current_parameters()["created_at"],
            onupdate=lambda: clock.now(),
        )

    return Tag


@right("01.tag_model")
def right_annotated_name() -> type:
    class TagBase(DeclarativeBase):
        pass

    class Tag(TagBase):
        __tablename__ = "l01_tags"

        id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
        name: Mapped[Name50]
        created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
        updated_at: Mapped[datetime] = mapped_column(
            UTCDateTime, default=lambda context: context.get_current_parameters()["created_at"], onupdate=clock.now
        )

    return Tag


@wrong("01.tag_model", "table named tags")
def wrong_table_named_tags() -> type:
    class Base(DeclarativeBase):
        pass

    class Tag(TimestampMixin, Base):
        __tablename__ = "tags"

        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(50), unique=True)

    return Tag


@wrong("01.tag_model", "name of 255 characters")
def wrong_name_of_255_characters() -> type:
    class Base(DeclarativeBase):
        pass

    class Tag(TimestampMixin, Base):
        __tablename__ = "l01_tags"

        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(255), unique=True)

    return Tag


@wrong("01.tag_model", "chapter timestamps")
def wrong_chapter_timestamps() -> type:
    class Base(DeclarativeBase):
        pass

    class Tag(Base):
        __tablename__ = "l01_tags"

        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(50), unique=True)
        created_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now())
        updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, onupdate=func.now())

    return Tag


@wrong("01.tag_model", "index on primary key")
def wrong_index_on_primary_key() -> type:
    class Base(DeclarativeBase):
        pass

    class Tag(TimestampMixin, Base):
        __tablename__ = "l01_tags"

        id: Mapped[int] = mapped_column(primary_key=True, index=True)
        name: Mapped[str] = mapped_column(String(50), unique=True)

    return Tag


@wrong("01.tag_model", "name without length")
def wrong_name_without_length() -> type:
    class Base(DeclarativeBase):
        pass

    class Tag(TimestampMixin, Base):
        __tablename__ = "l01_tags"

        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(unique=True)

    return Tag


@wrong("01.tag_model", "name not unique")
def wrong_name_not_unique() -> type:
    class Base(DeclarativeBase):
        pass

    class Tag(TimestampMixin, Base):
        __tablename__ = "l01_tags"

        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(50))

    return Tag


@wrong("01.tag_model", "classic nullable name")
def wrong_classic_nullable_name() -> type:
    class Base(DeclarativeBase):
        pass

    class Tag(TimestampMixin, Base):
        __tablename__ = "l01_tags"

        id = Column(Integer, primary_key=True)
        name = Column(String(50), unique=True)

    return Tag


@wrong("01.tag_model", "naive datetime columns")
def wrong_naive_datetime_columns() -> type:
    class Base(DeclarativeBase):
        pass

    class Tag(Base):
        __tablename__ = "l01_tags"

        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(50), unique=True)
        created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
        updated_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now, onupdate=clock.now)

    return Tag


@wrong("01.tag_model", "updated at never moves")
def wrong_updated_at_never_moves() -> type:
    class Base(DeclarativeBase):
        pass

    class Tag(Base):
        __tablename__ = "l01_tags"

        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(50), unique=True)
        created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
        updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    return Tag

