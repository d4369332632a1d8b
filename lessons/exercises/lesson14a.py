"""Exercise 14.1: soft deletes, Laravel's ``SoftDeletes`` trait, for async SQLAlchemy.

The learner's answer is a mixin class with ``deleted_at``, ``soft_delete()``, ``restore()`` and ``is_deleted``,
plus a global scope: a ``do_orm_execute`` listener on ``Session`` that adds ``with_loader_criteria`` so
queries leave trashed rows out, unless run with ``execution_options(include_deleted=True)`` (``withTrashed``).
The checker maps a model on the mixin and judges what queries return.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import DateTime, String, event, select
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    ORMExecuteState,
    Session,
    declared_attr,
    mapped_column,
    object_session,
    with_loader_criteria,
)

from lessons import clock
from lessons.database import LessonDatabase
from lessons.exercises.framework import Exercise, Incorrect, describe, register
from lessons.types import UTCDateTime


def soft_deletes() -> type:
    """The reference answer: the mixin, and its global scope registered on every Session."""

    class SoftDeletes:
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

    return SoftDeletes


def _timezone_column_only() -> type:
    """Aware in memory, but DateTime(timezone=True) reads back naive on SQLite and MariaDB (right on PostgreSQL
    only): not in either list; tests/test_checkers_07_15.py checks it per backend."""

    class SoftDeletes:
        deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

        def soft_delete(self) -> None:
            self.deleted_at = datetime.now(timezone.utc)

        def restore(self) -> None:
            self.deleted_at = None

        @property
        def is_deleted(self) -> bool:
            return self.deleted_at is not None

    @event.listens_for(Session, "do_orm_execute")
    def scope(state: ORMExecuteState) -> None:
        if state.is_select and not state.execution_options.get("include_deleted"):
            state.statement = state.statement.options(
                with_loader_criteria(SoftDeletes, lambda cls: cls.deleted_at == None, include_aliases=True)  # noqa: E711
            )

    return SoftDeletes


def _right_is_deleted_from_timestamp() -> type:
    class Trashable:
        deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

        def soft_delete(self) -> None:
            if self.deleted_at is None:
                self.deleted_at = datetime.now(timezone.utc)

        def restore(self) -> None:
            self.deleted_at = None

        @property
        def is_deleted(self) -> bool:
            return bool(self.deleted_at)

    def only_kept(state: ORMExecuteState) -> None:
        wants_all = state.execution_options.get("include_deleted", False)
        if state.is_select and not wants_all and not state.is_column_load and not state.is_relationship_load:
            state.statement = state.statement.options(
                with_loader_criteria(Trashable, lambda cls: cls.deleted_at.is_(None), include_aliases=True)
            )

    event.listen(Session, "do_orm_execute", only_kept)
    return Trashable


def _right_declared_attr() -> type:
    class Trash:
        @declared_attr
        def deleted_at(cls) -> Mapped[datetime | None]:
            return mapped_column(UTCDateTime, nullable=True, index=True)

        def soft_delete(self) -> None:
            self.deleted_at = clock.now()

        def restore(self) -> None:
            self.deleted_at = None

        @property
        def is_deleted(self) -> bool:
            return self.deleted_at is not None

    def without_trashed(state: ORMExecuteState) -> None:
        if not state.is_select or state.is_column_load or state.is_relationship_load:
            return
        if state.execution_options.get("include_deleted"):
            return
        state.statement = state.statement.options(
            with_loader_criteria(Trash, lambda cls: cls.deleted_at.is_(None), include_aliases=True)
        )

    event.listen(Session, "do_orm_execute", without_trashed)
    return Trash


def _wrong_naive_column() -> type:
    class SoftDeletes:
        # No time zone in the column: SQLite and MariaDB hand back a naive time, PostgreSQL refuses an aware one.
        deleted_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

        def soft_delete(self) -> None:
            self.deleted_at = datetime.now(timezone.utc)

        def restore(self) -> None:
            self.deleted_at = None

        @property
        def is_deleted(self) -> bool:
            return self.deleted_at is not None

    @event.listens_for(Session, "do_orm_execute")
    def scope(state: ORMExecuteState) -> None:
        if state.is_select and not state.execution_options.get("include_deleted"):
            state.statement = state.statement.options(
                with_loader_criteria(SoftDeletes, lambda cls: cls.deleted_at.is_(None), include_aliases=True)
            )

    return SoftDeletes


def _wrong_hard_delete() -> type:
    class SoftDeletes:
        deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

        def soft_delete(self) -> None:
            object_session(self).delete(self)  # gone for good: not a soft delete

        def restore(self) -> None:
            self.deleted_at = None

        @property
        def is_deleted(self) -> bool:
            return self.deleted_at is not None

    return SoftDeletes


def _wrong_naive_datetime() -> type:
    class SoftDeletes:
        deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

        def soft_delete(self) -> None:
            self.deleted_at = datetime.now()  # naive local time: which zone was it?

        def restore(self) -> None:
            self.deleted_at = None

        @property
        def is_deleted(self) -> bool:
            return self.deleted_at is not None

    @event.listens_for(Session, "do_orm_execute")
    def scope(state: ORMExecuteState) -> None:
        if state.is_select and not state.execution_options.get("include_deleted"):
            state.statement = state.statement.options(
                with_loader_criteria(SoftDeletes, lambda cls: cls.deleted_at.is_(None), include_aliases=True)
            )

    return SoftDeletes


def _wrong_no_global_scope() -> type:
    class SoftDeletes:
        deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

        def soft_delete(self) -> None:
            self.deleted_at = clock.now()

        def restore(self) -> None:
            self.deleted_at = None

        @property
        def is_deleted(self) -> bool:
            return self.deleted_at is not None

    return SoftDeletes  # every query still returns trashed rows


def _aware_and_recent(value: Any) -> bool:
    if not isinstance(value, datetime) or value.tzinfo is None:
        return False
    moments = (clock.now(), datetime.now(timezone.utc))
    return any(abs(value - moment) < timedelta(minutes=5) for moment in moments)


@register
class SoftDeletesExercise(Exercise):
    id = "14.soft_deletes"
    title = "Soft deletes (Laravel's SoftDeletes trait)"
    hints = [
        "The mixin: deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime); soft_delete() sets it to "
        "datetime.now(timezone.utc), restore() sets it to None, is_deleted is a @property.",
        "The global scope: @event.listens_for(Session, 'do_orm_execute') def f(state): if state.is_select and "
        "not state.execution_options.get('include_deleted'): state.statement = state.statement.options("
        "with_loader_criteria(SoftDeletes, lambda cls: cls.deleted_at.is_(None), include_aliases=True))",
        "withTrashed() is select(Model).execution_options(include_deleted=True); onlyTrashed() adds "
        ".where(Model.deleted_at.is_not(None)).",
    ]
    reference = soft_deletes
    right_answers = [soft_deletes, _right_is_deleted_from_timestamp, _right_declared_attr]
    wrong_answers = [_wrong_hard_delete, _wrong_naive_datetime, _wrong_no_global_scope, _wrong_naive_column]

    async def judge(self, answer: Any, db: LessonDatabase) -> str:
        mixin = answer if isinstance(answer, type) else await self.call(answer)
        if not isinstance(mixin, type):
            raise Incorrect("check() takes your mixin class, e.g. check(SoftDeletes).")

        class Base(DeclarativeBase):
            pass

        class Note(mixin, Base):
            __tablename__ = "ex14_notes"
            id: Mapped[int] = mapped_column(primary_key=True)
            title: Mapped[str] = mapped_column(String(50))

        async with db.engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
        async with db.Session() as session:
            session.add_all(Note(title=title) for title in ("keep", "trash", "also keep"))
            await self.call(session.commit)

        async with db.Session() as session:
            note = (await self.call(session.scalars, select(Note).where(Note.title == "trash"))).one()
            note_id = note.id
            await self.call(note.soft_delete)
            if note in session.deleted:
                raise Incorrect("soft_delete() deletes the row for good: a soft delete only sets deleted_at.")
            if not _aware_and_recent(note.deleted_at):
                raise Incorrect(
                    f"soft_delete() set deleted_at to {note.deleted_at!r}: use an aware time, "
                    "datetime.now(timezone.utc)."
                )
            if not await self.call(lambda: note.is_deleted):
                raise Incorrect("after soft_delete(), is_deleted should be True.")
            deleted_at = note.deleted_at
            try:
                await self.call(session.commit)
            except StatementError as error:
                raise Incorrect(
                    f"committing the soft delete (deleted_at = {deleted_at!r}) failed: {describe(error)}"
                ) from None
        # What the database gives back, not what was in memory: DateTime(timezone=True) alone reads back naive
        # on SQLite and MariaDB.
        async with db.Session() as session:
            stored = await self.call(session.scalar,
                select(Note.deleted_at).where(Note.id == note_id).execution_options(include_deleted=True)
            )
        if not _aware_and_recent(stored):
            raise Incorrect(
                f"deleted_at was saved, but reading it back from the database gives {stored!r}"
                + (
                    ", a naive datetime with no time zone: the column loses it on this backend. Declare it with "
                    "the course's UTCDateTime, which reads back aware UTC times on every backend."
                    if isinstance(stored, datetime) and stored.tzinfo is None
                    else "."
                )
            )

        async with db.Session() as session:
            everything = select(Note).execution_options(include_deleted=True).order_by(Note.id)
            stored = (await self.call(session.scalars, everything)).all()
            if len(stored) != 3:
                raise Incorrect("soft_delete() removed the row from the table: a soft delete only sets deleted_at.")
        async with db.Session() as session:
            visible = [n.title for n in (await self.call(session.scalars, select(Note).order_by(Note.id))).all()]
            if visible != ["keep", "also keep"]:
                raise Incorrect(
                    f"select(Note) returned {visible}: a trashed row must be left out by default "
                    "(a global scope: do_orm_execute + with_loader_criteria)."
                )
            if await self.call(session.get, Note, note_id) is not None:
                raise Incorrect("session.get() found the trashed note; Note::find() returns null for it in Laravel.")
            trashed = (
                await self.call(session.scalars, everything.where(Note.deleted_at.is_not(None)).order_by(None))
            ).all()
            if [n.title for n in trashed] != ["trash"]:
                raise Incorrect("onlyTrashed (include_deleted=True plus deleted_at IS NOT NULL) should find it.")
        async with db.Session() as session:
            note = await self.call(session.scalar, everything.where(Note.id == note_id).order_by(None))
            await self.call(note.restore)
            if await self.call(lambda: note.is_deleted):
                raise Incorrect("after restore(), is_deleted should be False.")
            await self.call(session.commit)
        async with db.Session() as session:
            if len((await self.call(session.scalars, select(Note))).all()) != 3:
                raise Incorrect("after restore() and commit, the note should be back in select(Note).")
        return (
            "trashed rows are left out by default (withTrashed: include_deleted=True), deleted_at reads back "
            "timezone-aware from the database, and restore() brings the row back."
        )
