# %% [markdown]
# # 00 · Setup, and how this course works
#
# [Contents](#Course-map) · Previous: — · Next: [01 · Models →](01-models.ipynb)
#
# In Laravel, `.env` and `config/database.php` give you a connection and Eloquent does the rest.
# SQLAlchemy splits that work into pieces you can see: **settings** name the database, an **engine** owns a
# pool of connections, and a **session** is your unit of work. This lesson sets up all three, then shows you
# the course's tools: the SQL each cell runs, a fresh database for every lesson, and practice that checks itself.
#
# **You will learn**
# - how `DATABASE_URL` picks SQLite, PostgreSQL or MariaDB (Laravel's `DB_CONNECTION`)
# - what an async engine and its connection pool are, and which chapter settings no longer exist
# - why the session factory uses `expire_on_commit=False` under asyncio
# - how FastAPI gets one session per request through `get_db`
# - how to read the SQL lens, reset your database, and check your answers
#
# **Time:** about 35 minutes.
#
# **How to run a lesson.** Click into a cell and press **Shift+Enter**: it runs, shows its output below, and moves
# to the next cell. **Run → Run All Cells** runs the whole notebook top to bottom. If things get muddled,
# **Kernel → Restart Kernel…** starts over, and the setup cell below gives you a fresh database. Each practice task
# ends with a check that prints **✅ Correct**, **⬜ Not attempted yet** (you have not replaced the stub yet) or
# **❌ Not yet**, followed by what to fix.

# %% [markdown]
# ## Your lesson database
#
# Every lesson starts with one cell like the next. It gives this notebook a **fresh copy of the seeded blog
# database** (200 users, 1,000 posts, 5,000 comments), private to this lesson and this kernel: the same
# lesson open in a second tab gets a copy of its own. Break anything you like: run the
# cell again and you are back to the seed. The pristine seed itself is never written.
#
# `clock.freeze()` is Laravel's `Carbon::setTestNow()`: every timestamp this lesson writes is
# 2025-01-15 09:00 UTC, so your output matches the one in the solutions.

# %%
from lessons import clock, fresh_database

clock.freeze()
db = await fresh_database("00-setup")
db

# %% [markdown]
# Yes, `await` at the top level of a cell: Jupyter runs an event loop for you. In a script you would write
# `asyncio.run(main())`.
#
# ## Settings: where the database is
#
# **In Laravel**
#
# ```php
# // .env
# DB_CONNECTION=mysql
# DB_HOST=127.0.0.1
# DB_DATABASE=blog
#
# // config/database.php
# 'default' => env('DB_CONNECTION', 'mysql'),
# ```
#
# **In SQLAlchemy** one URL says it all: `dialect+driver://user:password@host:port/database`. The course reads it
# with pydantic-settings, from the environment or a `.env` file at the top of the repository:

# %%
from lessons import Settings

print(Settings.model_config["env_file"].name)
print(Settings.model_fields["DATABASE_URL"].annotation.__name__)

# %% [markdown]
# With nothing set, the course uses an SQLite file through the async driver **aiosqlite**. These are the three
# URLs the course is tested with; the `+driver` part must be an async driver:
#
# | Backend | `DATABASE_URL` |
# |---|---|
# | SQLite (default) | `sqlite+aiosqlite:///.data/course.sqlite3` |
# | PostgreSQL | `postgresql+asyncpg://postgres@127.0.0.1:5432/test` |
# | MariaDB / MySQL | `mysql+aiomysql://root@127.0.0.1:3306/test` |
#
# Which one is this lesson on?

# %%
db.url.drivername

# %% [markdown]
# A URL the course cannot use is refused with one sentence that says what to do, and a password is never
# printed:

# %%
from lessons import parse_database_url, show_error

with show_error():
    parse_database_url("postgres://app:s3cret@db.example.com/blog")

