"""Exercise 14.4: an audit log written by ORM events, in the same transaction as the change it records.

The learner's answer is a function ``track_changes(model, audit_log)`` that registers event listeners so that
every INSERT, UPDATE and DELETE of ``model`` adds one ``audit_log`` row: ``table_name``, ``record_id``,
``action`` (``insert``/``update``/``delete``), ``changes`` as JSON ``{"field": [old, new]}`` and ``user_id``, the
acting user, read from ``session.info["user_id"]`` or from the context variable :data:`current_user` (the checker
sets both). Every run builds both classes afresh (:func:`audit_models`), so listeners registered on them never reach
another run.

Judged by difference: on generated articles, the reference and the answer each go through the same steps (inserts,
one flush of two inserts, an update, a field set to its own value, a delete, a change rolled back, a change with
nobody acting), and the audit rows each step leaves are compared, Laravel's action names counted as SQL's.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import JSON, String, event, insert, inspect, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import DeclarativeBase, Mapped, Mapper, mapped_column, object_session

from lessons.core import clock
from lessons.core.database import LessonDatabase
from lessons.core.types import UTCDateTime
from lessons.exercises.differential import Call, Differential, Note, Run, raised
from lessons.exercises.framework import Incorrect, Unattempted, raised_by_answer, register
from lessons.exercises.worlds import World

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


# --------------------------------------------------------------------------------------------------------------
# The contract
# --------------------------------------------------------------------------------------------------------------

#: Accepted names for each action: SQL's verbs, or Laravel's event names.
ACTIONS = {
    "insert": {"insert", "inserted", "create", "created"},
    "update": {"update", "updated"},
    "delete": {"delete", "deleted"},
}
#: The tables every check loads (one declaration; each run maps fresh classes onto the same tables).
_, _ARTICLE, _AUDIT_LOG = audit_models()
TABLES = [_ARTICLE.__table__, _AUDIT_LOG.__table__]
_TITLES = ["Draft", "Zoë's café", "O'Brien & D'Arcy", "李 notes", "naïve 50% under_score", "back\\slash", "x" * 100]


def audit_world(seed: int) -> World:
    """Articles with ids that start anywhere and have gaps, titles at the column's limit, views at their edges;
    a log that already holds rows."""
    rng = random.Random(seed)
    now = datetime(2030, 1, 1, tzinfo=timezone.utc) + timedelta(days=rng.randint(0, 3650), seconds=rng.randint(1, 9**5))
    world, article_id = World(seed=seed, now=now, rng=rng), rng.randint(1, 500)
    for _number in range(rng.randint(3, 8)):
        world.rows.setdefault("ex14_articles", []).append({
            "id": article_id, "title": rng.choice(_TITLES), "status": rng.choice(["draft", "published", "archived"]),
            "views": rng.choice([0, 1, 7, 2**31 - 1]),
        })
        article_id += rng.choice([1, 2, 9])
    world.rows["ex14_audit_log"] = [
        {"id": number, "table_name": "ex14_articles", "record_id": row["id"], "action": "insert",
         "changes": {"title": [None, row["title"]]}, "user_id": None, "created_at": world.now - timedelta(days=1)}
        for number, row in enumerate(world.rows["ex14_articles"], rng.randint(1, 50))
    ]
    return world


@dataclass(frozen=True)
class Pair:
    """A field's [old, new]: compared as a whole, never as an unordered list."""

    old: Any
    new: Any

    def __repr__(self) -> str:
        return f"[{self.old!r}, {self.new!r}]"


def _normal(row: Any) -> dict[str, Any]:
    """An audit row as compared: the action by its SQL name, changes without fields that were None and stay None."""
    action = next((name for name, names in ACTIONS.items() if str(row.action).strip().lower() in names), row.action)
    changes = row.changes
    if isinstance(changes, dict):
        changes = {
            key: Pair(*pair) if isinstance(pair, list | tuple) and len(pair) == 2 else pair
            for key, pair in changes.items()
            if not (isinstance(pair, list | tuple) and list(pair) == [None, None])
        }
    return {"table_name": row.table_name, "record_id": row.record_id, "action": action, "changes": changes,
            "user_id": row.user_id}


