"""Exercise 14.4: an audit log written by ORM events, in the same transaction as the change it records.

The learner's answer is a function ``track_changes(model, audit_log)`` that registers event listeners so that
every INSERT, UPDATE and DELETE of ``model`` adds one ``audit_log`` row: ``table_name``, ``record_id``,
``action`` (``insert``/``update``/``delete``), ``changes`` as JSON ``{"field": [old, new]}`` and ``user_id``, the
acting user, read from ``session.info["user_id"]`` or from the context variable :data:`current_user` (the checker
sets both). The checker builds both classes itself (:func:`audit_models`) on a declarative base of its own, so
listeners registered on them never reach another check.

Judged: the rows an insert, an update and a delete leave (with the actor and old and new values), and that a
rolled-back transaction leaves no audit row behind.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, String, event, insert, inspect, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, Mapper, Session, UOWTransaction, mapped_column, object_session

from lessons import clock
from lessons.database import LessonDatabase
from lessons.exercises.framework import Exercise, Incorrect, register
from lessons.traps import describe
from lessons.types import UTCDateTime

#: The acting user for code that cannot reach the session (Laravel's ``auth()->id()``): a FastAPI dependency
#: would set it per request. The checker sets it and ``session.info["user_id"]`` to the same id.
current_user: ContextVar[int | None] = ContextVar("current_user", default=None)


@contextmanager
def acting_as(user_id: int) -> Iterator[None]:
    """Set :data:`current_user` for the block (``$this->actingAs($user)`` in a Laravel test)."""
    token = current_user.set(user_id)
    try:
        yield
    finally:
        current_user.reset(token)


def audit_models() -> tuple[type[DeclarativeBase], type, type]:
    """A fresh ``(Base, Article, AuditLog)``: the model to audit and the log, on a declarative base of their own.

    >>> Base, Article, AuditLog = audit_models()
    >>> sorted(AuditLog.__table__.c.keys())
    ['action', 'changes', 'created_at', 'id', 'record_id', 'table_name', 'user_id']
    """

    class Base(DeclarativeBase):
        pass

    class Article(Base):
        __tablename__ = "ex14_articles"

        id: Mapped[int] = mapped_column(primary_key=True)
        title: Mapped[str] = mapped_column(String(100))
        status: Mapped[str] = mapped_column(String(20), default="draft")
        views: Mapped[int] = mapped_column(default=0)

        def __repr__(self) -> str:
            return f"Article(id={self.id!r}, title={self.title!r}, status={self.status!r})"

    class AuditLog(Base):
        __tablename__ = "ex14_audit_log"

        id: Mapped[int] = mapped_column(primary_key=True)
        table_name: Mapped[str] = mapped_column(String(50))
        record_id: Mapped[int | None]
        action: Mapped[str] = mapped_column(String(10))
        changes: Mapped[dict[str, Any]] = mapped_column(JSON)
        user_id: Mapped[int | None]
        created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

        def __repr__(self) -> str:
            return f"AuditLog({self.action} {self.table_name} #{self.record_id} by {self.user_id}: {self.changes})"

    return Base, Article, AuditLog


def track_changes(model: type, audit_log: type) -> None:
    """The reference: mapper events write the log on the flush's own connection, so it shares the transaction."""
    columns = [attribute.key for attribute in inspect(model).column_attrs]

    def plain(value: Any) -> Any:  # JSON has no dates: store them as ISO text
        return value.isoformat() if isinstance(value, date | datetime) else value

    def record(connection: Connection, target: Any, action: str, changes: dict[str, list[Any]]) -> None:
        session = object_session(target)
        connection.execute(
            insert(audit_log).values(
                table_name=model.__tablename__,
                record_id=target.id,
                action=action,
                changes=changes,
                user_id=session.info.get("user_id") if session is not None else None,
            )
        )

    @event.listens_for(model, "after_insert")
    def audit_insert(mapper: Mapper[Any], connection: Connection, target: Any) -> None:
        values = {key: [None, plain(getattr(target, key))] for key in columns if getattr(target, key) is not None}
        record(connection, target, "insert", values)

    @event.listens_for(model, "after_update")
    def audit_update(mapper: Mapper[Any], connection: Connection, target: Any) -> None:
        state, changes = inspect(target), {}
        for key in columns:
            history = state.attrs[key].history  # still holds the old value until the flush ends
            if history.has_changes():
                old = history.deleted[0] if history.deleted else None
                new = history.added[0] if history.added else None
                changes[key] = [plain(old), plain(new)]
        if changes:  # after_update also fires for objects with no net change
            record(connection, target, "update", changes)

    @event.listens_for(model, "after_delete")
    def audit_delete(mapper: Mapper[Any], connection: Connection, target: Any) -> None:
        values = {key: [plain(getattr(target, key)), None] for key in columns if getattr(target, key) is not None}
        record(connection, target, "delete", values)


