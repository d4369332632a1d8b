# %% [markdown]
# # 08b · Concurrency: lost updates and locks
#
# [Contents](00-setup.ipynb#Course-map) · Previous: [← 08a · Transactions](08a-transactions.ipynb) · Next: [09 · Bulk operations →](09-bulk-operations.ipynb)
#
# A PHP-FPM worker serves one request at a time; an async Python app serves many at once in one process. When two
# of them read the same row, change it in Python and write it back, one change is lost, silently, whatever
# transactions they use. This lesson runs ten such requests against one counter, watches nine updates vanish, and
# fixes it three ways; then it looks at how SQLite, which locks the whole file, makes writers queue.
#
# **You will learn**
# - why read-modify-write loses updates under concurrency, even with a session per request
# - fix 1: let the database do the arithmetic (`SET value = value + 1`)
# - fix 2: optimistic locking with `version_id_col`, `StaleDataError` and a retry
# - fix 3: `with_for_update()`, and what SQLite (which has no `FOR UPDATE`) does instead
# - SQLite's single writer, WAL and the busy timeout
#
# **Time:** about 35 minutes.

# %% [markdown]
# ## Your lesson database
#
# A fresh copy of the seeded blog database, private to this notebook; run the cell again to start over.

# %%
from lessons import clock, fresh_database

clock.freeze()
db = await fresh_database("08b-concurrency")
db

# %% [markdown]
# ## Lost updates
#
# Two requests read a counter (41), each adds one in PHP or Python, each writes back 42: one update is lost.
# Eloquent has the same race with `$post->views++; $post->save();`.
#
# The race needs something to count. `lessons.scenery.lesson08b_counters` brings a table of named counters, `Counter` (`id`,
# `name`, `value`, apart from the blog's models), and `Counters`, which makes a counter at 0 and reads its
# committed value. `lessons.scenery.lesson08b_races` starts `TASKS` (ten) copies of an increment at once with `asyncio.gather`,
# each opening a session of its own, as ten requests would.

# %%
import asyncio

from sqlalchemy import select, update

from lessons import show_sql
from lessons.scenery.lesson08b_counters import Counter, Counters
from lessons.scenery.lesson08b_races import TASKS, everyone_reads_first, no_pause, run_concurrently

async with db.engine.begin() as conn:
    await conn.run_sync(Counter.metadata.create_all)
counters = Counters(db.Session)

# %% [markdown]
# **In Laravel**
#
# ```php
# $counter = Counter::find($id);
# $counter->value++;        // computed in PHP
# $counter->save();         // UPDATE counters SET value = 42 WHERE id = ?
# ```
#
# **In SQLAlchemy**, once, on its own:

# %%
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker


async def read_modify_write(counter_id: int, pause, Session: async_sessionmaker[AsyncSession] = db.Session) -> None:
    async with Session() as session:
        counter = await session.get(Counter, counter_id)
        await pause()  # the request does something else: an API call, a template …
        counter.value += 1
        await session.commit()


naive = await counters.new("naive")
with show_sql():
    await read_modify_write(naive, no_pause)

# %% [markdown]
# The `UPDATE` carries the number Python computed (`1`). Whoever read `0` writes `1`.
#
# Now ten at once. Real races depend on timing; to get the same race on every run, `everyone_reads_first()` holds
# each task after its read until all ten have read (an `asyncio.Barrier`), which is what a busy server does by
# accident.

# %%
start = await counters.value(naive)
await run_concurrently(read_modify_write, naive, everyone_reads_first())
final = await counters.value(naive)
print(f"{TASKS} increments: {start} → {final}, {start + TASKS - final} lost")


# %% [markdown]
# Nine of ten increments vanished, with no error anywhere. Each task had its own session and its own transaction,
# as it should: neither protects you from this. Three fixes follow, each run under the same race.
#
# ## Fix 1: let the database do the arithmetic
#
# **In Laravel**
#
# ```php
# Counter::whereKey($id)->increment('value');   // UPDATE counters SET value = value + 1 WHERE id = ?
# ```
#
# **In SQLAlchemy**