# %% [markdown]
# ## The engine and its pool
#
# The **engine** is the connection factory: Laravel's `DB` connection manager. It keeps a **pool** of open
# connections so each query does not pay for a new one. `lessons.core.database.create_engine` wraps
# `create_async_engine`; on SQLite it also turns on foreign keys, WAL and a busy timeout for every connection.

# %%
engine = db.engine
type(engine.pool).__name__

# %% [markdown]
# `AsyncAdaptedQueuePool` is the default for an async engine: a queue of up to `pool_size` connections
# (5) plus `max_overflow` extra ones (10) under load. The pool opens connections only when asked for one, and
# `Current Overflow` counts from `-pool_size`: it starts at -5 and goes up by one with every connection the pool
# opens, so it stays negative until the pool holds its 5. Only a positive number means connections beyond
# `pool_size` are open. Borrow one and give it back:

# %%
print(engine.pool.status())
async with engine.connect() as conn:
    print(engine.pool.status())
print(engine.pool.status())

# %% [markdown]
# ### Careful: settings from older tutorials
#
# The chapter this course follows passes `future=True` to `create_async_engine`. That flag switched SQLAlchemy
# 1.4 to 2.0 behaviour; in 2.x `future=True` is accepted and ignored, and `future=False` is refused
# (`sqlalchemy/engine/create.py`). Leave it out:

# %%
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import create_async_engine

with show_error(expected=ArgumentError):
    create_async_engine(db.url, future=False)
with show_error():
    old_style = create_async_engine(db.url, future=True)
old_style.dialect.name == engine.dialect.name

# %% [markdown]
# Other pool settings are real: `pool_size` and `max_overflow`, which lesson 13a measures, and
# `pool_pre_ping=True` (test a connection before handing it out) and `pool_recycle` (replace connections older
# than N seconds).
#
# SQLAlchemy 2.1 also no longer installs **greenlet** on its own; the async API needs it, so
# `requirements.txt` asks for `sqlalchemy[asyncio]`, which brings it:

# %%
from importlib.metadata import version

print("sqlalchemy", version("sqlalchemy"), "· greenlet", version("greenlet"))

# %% [markdown]
# ## The SQL lens: what ran
#
# Laravel has `DB::enableQueryLog()` and `toSql()`. The course has `show_sql()`: every statement executed inside
# it, with its parameters, in a form that is the same on every run (unlike `echo=True`, which adds timestamps and
# timings).
#
# **In Laravel**
#
# ```php
# DB::enableQueryLog();
# $user = User::find(1);
# dd(DB::getQueryLog());
# ```
#
# **In SQLAlchemy**

# %%
from lessons import User, show_sql

with show_sql():
    async with db.Session() as session:
        user = await session.get(User, 1)
user

# %% [markdown]
# Read it top to bottom: `BEGIN (implicit)` is the transaction the session opened by itself on first use; the
# `SELECT` is the statement with `?` placeholders (PostgreSQL shows `$1`, MariaDB `%s`: on the site, each cell's
# PostgreSQL and MariaDB tabs show what the same cell printed there); `[parameters]` are the values sent beside
# it. The values never go into the SQL text: that is what makes bound parameters safe (lesson 11). `ROLLBACK` is
# the session closing at the end of the `async with` block: it ends the transaction it opened, and a transaction
# that only read has nothing to keep.
#
# `to_sql()` is the other half, Eloquent's `toSql()`: what a statement *would* run, with values inlined for
# reading. It runs nothing.

# %%
from sqlalchemy import select

from lessons import to_sql

print(to_sql(select(User.name).where(User.is_active, User.age >= 30).order_by(User.name).limit(3)))

# %% [markdown]
# The `OFFSET 0` you did not ask for is SQLite's compiler: it writes an `OFFSET` after every `LIMIT`.
#
# And `expect_queries(n)` is a test's best friend: the block fails, listing every statement, unless exactly `n`
# ran. Lesson 04 uses it to catch N+1 queries.

