"""Practice for lesson 01: a typed ``Tag`` model with a unique name and Laravel-style timestamps.

The answer is a model class: it is judged by what it does next to the reference model. On each generated database
the checker creates its table (columns, types, keys and indexes as the database reports them), works out what its
timestamp columns read back on each backend, then writes generated tags through the ORM and through Core
``insert()``/``update()`` statements, with the clock frozen at different times and running (a predictable running
clock: every read of ``clock.now()`` one second later), and compares the rows after each step.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import String, Table, insert, inspect, select, update
from sqlalchemy.exc import NoInspectionAvailable
from sqlalchemy.orm import DeclarativeBase, Mapped, Mapper, mapped_column

from lessons.core import clock
from lessons.core.database import LessonDatabase
from lessons.core.models import Base as CourseBase
from lessons.core.models import TimestampMixin
from lessons.exercises.differential import Differential, Note, Run, raised
from lessons.exercises.framework import Incorrect, raised_by_answer, register
from lessons.exercises.worlds import World, blog_world
from lessons.lens.sql import dialect_named


def define_tag_model() -> type:
    class TagBase(DeclarativeBase):
        pass

    class Tag(TimestampMixin, TagBase):
        __tablename__ = "l01_tags"

        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(50), unique=True)

    return Tag


#: What each backend's driver hands back for a stored timestamp, before the column type's own processing.
_DRIVER_VALUES = {
    "SQLite": ("sqlite", "2030-01-01 12:00:00.000000"),
    "PostgreSQL": ("postgresql", datetime(2030, 1, 1, 12, tzinfo=timezone.utc)),
    "MariaDB": ("mysql", datetime(2030, 1, 1, 12)),
}


def _read_back(table: Table) -> dict[str, Any]:
    """Whether each timestamp column reads back aware on each backend, from its type's result processing."""
    seen: dict[str, Any] = {}
    for name in ("created_at", "updated_at"):
        column = table.c.get(name)
        for backend, (dialect_name, stored) in _DRIVER_VALUES.items():
            try:
                dialect = dialect_named(dialect_name)
                processor = column.type._cached_result_processor(dialect, None) if column is not None else None
                value = processor(stored) if processor else stored
                kind = "aware" if getattr(value, "tzinfo", None) is not None else "naive"
            except Exception as error:
                kind = f"raises {type(error).__name__}"
            seen[f"{name} on {backend}"] = kind if column is not None else "no such column"
    return seen


def _shape(sync: Any, name: str) -> dict[str, Any]:
    """The table as the database reports it: columns (type, nullable), primary key, unique sets, other indexes."""
    found = inspect(sync)
    indexes = found.get_indexes(name)
    unique = {tuple(item["column_names"]) for item in found.get_unique_constraints(name)}
    unique |= {tuple(item["column_names"]) for item in indexes if item["unique"]}
    return {
        "columns": {
            column["name"]: {"type": str(column["type"]), "nullable": column["nullable"]}
            for column in found.get_columns(name)
        },
        "primary key": found.get_pk_constraint(name)["constrained_columns"],
        "unique": sorted(unique),
        "other indexes": sorted(tuple(item["column_names"]) for item in indexes if not item["unique"]),
    }


def _not_a_model(model: Any) -> str | None:
    if not isinstance(model, type):
        return f"a {type(model).__name__}, not a model class"
    try:
        mapper = inspect(model)
    except NoInspectionAvailable:
        return f"a class that is not mapped ({model.__name__}): derive it from a DeclarativeBase subclass of your own"
    if not isinstance(mapper, Mapper):
        return f"{model.__name__}, not a mapped model"
    if mapper.local_table.metadata is CourseBase.metadata:
        CourseBase.metadata.remove(mapper.local_table)  # or later lessons would create it
        return "a model on the course's own Base (lessons.core.models.Base): give it a DeclarativeBase of its own"
    return None