# %%
async def atomic_increment(counter_id: int, pause) -> None:
    async with db.Session() as session:
        await pause()
        await session.execute(update(Counter).where(Counter.id == counter_id).values(value=Counter.value + 1))
        await session.commit()


atomic = await counters.new("atomic")
with show_sql():
    await atomic_increment(atomic, no_pause)
await run_concurrently(atomic_increment, atomic, everyone_reads_first())
print(f"then {TASKS} at once: 1 → {await counters.value(atomic)}")


# %% [markdown]
# `SET value=(l08_counters.value + ?)`: the database reads and writes the row in one statement, under its own
# lock. No read in Python, nothing to lose.
#
# With an object already loaded, assign an *expression* instead of a number; the flush sends the same `SET`:

# %%
async with db.Session() as session:
    counter = await session.get(Counter, atomic)
    counter.value = Counter.value + 1
    with show_sql(transactions=False):
        await session.commit()
print(await counters.value(atomic))

# %% [markdown]
# ## Fix 2: optimistic locking with `version_id_col`
#
# When the new value really must be computed in Python (a status machine, a JSON document), keep the
# read-modify-write but make the write *conditional*: `version_id_col` adds `AND version = <the version I read>`
# to every `UPDATE` and bumps it. Laravel has no built-in for this; you would write the `where('version', …)`
# yourself.
#
# A counter with a `version` column, named in `__mapper_args__`:

# %%
from sqlalchemy import String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class LessonBase(DeclarativeBase):
    """This lesson's own tables."""


class VersionedCounter(LessonBase):
    __tablename__ = "l08_versioned_counters"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)
    value: Mapped[int] = mapped_column(default=0)
    version: Mapped[int] = mapped_column()

    __mapper_args__ = {"version_id_col": version}

    def __repr__(self) -> str:
        return f"VersionedCounter(name={self.name!r}, value={self.value!r}, version={self.version!r})"


async with db.engine.begin() as conn:
    await conn.run_sync(LessonBase.metadata.create_all)
versioned = Counters(db.Session, VersionedCounter)

# %% [markdown]
# Alice and Bob both read version 1, Alice saves first:

# %%
from sqlalchemy.orm.exc import StaleDataError

from lessons import describe, show_error

shared = await versioned.new("alice-and-bob")
async with db.Session() as alice, db.Session() as bob:
    alices = await alice.get(VersionedCounter, shared)
    bobs = await bob.get(VersionedCounter, shared)
    print("Alice read:", alices)
    print("Bob read:  ", bobs)
    alices.value += 1
    await alice.commit()
    bobs.value += 1
    with show_sql(), show_error(expected=StaleDataError):
        await bob.commit()


# %% [markdown]
# Bob's `UPDATE … WHERE id = ? AND version = 1` matched no row, because Alice made it version 2. SQLAlchemy
# raises `StaleDataError` and rolls back instead of overwriting Alice's work. What to do then is up to you;
# for a counter, read again and retry:

# %%
MAX_ATTEMPTS = 50


async def increment_with_retry(counter_id: int, pause) -> int:
    """Read, add one, save if nobody saved in between; otherwise read again. Returns the attempts it took."""
    for attempt in range(1, MAX_ATTEMPTS + 1):
        async with db.Session() as session:
            counter = await session.get(VersionedCounter, counter_id)
            await pause()
            counter.value += 1
            try:
                await session.commit()
                return attempt
            except StaleDataError:
                pass  # someone else won this round: read the new version and try again
    raise RuntimeError(f"gave up after {MAX_ATTEMPTS} attempts")


optimistic = await versioned.new("optimistic")
attempts = await run_concurrently(increment_with_retry, optimistic, everyone_reads_first())
final = await versioned.value(optimistic)
print(f"{TASKS} increments: 0 → {final}, {TASKS - final} lost")
print(f"won on the first attempt: {attempts.count(1)} of {TASKS}; the others retried")