# %%
from lessons import expect_queries

async with db.Session() as session:
    with expect_queries(1):
        names = (await session.scalars(select(User.name).order_by(User.id).limit(3))).all()
names

# %% [markdown]
# ## Sessions: your unit of work
#
# A **session** tracks the objects you load and change, and writes them in one transaction when you commit:
# Eloquent's `save()` calls, batched. `db.Session` is an `async_sessionmaker`, the factory that makes sessions.

# %%
db.Session.kw["expire_on_commit"]

# %% [markdown]
# ### Careful: `expire_on_commit`
#
# By default a session *expires* every object when it commits, so the next read reloads it from the database.
# Under asyncio that reload would have to be awaited, and attribute access cannot await, so it raises.
# This session factory uses SQLAlchemy's default, `expire_on_commit=True`:

# %%
from sqlalchemy.exc import MissingGreenlet
from sqlalchemy.ext.asyncio import async_sessionmaker

ExpiringSession = async_sessionmaker(db.engine)

async with ExpiringSession() as session:
    user = await session.get(User, 2)
    user.name = "Renamed"
    await session.commit()
    with show_error(expected=MissingGreenlet):
        print(user.name)


# %% [markdown]
# Which class you get depends on the driver. aiosqlite and aiomysql first await while the cursor is created,
# and SQLAlchemy 2.1 wraps an error from that step in a `StatementError`, so on SQLite and MariaDB
# `except MissingGreenlet` alone would not catch it (`show_error` looks inside). asyncpg first awaits later,
# while the statement runs, and that error comes through unwrapped: on PostgreSQL it is `MissingGreenlet`
# itself (the cell above, in its PostgreSQL tab on the site). Lesson 04 shows both. The course's factory sets
# `expire_on_commit=False`, so objects stay readable after a commit:

# %%
async with db.Session() as session:
    user = await session.get(User, 2)
    user.name = "Renamed again"
    await session.commit()
    print(user.name, "·", user.updated_at)


# %% [markdown]
# ## One session per request: `get_db`
#
# **In Laravel** the container hands a controller what it type-hints. **In FastAPI** a dependency does:
# `get_db` opens a session for the request and closes it when the response is sent. `Annotated` names the
# pairing once, so every route just asks for a `SessionDep`.

# %%
from typing import Annotated

import httpx
from fastapi import Depends, FastAPI, HTTPException
from sqlalchemy.ext.asyncio import AsyncSession

from lessons import get_db

SessionDep = Annotated[AsyncSession, Depends(get_db)]
app = FastAPI()


@app.get("/users/{user_id}/name")
async def user_name(user_id: int, session: SessionDep) -> dict[str, str]:
    user = await session.get(User, user_id)
    if user is None:  # else `user.name` fails on None: a 500 for what is the client's mistake
        raise HTTPException(status_code=404, detail=f"User {user_id} not found")
    return {"name": user.name}


# %% [markdown]
# `get_db` uses `DATABASE_URL`. For this lesson we point it at the lesson's database instead, the way a test
# swaps a binding in Laravel's container (`$this->app->instance(...)`): `dependency_overrides`. Then ask for a user
# who exists and one who does not: the second is a 404 that says why (Laravel's `findOrFail()`), never a 500.

# %%
async def lesson_db():
    async with db.Session() as session:
        yield session


app.dependency_overrides[get_db] = lesson_db

async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
    for url in ["/users/3/name", "/users/9999/name"]:
        response = await client.get(url)
        print(url, "→", response.status_code, response.json())


