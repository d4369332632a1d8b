# %% [markdown]
# # 13a · Pools and raw SQL: the engine's connections, and SQL written by hand
#
# [Contents](00-setup.ipynb#Course-map) · Previous: [← 12 · Blog API](12-blog-api.ipynb) · Next: [13b · Hybrids and custom types →](13b-hybrids-and-custom-types.ipynb)
#
# Two tools for once the basics work: a connection pool sized for your server, and raw SQL for when the query
# builder is in the way. The chapter's version of each fails or silently misbehaves in places; this lesson runs
# those too, so you recognise them. (13b covers hybrids and custom column types, 13c events.)
#
# **You will learn**
# - which pool an async engine uses, why `QueuePool` is refused, and when `NullPool` is the right choice
# - how to size a pool, what happens when it runs out, and a pool report that works for every pool type
# - raw SQL with `text()` and bound parameters, and how to get real `User` objects back from it
# - DDL that can run twice
#
# **Time:** about 30 minutes.

# %% [markdown]
# ## Your lesson database
#
# A fresh copy of the seeded blog (200 users, 1,000 posts), clock frozen at 2025-01-15 09:00 UTC.

# %%
from lessons import clock, fresh_database

clock.freeze()
db = await fresh_database("13a-pools-and-raw-sql")
db

# %% [markdown]
# ## Connection pools
#
# **In Laravel** each PHP-FPM request opens its own database connection and drops it at the end; there is no
# pool to configure (Octane is the exception). **In SQLAlchemy** the engine keeps a pool of open connections
# that every request borrows from. The default for an async engine on a database file or server:

# %%
pool = db.engine.pool
print(type(pool).__name__, "· pool_size:", pool.size())

# %% [markdown]
# `AsyncAdaptedQueuePool` keeps up to `pool_size` connections (5) open and opens up to `max_overflow` more (10)
# under load, closing those extra ones when they come back.
#
# ### Careful: `poolclass=QueuePool`
#
# The chapter's "custom pool configuration" names `QueuePool`:

# %%
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool, QueuePool

from lessons import show_error

with show_error(expected=ArgumentError):
    create_async_engine(db.url, poolclass=QueuePool, pool_size=20, max_overflow=0)

# %% [markdown]
# `QueuePool` waits for a free connection with thread locks, which would block the event loop. Its asyncio twin
# is `AsyncAdaptedQueuePool`, which you already get by default: pass `pool_size`, `max_overflow`,
# `pool_timeout`, `pool_recycle` and `pool_pre_ping` and leave `poolclass` out.
#
# ### `NullPool`: no pool at all
#
# `NullPool` opens a new connection for every checkout and closes it on return: the PHP-FPM model. Use it where
# something else pools (PgBouncer) or where nothing lives long enough to reuse a connection (a serverless
# function, a one-off script). Count the connections each engine really opens:

# %%
from sqlalchemy import event, text

from lessons import create_engine


async def connections_opened(engine, checkouts: int = 3) -> int:
    opened = []
    event.listen(engine.sync_engine, "connect", lambda dbapi_connection, record: opened.append(record))
    for _ in range(checkouts):
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    await engine.dispose()
    return len(opened)


print("pooled engine:", await connections_opened(create_engine(db.url)), "connection(s) for 3 checkouts")
print("NullPool     :", await connections_opened(create_engine(db.url, poolclass=NullPool)), "for 3 checkouts")

# %% [markdown]
# ### Careful: pool settings on an in-memory SQLite database
#
# `sqlite+aiosqlite:///:memory:` is a database that lives inside one connection: a second connection would see
# another, empty database. So SQLAlchemy gives it a `StaticPool` (exactly one connection, shared), which has no
# size to set:

# %%
memory = create_async_engine("sqlite+aiosqlite:///:memory:")
print(type(memory.pool).__name__)

with show_error(expected=TypeError):
    create_async_engine("sqlite+aiosqlite:///:memory:", pool_size=5, max_overflow=10)

# %% [markdown]
# ### Sizing a pool
#
# A pool caps how many connections one process holds at once: `pool_size + max_overflow`. Here is a pool of
# 2 + 1 serving six concurrent "requests". Each holds its connection until three requests hold one (an
# `asyncio.Barrier` stands in for the rest of the request, so what the cell prints does not depend on timing):

# %%
import asyncio

small = create_engine(db.url, pool_size=2, max_overflow=1, pool_timeout=5)
three_hold = asyncio.Barrier(3)


async def handle_request() -> int:
    async with small.connect() as conn:
        await conn.execute(text("SELECT 1"))
        held = small.pool.checkedout()
        await three_hold.wait()  # the rest of the request, still holding the connection
        return held


held_at_once = await asyncio.gather(*(handle_request() for _ in range(6)))
print("requests served:", len(held_at_once), "· most connections at once:", max(held_at_once))

# %% [markdown]
# Never more than three: the other requests waited in line for a connection. If one waits longer than
# `pool_timeout` (30 s by default), it fails. With every connection held and a short timeout:

# %%
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

