# %% [markdown]
# # 08a · Transactions: all or nothing
#
# [Contents](00-setup.ipynb#Course-map) · Previous: [← 07 · Indexes](07-indexes.ipynb) · Next: [08b · Concurrency →](08b-concurrency.ipynb)
#
# A transaction makes several writes one: all of them happen, or none. Laravel wraps that in
# `DB::transaction(fn)`. SQLAlchemy's session is always in a transaction once it has run a statement, which
# changes how you open, end and nest them. (What goes wrong when many requests change the same row at once is the
# next lesson, 08b.)
#
# **You will learn**
# - `async with Session.begin()`, `commit()`/`rollback()`, and `flush()` to get ids inside a transaction
# - why `session.begin()` fails with "A transaction is already begun", and what to write instead
# - savepoints with `begin_nested()`, and the SQLite driver default that lets one escape a rollback
# - why two commits are not one transaction
#
# **Time:** about 30 minutes.

# %% [markdown]
# ## Your lesson database
#
# A fresh copy of the seeded blog database, private to this notebook; run the cell again to start over.

# %%
from lessons import clock, fresh_database

clock.freeze()
db = await fresh_database("08a-transactions")
db

# %% [markdown]
# ## `DB::transaction` → `Session.begin()`
#
# **In Laravel**
#
# ```php
# DB::transaction(function () {
#     $user = User::create(['name' => 'Grace', 'email' => 'grace@example.com']);
#     $user->posts()->create(['title' => 'Hello from Grace']);
# });
# ```
#
# **In SQLAlchemy** `db.Session.begin()` opens a session *and* a transaction: it commits when the block ends and
# rolls back if an exception leaves it.

# %%
from sqlalchemy import func, select

from lessons import Post, User, show_sql

with show_sql():
    async with db.Session.begin() as session:
        grace = User(name="Grace", email="grace@example.com")
        session.add_all([grace, Post(title="Hello from Grace", author=grace)])

# %% [markdown]
# One `BEGIN`, two `INSERT`s, one `COMMIT`. `Post(author=grace)` needed no id: SQLAlchemy inserts the user first
# and copies the new id into `posts.user_id` itself.
#
# When the block raises, nothing is kept:

# %%
from lessons import show_error


async def count_users() -> int:
    async with db.Session() as session:
        return await session.scalar(select(func.count()).select_from(User))


before = await count_users()
with show_sql(), show_error(expected=ValueError):
    async with db.Session.begin() as session:
        session.add(User(name="Alan", email="alan@example.com"))
        await session.flush()
        raise ValueError("payment declined")
print("users:", before, "→", await count_users())


# %% [markdown]
# The `INSERT` ran (the `flush()` sent it), and the `ROLLBACK` took it back.
#
# ## By hand: `commit()` and `rollback()`
#
# **In Laravel**
#
# ```php
# DB::beginTransaction();
# try {
#     User::create([...]);
#     DB::commit();
# } catch (Throwable $e) {
#     DB::rollBack();
#     throw $e;
# }
# ```
#
# **In SQLAlchemy** there is no `beginTransaction()` to call: a session *autobegins* on its first statement, and
# `commit()` or `rollback()` ends that transaction.

# %%
async with db.Session() as session:
    print("fresh session, in a transaction:", session.in_transaction())
    await session.get(User, 1)
    print("after a SELECT:                 ", session.in_transaction())
    await session.rollback()
    print("after rollback():               ", session.in_transaction())


# %% [markdown]
# ## `flush()`: the id now, the commit later
#
# `User::create()` runs its `INSERT` at once, so `$user->id` is there on the next line. SQLAlchemy collects
# changes and sends them at the next **flush**: before a query, at `commit()`, or when you call `flush()`.
# A flush writes inside the transaction; it does not commit.

# %%
async with db.Session() as session:
    linus = User(name="Linus", email="linus@example.com")
    session.add(linus)
    print("before flush:", linus.id)
    with show_sql():
        await session.flush()
    print("after flush: ", linus.id)
    await session.rollback()
print("users after the rollback:", await count_users())

# %% [markdown]
# The id came back from the `INSERT`, yet the row never became visible to anyone else, and the rollback removed
# it. Flush when you need the id for something other than a relationship (a URL, a log line, a raw SQL
# statement); for related rows, set the relationship as above.
#
# ### Careful: "A transaction is already begun"
#
# The chapter writes `async with db.begin():` on the session a request already has. A request has almost always
# run a query by then (loading the current user, say), so the session has autobegun, and `begin()` refuses:

# %%
from sqlalchemy.exc import InvalidRequestError

