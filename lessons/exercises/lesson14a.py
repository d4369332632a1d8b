"""Exercise 14.soft_deletes: Laravel's ``SoftDeletes`` trait for async SQLAlchemy, judged against the reference.

The answer is a mixin class (``deleted_at``, ``soft_delete()``, ``restore()``, ``is_deleted``) whose global scope, a
``do_orm_execute`` listener on ``Session``, leaves trashed rows out of every ``SELECT`` unless it runs with
``execution_options(include_deleted=True)``. Each run maps two models of its own on the mixin being judged (a
notebook and its notes, the tables created from them, so the answer's column type is the one used) and makes the
same queries and changes with the reference's mixin and with the answer's.
"""

from __future__ import annotations

import inspect as python_inspect
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import ForeignKey, String, event, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    ORMExecuteState,
    Session,
    aliased,
    mapped_column,
    relationship,
    selectinload,
    with_loader_criteria,
)

from lessons.core import clock
from lessons.core.database import LessonDatabase
from lessons.core.types import UTCDateTime
from lessons.exercises.differential import Call, Differential, Entity, Run, Tables, observe
from lessons.exercises.differential import Note as Said
from lessons.exercises.framework import Incorrect, describe, register
from lessons.exercises.worlds import World


class SoftDeletes:
    """The reference: the mixin, and (below) its global scope registered on every Session."""

    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    def soft_delete(self) -> None:
        self.deleted_at = clock.now()

    def restore(self) -> None:
        self.deleted_at = None

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


@event.listens_for(Session, "do_orm_execute")
def hide_trashed(state: ORMExecuteState) -> None:
    if (
        state.is_select
        and not state.is_column_load
        and not state.is_relationship_load
        and not state.execution_options.get("include_deleted", False)
    ):
        state.statement = state.statement.options(
            with_loader_criteria(SoftDeletes, lambda cls: cls.deleted_at.is_(None), include_aliases=True)
        )


_TITLES = ["Buy milk", "Old draft", "Café ☕", "50% off", "O'Brien",
           "A title of fifty characters: String(50)'s limit ✓!"]
#: How near a deleted_at must be to the check's clock, or to the real time (the task allows either).
TOLERANCE = timedelta(minutes=2)


def _models(mixin: type) -> tuple[type, type]:
    """A notebook (not soft-deletable) and its notes (on ``mixin``), in a registry of their own."""

    class Base(DeclarativeBase):
        pass

    class Notebook(Base):
        __tablename__ = "ex14_notebooks"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(50))
        notes: Mapped[list[Note]] = relationship(order_by="Note.id")

    class Note(mixin, Base):  # type: ignore[misc, valid-type]
        __tablename__ = "ex14_notes"
        id: Mapped[int] = mapped_column(primary_key=True)
        title: Mapped[str] = mapped_column(String(50))
        notebook_id: Mapped[int] = mapped_column(ForeignKey("ex14_notebooks.id"))

    return Notebook, Note


def _titles(notes: Any) -> list[str]:
    return [note.title for note in notes]


async def _all(session: AsyncSession, statement: Any) -> list[Any]:
    return list((await session.scalars(statement)).all())