tight = create_engine(db.url, pool_size=2, max_overflow=1, pool_timeout=0.2)
held = [await tight.connect() for _ in range(3)]
with show_error(expected=PoolTimeoutError):
    await tight.connect()
for conn in held:
    await conn.close()


# %% [markdown]
# The database sees `(pool_size + max_overflow) × processes`: four Uvicorn workers with the defaults may open
# 4 × 15 = 60 connections, while PostgreSQL's `max_connections` is typically 100 (MariaDB's default: 151), shared
# by every process and tool that connects ([PostgreSQL](https://www.postgresql.org/docs/15/runtime-config-connection.html),
# [MariaDB](https://mariadb.com/kb/en/server-system-variables/#max_connections)). The server says its own limit
# (run the lesson on one, or open its tab on the site); SQLite is a file, with no server to count connections:

# %%
async with db.engine.connect() as conn:
    if db.backend == "postgresql":
        print("postgresql: max_connections =", await conn.scalar(text("SHOW max_connections")))
    elif db.backend == "mysql":
        print("mariadb: max_connections =", await conn.scalar(text("SELECT @@max_connections")))
    else:
        print(f"{db.backend}: no server, no connection limit")


# %% [markdown]
# Size the pool from that budget, and keep `pool_timeout` short enough that an exhausted pool answers with an error
# rather than hanging.
#
# ### A pool status report that works for every pool
#
# The chapter's `/db/pool-status` endpoint calls `pool.size()`, `checkedin()`, `checkedout()` and `overflow()`.
# Those are `QueuePool` methods:

# %%
nullpool_engine = create_engine(db.url, poolclass=NullPool)


def chapter_pool_status(engine) -> dict[str, int]:
    pool = engine.pool
    return {"size": pool.size(), "checked_in": pool.checkedin(), "checked_out": pool.checkedout()}


with show_error(expected=AttributeError):
    chapter_pool_status(nullpool_engine)

# %% [markdown]
# The fix asks the pool what it is first. `AsyncAdaptedQueuePool` is a `QueuePool`; `NullPool` and `StaticPool`
# keep no counts, so the report says `None` for them instead of failing:

# %%
from sqlalchemy.ext.asyncio import AsyncEngine


def pool_status(engine: AsyncEngine) -> dict[str, str | int | None]:
    pool = engine.pool
    report: dict[str, str | int | None] = {"pool": type(pool).__name__}
    if isinstance(pool, QueuePool):
        report |= {
            "size": pool.size(),
            "idle": pool.checkedin(),
            "checked_out": pool.checkedout(),
            "overflow": max(pool.overflow(), 0),  # counts up from -size: only the extra connections matter
        }
    else:
        report |= {"size": None, "idle": None, "checked_out": None, "overflow": None}
    return report


for engine in (small, nullpool_engine, memory):
    print(pool_status(engine))

# %% [markdown]
# And as the chapter's endpoint, on the lesson's engine, while a request is using a connection:

# %%
import httpx
from fastapi import FastAPI

app = FastAPI()


@app.get("/db/pool-status")
async def get_pool_status() -> dict[str, str | int | None]:
    async with db.engine.connect():  # stands in for the request's own session
        return pool_status(db.engine)


async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
    response = await client.get("/db/pool-status")
for engine in (small, tight, nullpool_engine, memory):  # this section is done with its engines
    await engine.dispose()
response.status_code, response.json()

# %% [markdown]
# ## Raw SQL
#
# **In Laravel**
#
# ```php
# $users = DB::select('SELECT id, name, age FROM users WHERE age > ? ORDER BY id LIMIT 3', [60]);
# ```
#
# **In SQLAlchemy** `text()` holds the SQL, `:age` marks a bound parameter, and the values travel beside it:

# %%
from sqlalchemy import select

from lessons import show_sql

first_three_over_age = text("SELECT id, name, age FROM users WHERE age > :age ORDER BY id LIMIT 3")

async with db.Session() as session:
    with show_sql():
        rows = (await session.execute(first_three_over_age, {"age": 60})).all()
rows

# %% [markdown]
# The value is sent as a parameter (`[parameters] (60,)`), never pasted into the SQL, so it cannot change the
# statement (lesson 11). You get `Row` tuples back, like Laravel's `stdClass` rows: no model.
#
# ### Careful: `.columns(...)` does not make model objects
#
# The chapter's "raw query returning ORM objects" types the columns, then calls `.scalars()`:

# %%
from lessons import User

chapter_query = text("SELECT * FROM users WHERE age > :age ORDER BY id LIMIT 3").columns(
    User.id, User.name, User.email
)
async with db.Session() as session:
    got = (await session.scalars(chapter_query, {"age": 60})).all()
got

# %% [markdown]
# Plain ids: `.scalars()` keeps the first column of each row. `.columns()` describes the result columns (names
# and types); it builds no objects. To turn rows into `User` objects, wrap the text in `select(User).from_statement()` (Laravel:
# `User::fromQuery($sql, $bindings)`):

# %%
users_query = select(User).from_statement(text("SELECT * FROM users WHERE age > :age ORDER BY id LIMIT 3"))