# %% [markdown]
# All ten read version 1, so exactly one could win the first round; the rest retried and nothing was lost.
# (How many retries each needed changes from run to run.) Laravel's `DB::transaction($fn, 5)` retries the same
# way, on deadlocks.
#
# ## Fix 3: lock the row, `with_for_update()`
#
# **In Laravel**
#
# ```php
# DB::transaction(function () use ($id) {
#     $counter = Counter::lockForUpdate()->find($id);   // SELECT … FOR UPDATE
#     $counter->value++;
#     $counter->save();
# });
# ```
#
# **In SQLAlchemy**, `session.get(..., with_for_update=True)`. Every other task that wants the row waits at its
# `SELECT` until the holder commits. `Session` is a parameter here, because SQLite needs another one:

# %%
async def locked_increment(counter_id: int, pause, Session: async_sessionmaker[AsyncSession] = db.Session) -> None:
    async with Session() as session:
        counter = await session.get(Counter, counter_id, with_for_update=True)
        await pause()
        counter.value += 1
        await session.commit()


# %% [markdown]
# ### Careful (SQLite): `FOR UPDATE` does not exist
#
# SQLite has no row locks, and the SQLite dialect drops `FOR UPDATE` without a word. So on SQLite
# `locked_increment` is the naive race again. (On PostgreSQL and MariaDB that race would deadlock: the task
# holding the lock would wait at the barrier for tasks that wait for its lock. It runs on SQLite only.)

# %%
from lessons import to_sql

locking_select = select(Counter.value).where(Counter.id == 1).with_for_update()
for dialect in ("postgresql", "mysql", "sqlite"):
    print(f"{dialect:>10}:", to_sql(locking_select, dialect).replace("\n", " "))
if db.backend == "sqlite":
    unlocked = await counters.new("for-update-on-sqlite")
    await run_concurrently(locked_increment, unlocked, everyone_reads_first())
    print(f"SQLite, FOR UPDATE dropped: {TASKS} increments → {await counters.value(unlocked)}")
else:
    print(f"{db.backend}: FOR UPDATE locks the row")

# %% [markdown]
# SQLite's lock is the whole database: `BEGIN IMMEDIATE` takes the write lock at the start of the transaction,
# before the read. For that, SQLAlchemy must send the `BEGIN` itself: the recipe from lesson 08a, as
# `lessons.scenery.lesson08_sqlite_locking.sqlite_engine(url, begin="BEGIN IMMEDIATE")`. On PostgreSQL and MariaDB the course's
# own sessions already lock with `FOR UPDATE`.
#
# A lock makes the race impossible, so nobody can be held at a barrier any more (the first task would hold its
# lock while waiting for the others). A short sleep between read and write stands in for the request's work:

# %%
from lessons import create_sessionmaker
from lessons.scenery.lesson08_sqlite_locking import sqlite_engine

if db.backend == "sqlite":
    immediate_engine = sqlite_engine(db.url, begin="BEGIN IMMEDIATE")
    Locking = create_sessionmaker(immediate_engine)
else:
    Locking = db.Session

locked = await counters.new("locked")
with show_sql():
    await locked_increment(locked, no_pause, Session=Locking)

# %%
from functools import partial

from lessons import stopwatch

PAUSE_SECONDS = 0.01
turns: list[str] = []


async def noted_pause() -> None:
    turns.append("starts")
    await asyncio.sleep(PAUSE_SECONDS)
    turns.append("ends")


start = await counters.value(locked)
with stopwatch() as took:
    await run_concurrently(partial(locked_increment, Session=Locking), locked, noted_pause)
final = await counters.value(locked)
print(f"{TASKS} increments: {start} → {final}, {start + TASKS - final} lost")
print("each pause ended before the next began:", turns == ["starts", "ends"] * TASKS)

# %% tags=["nbval-ignore-output"]
print(f"measured on this machine: {took.seconds:.3f} s for {TASKS} pauses of {PAUSE_SECONDS} s")