@register
class SoftDeletesExercise(Differential):
    id = "14.soft_deletes"
    title = "Soft deletes (Laravel's SoftDeletes trait)"
    hints = [
        "The mixin: deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime); soft_delete() sets it to "
        "datetime.now(timezone.utc), restore() sets it to None, is_deleted is a @property.",
        "The global scope: @event.listens_for(Session, 'do_orm_execute') def f(state): if state.is_select and "
        "not state.execution_options.get('include_deleted'): state.statement = state.statement.options("
        "with_loader_criteria(SoftDeletes, lambda cls: cls.deleted_at.is_(None), include_aliases=True)). On a "
        "mixin (a class that is not mapped) the criteria apply only with include_aliases=True.",
        "withTrashed() is select(Model).execution_options(include_deleted=True); onlyTrashed() adds "
        ".where(Model.deleted_at.is_not(None)).",
    ]
    reference = SoftDeletes

    def solution(self) -> None:
        print(f"One solution to “{self.title}”:\n")
        print(python_inspect.getsource(SoftDeletes).rstrip() + "\n\n\n" + python_inspect.getsource(hide_trashed))

    def world(self, seed: int) -> World:
        world = super().world(seed)
        rng = world.rng
        for number in range(rng.randint(2, 3)):
            world.add("ex14_notebooks", name=["Inbox", "Ünïcödé", "O'Brien's"][number])
        books = world.ids("ex14_notebooks")
        for number in range(rng.randint(5, 9)):
            trashed = number in (1, 3) or rng.random() < 0.2  # some trashed already, some never
            world.add("ex14_notes", title=rng.choice(_TITLES),
                      notebook_id=rng.choice(books[1:]) if number else books[0],
                      deleted_at=world.moment() if trashed else None)
        return world

    def calls(self, world: World) -> list[Call]:
        live = [row["id"] for row in world.rows["ex14_notes"] if row["deleted_at"] is None]
        trashed = [row["id"] for row in world.rows["ex14_notes"] if row["deleted_at"] is not None]
        victim, other = world.rng.sample(live, 2)
        back = world.rng.choice(trashed)
        return [
            Call(("queries", trashed[0]), "the queries before any change", "trashed rows already there"),
            Call(("soft_delete", victim), f"soft_delete() of note {victim}, then commit", "a soft delete"),
            Call(("soft_delete", other), f"soft_delete() of note {other}, then commit"),
            Call(("restore", back), f"restore() of note {back} (trashed before), then commit", "a restore"),
            Call(("add", world.ids("ex14_notebooks")[0]), "a new note added, then select(Note)", "a new note"),
            Call(("queries", victim), "the queries after the changes"),
        ]

    async def run(self, function: Callable[..., Any], db: LessonDatabase, world: World, run: Run, answer: bool) -> None:
        mixin = function if isinstance(function, type) else await self.call(function)  # a factory of the mixin
        if not isinstance(mixin, type):
            raise Incorrect("check() takes your mixin class, e.g. check(SoftDeletes).")
        try:
            notebook_model, note_model = _models(mixin)
        except Exception as error:
            raise Incorrect(f"a model could not be mapped on your mixin: {type(error).__name__}: {error}") from None
        metadata = notebook_model.metadata
        try:  # the tables as the answer's models declare them, filled with the world's notes
            async with db.engine.begin() as conn:
                await conn.run_sync(metadata.create_all)
                for table in metadata.sorted_tables:
                    await conn.execute(insert(table), world.rows[table.name])
                    if db.backend == "postgresql":  # the next id after the world's, as load() does for its tables
                        await conn.execute(select(func.setval(func.pg_get_serial_sequence(table.name, "id"),
                                                              select(func.max(table.c.id)).scalar_subquery())))
        except Exception as error:
            if not answer:
                raise
            raise Incorrect(f"notes could not be stored in a table made from your mixin: {describe(error)}") from None

        async def step(session: AsyncSession, what: str, *args: Any) -> Any:
            return await _step(session, notebook_model, note_model, what, *args)

        await super().run(step, db, world, run, answer)

    def observe(self, value: Any) -> Any:
        return _now_or_not(observe(value), clock.now())

    def observe_tables(self, tables: Tables, world: World) -> Tables:
        notes = [{**row, "deleted_at": _now_or_not(_aware(row["deleted_at"]), world.now)}
                 for row in tables.get("ex14_notes", [])]
        return {**tables, "ex14_notes": notes}


async def _step(session: AsyncSession, notebook_model: Any, note_model: Any, what: str, key: int) -> Any:
    """One step of a run (the queries, or one change), and what it returns to be compared."""
    everything = select(note_model).execution_options(include_deleted=True).order_by(note_model.id)
    if what == "queries":
        alias = aliased(note_model)
        books = select(notebook_model).options(selectinload(notebook_model.notes)).order_by(notebook_model.id)
        return {
            "select(Note)": await _all(session, select(note_model).order_by(note_model.id)),
            f"session.get(Note, {key})": await session.get(note_model, key),
            "withTrashed(): include_deleted=True": await _all(session, everything),
            "onlyTrashed()": await _all(session, everything.where(note_model.deleted_at.is_not(None))),
            "select(aliased(Note))": _titles(await _all(session, select(alias).order_by(alias.id))),
            "select(Notebook) with selectinload(Notebook.notes)": [
                (book.name, _titles(book.notes)) for book in await _all(session, books)
            ],
        }
    if what == "add":
        session.add(note_model(title="Fresh", notebook_id=key))
        await session.commit()
        return await _all(session, select(note_model).order_by(note_model.id))
    note = (await session.scalars(everything.where(note_model.id == key))).one_or_none()
    if note is None:
        return Said(f"note {key} not found, even with include_deleted=True")
    if what == "soft_delete":
        note.soft_delete()
    else:
        note.restore()
    flag = note.is_deleted
    await session.commit()
    kept = (await session.scalars(everything.where(note_model.id == key))).one_or_none() is not None
    return {"is_deleted": flag, "deleted_at": note.deleted_at, "withTrashed() still finds it": kept}


def _aware(value: Any) -> Any:
    # A snapshot reads the table without its type: UTC times come back naive on SQLite and MariaDB.
    return value.replace(tzinfo=timezone.utc) if isinstance(value, datetime) and value.tzinfo is None else value


def _now_or_not(value: Any, now: datetime) -> Any:
    """``value`` with every timezone-aware time of "now" (the check's clock, or the real one) made comparable."""
    if isinstance(value, datetime):
        if value.tzinfo is not None and any(
            abs(value - moment) <= TOLERANCE for moment in (now, datetime.now(timezone.utc))
        ):
            return Said("the current time, timezone-aware")
        return value
    if isinstance(value, dict):
        return {key: _now_or_not(item, now) for key, item in value.items()}
    if isinstance(value, list):
        return [_now_or_not(item, now) for item in value]
    if isinstance(value, Entity):
        return Entity(value.kind, tuple((key, _now_or_not(item, now)) for key, item in value.values))
    return value