def _right_after_flush(model: type, audit_log: type) -> None:
    """Right: one session event after the flush (ids assigned, history still there) adds AuditLog objects,
    which the same commit flushes in the same transaction."""
    table = model.__tablename__

    def row_changes(obj: Any, action: str) -> dict[str, list[Any]]:
        changes = {}
        for attribute in inspect(obj).mapper.column_attrs:
            history = inspect(obj).attrs[attribute.key].history
            if action == "update" and not history.has_changes():
                continue
            current = getattr(obj, attribute.key)
            old = (history.deleted or [None])[0] if action == "update" else (current if action == "delete" else None)
            new = None if action == "delete" else current
            changes[attribute.key] = [old, new]
        return changes

    def log(session: Session, flush_context: UOWTransaction) -> None:
        actor = session.info.get("user_id")
        batches = (("insert", session.new), ("update", session.dirty), ("delete", session.deleted))
        for action, objects in batches:
            for obj in objects:
                if isinstance(obj, model) and (changes := row_changes(obj, action)):
                    session.add(
                        audit_log(table_name=table, record_id=obj.id, action=action, changes=changes, user_id=actor)
                    )

    # Filtered to `model`: a global Session listener that ignores every other class.
    event.listen(Session, "after_flush", log)


def _right_before_flush_and_after_insert(model: type, audit_log: type) -> None:
    """Right: updates and deletes are logged before the flush (their ids are known), inserts after it (the id
    exists only then); Laravel's action names (created/updated/deleted), the Core table, and the acting user
    from a context variable instead of the session."""
    log_table = audit_log.__table__

    def changed(obj: Any) -> dict[str, list[Any]]:
        return {
            attr.key: [next(iter(attr.history.deleted), None), next(iter(attr.history.added), None)]
            for attr in inspect(obj).attrs
            if attr.history.has_changes()
        }

    def entry(session: Session, obj: Any, action: str, changes: dict[str, list[Any]]) -> Any:
        return audit_log(
            table_name=model.__tablename__,
            record_id=obj.id,
            action=action,
            changes=changes,
            user_id=current_user.get(),
        )

    @event.listens_for(Session, "before_flush")
    def updates_and_deletes(session: Session, flush_context: UOWTransaction, instances: Any) -> None:
        for obj in list(session.dirty):
            if isinstance(obj, model) and session.is_modified(obj):
                session.add(entry(session, obj, "updated", changed(obj)))
        for obj in list(session.deleted):
            if isinstance(obj, model):
                gone = {attr.key: [attr.value, None] for attr in inspect(obj).attrs if attr.value is not None}
                session.add(entry(session, obj, "deleted", gone))

    @event.listens_for(model, "after_insert")
    def inserts(mapper: Mapper[Any], connection: Connection, target: Any) -> None:
        values = {attr.key: [None, attr.value] for attr in inspect(target).attrs if attr.value is not None}
        connection.execute(
            log_table.insert(),
            {
                "table_name": model.__tablename__,
                "record_id": target.id,
                "action": "created",
                "changes": values,
                "user_id": current_user.get(),
            },
        )


# --------------------------------------------------------------------------------------------------------------
# Wrong answers (they share this helper: what changed, as the reference computes it)
# --------------------------------------------------------------------------------------------------------------


