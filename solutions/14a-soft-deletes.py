# %% [markdown]
# # 14a · Soft deletes: Laravel's `SoftDeletes`, as a mixin and a global scope
#
# [Contents](00-setup.ipynb#Course-map) · Previous: [← 13c · Events](13c-events.ipynb) · Next: [14b · Repository →](14b-repository.ipynb)
#
# Lesson 14 rebuilds four features a Laravel project gets from the framework or a package on async SQLAlchemy, one
# notebook each: soft deletes (this one), a repository, full-text search and an audit log. Each exercise names the Laravel feature, gives you a stub to complete, and checks it with `await ….check(...)`:
# the checker runs your code **on a fresh database of its own** and judges what it does (rows, errors, what survives
# a rollback), so any correct design passes, not only ours. Stuck? `.hint()`, then `.hint(2)`; `.solution()` prints
# one answer.
#
# Here you build Laravel's `SoftDeletes` trait: a mixin that marks a row deleted instead of deleting it, and a global
# scope that hides those rows from every query unless you ask for them.
#
# **You will learn**
# - why `where(deleted_at IS NULL)` by hand leaks: the one query that forgets it
# - `with_loader_criteria`: a condition added wherever a model appears in a statement
# - a global scope: a `do_orm_execute` listener adding it to every `SELECT`, with an execution option as the
#   `withTrashed()` switch, and `onlyTrashed()`
# - a mixin that adds a timezone-aware `deleted_at` column and `soft_delete()`/`restore()` to any model
#
# **Time:** about 20 minutes.

# %% [markdown]
# ## Your lesson database
#
# A fresh copy of the seeded blog (200 users, 1,000 posts), clock frozen at 2025-01-15 09:00 UTC. The checkers
# never touch it: each builds its own.

# %%
from lessons import clock, fresh_database

clock.freeze()
db = await fresh_database("14a-soft-deletes")
db

# %% [markdown]
# ## The Laravel feature
#
# The `SoftDeletes` trait. `$note->delete()` sets `deleted_at` instead of deleting; every query leaves trashed
# rows out (a global scope); `withTrashed()` and `onlyTrashed()` bring them back; `$note->restore()` undoes it.
#
# ```php
# class Note extends Model { use SoftDeletes; }
# $note->delete();                    // UPDATE notes SET deleted_at = ?, updated_at = ? WHERE id = ?
# Note::all();                        // ... WHERE notes.deleted_at IS NULL
# Note::withTrashed()->get();         // every row
# Note::onlyTrashed()->get();         // ... WHERE notes.deleted_at IS NOT NULL
# $note->restore();
# ```
#
# ## Soft deletes by hand
#
# A `Note` with a nullable `deleted_at`; trashing one is an `UPDATE` (the course's frozen `clock.now()` stands in
# for `datetime.now(timezone.utc)`, so the output stays the same):

# %%
from datetime import datetime

from sqlalchemy import String, event, select
from sqlalchemy.orm import DeclarativeBase, Mapped, ORMExecuteState, mapped_column, with_loader_criteria

from lessons import UTCDateTime, show_sql


class NotesBase(DeclarativeBase):
    pass


class Note(NotesBase):
    __tablename__ = "ex14_notes"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(50))
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    def __repr__(self) -> str:
        return f"Note({self.id}, {self.title!r}{', trashed' if self.deleted_at else ''})"


async with db.engine.begin() as conn:
    await conn.run_sync(NotesBase.metadata.create_all)
async with db.Session() as session:
    session.add_all([Note(title="Buy milk"), Note(title="Old draft"), Note(title="Draft a reply")])
    await session.commit()
    with show_sql(transactions=False):
        (await session.get(Note, 2)).deleted_at = clock.now()  # $note->delete()
        await session.commit()


# %% [markdown]
# Now every query of notes must say `deleted_at IS NULL`. The list remembers; the search written next month
# does not, and shows the trashed draft:

# %%
async with db.Session() as session:
    with show_sql(transactions=False):
        print((await session.scalars(select(Note).where(Note.deleted_at.is_(None)))).all())
    print("a search that forgot:", (await session.scalars(select(Note).where(Note.title.contains("raft")))).all())


# %% [markdown]
# ### `with_loader_criteria`: the condition follows the model
#
# `with_loader_criteria(Note, lambda cls: ...)` adds the condition wherever `Note` appears in the statement: its
# `FROM`, its joins, and the relationship loads that follow it (its docstring, in `sqlalchemy/orm/_orm_constructors.py`):

# %%
not_trashed = with_loader_criteria(Note, lambda cls: cls.deleted_at.is_(None))
async with db.Session() as session:
    with show_sql(transactions=False):
        found = (await session.scalars(select(Note).where(Note.title.contains("raft")).options(not_trashed))).all()
print(found)


# %% [markdown]
# ### The global scope: a `do_orm_execute` listener
#
# Laravel's global scope is a hook every query passes through. SQLAlchemy's is the `do_orm_execute` event: the
# listener sees each ORM statement before it runs and may replace it. It skips column and relationship loads,
# which already carry the criteria of the query that started them (`ORMExecuteState.is_relationship_load`'s
# docstring), and an execution option, `include_deleted`, is the `withTrashed()` switch. Here it listens on one
# session only (`session.sync_session`, the `Session` inside the `AsyncSession`); your task listens on every one.

