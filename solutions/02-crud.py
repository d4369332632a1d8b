# %% [markdown]
# # 02 · CRUD: create, read, update, delete
#
# [Contents](00-setup.ipynb#Course-map) · Previous: [← 01 · Models](01-models.ipynb) · Next: [03 · Relationships →](03-relationships.ipynb)
#
# Eloquent saves the moment you call `create()` or `save()`. A SQLAlchemy session collects your changes and
# sends them when you `commit()`, and under asyncio every step that talks to the database must be awaited.
# This lesson does the four operations you write every day, shows the SQL each one sends, and runs the
# mistakes that look right but are not: an un-awaited `delete()`, a duplicate email, a timestamp you cannot read.
#
# **You will learn**
# - to create rows with `session.add()` + `commit()`, and to turn an `IntegrityError` into a clear message
# - to read with `get()`, `where(...)` + `scalar_one_or_none()`, and `scalars().all()`
# - to update one object, or many rows with one `UPDATE`
# - to delete with `await session.delete(obj)` or `delete(User).where(...)`
# - why a server-side `updated_at` cannot be read after an UPDATE, and the two fixes
#
# **Time:** about 40 minutes.

# %% [markdown]
# ## Your lesson database
#
# A fresh copy of the seeded blog (200 users), with the clock frozen at 2025-01-15 09:00 UTC.

# %%
from lessons import clock, fresh_database

clock.freeze()
db = await fresh_database("02-crud")
db

# %% [markdown]
# For this lesson we keep **one session open across cells**, the way `php artisan tinker` keeps one
# connection: every cell below uses `session`, and the last one closes it.

# %%
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError, MissingGreenlet, PendingRollbackError
from sqlalchemy.ext.asyncio import AsyncSession

from lessons import User, show_error, show_sql

session = db.Session()
type(session).__name__

# %% [markdown]
# ## Create
#
# **In Laravel**
#
# ```php
# $ada = User::create(['name' => 'Ada Lovelace', 'email' => 'ada@example.com', 'age' => 36]);
# ```
#
# **In SQLAlchemy** you build the object and hand it to the session; `add()` only schedules the row, and
# `commit()` sends it (the `INSERT`) and commits:

# %%
ada = User(name="Ada Lovelace", email="ada@example.com", age=36)
session.add(ada)
print("id before commit:", ada.id)
with show_sql():
    await session.commit()
print("id after commit:", ada.id, "· role:", ada.role, "· created_at == updated_at:", ada.created_at == ada.updated_at)

# %% [markdown]
# The columns you left out went in with their Python-side defaults: `role`, `is_active`, and both timestamps from
# the frozen clock. The id came back from the database, so the chapter's `await db.refresh(user)` "to get the id"
# is a wasted `SELECT`: the course's sessions keep objects readable after a commit (`expire_on_commit=False`,
# lesson 00).

# %% [markdown]
# ### Careful: a duplicate email
#
# `users.email` is `UNIQUE`. Eloquent throws a `UniqueConstraintViolationException` (a `QueryException`,
# SQLSTATE 23000, or 23505 on PostgreSQL); SQLAlchemy raises `IntegrityError`, wrapping the driver's own error:

# %%
session.add(User(name="Ada Again", email="ada@example.com"))
with show_sql(), show_error(expected=IntegrityError):
    await session.commit()

# %% [markdown]
# The transaction was rolled back (the `ROLLBACK` above). The session will not go on as if nothing happened:
# until you say `rollback()` yourself, every use of it fails with `PendingRollbackError`.

# %%
with show_error(expected=PendingRollbackError):
    await session.get(User, 1)

await session.rollback()
(await session.get(User, 1)).name

# %% [markdown]
# A rollback also **expires every object** in the session, even with `expire_on_commit=False`: their values
# may be stale now. Reading `ada` would need a `SELECT`, and attribute access cannot await one; an awaited
# `refresh()` loads it again:

# %%
with show_error(expected=MissingGreenlet):
    print(ada.name)

with show_sql():
    await session.refresh(ada)
ada