async with db.Session() as session:
    with show_sql(transactions=False):
        users = (await session.scalars(users_query, {"age": 60})).all()
        print("session.get(User, 1) is users[0]:", await session.get(User, 1) is users[0])
    for user in users:
        print(user, "· created", user.created_at.isoformat())


# %% [markdown]
# Your SQL went to the database as written, and each row came back as a real `User`: in the session's identity map
# (`session.get` found user 1 there without a second `SELECT`), every column loaded. Select **every** column the
# model has (`SELECT *` or `users.*`): a column you leave out stays unloaded, and reading it would need a lazy load.
#
# A report query with several parameters reads well as a DataFrame (`frame()` runs it, lesson 05):

# %%
from lessons import frame

active_authors = text("""
    SELECT u.id, u.name, COUNT(p.id) AS posts
    FROM users u LEFT JOIN posts p ON p.user_id = u.id
    WHERE u.is_active = :active
    GROUP BY u.id, u.name
    HAVING COUNT(p.id) >= :min_posts
    ORDER BY posts DESC, u.id
    LIMIT :limit
""").bindparams(active=True, min_posts=10, limit=5)

await frame(active_authors)

# %% [markdown]
# ### Careful: DDL that can only run once
#
# The chapter creates an index with `text("CREATE INDEX ...")`. Fine the first time; a deploy script or a
# migration that runs it again fails:

# %%
from sqlalchemy.exc import DBAPIError

create_age_index = text("CREATE INDEX ix_users_age ON users (age)")

async with db.engine.begin() as conn:
    await conn.execute(create_age_index)

async with db.engine.connect() as conn:
    with show_error(expected=DBAPIError):
        await conn.execute(create_age_index)
    await conn.rollback()


# %% [markdown]
# Two ways to make it idempotent. In SQL, `IF NOT EXISTS` (SQLite, PostgreSQL and MariaDB have it, and the cell's
# tabs on the site show it run on each; MySQL does not for indexes: [MySQL 8.0's `CREATE
# INDEX`](https://dev.mysql.com/doc/refman/8.0/en/create-index.html), [MariaDB's](https://mariadb.com/kb/en/create-index/)):

# %%
async with db.engine.begin() as conn:
    with show_sql():
        await conn.execute(text("CREATE INDEX IF NOT EXISTS ix_users_age ON users (age)"))


# %% [markdown]
# Or let SQLAlchemy look before it creates: `Index(...).create(checkfirst=True)`, which works on every backend.
# The `Table` here describes only the column the index needs, in a `MetaData` of its own, so the course's
# models are left alone:

# %%
from sqlalchemy import Column, Index, Integer, MetaData, Table

users_age = Table("users", MetaData(), Column("age", Integer))
age_index = Index("ix_users_age", users_age.c.age)

async with db.engine.begin() as conn:
    with show_sql():
        await conn.run_sync(age_index.create, checkfirst=True)


# %% [markdown]
# It asked SQLite which indexes `users` has, found `ix_users_age`, and sent no `CREATE`. (Migrations with
# Alembic, the next chapter, track which DDL already ran.)

# %% [markdown]
# ## Your turn
#
# A legacy report hands you this SQL: `SELECT * FROM users WHERE age > :age ORDER BY id`. Write
# `users_older_than(session, age)` so it runs that SQL with `age` as a **bound parameter** and returns **`User`
# objects** (every column loaded), in one statement.

# %%
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from lessons import exercises

q1 = exercises.get("13.users_older_than")


async def users_older_than(session: AsyncSession, age: int) -> Sequence[User]:
    # BEGIN SOLUTION
    statement = select(User).from_statement(text("SELECT * FROM users WHERE age > :age ORDER BY id"))
    return (await session.scalars(statement, {"age": age})).all()
    # END SOLUTION


await q1.check(users_older_than)

# %% [markdown]
# Stuck? `q1.hint()`, then `q1.hint(2)`; `q1.solution()` shows one answer.

# %%
q1.hint()

# %%
# q1.hint(2)
# q1.solution()

# %% [markdown]
# ## Key points
#
# - Async engines pool with `AsyncAdaptedQueuePool` (5 + 10 by default); `QueuePool` raises `ArgumentError`.
#   `NullPool` opens a connection per checkout; `:memory:` SQLite gets a `StaticPool`, which has no size.
# - Size pools from the database's budget: `(pool_size + max_overflow) × processes`, and keep `pool_timeout`
#   short. A pool report must check the pool's type: `NullPool` and `StaticPool` have no `size()`.
# - `text()` with `:name` parameters for raw SQL; `select(Model).from_statement(text(...))` for model objects
#   (`.columns(...).scalars()` gives the first column, not objects).
# - DDL that may run twice: `IF NOT EXISTS`, or `Index(...).create(checkfirst=True)`.
#
# [Contents](00-setup.ipynb#Course-map) · Previous: [← 12 · Blog API](12-blog-api.ipynb) · Next: [13b · Hybrids and custom types →](13b-hybrids-and-custom-types.ipynb)