def _changes(target: Any, action: str, old_values: bool = True) -> dict[str, list[Any]]:
    changes = {}
    for attr in inspect(target).attrs:
        if action == "update":
            if attr.history.has_changes():
                old = next(iter(attr.history.deleted), None) if old_values else None
                changes[attr.key] = [old, next(iter(attr.history.added), None)]
        elif attr.value is not None:
            changes[attr.key] = [None, attr.value] if action == "insert" else [attr.value, None]
    return changes


def _actor(target: Any) -> int | None:
    session = object_session(target)
    return session.info.get("user_id") if session is not None else None


def _listen_all(model: type, write: Any) -> None:
    for action in ("insert", "update", "delete"):

        def listener(mapper: Mapper[Any], connection: Connection, target: Any, action: str = action) -> None:
            write(connection, target, action)

        event.listen(model, f"after_{action}", listener)


def _wrong_logged_before_flush(model: type, audit_log: type) -> None:
    """Wrong: everything is logged in before_flush, where a new row has no id yet (record_id is None)."""

    @event.listens_for(Session, "before_flush")
    def log(session: Session, flush_context: UOWTransaction, instances: Any) -> None:
        for action, objects in (("insert", session.new), ("update", session.dirty), ("delete", session.deleted)):
            for obj in list(objects):
                if isinstance(obj, model):
                    session.add(
                        audit_log(
                            table_name=model.__tablename__,
                            record_id=obj.id,
                            action=action,
                            changes=_changes(obj, action),
                            user_id=session.info.get("user_id"),
                        )
                    )


def _wrong_new_values_only(model: type, audit_log: type) -> None:
    """Wrong: an update is logged with its new values only: what the row held before is lost."""

    def write(connection: Connection, target: Any, action: str) -> None:
        connection.execute(
            insert(audit_log).values(
                table_name=model.__tablename__,
                record_id=target.id,
                action=action,
                changes=_changes(target, action, old_values=False),
                user_id=_actor(target),
            )
        )

    _listen_all(model, write)


def _wrong_separate_connection(model: type, audit_log: type) -> None:
    """Wrong: the audit row is written on a second connection, in a transaction of its own: it survives the
    rollback of the change it describes (on SQLite it waits for the session's lock, then fails)."""

    def write(connection: Connection, target: Any, action: str) -> None:
        with connection.engine.begin() as own:  # a new connection from the pool, committed on its own
            own.execute(
                insert(audit_log).values(
                    table_name=model.__tablename__,
                    record_id=target.id,
                    action=action,
                    changes=_changes(target, action),
                    user_id=_actor(target),
                )
            )

    _listen_all(model, write)


def _wrong_every_column_on_update(model: type, audit_log: type) -> None:
    """Wrong: an update logs every column, [old, new], whether it changed or not."""

    def write(connection: Connection, target: Any, action: str) -> None:
        state = inspect(target)
        if action == "update":
            changes = {}
            for attr in state.attrs:
                old = next(iter(attr.history.deleted), None) if attr.history.deleted else attr.value
                changes[attr.key] = [old, attr.value]
        else:
            changes = _changes(target, action)
        connection.execute(
            insert(audit_log).values(
                table_name=model.__tablename__,
                record_id=target.id,
                action=action,
                changes=changes,
                user_id=_actor(target),
            )
        )

    _listen_all(model, write)


def _wrong_no_delete(model: type, audit_log: type) -> None:
    """Wrong: the chapter's hint, finished: after_insert and after_update, and nothing when a row is deleted."""

    def write(connection: Connection, target: Any, action: str) -> None:
        connection.execute(
            insert(audit_log).values(
                table_name=model.__tablename__,
                record_id=target.id,
                action=action,
                changes=_changes(target, action),
                user_id=_actor(target),
            )
        )

    for action in ("insert", "update"):

        def listener(mapper: Mapper[Any], connection: Connection, target: Any, action: str = action) -> None:
            write(connection, target, action)

        event.listen(model, f"after_{action}", listener)