async with db.Session() as session:
    author = await session.get(User, 1)
    with show_error(expected=InvalidRequestError):
        async with session.begin():
            session.add(Post(title="Second thoughts", author=author))


# %% [markdown]
# `begin()` starts a transaction, and one is already open. On a session that has run statements, finish the open
# transaction with `commit()` (or `rollback()`); keep `begin()` for sessions you have just made:

# %%
async with db.Session() as session:
    author = await session.get(User, 1)
    second_thoughts = Post(title="Second thoughts", author=author)
    session.add(second_thoughts)
    await session.commit()
second_thoughts

# %% [markdown]
# For an all-or-nothing block *inside* that open transaction, there is `begin_nested()`.
#
# ## Savepoints: `begin_nested()`
#
# **In Laravel** a `DB::transaction()` inside another one becomes a `SAVEPOINT`:
#
# ```php
# DB::transaction(function () {
#     User::create(['name' => 'Margaret', 'email' => 'margaret@example.com']);
#     try {
#         DB::transaction(fn () => User::create(['name' => 'Copycat', 'email' => 'margaret@example.com']));
#     } catch (QueryException $e) {
#         // only the inner block is undone
#     }
# });
# ```
#
# **In SQLAlchemy**

# %%
from sqlalchemy.exc import IntegrityError

with show_sql():
    async with db.Session.begin() as session:
        session.add(User(name="Margaret", email="margaret@example.com"))
        await session.flush()
        with show_error(expected=IntegrityError):
            async with session.begin_nested():
                session.add(User(name="Copycat", email="margaret@example.com"))
async with db.Session() as session:
    print("saved:", (await session.scalars(select(User.name).where(User.email == "margaret@example.com"))).all())


# %% [markdown]
# The duplicate email failed inside `SAVEPOINT sa_savepoint_1`; `ROLLBACK TO SAVEPOINT` undid only that part,
# and the outer transaction went on to `COMMIT` Margaret. On SQLite that worked because Margaret's `INSERT` came
# before the savepoint: the driver sends its `BEGIN` in front of an `INSERT`. When the savepoint comes first, it
# does not:

# %% [markdown]
# ### Careful (SQLite): a savepoint before any write escapes the rollback
#
# Python's `sqlite3` driver (and aiosqlite on top of it) sends `BEGIN` only in front of an `INSERT`, `UPDATE` or
# `DELETE`, never before a `SELECT` or a `SAVEPOINT` (Python's documentation calls this "legacy transaction
# control"; it is the default). A `SAVEPOINT` that comes first therefore runs outside any transaction, and
# releasing it commits. Here is a savepoint, then a rollback of everything:

# %%
async def ghost_survives(Session) -> str | None:
    """Add Ghost in a savepoint, roll the whole transaction back, then ask a new session for Ghost."""
    async with Session() as session:
        async with session.begin_nested():
            session.add(User(name="Ghost", email="ghost@example.com"))
        await session.rollback()
    async with Session() as session:
        return await session.scalar(select(User.name).where(User.email == "ghost@example.com"))


# %% [markdown]
# Read the log below with the driver in mind. `BEGIN (implicit)` is **not a statement**: it is SQLAlchemy's note
# that its session has begun a transaction (SQLAlchemy's own `echo=True` log writes the same words), and nothing
# is sent for it. `SAVEPOINT`, `INSERT` and `RELEASE` are statements handed to the driver; `COMMIT` and
# `ROLLBACK` are calls of the driver's `commit()` and `rollback()`. What SQLite itself ran is another list: on
# SQLite this cell also switches on SQLite's own trace (`lessons.scenery.lesson08a_sqlite_trace`) on a fresh engine, and prints it
# after the log:

# %%
from lessons import create_engine, create_sessionmaker
from lessons.scenery.lesson08a_sqlite_trace import trace_statements

Session, received = db.Session, []
if db.backend == "sqlite":
    traced = create_engine(db.url)  # every connection this engine opens reports to `received`
    received, Session = trace_statements(traced), create_sessionmaker(traced)
with show_sql():
    survivor = await ghost_survives(Session)
print("after the rollback:", survivor)
if db.backend == "sqlite":
    await traced.dispose()
    first_words = (statement.split("\n")[0].split(" (")[0].strip() for statement in received)
    print("SQLite itself ran:", *first_words, sep="\n  ")

