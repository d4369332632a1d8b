# %% [markdown]
# # 14d · An audit log: Laravel's model observers, as ORM events
#
# [Contents](00-setup.ipynb#Course-map) · Previous: [← 14c · Full-text search](14c-full-text-search.ipynb) · Next: [15 · Task manager →](15-task-manager.ipynb)
#
# The last of lesson 14's four exercises. Each exercise names the Laravel feature, gives you a stub to complete, and checks it with `await ….check(...)`:
# the checker runs your code **on a fresh database of its own** and judges what it does (rows, errors, what survives
# a rollback), so any correct design passes, not only ours. Stuck? `.hint()`, then `.hint(2)`; `.solution()` prints
# one answer.
#
# Here you build an audit trail: ORM events that record who changed what, with the values before and after, in
# the same transaction as the change, so a rollback takes the log entry away too.
#
# **You will learn**
# - mapper events (`after_insert`, `after_update`, `after_delete`) and the `connection` they run on
# - reading old values from an attribute's history during the flush
# - why the log must share the change's transaction, and what bulk statements skip
# - attaching listeners once, so running a cell again does not log every change twice
#
# **Time:** about 25 minutes.

# %% [markdown]
# ## Your lesson database
#
# A fresh copy of the seeded blog (200 users, 1,000 posts), clock frozen at 2025-01-15 09:00 UTC. The checkers
# never touch it: each builds its own.

# %%
from lessons import clock, fresh_database

clock.freeze()
db = await fresh_database("14d-audit-log")
db

# %% [markdown]
# ## The Laravel feature
#
# A model observer (or the `owen-it/laravel-auditing` package) that records who changed what, with the values
# before and after:
#
# ```php
# class ArticleObserver
# {
#     public function updated(Article $article): void
#     {
#         AuditLog::create([
#             'table_name' => $article->getTable(),
#             'record_id'  => $article->id,
#             'action'     => 'updated',
#             'changes'    => collect($article->getChanges())
#                 ->map(fn ($new, $field) => [$article->getOriginal($field), $new]),
#             'user_id'    => auth()->id(),
#         ]);
#     }
# }
# Article::observe(ArticleObserver::class);
# ```
#
# Two lesson-local models on their own declarative base: what we audit, and the log. First the article:

# %%
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from lessons import UTCDateTime


class AuditBase(DeclarativeBase):
    pass


class Article(AuditBase):
    __tablename__ = "ex14_articles"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), default="draft")
    views: Mapped[int] = mapped_column(default=0)

    def __repr__(self) -> str:
        return f"Article(id={self.id!r}, title={self.title!r}, status={self.status!r})"


# %% [markdown]
# The log: `changes` is a `JSON` column (the chapter's hint stored a JSON *string* in `Text`), and `created_at` is
# timezone-aware (the chapter's `default=datetime.utcnow` writes a naive time, ERRATA 8; lesson 13c showed
# `UTCDateTime` refusing one):

# %%
class AuditLog(AuditBase):
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


async with db.engine.begin() as conn:
    await conn.run_sync(AuditBase.metadata.create_all)


# %% [markdown]
# ### Careful: before the flush there is no id
#
# An audit row needs the row's id. A new object gets it only when the flush runs its `INSERT`, so anything that
# logs earlier (`before_flush`, `before_insert`, right after `session.add`) logs `None`:

# %%
async with db.Session() as session:
    draft = Article(title="Not flushed yet")
    session.add(draft)
    print("after add():  ", draft.id)
    await session.flush()
    print("after flush():", draft.id)
    await session.rollback()


# %% [markdown]
# ### Careful: a second connection is a second transaction
#
# "Write the log on its own connection, so it is never lost" sounds safe. It is the opposite: the log row commits
# on its own, even when the change it describes is rolled back. (On SQLite it cannot even do that: the session's
# transaction holds the write lock, so the other connection waits for it, then gives up.)

# %%
from sqlalchemy import delete, func, insert, select
from sqlalchemy.exc import OperationalError

from lessons import show_error

async with db.Session() as session:
    session.add(Article(title="Rolled back"))
    await session.flush()  # the session's transaction has written a row
    async with db.engine.connect() as other:
        if db.backend == "sqlite":
            await other.exec_driver_sql("PRAGMA busy_timeout=200")  # give up after 0.2 s, not 5
        with show_error(expected=OperationalError if db.backend == "sqlite" else None):
            await other.execute(
                insert(AuditLog).values(table_name="ex14_articles", action="insert", changes={}, user_id=1)
            )
            await other.commit()
        if db.backend == "sqlite":
            await other.exec_driver_sql("PRAGMA busy_timeout=5000")
    await session.rollback()

async with db.Session() as session:
    orphans = await session.scalar(select(func.count()).select_from(AuditLog))
    articles = await session.scalar(select(func.count()).select_from(Article))
    await session.execute(delete(AuditLog))  # start the exercise with an empty log
    await session.commit()
print(f"articles: {articles} · audit rows that outlived the rollback: {orphans}")