# %% [markdown]
# ## Eloquent ⇄ SQLAlchemy at a glance
#
# The chapter's comparison table, corrected (it offered `session.query()`, which async sessions do not have):
#
# | | Laravel Eloquent | SQLAlchemy 2.x (async) | Lesson |
# |---|---|---|---|
# | Model | `class User extends Model` | `class User(Base)` with `Mapped[...]` columns | [01](01-models.ipynb) |
# | Primary key | `$primaryKey` | `mapped_column(primary_key=True)` (already indexed: no `index=True`) | [01](01-models.ipynb) |
# | Timestamps | `$timestamps = true` | a mixin setting `created_at` *and* `updated_at` on insert | [01](01-models.ipynb) |
# | Relationships | `hasMany()`, `belongsTo()` | `relationship(back_populates=...)` | [03](03-relationships.ipynb) |
# | Query builder | `User::where(...)->get()` | `await session.scalars(select(User).where(...))` | [05a](05a-query-builder.ipynb) |
# | Eager loading | `with('posts')` | `options(selectinload(User.posts))` | [04](04-loading-and-n-plus-1.ipynb) |
# | Soft deletes | `SoftDeletes` trait | your own mixin plus `with_loader_criteria` (a global scope) | [14a](14a-soft-deletes.ipynb) |
# | Transactions | `DB::transaction(fn)` | `async with session.begin():` on a fresh session | [08a](08a-transactions.ipynb) |
# | Query log | `DB::enableQueryLog()` | `show_sql()` (this course), `echo=True` | 00 (this one) |
#
# ### Careful: there is no `session.query()` here

# %%
async with db.Session() as session:
    with show_error(expected=AttributeError):
        session.query(User)


# %% [markdown]
# `session.query()` is SQLAlchemy's legacy 1.x API, kept on synchronous sessions only. Everything in this course
# is `select()`.
#
# ## Starting over
#
# Run the setup cell again, or call `reset()`: every change is gone.

# %%
db = await db.reset()
async with db.Session() as session:
    print((await session.get(User, 2)).name)


# %% [markdown]
# ## Your turn
#
# Write `count_active_users(session)` so it returns how many users have `is_active` set, **counted by the
# database** (Eloquent: `User::where('is_active', true)->count()`). The checker runs your function and a reference
# solution on generated databases of its own (other users each time, one database with none) and compares what they
# return and leave in the tables; when they differ it names the first difference, with the seed that reproduces it.

# %%
from sqlalchemy import func

from lessons import exercises

q1 = exercises.get("00.count_active_users")


async def count_active_users(session: AsyncSession) -> int:
    # BEGIN SOLUTION
    return await session.scalar(select(func.count()).select_from(User).where(User.is_active))
    # END SOLUTION


await q1.check(count_active_users)

# %% [markdown]
# Stuck? Ask for a hint, then another; `q1.solution()` shows one answer (yours may differ and still pass).

# %%
q1.hint()

# %%
# q1.hint(2)
# q1.solution()