# %% [markdown]
# ### A helper that says what went wrong
#
# Wrap the commit: on `IntegrityError`, roll back (so the session stays usable) and raise an error your
# application understands. A route can turn `EmailTaken` into a 409 (lesson 12).

# %%
class EmailTaken(ValueError):
    """Another user already has this email."""


async def register_user(session: AsyncSession, name: str, email: str) -> User:
    user = User(name=name, email=email)
    session.add(user)
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        raise EmailTaken(f"{email} is already registered") from None
    return user


with show_error(expected=EmailTaken):
    await register_user(session, "Ada Again", "ada@example.com")
grace = await register_user(session, "Grace Hopper", "grace@example.com")
grace

# %% [markdown]
# The same session created Grace right after the failure. Two things to know: `IntegrityError` also covers
# `NOT NULL` and foreign-key failures (a real helper checks which constraint failed), and `rollback()` throws
# away *everything* pending in the session, not only this insert. A savepoint (`begin_nested()`,
# [08a · Transactions](08a-transactions.ipynb)) undoes just the failed part.
#
# ## Read
#
# **In Laravel**
#
# ```php
# $user  = User::find(7);
# $user  = User::findOrFail(9999);
# $ada   = User::where('email', 'ada@example.com')->first();
# $users = User::all();
# ```
#
# **In SQLAlchemy**, `get()` looks a row up by primary key:

# %%
with show_sql():
    first = await session.get(User, 7)
    again = await session.get(User, 7)
first, first is again

# %% [markdown]
# One `SELECT` for two calls. The session's **identity map** holds one object per row, and `get()` looks
# there before asking the database; Eloquent's `find()` queries every time.
#
# `findOrFail` is `get_one()`: it raises `NoResultFound` instead of returning `None`.

# %%
from sqlalchemy.exc import NoResultFound

with show_error(expected=NoResultFound):
    await session.get_one(User, 9999)

# %% [markdown]
# Any other condition is a `select()` with `where()`. `scalar_one_or_none()` returns the object or `None`:

# %%
with show_sql():
    result = await session.execute(select(User).where(User.email == "ada@example.com"))
    found = result.scalar_one_or_none()
missing = (await session.execute(select(User).where(User.email == "nobody@example.com"))).scalar_one_or_none()
found, missing

# %% [markdown]
# ### Careful: `one_or_none` means *at most one*
#
# It is meant for unique columns. Unlike Eloquent's `first()`, it refuses a query that matches several rows:

# %%
from sqlalchemy.exc import MultipleResultsFound

with show_error(expected=MultipleResultsFound):
    (await session.execute(select(User).where(User.is_active))).scalar_one_or_none()

# %% [markdown]
# For "the first match", ask for one row with `.limit(1)` (Laravel's `first()` adds that `LIMIT 1` for you)
# and say which row is first with `order_by()`: without it, here as with `first()`, the database picks.
# `session.scalar()` returns that row's object, or `None`. (SQLite's compiler adds the `OFFSET 0` on its own.)

# %%
with show_sql():
    oldest_active = await session.scalar(select(User).where(User.is_active).order_by(User.id).limit(1))
oldest_active

# %% [markdown]
# `User::all()` is `scalars(...).all()`: a list of `User` objects. Order it, or the database picks the order.

# %%
with show_sql():
    users = (await session.scalars(select(User).order_by(User.id))).all()
len(users), users[-2:]

# %% [markdown]
# ### Careful: there is no `session.query()`
#
# The chapter's comparison table offers `session.query()` as the alternative to `select()`:

# %%
with show_error(expected=AttributeError):
    session.query(User).filter_by(email="ada@example.com").first()

# %% [markdown]
# `query()` is SQLAlchemy's 1.x API, kept on synchronous sessions only. With `AsyncSession` everything is
# `select()` ([05a · The query builder](05a-query-builder.ipynb) builds bigger queries).
#
# ## Update
#
# **In Laravel**
#
# ```php
# $ada->age = 37;
# $ada->save();
# User::where('is_active', false)->update(['role' => 'dormant']);
# ```
#
# **In SQLAlchemy** you change the attribute and commit. Five minutes later, by the lesson clock:

# %%
clock.travel(minutes=5)
ada.age = 37
with show_sql():
    await session.commit()
ada.age, ada.updated_at

# %% [markdown]
# Only the changed column is in the `SET`, plus `updated_at`, which the model stamps with the (frozen) clock on
# every update. Like Eloquent's dirty tracking, assigning the value the row already has sends no `UPDATE`:

# %%
ada.age = 37
with show_sql() as statements:
    await session.commit()
print("statements sent:", statements.count)

# %% [markdown]
# For many rows at once, an `update()` statement does it in one round trip without loading any object:

# %%
with show_sql():
    result = await session.execute(update(User).where(User.is_active.is_(False)).values(role="dormant"))
    await session.commit()
print("rows updated:", result.rowcount)

# %% [markdown]
# The column's `onupdate` applies to this `UPDATE` too, so `updated_at` is stamped. Lesson 09 measures bulk
# operations.
#
# ### Careful: a timestamp the database sets cannot be read after an UPDATE
#
# The course's models stamp times in Python, with the lesson clock. The chapter lets the database do it
# instead: `server_default=func.now()` and `onupdate=func.now()`. To see what that does, here is a small
# lesson-local model written the chapter's way, with its own `DeclarativeBase` and table:

# %%
from datetime import datetime

from sqlalchemy import DateTime, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class LessonBase(DeclarativeBase):
    metadata = MetaData()


class Account(LessonBase):
    __tablename__ = "l02_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), onupdate=func.now())


async with db.engine.begin() as conn:
    await conn.run_sync(LessonBase.metadata.create_all)


# %% [markdown]
# `now()` is the database server's clock, not the frozen lesson clock, so we print facts about these
# timestamps, never their values.

# %%
account = Account(name="ada")
session.add(account)
with show_sql():
    await session.commit()
print("created_at is set:", account.created_at is not None)
print("updated_at:", account.updated_at)

# %% [markdown]
# The `INSERT` ends in `RETURNING ... created_at`: SQLAlchemy fetched the server default in the same statement.
# `updated_at` is `None` (lesson 01): `onupdate` fires only on UPDATE. Now update the account and read
# `updated_at`, then again with the chapter's extra assignment:

# %%
account.name = "Ada L."
with show_sql():
    await session.commit()
with show_error(expected=MissingGreenlet):
    print(account.updated_at)

account.name = "Ada Lovelace"
account.updated_at = func.now()  # the chapter's "for reliability"
await session.commit()
with show_error(expected=MissingGreenlet):
    print(account.updated_at)

# %% [markdown]
# The `UPDATE` computed the value in SQL, so Python does not know it: SQLAlchemy expires the attribute, and
# reading it would need a `SELECT` that attribute access cannot await. (On SQLite and MariaDB the error is a
# `StatementError` wrapping `MissingGreenlet`; on PostgreSQL it is `MissingGreenlet` itself.) The chapter's
# `user.updated_at = func.now()` "for reliability" changes nothing: the value is still computed in SQL.
#
# **Fix 1:** reload just that column, with an awaited `refresh()`:

# %%
with show_sql():
    await session.refresh(account, ["updated_at"])
print(type(account.updated_at).__name__, "· not before created_at:", account.updated_at >= account.created_at)


# %% [markdown]
# **Fix 2:** `eager_defaults=True` on the model makes every flush fetch server-generated values at once. This
# version also gives `updated_at` a `server_default`, so it is set on insert, as in Laravel:

# %%
class EagerAccount(LessonBase):
    __tablename__ = "l02_eager_accounts"
    __mapper_args__ = {"eager_defaults": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


async with db.engine.begin() as conn:
    await conn.run_sync(LessonBase.metadata.create_all)  # creates only the table that is missing

eager = EagerAccount(name="grace")
session.add(eager)
with show_sql():
    await session.commit()
print("updated_at set on insert:", eager.updated_at is not None)

eager.name = "Grace Hopper"
with show_sql():
    await session.commit()
print(type(eager.updated_at).__name__, "· not before created_at:", eager.updated_at >= eager.created_at)

# %% [markdown]
# On SQLite and PostgreSQL the value comes back with the `UPDATE` itself (`RETURNING updated_at`). MariaDB has
# no `RETURNING` on UPDATE (its dialect sets `update_returning` nowhere:
# `sqlalchemy/dialects/mysql/_mariadb_shim.py:276-283`, `_initialize_mariadb`), so there SQLAlchemy sends a `SELECT` right after it, inside the same flush: run this
# lesson on MariaDB, or open its tab on the site, to see that `SELECT`. Either way it is loaded before `commit()`
# returns, and reading it is safe.
#
# ## Delete
#
# **In Laravel**
#
# ```php
# $grace->delete();
# User::destroy($id);
# ```
#
# ### Careful: `delete()` must be awaited
#
# The chapter says `db.delete()` is synchronous and calls it without `await`:

# %%
with show_error():
    session.delete(grace)
await session.commit()

async with db.Session() as other:  # a second session: is the row still in the database?
    print("still there:", await other.get(User, grace.id))


# %% [markdown]
# `AsyncSession.delete` is a coroutine function: calling it only created a coroutine, which never ran, so the
# commit had nothing to delete, and Python's warning is easy to miss in a log.

# %% [markdown]
# Awaited, it deletes:

# %%
with show_sql():
    await session.delete(grace)
    await session.commit()

# %% [markdown]
# `User::destroy($id)` and `User::where(...)->delete()` are a `delete()` statement: one round trip, no object
# loaded. (Rows that point at a deleted user go with it through `ON DELETE CASCADE`; lesson 03.)

# %%
with show_sql():
    result = await session.execute(delete(User).where(User.email == "ada@example.com"))
    await session.commit()
print("rows deleted:", result.rowcount)
print("users left:", await session.scalar(select(func.count()).select_from(User)))
await session.close()  # done with this session

# %% [markdown]
# Back to the 200 seeded users.

# %% [markdown]
# ## Your turn
#
# Write `create_user(session, name, email)`: it saves a new user, committed (a second
# connection must find it), and returns it; when the email is taken it
# returns `None`, saves nothing, and leaves the session usable for the next call. The checker calls your
# function three times on one session, on generated databases: a new email, a taken one, another new one. It compares
# every result and the `users` table with the reference's (the ids excepted: a refused INSERT uses one up on
# PostgreSQL and MariaDB).

# %%
from lessons import exercises

q1 = exercises.get("02.create_user")


async def create_user(session: AsyncSession, name: str, email: str) -> User | None:
    # BEGIN SOLUTION
    user = User(name=name, email=email)
    session.add(user)
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        return None
    return user
    # END SOLUTION


await q1.check(create_user)

# %% [markdown]
# Stuck? `q1.hint()`, then `q1.hint(2)`; `q1.solution()` shows one answer (yours may differ and still pass).

# %%
q1.hint()
# q1.hint(2)
# q1.solution()

# %% [markdown]
# ## Key points
#
# - `session.add(obj)` schedules, `await session.commit()` sends: the id is there after the commit, no refresh
#   needed.
# - An `IntegrityError` leaves the session refusing work (`PendingRollbackError`) until `await session.rollback()`;
#   a rollback expires every loaded object. Wrap the commit and raise an error your application understands.
# - Read by key with `await session.get()` (identity map first) or `get_one()`; by condition with
#   `select(...).where(...)` and `scalar_one_or_none()` for unique columns, `.limit(1)` for "the first".
# - `AsyncSession` has no `query()`; `delete()` is a coroutine: un-awaited, it only warns and the row stays.
# - A column the database computes on UPDATE (`onupdate=func.now()`) is expired after the flush: use
#   `eager_defaults=True` or `await session.refresh(obj, ["updated_at"])` before reading it.
#
# [Contents](00-setup.ipynb#Course-map) · Previous: [← 01 · Models](01-models.ipynb) · Next: [03 · Relationships →](03-relationships.ipynb)