# %% [markdown]
# On PostgreSQL and MariaDB that prints one orphan: a log entry for an article that never existed (the cell's
# tabs on the site, or run the lesson there). Their row locks leave the other connection free to write its own row.
#
# **Your task:** write `track_changes(model, audit_log)`. It registers event listeners so that every INSERT,
# UPDATE and DELETE of `model` adds one `audit_log` row with:
#
# - `table_name` (`model.__tablename__`), `record_id` (the row's id), `action` (`"insert"`, `"update"`,
#   `"delete"`; Laravel's `created`/`updated`/`deleted` pass too);
# - `changes` as `{"field": [old, new]}`: `[None, new]` for an insert, only the changed fields for an update,
#   `[old, None]` for a delete;
# - `user_id`: the acting user, from `session.info["user_id"]` (open a session with
#   `db.Session(info={"user_id": 7})`; a FastAPI dependency would set it from the logged-in user), or from the
#   context variable `lessons.exercises.lesson14d.current_user` (Laravel's `auth()->id()`; the checker sets both),
#   and `None` when nobody is acting (a script, a queue job): such a change is saved and logged all the same;
# - written **in the session's own transaction**, so a rollback takes it away too.
#
# Listen on `model` (mapper events), or on `Session` for flush events and keep to instances of `model`. The
# checker builds its own `Article` and `AuditLog` (the same columns as above) for every run, and compares the rows
# your listeners write with the reference's, step by step, on generated articles: inserts (two in one flush), an
# update, a field set to the value it already has (no UPDATE runs, so no row), a delete, a rollback, and a change
# with nobody acting.

# %%
from datetime import date

from sqlalchemy import event, inspect
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapper, object_session

from lessons import exercises

audit_check = exercises.get("14.audit_log")


def track_changes(model: type, audit_log: type) -> None:
    # BEGIN SOLUTION
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

    # END SOLUTION


audit_result = await audit_check.check(track_changes)
audit_result

# %% [markdown]
# Hints: `audit_check.hint()`, `hint(2)`, `hint(3)`; `audit_check.solution()` prints one answer.

# %%
audit_check.hint()

# %% [markdown]
# ### Your audit log at work
#
# Once it passes, attach it to the lesson's `Article`. One trap first: each call of `track_changes` defines new
# listener functions, and SQLAlchemy skips a second `listen` only for the *same* function. Call it twice, as
# running its cell twice would, and every change is logged twice. Here on fresh classes mapped to the same two
# tables (the checker's `audit_models()`), in a transaction we roll back:

# %%
from lessons import show_sql
from lessons.exercises.lesson14d import audit_models

if audit_result.passed:
    _, ArticleCopy, AuditLogCopy = audit_models()
    track_changes(ArticleCopy, AuditLogCopy)
    track_changes(ArticleCopy, AuditLogCopy)  # the cell, run a second time
    async with db.Session(info={"user_id": 42}) as session:
        session.add(ArticleCopy(title="Logged twice"))
        with show_sql(transactions=False):
            await session.flush()
            await session.flush()  # writes what an after_flush listener added; nothing for mapper events
        await session.rollback()


# %% [markdown]
# Two audit rows for one article. So the cell that attaches the log for real remembers that it did, in the
# table's `info` dictionary (kept for your own notes): run it again and nothing is added. Watch where the log's
# `INSERT` runs: between the article's statement and the `COMMIT`, in the same transaction.

# %%
def audit(model: type, log: type) -> None:
    """track_changes(model, log), once per model: running this cell again adds no second set of listeners."""
    if not model.__table__.info.get("audited"):
        track_changes(model, log)
        model.__table__.info["audited"] = True


if audit_result.passed:
    audit(Article, AuditLog)
    audit(Article, AuditLog)  # what running this cell again does: nothing
    async with db.Session(info={"user_id": 42}) as session:
        session.add(Article(title="Hello", views=0))
        with show_sql():
            await session.commit()

# %% [markdown]
# An update logs only what changed, with the old value read from the attribute's history during the flush:

# %%
if audit_result.passed:
    async with db.Session(info={"user_id": 7}) as session:
        article = await session.scalar(select(Article).where(Article.title == "Hello"))
        article.title, article.views = "Hello, world", 3
        with show_sql(transactions=False):
            await session.commit()

# %% [markdown]
# And a change that is rolled back leaves no trace: its log rows were written in the same transaction, and the
# `ROLLBACK` takes them away with it. The statements, then the whole log:

# %%
if audit_result.passed:
    async with db.Session(info={"user_id": 7}) as session:
        await session.delete(await session.scalar(select(Article).where(Article.title == "Hello, world")))
        session.add(Article(title="Never published"))
        with show_sql():
            await session.flush()
            await session.rollback()
    async with db.Session() as session:
        for row in await session.scalars(select(AuditLog).order_by(AuditLog.id)):
            print(f"{row.action} #{row.record_id} by {row.user_id} at {row.created_at:%H:%M %Z}: {row.changes}")

# %% [markdown]
# Mapper events fire only for ORM unit-of-work flushes: a bulk `update(Article)` or `delete(Article)` statement
# (lesson 09) bypasses them, so it is not audited. Laravel behaves the same way: `Article::where(...)->update()`
# fires no model events.

# %%
from sqlalchemy import update

if audit_result.passed:
    async with db.Session(info={"user_id": 7}) as session:
        await session.execute(update(Article).where(Article.title == "Hello, world").values(views=99))
        await session.commit()
    async with db.Session() as session:
        print("audit rows after a bulk UPDATE:", await session.scalar(select(func.count()).select_from(AuditLog)))

# %% [markdown]
# ## Key points
#
# - Audit with mapper events (`after_insert`/`after_update`/`after_delete`) writing through the event's
#   `connection`: ids are known, and the attribute history still has the old values.
# - The log shares the change's transaction, so a rollback removes it; a second connection would commit an orphan
#   (or, on SQLite, wait for the lock and fail).
# - The acting user comes from `session.info` (or a context variable a FastAPI dependency sets), never a global.
# - Bulk `update()`/`delete()` statements bypass mapper events, as Laravel's query-builder updates skip observers.
#
# [Contents](00-setup.ipynb#Course-map) · Previous: [← 14c · Full-text search](14c-full-text-search.ipynb) · Next: [15 · Task manager →](15-task-manager.ipynb)