@register
class AuditLogExercise(Differential):
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
    ordered = False  # the rows one flush writes may come in any order
    extra_tables = TABLES
    compared_tables = ["ex14_articles"]

    async def database(self) -> LessonDatabase:
        db = await super().database()
        async with db.engine.begin() as conn:  # another check's load dropped them: create them again
            await conn.run_sync(lambda sync: _ARTICLE.metadata.create_all(sync, checkfirst=True))
        return db

    def world(self, seed: int) -> World:
        return audit_world(seed)

    def calls(self, world: World) -> list[Call]:
        rng, ids = world.rng, [row["id"] for row in world.rows["ex14_articles"]]
        edited, deleted = rng.sample(ids, 2)
        users = rng.sample(range(1, 10_000), 3)
        return [
            Call(("insert", users[0], rng.choice(_TITLES)), f"a new article (user {users[0]})", "an insert"),
            Call(("insert_two", users[1], rng.choice(_TITLES)), f"two new articles, one flush (user {users[1]})"),
            Call(("update", users[2], edited), f"article {edited}'s title and views changed (user {users[2]})",
                 "an update"),
            Call(("no_change", users[0], edited), f"article {edited}'s title set to itself (user {users[0]})",
                 "a field set to its own value"),
            Call(("delete", users[1], deleted), f"article {deleted} deleted (user {users[1]})", "a delete"),
            Call(("rollback", users[2], edited), f"a new article and an edit, flushed, then rolled back (user "
                 f"{users[2]}): its log must go with it", "a rollback"),
            Call(("update", None, edited), f"article {edited} changed with nobody acting (no user set)",
                 "nobody acting"),
        ]

    def passed(self, runs: list[Run]) -> str:
        return (
            f"the same audit rows as the reference after each step, on {len(runs)} generated databases: an insert, "
            "two inserts in one flush, an update, a field set to its own value (no row), a delete, a rollback (no "
            "row left) and a change with nobody acting."
        )

    async def run(self, function: Callable[..., Any], db: LessonDatabase, world: World, run: Run, answer: bool) -> None:
        _base, article, audit_log = audit_models()  # fresh classes: this run's listeners only
        failed = False
        try:
            if answer:
                await self.call(function, article, audit_log)
            else:
                function(article, audit_log)
        except (Incorrect, Unattempted):
            raise
        except Exception as error:
            if answer and not raised_by_answer(error):
                raise
            run.results.append(("track_changes(Article, AuditLog)", raised(error)))
            failed = True
        else:
            run.results.append(("track_changes(Article, AuditLog)", None))
        for call in self.calls(world):
            run.abouts.append(call.about)
            if failed:  # the verdict is the first error: later steps would only wait on the same one
                run.results.append((call.label, Note("not run")))
                continue
            async with db.engine.connect() as conn:
                before = set((await conn.scalars(select(audit_log.id))).all())
            try:
                await self._step(db, article, *call.args)
            except Exception as error:
                run.results.append((call.label, raised(error)))
                failed = True
                continue
            async with db.engine.connect() as conn:
                rows = (await conn.execute(select(audit_log).where(audit_log.id.not_in(before)))).all()
            run.results.append((call.label, [_normal(row) for row in rows]))

    async def _step(self, db: LessonDatabase, article: Any, kind: str, user: int | None, target: Any) -> None:
        with acting_as(user) if user is not None else _nobody():
            async with db.Session(info={"user_id": user} if user is not None else {}) as session:
                if kind == "insert":
                    session.add(article(title=target, views=7))
                elif kind == "insert_two":
                    session.add_all([article(title=target), article(title="Second", status="published", views=1)])
                elif kind in {"update", "no_change", "rollback"}:
                    row = await session.get(article, target)
                    if kind == "no_change":
                        row.title = str(row.title)
                    else:
                        row.title, row.views, row.status = f"{row.title[:90]} (edited)", row.views // 2 + 3, row.status
                    if kind == "rollback":
                        session.add(article(title="Ghost"))
                        await session.flush()
                        await session.flush()  # a second flush writes what an after_flush listener added
                        await session.rollback()
                        return
                else:
                    await session.delete(await session.get(article, target))
                await session.commit()


@contextmanager
def _nobody() -> Iterator[None]:
    token = current_user.set(None)
    try:
        yield
    finally:
        current_user.reset(token)
