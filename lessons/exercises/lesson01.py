"""Practice for lesson 01: a typed ``Tag`` model with a unique name and Laravel-style timestamps.

The learner's function returns the model class; the checker creates its table on a fresh database and
judges what the database does with it: the primary key carries no extra index, the name is required and
unique, both timestamps are aware and equal on insert, and an update moves ``updated_at`` alone.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Annotated, Any

from sqlalchemy import Column, DateTime, Integer, String, func, inspect, select
from sqlalchemy.exc import CompileError, IntegrityError, NoInspectionAvailable, SQLAlchemyError, StatementError
from sqlalchemy.orm import DeclarativeBase, Mapped, Mapper, mapped_column
from sqlalchemy.schema import CreateTable

from lessons import clock
from lessons.database import LessonDatabase
from lessons.exercises.framework import Exercise, Incorrect, committed, register
from lessons.models import Base as CourseBase
from lessons.models import TimestampMixin
from lessons.sql import dialect_named
from lessons.traps import describe
from lessons.types import UTCDateTime

TABLE = "l01_tags"
NAME_LENGTH = 50

#: The moments the checker's frozen clock shows for the insert and for the update.
INSERTED_AT = datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc)
UPDATED_AT = INSERTED_AT + timedelta(minutes=5)


# -- the reference and the known answers ----------------------------------------------------------------------


def define_tag_model() -> type:
    class TagBase(DeclarativeBase):
        pass

    class Tag(TimestampMixin, TagBase):
        __tablename__ = "l01_tags"

        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(50), unique=True)

    return Tag


def _right_inline_timestamps() -> type:
    class Base(DeclarativeBase):
        pass

    class Tag(Base):
        __tablename__ = "l01_tags"

        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(50), unique=True)
        created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
        updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, onupdate=clock.now)

    return Tag


def _right_classic_columns() -> type:
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


def _wrong_chapter_timestamps() -> type:
    class Base(DeclarativeBase):
        pass

    class Tag(Base):
        __tablename__ = "l01_tags"

        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(50), unique=True)
        created_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now())
        updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, onupdate=func.now())

    return Tag


def _wrong_name_without_length() -> type:
    class Base(DeclarativeBase):
        pass

    class Tag(TimestampMixin, Base):
        __tablename__ = "l01_tags"

        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(unique=True)

    return Tag


def _wrong_index_on_primary_key() -> type:
    class Base(DeclarativeBase):
        pass

    class Tag(TimestampMixin, Base):
        __tablename__ = "l01_tags"

        id: Mapped[int] = mapped_column(primary_key=True, index=True)
        name: Mapped[str] = mapped_column(String(50), unique=True)

    return Tag


def _wrong_name_not_unique() -> type:
    class Base(DeclarativeBase):
        pass

    class Tag(TimestampMixin, Base):
        __tablename__ = "l01_tags"

        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(50))

    return Tag


def _wrong_classic_nullable_name() -> type:
    class Base(DeclarativeBase):
        pass

    class Tag(TimestampMixin, Base):
        __tablename__ = "l01_tags"

        id = Column(Integer, primary_key=True)
        name = Column(String(50), unique=True)

    return Tag


def _wrong_naive_datetime_columns() -> type:
    class Base(DeclarativeBase):
        pass

    class Tag(Base):
        __tablename__ = "l01_tags"

        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(50), unique=True)
        created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
        updated_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now, onupdate=clock.now)

    return Tag


def _wrong_updated_at_never_moves() -> type:
    class Base(DeclarativeBase):
        pass

    class Tag(Base):
        __tablename__ = "l01_tags"

        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(50), unique=True)
        created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
        updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    return Tag


#: A reusable column type, the way a project shares its column conventions.
Name50 = Annotated[str, mapped_column(String(50), unique=True)]


def _right_annotated_name() -> type:
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


def _wrong_table_named_tags() -> type:
    class Base(DeclarativeBase):
        pass

    class Tag(TimestampMixin, Base):
        __tablename__ = "tags"

        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(50), unique=True)

    return Tag


def _wrong_name_of_255_characters() -> type:
    class Base(DeclarativeBase):
        pass

    class Tag(TimestampMixin, Base):
        __tablename__ = "l01_tags"

        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(255), unique=True)

    return Tag


# -- the checker -----------------------------------------------------------------------------------------------


def _mapper_of(model: Any) -> Mapper[Any]:
    if not isinstance(model, type):
        raise Incorrect(f"return the model class itself (`return Tag`), not {type(model).__name__}.")
    try:
        mapper = inspect(model)
    except NoInspectionAvailable:
        raise Incorrect(
            f"{model.__name__} is not a mapped model: derive it from a DeclarativeBase subclass of your own."
        ) from None
    return mapper


def _identity(instance: Any) -> Any:
    """The primary key of ``instance`` as ``session.get`` takes it: the value, or a tuple for several columns."""
    identity = inspect(instance).identity
    return identity[0] if identity and len(identity) == 1 else identity


def _aware(value: Any) -> bool:
    return isinstance(value, datetime) and value.tzinfo is not None and value.utcoffset() is not None


@register
class TagModel(Exercise):
    id = "01.tag_model"
    title = "A typed Tag model with a unique name and Laravel-style timestamps"
    hints = [
        "Start from `class TagBase(DeclarativeBase): pass`, then `class Tag(TagBase)` with `__tablename__ = "
        "'l01_tags'`. `Mapped[str]` makes a column NOT NULL; `unique=True` adds the UNIQUE constraint; a primary "
        "key needs no `index=True`.",
        "Timestamps: mix in the course's `TimestampMixin` (Laravel's `$timestamps`), or write both columns with "
        "`UTCDateTime` and `default=clock.now`, plus `onupdate=clock.now` on `updated_at`.",
        "The whole model: `id: Mapped[int] = mapped_column(primary_key=True)` and "
        "`name: Mapped[str] = mapped_column(String(50), unique=True)` in `class Tag(TimestampMixin, TagBase)`.",
    ]
    reference = define_tag_model
    right_answers = [define_tag_model, _right_inline_timestamps, _right_classic_columns, _right_annotated_name]
    wrong_answers = [
        _wrong_table_named_tags,
        _wrong_name_of_255_characters,
        _wrong_chapter_timestamps,
        _wrong_index_on_primary_key,
        _wrong_name_without_length,
        _wrong_name_not_unique,
        _wrong_classic_nullable_name,
        _wrong_naive_datetime_columns,
        _wrong_updated_at_never_moves,
    ]

    async def judge(self, answer: Any, db: LessonDatabase) -> str:
        model = await self.call(answer)
        mapper = _mapper_of(model)
        table = mapper.local_table
        if table.metadata is CourseBase.metadata:
            # Undo the learner's addition to the course's shared metadata, or later lessons would create it.
            CourseBase.metadata.remove(table)
            raise Incorrect(
                "Tag is on the course's own Base (lessons.models.Base): give it a DeclarativeBase of its own, "
                "e.g. `class TagBase(DeclarativeBase): pass`."
            )
        if table.name != TABLE:
            raise Incorrect(f"your model's table is named {table.name!r}; the task names it {TABLE!r}.")
        missing = [name for name in ("name", "created_at", "updated_at") if name not in mapper.attrs]
        if missing:
            raise Incorrect(f"Tag has no {', '.join(missing)} attribute; it needs name, created_at and updated_at.")
        pk = [column.name for column in mapper.primary_key]
        try:  # whatever backend the learner uses, the model must also work on MySQL/MariaDB
            CreateTable(table).compile(dialect=dialect_named("mysql"))
        except CompileError as error:
            raise Incorrect(
                f"MySQL and MariaDB cannot create this table ({describe(error)}); give every string column a "
                "length, e.g. String(50)."
            ) from None

        try:
            async with db.engine.begin() as conn:
                await conn.run_sync(table.metadata.create_all)
                indexes = await conn.run_sync(lambda sync: inspect(sync).get_indexes(table.name))
                columns = await conn.run_sync(lambda sync: inspect(sync).get_columns(table.name))
        except SQLAlchemyError as error:
            raise Incorrect(f"creating the {table.name} table failed: {describe(error)}") from None
        name_type = next((column["type"] for column in columns if column["name"] == "name"), None)
        if getattr(name_type, "length", None) != NAME_LENGTH:
            raise Incorrect(
                f"the database created {table.name}.name as {name_type}; the task says at most {NAME_LENGTH} "
                f"characters: String({NAME_LENGTH})."
            )
        for index in indexes:
            if list(index["column_names"]) == pk:
                raise Incorrect(
                    f"the database has an extra index {index['name']} on the primary key {', '.join(pk)}: "
                    "a primary key is indexed already, so drop `index=True` from it."
                )

        tag_id = await self._insert_and_read_back(model, db)
        await self._update_and_read_back(model, db, tag_id)
        await self._name_is_unique(model, db)
        await self._name_is_required(model, db)
        return (
            f"{table.name} works: created_at = updated_at = {INSERTED_AT:%Y-%m-%d %H:%M} UTC on insert, "
            f"updated_at alone moved to {UPDATED_AT:%H:%M} on update, the name (at most 50 characters) is required "
            "and unique, "
            "and the primary key has no extra index."
        )

    async def _insert_and_read_back(self, model: Any, db: LessonDatabase) -> Any:
        with clock.frozen(INSERTED_AT):
            try:
                async with db.Session() as session:
                    session.add(model(name="python"))
                    await session.commit()
            except StatementError as error:
                if "offset-naive" in str(error):
                    raise Incorrect(
                        "saving Tag(name='python') failed: the database refused an aware time for a timestamp "
                        "column without a time zone; declare created_at and updated_at with UTCDateTime."
                    ) from None
                raise Incorrect(f"saving Tag(name='python') failed: {describe(error)}") from None
        async with db.Session() as session:
            tag = await session.scalar(select(model).where(model.name == "python"))
        if tag is None:
            raise Incorrect("Tag(name='python') was committed but no row with that name came back.")
        if tag.updated_at is None:
            raise Incorrect(
                "updated_at is NULL right after the insert; Laravel sets both timestamps when a row is "
                "created, so give updated_at a default too (not only onupdate)."
            )
        for column in ("created_at", "updated_at"):
            value = getattr(tag, column)
            if not _aware(value):
                raise Incorrect(
                    f"{column} came back as {value!r}, a naive datetime with no time zone; use the course's "
                    "UTCDateTime type, which reads back aware UTC times on every backend."
                )
        if tag.created_at != INSERTED_AT:
            raise Incorrect(
                f"created_at is {tag.created_at:%Y-%m-%d %H:%M:%S}, but the checker froze the clock at "
                f"{INSERTED_AT:%Y-%m-%d %H:%M}; stamp rows with the course clock (`default=clock.now`), which a "
                "test can freeze, not the database's now()."
            )
        if tag.updated_at != tag.created_at:
            raise Incorrect(
                f"on insert created_at is {tag.created_at} but updated_at is {tag.updated_at}; both must be the "
                "same moment."
            )
        return _identity(tag)

    async def _update_and_read_back(self, model: Any, db: LessonDatabase, tag_id: Any) -> None:
        with clock.frozen(UPDATED_AT):
            async with db.Session() as session:
                tag = await session.get(model, tag_id)
                tag.name = "sqlalchemy"
                await session.commit()
        async with db.Session() as session:
            tag = await session.get(model, tag_id)
        if tag.updated_at != UPDATED_AT:
            raise Incorrect(
                f"after renaming the tag at {UPDATED_AT:%H:%M}, updated_at is still {tag.updated_at:%H:%M}; "
                "add `onupdate=clock.now` to updated_at."
            )
        if tag.created_at != INSERTED_AT:
            raise Incorrect(f"an update changed created_at to {tag.created_at}; only updated_at should move.")

    async def _name_is_unique(self, model: Any, db: LessonDatabase) -> None:
        with clock.frozen(UPDATED_AT):
            try:
                async with db.Session() as session:
                    session.add(model(name="sqlalchemy"))
                    await session.commit()
            except IntegrityError:
                pass
            except StatementError as error:
                raise Incorrect(f"saving a second Tag(name='sqlalchemy') failed: {describe(error)}") from None
        saved = (await committed(db, select(func.count()).select_from(model).where(model.name == "sqlalchemy")))[0][0]
        if saved > 1:
            raise Incorrect(f"two tags named 'sqlalchemy' were both saved ({saved} rows); add unique=True to name.")

    async def _name_is_required(self, model: Any, db: LessonDatabase) -> None:
        with clock.frozen(UPDATED_AT):
            try:
                async with db.Session() as session:
                    session.add(model(name=None))
                    await session.commit()
            except IntegrityError:
                pass
            except StatementError as error:
                raise Incorrect(f"saving Tag(name=None) failed: {describe(error)}") from None
        saved = (await committed(db, select(func.count()).select_from(model).where(model.name.is_(None))))[0][0]
        if saved:
            raise Incorrect(
                "a tag with no name was saved (name is NULL); declare it `Mapped[str]` (NOT NULL), not "
                "`Mapped[str | None]` or a classic Column without nullable=False."
            )