# %% [markdown]
# ## Course map
#
# Every lesson, in order. Each one starts from a fresh copy of the seeded database, so you can open any of them
# without running the ones before it.
#
# | # | Lesson | What you learn |
# |---|---|---|
# | 00 | [Setup](00-setup.ipynb) | `DATABASE_URL`, the async engine and its pool, sessions, `get_db`, the SQL lens, checked practice |
# | 01 | [Models](01-models.ipynb) | typed models (`Mapped`, `mapped_column`), timestamps, `$fillable`/`$hidden`/`$casts` as Pydantic, DDL per backend |
# | 02 | [CRUD](02-crud.ipynb) | create, read, update, delete; `IntegrityError`; the un-awaited `delete()` |
# | 03 | [Relationships](03-relationships.ipynb) | one-to-many, many-to-many, one-to-one, cascades and the SQL they emit |
# | 04 | [Loading and N+1](04-loading-and-n-plus-1.ipynb) | lazy loads that raise under async, `selectinload`, `joinedload`, `raiseload`, measured |
# | 05a | [Query builder](05a-query-builder.ipynb) | `select()` as a value, `where`, `and_`/`or_`, `in_`/`is_(None)`, counting, LIKE with escaped wildcards, ordering and NULLs |
# | 05b | [Joins and subqueries](05b-joins-and-subqueries.ipynb) | joins, `group_by`/`having`, outer joins and what they count, `withCount`/`fromSub` subqueries, `EXISTS` (`whereHas`/`doesntHave`) |
# | 06 | [Pagination](06-pagination.ipynb) | `paginate()` and `Page[T]`, validated input, keyset pagination, measured |
# | 07 | [Indexes](07-indexes.ipynb) | single, composite, unique and partial indexes, read with `EXPLAIN` |
# | 08a | [Transactions](08a-transactions.ipynb) | `Session.begin()`, commit/rollback, `flush()`, "already begun", savepoints and SQLite's savepoint trap, two commits ≠ one transaction |
# | 08b | [Concurrency](08b-concurrency.ipynb) | lost updates, atomic `UPDATE`, `version_id_col`, `with_for_update()`, SQLite's single writer, WAL and busy timeout |
# | 09 | [Bulk operations](09-bulk-operations.ipynb) | four ways to insert many rows, measured; bulk `update()`/`delete()` |
# | 10 | [Sessions](10-sessions.ipynb) | one session per request or task, `expire_on_commit`, detached objects |
# | 11 | [Security](11-security.ipynb) | SQL injection live, bound parameters, LIKE wildcards, validation |
# | 12 | [The blog API](12-blog-api.ipynb) | a complete FastAPI application, explored request by request |
# | 13a | [Pools and raw SQL](13a-pools-and-raw-sql.ipynb) | async connection pools (the QueuePool trap, NullPool, sizing, a pool report), raw SQL into objects, DDL that runs twice |
# | 13b | [Hybrids and custom types](13b-hybrids-and-custom-types.ipynb) | hybrid properties and methods with `.inplace`, a TypeDecorator, JSON edits that are saved (MutableDict, flag_modified) |
# | 13c | [Events](13c-events.ipynb) | SQLite's foreign-key pragma, mapper events (before_insert, after_update), the naive-time trap |
# | 14a | [Soft deletes](14a-soft-deletes.ipynb) | Laravel's `SoftDeletes`: a mixin and a global scope (`do_orm_execute`, `with_loader_criteria`) |
# | 14b | [Repository](14b-repository.ipynb) | a generic `BaseRepository[T]`, a session that survives a failed `INSERT` |
# | 14c | [Full-text search](14c-full-text-search.ipynb) | FTS5, `tsvector` + GIN, `FULLTEXT`; safe queries from user input (ERRATA 6); ranking; in three checked steps |
# | 14d | [Audit log](14d-audit-log.ipynb) | mapper events writing an audit trail in the change's transaction, attached once however often the cell runs |
# | 15 | [Task manager](15-task-manager.ipynb) | the capstone in five checked steps: models, import, request models, routes; move a JSON-file app onto SQLAlchemy |
# | 99 | [Quick reference](99-quick-reference.ipynb) | Eloquent ⇄ SQLAlchemy, every row executed |

# %% [markdown]
# ## Key points
#
# - `DATABASE_URL` picks the backend; the `+driver` must be async: `aiosqlite`, `asyncpg`, `aiomysql`.
# - The engine owns a pool (`AsyncAdaptedQueuePool`); `future=True` is a leftover and does nothing.
# - Sessions come from `async_sessionmaker(engine, expire_on_commit=False)`: with expiry on, reading after a
#   commit raises under asyncio.
# - FastAPI gets one session per request from a `get_db` dependency; tests swap it with `dependency_overrides`.
# - `show_sql()` shows what ran, `to_sql()` what would run, `expect_queries(n)` fails when the count is wrong.
# - `await fresh_database("<lesson>")` or `await db.reset()` starts you over.
#
# [Contents](#Course-map) · Previous: — · Next: [01 · Models →](01-models.ipynb)