# %% [markdown]
# Nothing lost, and nothing retried, but the tasks took turns for the whole read-work-write: their pauses ran one
# after another. Rules of thumb: an atomic `UPDATE` whenever the change can be written in SQL; optimistic locking
# when conflicts are rare; a lock when they are common and a retry is costly.
#
# ## SQLite: one writer at a time, WAL, and the busy timeout
#
# PostgreSQL and MariaDB lock *rows*. SQLite locks the *database file*: one writer at a time, whatever rows they
# touch. The course's engine turns on two things for every SQLite connection:

# %%
from sqlalchemy import text

if db.backend == "sqlite":
    async with db.Session() as session:
        print("journal_mode:", await session.scalar(text("PRAGMA journal_mode")))
        print("busy_timeout:", await session.scalar(text("PRAGMA busy_timeout")), "ms")

# %% [markdown]
# - **WAL** (write-ahead log): readers never wait for the writer; they see the last committed data.
# - **busy timeout**: a second writer waits up to 5 s for the lock instead of failing at once.
#
# Writer A changes one counter and has not committed; a reader reads it; writer B, with a busy timeout of only
# 200 ms, tries to change a *different* counter:

# %%
from sqlalchemy.exc import OperationalError

first, second = await counters.new("first"), await counters.new("second")
if db.backend == "sqlite":
    impatient_engine = sqlite_engine(db.url, busy_timeout_ms=200)
    Impatient = create_sessionmaker(impatient_engine)
else:
    Impatient = db.Session

async with db.Session() as writer_a, db.Session() as reader, Impatient() as writer_b:
    await writer_a.execute(update(Counter).where(Counter.id == first).values(value=100))
    print("reader sees:", await reader.scalar(select(Counter.value).where(Counter.id == first)))
    with show_error(expected=OperationalError if db.backend == "sqlite" else None) as caught:
        await writer_b.execute(update(Counter).where(Counter.id == second).values(value=200))
    if not caught.error:
        print(f"{db.backend}: B changed another row while A held its own")
    await writer_a.commit()


# %% [markdown]
# The reader saw the committed `0` while A's change was pending (WAL). On SQLite, B could not write *any* row
# while A held the write lock, and gave up after 200 ms with `database is locked`. On PostgreSQL and MariaDB, B
# writes its own row at once (the same cell there, or in their tabs on the site, says so).
#
# With the course's 5 s, B waits instead. Here A sets its counter to 300 and commits 0.2 s after B starts. B's
# `UPDATE` writes A's counter plus one, read inside the same statement, so the number B wrote says what B saw:

# %%
async def commit_after(session: AsyncSession, seconds: float) -> None:
    await asyncio.sleep(seconds)
    await session.commit()


a_plus_one = select(Counter.value + 1).where(Counter.id == first).scalar_subquery()

async with db.Session() as writer_a, db.Session() as writer_b:
    await writer_a.execute(update(Counter).where(Counter.id == first).values(value=300))
    await asyncio.gather(
        commit_after(writer_a, 0.2),
        writer_b.execute(update(Counter).where(Counter.id == second).values(value=a_plus_one)),
    )
    await writer_b.commit()
print("B wrote:", await counters.value(second))

# %% [markdown]
# On SQLite B wrote 301: its `UPDATE` could run only once A had committed 300, so B waited for A's commit (no
# clock needed to tell). On PostgreSQL B does not wait: it reads A's last committed value, 100, and writes 101.
# MariaDB prints 301 as well, for a reason of its own: an `UPDATE` there locks the rows its subquery reads, so B
# waits for A's row, not for a lock on the whole database (InnoDB's [locking
# reads](https://mariadb.com/kb/en/innodb-lock-modes/); open the PostgreSQL and MariaDB tabs on the site, or run
# the lesson there, to see 101 and 301). Writers queue on SQLite; keep write transactions short (commit, then do
# the slow work).
#
# The driver's legacy mode (lesson 08a) matters here too: its `SELECT` runs outside any transaction, which is why
# on SQLite the naive race above lost updates *silently*. With SQLAlchemy sending `BEGIN`, each task reads inside
# its transaction, and SQLite (in WAL mode) refuses to let a transaction write once the data it read has been
# changed by another's commit:

# %%
if db.backend == "sqlite":
    begins_itself = sqlite_engine(db.url, begin="BEGIN")
    strict = await counters.new("naive-inside-transactions")
    increment = partial(read_modify_write, Session=create_sessionmaker(begins_itself))
    outcomes = await run_concurrently(increment, strict, everyone_reads_first(), return_exceptions=True)
    errors = [describe(outcome) for outcome in outcomes if isinstance(outcome, Exception)]
    print(f"{TASKS} increments → {await counters.value(strict)}; {len(errors)} refused:", *set(errors))
    for engine in (begins_itself, immediate_engine, impatient_engine):
        await engine.dispose()
async with db.engine.connect() as conn:
    print(f"{db.backend}: default isolation level {await conn.get_isolation_level()}")


# %% [markdown]
# Nothing is lost silently any more: one task wrote, nine got `database is locked` and would have to retry, as
# with optimistic locking. Safer, but every caller must be ready for it. This is SQLite's doing, not the
# transaction's: on PostgreSQL (`READ COMMITTED`) and MariaDB (`REPEATABLE READ`), their default isolation levels
# (the cell's last line there: open their tabs on the site, or run the lesson with `DATABASE_URL`), a plain read
# inside a transaction takes no lock, and the naive race loses updates there too (the race at the top of this
# lesson, in the same tabs). Only the three fixes above prevent it on every database. (PostgreSQL's
# documentation, [13.2 Transaction Isolation](https://www.postgresql.org/docs/15/transaction-iso.html); MariaDB's,
# [InnoDB lock modes](https://mariadb.com/kb/en/innodb-lock-modes/): a consistent read sets no locks.)

# %% [markdown]
# ## Your turn
#
# `record_view(Session, page_id)` must add one view to a page of the practice table `l08_page_views`
# (`PageViews`: `id`, `path`, `views`). The checker calls it **50 times at once** on a fresh database, every call
# with the same session factory, then counts the views: all 50 must be there, and no other page touched. As a
# request would, each call opens a session of its own from `Session` (one session shared by concurrent calls is
# refused), and no call may raise an error. `l08_page_views` has no version column, and on SQLite (where this
# notebook runs by default) `with_for_update()` is dropped, as shown above: a lock there is no fix.

# %%
from lessons import exercises
from lessons.exercises.lesson08 import PageViews

q1 = exercises.get("08.record_view")


async def record_view(Session: async_sessionmaker[AsyncSession], page_id: int) -> None:
    # BEGIN SOLUTION
    async with Session() as session:
        await session.execute(update(PageViews).where(PageViews.id == page_id).values(views=PageViews.views + 1))
        await session.commit()
    # END SOLUTION


await q1.check(record_view)

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
# - Read-modify-write loses updates under concurrency, even with a session and a transaction per request.
# - Fix 1, whenever the change can be written in SQL: an atomic `UPDATE … SET n = n + 1` (`update(...).values()`,
#   or an expression assigned to the attribute).
# - Fix 2, when conflicts are rare: optimistic locking with `version_id_col`; catch `StaleDataError` and retry.
# - Fix 3, when conflicts are common: `with_for_update()` on PostgreSQL/MariaDB; SQLite drops it, and takes its
#   one lock with `BEGIN IMMEDIATE` instead.
# - SQLite has one writer at a time: WAL lets readers carry on, the busy timeout makes writers queue. Keep write
#   transactions short.
#
# [Contents](00-setup.ipynb#Course-map) · Previous: [← 08a · Transactions](08a-transactions.ipynb) · Next: [09 · Bulk operations →](09-bulk-operations.ipynb)