# %% [markdown]
# SQLite ran the `SAVEPOINT`, the `INSERT` and the `RELEASE`, then the `SELECT`: no `BEGIN` anywhere,
# and no `ROLLBACK` either (the driver's `rollback()` sends nothing when it has no transaction of its own open; the
# `RELEASE` had already committed). So Ghost is still there after the rollback on SQLite. On PostgreSQL and MariaDB
# it is gone (`None`, in the cell's tabs on the site): there the transaction really starts before the first
# statement, whatever it is (SQLAlchemy's asyncpg adapter opens one; MariaDB starts one itself, since the connection
# is not in autocommit mode), and the log shows the same `BEGIN (implicit)` line.
#
# SQLAlchemy's SQLite documentation, ["Transactions with SQLite and the sqlite3
# driver"](https://docs.sqlalchemy.org/en/21/dialects/sqlite.html#sqlite-transactions) (where the pysqlite and
# aiosqlite sections "Serializable isolation / Savepoints / Transactional DDL" point), names this "Incorrect
# behavior for SAVEPOINT" and gives two fixes:
#
# - **Python 3.12 and later:** `create_async_engine(url, connect_args={"autocommit": False})`. The driver then
#   follows PEP 249 and keeps a transaction open at all times (it opens one on connect and again right after every
#   commit or rollback, Python's `sqlite3` documentation says); aiosqlite passes the argument through to
#   `sqlite3.connect()`. On Python 3.11 `sqlite3.connect()` has no `autocommit` parameter (a `TypeError`), so
#   this course, which runs on 3.11 to 3.13, does not use it.
# - **Every Python version:** turn the driver's own `BEGIN` off (`isolation_level = None` in a `"connect"`
#   event) and send one from SQLAlchemy's `"begin"` event:

# %%
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine


def engine_that_begins(url) -> AsyncEngine:
    """The course's engine, except that SQLAlchemy, not the driver, sends BEGIN: before any statement."""
    engine = create_engine(url)

    @event.listens_for(engine.sync_engine, "connect")
    def no_driver_begin(dbapi_connection, connection_record):
        dbapi_connection.isolation_level = None  # the driver sends no BEGIN of its own …

    @event.listens_for(engine.sync_engine, "begin")
    def send_begin(conn):
        conn.exec_driver_sql("BEGIN")  # … so SQLAlchemy sends ours when a transaction starts

    return engine


# %% [markdown]
# The same ghost, on an engine built that way (on PostgreSQL and MariaDB, on the course's own):

# %%
from sqlalchemy import delete

if db.backend == "sqlite":
    async with db.Session.begin() as session:  # start over: remove the ghost
        await session.execute(delete(User).where(User.email == "ghost@example.com"))
    begins_itself = engine_that_begins(db.url)
    with show_sql():
        survivor = await ghost_survives(create_sessionmaker(begins_itself))
    await begins_itself.dispose()
else:
    survivor = await ghost_survives(db.Session)
print("after the rollback:", survivor)

# %% [markdown]
# Now the log has both lines: `BEGIN (implicit)`, SQLAlchemy's note (nothing sent), then `BEGIN`, the statement
# our `"begin"` hook sent. The savepoint is inside the transaction, and `ROLLBACK` removes Ghost on every
# backend.
#
# The course keeps this recipe in a library function, `lessons.scenery.lesson08_sqlite_locking.sqlite_engine(url, begin="BEGIN")`
# (lesson 08b uses it with `"BEGIN IMMEDIATE"`). That is the engine the checker of your task below runs your
# function on, on SQLite. The course's own engine, `db.engine`, keeps the driver's default (every other lesson's
# SQL log and locking rely on it), so there the same savepoint escapes. Both, side by side:

# %%
from lessons.scenery.lesson08_sqlite_locking import sqlite_engine


async def ghost_after_rollback(engine: AsyncEngine) -> str | None:
    async with db.Session.begin() as session:  # start over: no ghost
        await session.execute(delete(User).where(User.email == "ghost@example.com"))
    return await ghost_survives(create_sessionmaker(engine))


engines = {"db.engine (the course's)": db.engine}
if db.backend == "sqlite":
    engines['sqlite_engine(db.url, begin="BEGIN")'] = sqlite_engine(db.url, begin="BEGIN")
for label, engine in engines.items():
    print(f"{label:<37} after the rollback: {await ghost_after_rollback(engine)}")
    if engine is not db.engine:
        await engine.dispose()


# %% [markdown]
# On PostgreSQL and MariaDB (their tabs on the site) the course's engine already prints `None`, and there is no
# second line: the recipe is for SQLite's driver only.
#
# ### Careful: two commits are not one transaction
#
# The chapter's `manual_transaction` saves a user, commits, then saves the user's first post and commits again.
# If the second step fails, the first is already permanent:

# %%
async def sign_up_in_two_commits(Session, name: str, email: str, first_title: str | None) -> None:
    async with Session() as session:
        user = User(name=name, email=email)
        session.add(user)
        await session.commit()  # the user is saved for good here …
        session.add(Post(title=first_title, author=user))
        await session.commit()  # … and this can still fail


before = await count_users()
with show_error(expected=IntegrityError):
    await sign_up_in_two_commits(db.Session, "Ken", "ken@example.com", first_title=None)
print("users:", before, "→", await count_users(), "(half a sign-up)")


# %% [markdown]
# `first_title=None` is a missing title, `NULL` in SQL, and `posts.title` is `NOT NULL`: the second
# `INSERT` failed, and Ken stayed without his post. (An empty string is a value, not `NULL`: `''` passes `NOT NULL`
# on SQLite, PostgreSQL and MariaDB alike, as the next cell's last line shows in each engine's tab. Laravel blurs the
# two: its `ConvertEmptyStringsToNull` middleware, in the default global middleware stack, turns an empty form field
# into `null` before your code sees it ([Laravel docs, "Input Trimming and
# Normalization"](https://laravel.com/docs/requests#input-trimming-and-normalization)), so there an empty title
# field would fail too.) One transaction keeps the two together:

# %%
async def sign_up(Session, name: str, email: str, first_title: str | None) -> None:
    async with Session.begin() as session:
        user = User(name=name, email=email)
        session.add_all([user, Post(title=first_title, author=user)])


before = await count_users()
with show_error(expected=IntegrityError):
    await sign_up(db.Session, "Dennis", "dennis@example.com", first_title=None)
print("users:", before, "→", await count_users())
await sign_up(db.Session, "Dennis", "dennis@example.com", first_title="")  # '' is not NULL: accepted
print("with first_title='':", before, "→", await count_users())

# %% [markdown]
# ## Your turn
#
# An admin uploads a list of people to invite. The request's session has already loaded the admin, so its
# transaction is open. Write `import_users(session, people)`: add a `User` for each `(name, email)`; skip anyone
# whose email is taken (by a user already in the database, or by someone earlier in the list) and return the
# skipped emails in the order they came; keep everyone else, and commit **once**, at the end, so that other
# requests see the whole import or none of it.
#
# The checker hands you such a session and a list with both kinds of duplicate, then reads what a second
# connection sees and counts the commits. The user who already had a taken email must stay as they were. On SQLite
# the session runs on `sqlite_engine(url, begin="BEGIN")`, the recipe above, so that its transaction really begins
# at the admin's `SELECT`, as it does on PostgreSQL and MariaDB (on the course's default engine each savepoint would
# commit on its own when released).

# %%
from sqlalchemy.ext.asyncio import AsyncSession

from lessons import exercises

q1 = exercises.get("08.import_users")


async def import_users(session: AsyncSession, people: list[tuple[str, str]]) -> list[str]:
    # BEGIN SOLUTION
    skipped = []
    for name, email in people:
        try:
            async with session.begin_nested():  # a SAVEPOINT: a duplicate undoes this person only
                session.add(User(name=name, email=email))
        except IntegrityError:
            skipped.append(email)
    await session.commit()  # one commit: the whole import becomes visible at once
    return skipped
    # END SOLUTION


await q1.check(import_users)

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
# - `async with Session.begin() as session:` is `DB::transaction()`: commit at the end, rollback on an exception.
# - A session autobegins on its first statement; end it with `commit()`/`rollback()`. `session.begin()` on a
#   session that has already run a query raises "A transaction is already begun".
# - `flush()` sends pending `INSERT`s (you get ids) without committing; relationships usually make it unneeded.
# - `begin_nested()` is a savepoint: a failure inside undoes that part only, where `rollback()` undoes everything.
#   On SQLite that holds only while the driver has begun a transaction: on the course's default engine, a savepoint
#   before any write runs outside one, and releasing it commits.
# - On SQLite, let SQLAlchemy send `BEGIN` (SQLAlchemy's documented recipe: `isolation_level = None` in a
#   `"connect"` event, `BEGIN` in a `"begin"` event; packaged as `lessons.scenery.lesson08_sqlite_locking.sqlite_engine(url,
#   begin="BEGIN")`, the engine the task's checker uses).
# - Two commits are two transactions: put everything that must succeed together in one.
#
# [Contents](00-setup.ipynb#Course-map) · Previous: [← 07 · Indexes](07-indexes.ipynb) · Next: [08b · Concurrency →](08b-concurrency.ipynb)