# --------------------------------------------------------------------------------------------------------------
# The checker
# --------------------------------------------------------------------------------------------------------------

#: Accepted names for each action: SQL's verbs, or Laravel's event names.
ACTIONS = {
    "insert": {"insert", "inserted", "create", "created"},
    "update": {"update", "updated"},
    "delete": {"delete", "deleted"},
}


def _action(value: Any) -> str | None:
    text = str(value).strip().lower()
    return next((name for name, spellings in ACTIONS.items() if text in spellings), None)


def _pair(changes: Any, key: str) -> list[Any] | None:
    if not isinstance(changes, dict) or key not in changes:
        return None
    value = changes[key]
    return list(value) if isinstance(value, list | tuple) and len(value) == 2 else None


@register
class AuditLogExercise(Exercise):
    id = "14.audit_log"
    title = "An audit log (Laravel's model observers)"
    hints = [
        "Mapper events run inside the flush: @event.listens_for(model, 'after_insert') (and after_update, "
        "after_delete) receive (mapper, connection, target). Write with connection.execute(insert(audit_log)"
        ".values(...)): that connection is the session's own, so the row shares its transaction.",
        "Old and new values: state = sqlalchemy.inspect(target); h = state.attrs['title'].history; during the "
        "flush h.deleted holds the old value and h.added the new one (h.has_changes() says whether it changed).",
        "The acting user: object_session(target).info.get('user_id'); the checker opens its sessions with "
        "db.Session(info={'user_id': 7}) (and sets lesson14d.current_user, a ContextVar, to the same id). In "
        "after_insert target.id is set; in before_flush it is still None.",
    ]
    reference = track_changes
    right_answers = [track_changes, _right_after_flush, _right_before_flush_and_after_insert]
    wrong_answers = [
        _wrong_logged_before_flush,
        _wrong_new_values_only,
        _wrong_separate_connection,
        _wrong_no_delete,
        _wrong_every_column_on_update,
    ]

    async def judge(self, answer: Any, db: LessonDatabase) -> str:
        Base, Article, AuditLog = audit_models()
        async with db.engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
        await self.call(answer, Article, AuditLog)

        @asynccontextmanager
        async def session_as(user_id: int) -> AsyncIterator[AsyncSession]:
            # The acting user in both places an answer may look: the session's info, and the context variable.
            with acting_as(user_id):
                async with db.Session(info={"user_id": user_id}) as session:
                    yield session

        async def log_rows() -> list[Any]:
            async with db.Session() as session:
                return list((await self.call(session.scalars, select(AuditLog).order_by(AuditLog.id))).all())

        async def commit(session: Any, what: str) -> None:
            try:
                await self.call(session.commit)
            except DBAPIError as error:
                if "locked" in str(error):
                    raise Incorrect(
                        f"{what} failed with {describe(error)}: the audit row went through a second connection, "
                        "which waits for the session's own transaction to finish. Write it with the `connection` "
                        "the event gives you (or session.add), so it joins the same transaction."
                    ) from None
                raise

        def one_new_row(rows: list[Any], seen: int, what: str, listen: str) -> Any:
            new = rows[seen:]
            if not new:
                raise Incorrect(f"{what} wrote no audit row: listen to {listen} (or a flush event) on the model.")
            if len(new) > 1:
                raise Incorrect(f"{what} wrote {len(new)} audit rows; write exactly one per changed row.")
            return new[0]

        def same_row(row: Any, action: str, record_id: int, user_id: int, what: str) -> None:
            if _action(row.action) != action:
                raise Incorrect(f"{what} was logged with action {row.action!r}; use {action!r}.")
            if row.record_id is None:
                raise Incorrect(
                    f"{what} was logged with record_id None: you wrote it before the flush gave the row its id. "
                    "Log inserts in after_insert (or after_flush), when target.id is known."
                )
            if row.record_id != record_id:
                raise Incorrect(
                    f"{what} was logged with record_id {row.record_id!r}, not the article's id {record_id}."
                )
            if row.table_name not in {"ex14_articles", "Article"}:
                raise Incorrect(f"{what} was logged with table_name {row.table_name!r}; use model.__tablename__.")
            if row.user_id != user_id:
                raise Incorrect(
                    f"{what} was logged with user_id {row.user_id!r}, but the acting user was {user_id}: read it "
                    "from the session (object_session(target).info['user_id']) or from lesson14d.current_user."
                )

        # 1. INSERT
        async with session_as(7) as session:
            article = Article(title="Draft", views=0)
            session.add(article)
            await commit(session, "committing a new article")
            article_id = article.id
        rows = await log_rows()
        row = one_new_row(rows, 0, "inserting an article", "after_insert")
        same_row(row, "insert", article_id, 7, "the insert")
        if _pair(row.changes, "title") != [None, "Draft"]:
            raise Incorrect(
                f"the insert's changes are {row.changes!r}; expected each new value as [None, new], e.g. "
                "'title': [None, 'Draft']."
            )

        # 2. UPDATE: two fields change, one does not.
        async with session_as(8) as session:
            article = await self.call(session.get, Article, article_id)
            article.title, article.views, article.status = "Published", 10, article.status
            await commit(session, "committing an update")
        rows_after = await log_rows()
        row = one_new_row(rows_after, len(rows), "updating an article", "after_update")
        same_row(row, "update", article_id, 8, "the update")
        title, views = _pair(row.changes, "title"), _pair(row.changes, "views")
        if title is None or views is None:
            raise Incorrect(
                f"the update's changes are {row.changes!r}; list every changed field as "
                "'field': [old, new] (title and views changed)."
            )
        if title[0] is None or views[0] is None:
            raise Incorrect(
                f"the update's changes are {row.changes!r}: the old values are missing. Read them from "
                "inspect(target).attrs[key].history.deleted during the flush."
            )
        if title != ["Draft", "Published"] or views != [0, 10]:
            raise Incorrect(
                f"the update's changes are {row.changes!r}; expected 'title': ['Draft', 'Published'] and "
                "'views': [0, 10]."
            )
        unchanged = sorted(key for key in row.changes if key not in {"title", "views"})
        if unchanged:
            shown = ", ".join(f"{key!r}: {row.changes[key]!r}" for key in unchanged)
            raise Incorrect(
                f"the update also logged fields that did not change ({shown}); only title and views changed. "
                "Log a field only when its history has changes (history.has_changes())."
            )
        rows = rows_after

        # 3. DELETE: the old values are the record of what was lost.
        async with session_as(9) as session:
            await self.call(session.delete, await self.call(session.get, Article, article_id))
            await commit(session, "committing a delete")
        rows_after = await log_rows()
        row = one_new_row(rows_after, len(rows), "deleting an article", "after_delete")
        same_row(row, "delete", article_id, 9, "the delete")
        if _pair(row.changes, "title") != ["Published", None]:
            raise Incorrect(
                f"the delete's changes are {row.changes!r}; keep what was deleted as [old, None], e.g. "
                "'title': ['Published', None]."
            )
        rows = rows_after

        # 4. ROLLBACK: the log must vanish with the change it describes.
        async with session_as(7) as session:
            session.add(Article(title="Kept", views=1))
            await commit(session, "committing a new article")
        rows = await log_rows()
        async with session_as(7) as session:
            session.add(Article(title="Ghost"))
            kept = await self.call(session.scalar, select(Article).where(Article.title == "Kept"))
            kept.views = 2
            await self.call(session.flush)
            await self.call(session.flush)  # a second flush writes what an after_flush listener added
            await self.call(session.rollback)
        rows_after = await log_rows()
        if len(rows_after) != len(rows):
            survivors = ", ".join(f"{r.action} of #{r.record_id}" for r in rows_after[len(rows):])
            raise Incorrect(
                f"the transaction was rolled back, yet its audit rows survived ({survivors}): they were written "
                "on another connection. Use the event's `connection` (or session.add) so they share the transaction."
            )
        return "insert, update and delete are logged with the actor and [old, new] values, and a rollback takes "\
            "the log with it."