# %%
def hide_trashed_notes(state: ORMExecuteState) -> None:
    if (
        state.is_select
        and not state.is_column_load
        and not state.is_relationship_load
        and not state.execution_options.get("include_deleted", False)
    ):
        state.statement = state.statement.options(not_trashed)


async with db.Session() as session:
    event.listen(session.sync_session, "do_orm_execute", hide_trashed_notes)
    with show_sql(transactions=False):
        print("get(Note, 2):", await session.get(Note, 2))
        print((await session.scalars(select(Note).where(Note.title.contains("raft")))).all())


# %% [markdown]
# `session.get()` runs through the listener too, so a trashed note is `None` like a deleted one, but only
# when it has to ask the database: `get()` first looks in the session's identity map, and an object already
# loaded there comes back with no `SELECT` and no listener (`Session._get_impl`), trashed or not. Laravel's
# `find()` always queries. `withTrashed()`
# is the option; `onlyTrashed()` is the option plus the opposite condition:

# %%
with_trashed = select(Note).execution_options(include_deleted=True)
only_trashed = with_trashed.where(Note.deleted_at.is_not(None))
async with db.Session() as session:
    event.listen(session.sync_session, "do_orm_execute", hide_trashed_notes)
    with show_sql(transactions=False):
        print("withTrashed:", (await session.scalars(with_trashed)).all())
        trashed = (await session.scalars(only_trashed)).all()  # held: the identity map keeps only weak references
        print("onlyTrashed:", trashed)
        print("get(Note, 2), already in this session:", await session.get(Note, 2))


# %% [markdown]
# ## Your turn: soft deletes
#
# Make it reusable: a mixin any model can take, and one listener for all of them. `with_loader_criteria` takes a
# class that is not mapped itself and applies to every mapped class that inherits it (its docstring again).
#
# **Your task:** write a mixin `SoftDeletes` with a timezone-aware `deleted_at` column, `soft_delete()`,
# `restore()` and an `is_deleted` property; and the global scope: a `do_orm_execute` listener on `Session` that
# adds `with_loader_criteria(SoftDeletes, ...)` to every `SELECT`, unless the statement was run with
# `execution_options(include_deleted=True)` (your `withTrashed()`). The checker maps two models of its own on your mixin
# (a notebook and its notes), and judges what queries return, aliased and eager-loaded ones too, and what
# `soft_delete()` (`deleted_at` = the current time) and `restore()` save.

# %%
from datetime import timezone

from sqlalchemy.orm import Session

from lessons import exercises

soft_deletes_check = exercises.get("14.soft_deletes")

# BEGIN SOLUTION
# STUB: SoftDeletes = None  # your mixin and its global scope here


class SoftDeletes:
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    def soft_delete(self) -> None:
        self.deleted_at = datetime.now(timezone.utc)

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


# END SOLUTION

await soft_deletes_check.check(SoftDeletes)

# %% [markdown]
# Stuck? `soft_deletes_check.hint()`, then `hint(2)`, `hint(3)`; `soft_deletes_check.solution()` shows one answer.

# %%
soft_deletes_check.hint()


# %% [markdown]
# ### What your scope does to the SQL
#
# Your listener, registered on every `Session`, adds `deleted_at IS NULL` to every `SELECT` of any model that takes
# your mixin, and `include_deleted=True` switches it off:

# %%
class ScopeDemoBase(DeclarativeBase):
    pass


if SoftDeletes is not None:

    class Memo(SoftDeletes, ScopeDemoBase):
        __tablename__ = "ex14_memos"
        id: Mapped[int] = mapped_column(primary_key=True)
        title: Mapped[str] = mapped_column(String(50))

    async with db.engine.begin() as conn:
        await conn.run_sync(ScopeDemoBase.metadata.create_all)
    async with db.Session() as session:
        with show_sql(transactions=False):
            await session.scalars(select(Memo))
            await session.scalars(select(Memo).execution_options(include_deleted=True))

# %% [markdown]
# ## Key points
#
# - A `where(deleted_at IS NULL)` written by hand is one forgotten query away from showing trashed rows.
# - Soft deletes are a mixin plus a global scope: a `do_orm_execute` listener adding `with_loader_criteria` to every
#   `SELECT` of the mixin's models. On a mixin, a class that is not mapped, `include_aliases=True` is what makes the
#   criteria apply at all (and to aliases too): without it they silently do nothing.
# - An execution option (`include_deleted=True`) is the `withTrashed()` switch; the listener skips column and
#   relationship loads, which already follow the parent's criteria.
# - `deleted_at` is timezone-aware, set from `datetime.now(timezone.utc)`.
#
# [Contents](00-setup.ipynb#Course-map) · Previous: [← 13c · Events](13c-events.ipynb) · Next: [14b · Repository →](14b-repository.ipynb)