@register
class TagModel(Differential):
    id = "01.tag_model"
    title = "A typed Tag model with a unique name and Laravel-style timestamps"
    hints = [
        "Start from `class TagBase(DeclarativeBase): pass`, then `class Tag(TagBase)` with `__tablename__ = "
        "'l01_tags'`. `Mapped[str]` makes a column NOT NULL; `unique=True` adds the UNIQUE constraint; a primary "
        "key needs no `index=True`.",
        "Timestamps: mix in the course's `TimestampMixin` (Laravel's `$timestamps`), or write both columns with "
        "`UTCDateTime`, `default=clock.now` on created_at and, on updated_at, a default that reuses created_at's "
        "value (one read of the clock per insert) plus `onupdate=clock.now`.",
        "The whole model: `id: Mapped[int] = mapped_column(primary_key=True)` and "
        "`name: Mapped[str] = mapped_column(String(50), unique=True)` in `class Tag(TimestampMixin, TagBase)`.",
    ]
    reference = define_tag_model

    def world(self, seed: int) -> World:
        return blog_world(seed, users=3)  # the blog is not used: the world gives the names and the moments

    def passed(self, runs: list[Run]) -> str:
        return (
            f"your model did what the reference does on {len(runs)} generated databases: the same table as "
            "created, timestamps aware on every backend, and the same rows after inserts and updates through the "
            "ORM and through Core insert()/update(), with the clock frozen and running (one moment per insert), "
            "and the same refusals (a taken name, no name, a name too long)."
        )

    async def run(self, function: Callable[..., Any], db: LessonDatabase, world: World, run: Run, answer: bool) -> None:
        label = "define_tag_model()"
        try:
            model = await self.call(function) if answer else function()
        except Incorrect:
            raise
        except Exception as error:
            if answer and not raised_by_answer(error):
                raise
            run.results.append((label, raised(error)))
            return
        problem = _not_a_model(model)
        if problem:
            run.results.append((label, Note(problem)))
            return
        table = inspect(model).local_table
        run.results.append((label, Note(f"a model of the table {table.name}")))
        try:
            async with db.engine.begin() as conn:
                await conn.run_sync(lambda sync: table.metadata.create_all(sync, tables=[table]))
        except Exception as error:
            if not answer:
                raise
            run.results.append(("creating its table", raised(error)))
            return
        async with db.engine.connect() as conn:
            run.results.append(("its table as created", await conn.run_sync(lambda sync: _shape(sync, table.name))))
        run.results.append(("what its timestamps read back", _read_back(table)))
        for step, moment, write in self.steps(world, model, table):
            try:
                with moment:
                    await write(db)
                async with db.engine.connect() as conn:
                    columns = [table.c[name] for name in ("name", "created_at", "updated_at")]
                    rows = (await conn.execute(select(*columns).order_by(*table.primary_key.columns))).all()
                outcome: Any = [dict(row._mapping) for row in rows]
            except Exception as error:  # the reference too refuses a taken name, no name, a name too long
                outcome = raised(error)
            run.results.append((f"the tags after {step}", outcome))

    def steps(self, world: World, model: Any, table: Table) -> list[tuple[str, Any, Callable[..., Any]]]:
        rng, start = world.rng, world.now - timedelta(days=world.rng.randint(1, 300))
        words = ["python", "café", "Zoë's", "naïve", "emoji 🐘", "50%", "under_score"]
        first, second, third = rng.sample(words, 3)
        longest = ("ü" * 50)[: 50 - len(str(world.seed))] + str(world.seed)

        async def orm_insert(db: LessonDatabase, *names: str | None) -> None:
            async with db.Session() as session:
                session.add_all([model(name=name) for name in names])
                await session.commit()

        async def orm_rename(db: LessonDatabase) -> None:
            async with db.Session() as session:
                tag = await session.scalar(select(model).where(table.c.name == first))
                tag.name = first + " renamed"
                await session.commit()

        async def core(db: LessonDatabase, statement: Any) -> None:
            async with db.engine.begin() as conn:
                await conn.execute(statement)

        def at(minutes: int) -> Any:
            return clock.frozen(start + timedelta(minutes=minutes))

        return [
            (f"inserting {first!r} and a 50-character name (the clock running)",
             clock.running(start), lambda db: orm_insert(db, first, longest)),
            (f"renaming {first!r} 5 minutes later", at(5), orm_rename),
            (f"a Core insert() of {second!r} (the clock running)",
             clock.running(start + timedelta(minutes=7)), lambda db: core(db, insert(table).values(name=second))),
            (f"a Core update() renaming {second!r}", at(9),
             lambda db: core(db, update(table).where(table.c.name == second).values(name=third))),
            (f"inserting a second {third!r}", at(11), lambda db: orm_insert(db, third)),
            ("inserting a tag with no name", at(12), lambda db: orm_insert(db, None)),
            ("inserting a 51-character name", at(13), lambda db: orm_insert(db, longest + "x")),
        ]
