# %% [markdown]
# # 09 · Bulk operations
#
# [Contents](00-setup.ipynb#Course-map) · Previous: [← 08b · Concurrency](08b-concurrency.ipynb) · Next: [10 · Sessions →](10-sessions.ipynb)
#
# Importing a CSV, deactivating a thousand accounts, purging old rows: in Laravel you reach for `User::insert()`
# and `whereIn(...)->update()`. SQLAlchemy has the same tools, plus one that looks right and is not:
# `session.add_all()` on 20,000 objects. This lesson measures four ways to insert the same rows, explains the
# slowest one by counting its statements, and shows what a bulk `UPDATE` does to the objects your session holds.
#
# **You will learn**
# - why `add_all()` sends one `INSERT` per row on SQLite (and what PostgreSQL and MariaDB do instead)
# - the ORM bulk insert `session.execute(insert(Model), rows)` and Core `insert()`, against the raw driver
# - bulk `update()` and `delete()`, and what `synchronize_session` does to objects already loaded
# - why `updated_at` becomes unreadable after some bulk updates, and two fixes
#
# **Time:** about 35 minutes.

# %% [markdown]
# ## Your lesson database
#
# A fresh copy of the seeded blog (200 users, 1,000 posts, 5,000 comments), clock frozen at 2025-01-15 09:00 UTC.

# %%
from lessons import clock, fresh_database

clock.freeze()
db = await fresh_database("09-bulk-operations")
db

# %% [markdown]
# ## Many objects through the session: `add_all()`
#
# **In Laravel** there are two ways to write many rows, and they behave differently:
#
# ```php
# foreach ($rows as $row) {
#     User::create($row);      // one INSERT per row; events fire; timestamps set
# }
# User::insert($rows);         // one INSERT for all; no events, no timestamps
# ```
#
# **In SQLAlchemy** the first way is `add_all()`: build objects, hand them to the session, commit.

# %%
from sqlalchemy import func, select

from lessons import User, count_queries, show_sql

async with db.Session() as session:
    trio = [User(name=f"Reader {n}", email=f"reader{n}@example.com") for n in range(1, 4)]
    session.add_all(trio)
    with show_sql(parameters=False):
        await session.commit()
[user.id for user in trio]


# %% [markdown]
# Three objects, three `INSERT … RETURNING id` statements. The session must hand each object its new id, so it
# asks the database to return it. A multi-row `INSERT … RETURNING` would return the ids in no promised order on
# SQLite, and SQLAlchemy has no way to match them back to objects there, so it sends the rows one at a time.
# (The parameters are left out above to keep the log short.) It scales the way you fear:

# %%
async with db.Session() as session:
    session.add_all([User(name=f"Import {n}", email=f"import{n}@example.com") for n in range(1_000)])
    with count_queries() as queries:
        await session.commit()
print(f"{db.backend}: add_all of 1,000 users sent {queries.count:,} INSERT statements")

# %% [markdown]
# On PostgreSQL and MariaDB the same cell reports **1**: there SQLAlchemy batches the rows into one multi-row
# `INSERT … RETURNING` and has a way to match the returned ids to the objects. On PostgreSQL it numbers the rows
# and sends `INSERT … SELECT … FROM (VALUES …) ORDER BY` that number, so the new ids are handed out in row
# order; it then sorts the returned rows by id. On MariaDB a plain multi-row `INSERT` already hands out
# auto-increment ids in row order (InnoDB), so the same sort by id is enough. (SQLAlchemy's documentation,
# ["Correlating RETURNING rows to parameter
# sets"](https://docs.sqlalchemy.org/en/21/core/connections.html#correlating-returning-rows-to-parameter-sets).)
# SQLite has no such form. On SQLite each of the 1,000 statements is a trip through SQLAlchemy, the driver and its
# worker thread;
# the measurement below shows what that costs. (That the order is the reason is shown at the end of the next
# section.)
#
# ## Many rows without objects: the ORM bulk insert
#
# ### Careful: the chapter's bulk insert does not run
#
# The chapter imports `update` and `delete`, then calls `insert(User)`, and says it "uses `bulk_insert_mappings`".
# Run as a module would run it, on its own imports:

# %%
from lessons import show_error

chapter_snippet = """
from sqlalchemy import delete, update

statement = insert(User)
"""
with show_error(expected=NameError):
    exec(chapter_snippet, {"User": User})


# %% [markdown]
# `insert` is never imported. And `bulk_insert_mappings` is the legacy API of the synchronous `Session`; an
# `AsyncSession` does not have it:

# %%
async with db.Session() as session:
    with show_error(expected=AttributeError):
        session.bulk_insert_mappings(User, [{"name": "Nobody", "email": "nobody@example.com"}])


# %% [markdown]
# The fix: import `insert`, and pass the statement **and a list of dicts** to `session.execute()`. That is
# SQLAlchemy's ORM bulk insert:

# %%
from sqlalchemy import insert

rows = [{"name": f"Bulk {n}", "email": f"bulk{n}@example.com"} for n in range(1, 4)]

async with db.Session() as session:
    with show_sql():
        await session.execute(insert(User), rows)
        await session.commit()


# %% [markdown]
# One statement, sent with the driver's `executemany()` (`[3 rows]`), on every backend. No objects are built and
# no ids come back. Unlike Laravel's `User::insert()`, the model's Python-side defaults still run, so the
# timestamps are set (from the frozen clock):

# %%
async with db.Session() as session:
    bulk = (await session.scalars(select(User).where(User.email.like("bulk%")).order_by(User.id))).all()
[(user.name, user.role, user.created_at.isoformat()) for user in bulk]

# %% [markdown]
# Want objects back? Add `.returning(User)`: SQLAlchemy renders one multi-row `INSERT … RETURNING` and hands you
# `User` objects, in one statement even on SQLite, because it does not promise their order. Ask for the order
# with `sort_by_parameter_order=True` and SQLite is back to one row per statement:

# %%
more = [{"name": f"Batch {n}", "email": f"batch{n}@example.com"} for n in range(1_000)]

async with db.Session() as session:
    with count_queries() as unordered:
        created = (await session.scalars(insert(User).returning(User), more[:500])).all()
    with count_queries() as ordered:
        in_order = (await session.scalars(insert(User).returning(User, sort_by_parameter_order=True), more[500:])).all()
    await session.commit()
print(f"{len(created)} users, any order: {unordered.count} statement(s)")
print(f"{len(in_order)} users, in order: {ordered.count} statement(s)")

# %% [markdown]
# ## Four ways, measured
#
# The same 20,000 rows, inserted four ways into a lesson-local table (`l09_subscribers`: a newsletter import with
# a unique email). It has no timestamp columns, so we measure the insert paths themselves rather than the
# conversion of 40,000 datetimes:
#
# 1. **`add_all()` + commit**: 20,000 `Subscriber` objects through the unit of work;
# 2. **ORM bulk insert**: `session.execute(insert(Subscriber), rows)`;
# 3. **Core insert**: `connection.execute(insert(subscribers_table), rows)`, no ORM at all;
# 4. **the raw driver**, the floor: `sqlite3`'s own `executemany()` with the same list of dicts, no SQLAlchemy.

# %%
from sqlalchemy import MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class LessonBase(DeclarativeBase):
    metadata = MetaData()


class Subscriber(LessonBase):
    __tablename__ = "l09_subscribers"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(255), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    age: Mapped[int | None]

    def __repr__(self) -> str:
        return f"Subscriber(id={self.id!r}, email={self.email!r})"


async with db.engine.begin() as conn:
    await conn.run_sync(LessonBase.metadata.create_all)

ROWS = 20_000
subscriber_rows = [{"email": f"reader{n}@example.net", "name": f"Reader {n}", "age": 18 + n % 60} for n in range(ROWS)]
subscribers = Subscriber.__table__
len(subscriber_rows)


# %% [markdown]
# Each way inserts every row and commits. The floor talks to the database file with Python's `sqlite3` module
# (on PostgreSQL and MariaDB it uses the driver through `exec_driver_sql`, still with no per-row work by
# SQLAlchemy):

# %%
async def with_add_all(rows: list[dict]) -> None:
    async with db.Session() as session:
        session.add_all([Subscriber(**row) for row in rows])
        await session.commit()


async def with_orm_bulk_insert(rows: list[dict]) -> None:
    async with db.Session() as session:
        await session.execute(insert(Subscriber), rows)
        await session.commit()


async def with_core_insert(rows: list[dict]) -> None:
    async with db.engine.begin() as conn:
        await conn.execute(insert(subscribers), rows)


# %%
import sqlite3
from contextlib import closing

from lessons import sqlite_path


async def with_raw_driver(rows: list[dict]) -> None:
    if db.backend == "sqlite":
        with closing(sqlite3.connect(sqlite_path(db.url))) as raw:
            raw.executemany("INSERT INTO l09_subscribers (email, name, age) VALUES (:email, :name, :age)", rows)
            raw.commit()
    else:  # the same thing for asyncpg/aiomysql: the driver's executemany, SQLAlchemy only passes it through
        compiled = insert(subscribers).compile(dialect=db.engine.dialect, column_keys=["email", "name", "age"])
        values = [tuple(row[key] for key in compiled.positiontup) for row in rows]
        async with db.engine.begin() as conn:
            await conn.exec_driver_sql(str(compiled), values)


async def inserted_then_emptied() -> int:
    async with db.engine.begin() as conn:
        count = await conn.scalar(select(func.count()).select_from(subscribers))
        await conn.execute(subscribers.delete())
    return count


# %% [markdown]
# The measurement takes a few seconds. `compare_ways` (from `lessons.lens.benchmark`) runs the three fast ways in
# alternating rounds, and we keep their best time (the one least disturbed by other work on the machine);
# `add_all()` runs once. Like Python's `timeit`, it switches the garbage collector off while a way runs, so a
# collection that happens to land in one run does not decide the comparison. It also counts each way's
# statements, and `inserted_then_emptied` counts (and removes) the rows after every run.

# %% tags=["nbval-ignore-output"]
from lessons import compare_ways

ways = {
    "add_all + commit": with_add_all,
    "ORM bulk insert": with_orm_bulk_insert,
    "Core insert": with_core_insert,
    "raw driver (floor)": with_raw_driver,
}
runs = {"add_all + commit": 1, "ORM bulk insert": 3, "Core insert": 7, "raw driver (floor)": 7}
comparison = await compare_ways(ways, subscriber_rows, runs=runs, after_each=inserted_then_emptied)
seconds, statements, inserted = comparison.seconds, comparison.statements, comparison.after
print("measured on this machine:")
{name: f"{min(times):.3f} s" for name, times in seconds.items()}

# %% [markdown]
# What does not depend on the machine: how many statements each way sent through SQLAlchemy, and that every
# way inserted all the rows.

# %%
for name in ways:
    sent = "(sqlite3 directly)" if name.startswith("raw") and db.backend == "sqlite" else f"{statements[name]:,}"
    print(f"{name:<20} statements: {sent:>18} · rows inserted: {inserted[name]:,}")

# %% [markdown]
# And the times, as multiples of the floor. They are measured on this machine, and they move from run to run
# (more so when other work shares the machine); the statement counts above do not:

# %% tags=["nbval-ignore-output"]
import pandas as pd

best = pd.Series({name: min(times) for name, times in seconds.items()})
floor = best["raw driver (floor)"]
timings = pd.DataFrame({"seconds": best.round(3), "× floor": (best / floor).round(1)})
print(timings.to_string())
ranked = best.drop("raw driver (floor)").sort_values()
print("\nMeasured on this machine, this run:")
print(f"  closest to the floor: {ranked.index[0]}, {ranked.iloc[0] / floor:.1f}× its time")
print(f"  add_all took {best['add_all + commit'] / best['ORM bulk insert']:.0f}× the ORM bulk insert's time")

# %% tags=["nbval-ignore-output"]
import matplotlib.pyplot as plt

ax = timings["× floor"].iloc[::-1].plot.barh(logx=True, color="#4c72b0", figsize=(7, 2.6))
ax.bar_label(ax.containers[0], fmt="%.1f×", padding=3)
ax.set_xlim(right=timings["× floor"].max() * 3)  # room for the longest bar's label inside the frame
ax.set_xlabel("time, as a multiple of the raw driver (log scale)")
ax.set_title(f"Inserting {ROWS:,} rows on {db.backend}")
plt.show()

# %% [markdown]
# For the full size, run `python -m bench.bulk_insert` (100,000 rows, the same four ways). The course's reference
# run on a 2-core machine: raw driver 0.32 s, Core insert 1.3×, ORM bulk insert 2.4×, `add_all()` 45×.
#
# The gaps have simple causes. `add_all()` builds 20,000 objects, tracks each one in the unit of work, and here
# sends 20,000 statements. The ORM bulk insert builds no objects, but still runs the flush's per-row bookkeeping
# on every dict (mapping attribute names to columns, filling in defaults). Core only binds each row's parameters
# before handing the whole list to the driver: that is all that separates it from the floor.
#
# So: `add_all()` for the handful of objects a request creates; **Core `insert()`** for imports (or the ORM bulk
# insert, when you want the model's attribute names, or objects back with `.returning(Model)`). Inside a request,
# pass the same statement to `session.execute()` so it joins the request's transaction.
#
# ## Bulk UPDATE
#
# **In Laravel**
#
# ```php
# User::whereIn('id', [2, 4, 5])->update(['is_active' => false]);   // one UPDATE; sets updated_at; no events
# ```
#
# **In SQLAlchemy** `update()` with a `where()` is one statement too, and the model's Python-side `onupdate`
# adds `updated_at` for you. We load three active users first, to see what happens to objects already in the
# session.

# %%
from sqlalchemy import update

from lessons import expect_queries

three_active = select(User).where(User.is_active).order_by(User.id).limit(3)
clock.travel(hours=1)

async with db.Session() as session:  # no commit: leaving the block rolls these updates back
    active = (await session.scalars(three_active)).all()
    ids = [user.id for user in active]
    with show_sql():
        result = await session.execute(update(User).where(User.id.in_(ids)).values(is_active=False))
    print("rows matched:", result.rowcount)
    with expect_queries(0):
        for user in active:
            print(f"user {user.id}: is_active={user.is_active}, updated_at={user.updated_at.isoformat()}")


# %% [markdown]
# The objects already loaded changed too, without a `SELECT`. That is `synchronize_session`: by default
# (`"auto"`) SQLAlchemy evaluates the `WHERE` in Python against the objects it holds, and applies the new values
# to the ones that match. It has three settings:
#
# | `synchronize_session` | What happens to loaded objects | Extra work |
# |---|---|---|
# | `"evaluate"` | the `WHERE` is run in Python; matches get the new values | none; fails on SQL it cannot evaluate |
# | `"fetch"` | the matched ids come back (`RETURNING id`, or a `SELECT` first on MariaDB) | the ids |
# | `False` | nothing: loaded objects keep their old values | none |
#
# `"auto"` (the default) tries `"evaluate"` and falls back to `"fetch"`. A function in the `WHERE` cannot be
# evaluated in Python:

# %%
from sqlalchemy.exc import InvalidRequestError

lower_m = update(User).where(func.lower(User.name).like("m%")).values(role="member")

async with db.Session() as session:
    active = (await session.scalars(three_active)).all()
    with show_error(expected=InvalidRequestError):
        await session.execute(lower_m, execution_options={"synchronize_session": "evaluate"})
    with show_sql(transactions=False):
        await session.execute(lower_m)


# %% [markdown]
# `"auto"` fell back to `"fetch"`: `RETURNING id` tells the session which objects to update.
#
# ### Careful: `synchronize_session=False` leaves stale objects
#
# It saves the evaluation, and leaves every loaded object believing the old values:

# %%
async with db.Session() as session:
    active = (await session.scalars(three_active)).all()
    await session.execute(
        update(User).where(User.id.in_(ids)).values(is_active=False), execution_options={"synchronize_session": False}
    )
    in_session = [user.is_active for user in active]
    in_database = (await session.scalars(select(User.is_active).where(User.id.in_(ids)).order_by(User.id))).all()
    print("session says:", in_session, "· database says:", in_database)


# %% [markdown]
# Use it only when you hold none of the rows, or `expire_all()` afterwards. Each cell of this section opened its
# session with `async with` and did not commit, so every change above was rolled back when its block ended.

# %% [markdown]
# ### Careful: `updated_at=func.now()` in a bulk UPDATE
#
# The chapter's bulk update sets `updated_at=func.now()` itself. The database computes that value, so the
# session cannot know it: it **expires** `updated_at` on every matched object, and under asyncio an expired
# attribute cannot load itself (ERRATA 14):

# %%
from sqlalchemy import inspect
from sqlalchemy.exc import MissingGreenlet

async with db.Session() as session:
    active = (await session.scalars(select(User).where(User.id.in_(ids)).order_by(User.id))).all()
    await session.execute(update(User).where(User.id.in_(ids)).values(is_active=False, updated_at=func.now()))
    print("expired:", inspect(active[0]).expired_attributes)
    with show_error(expected=MissingGreenlet):
        print(active[0].updated_at)


# %% [markdown]
# Fix 1: add `.returning(User)`. The same statement sends the new rows back and the session refreshes the objects
# it holds, so nothing is expired (the value is the database's clock, not the lesson's). MariaDB has no
# `UPDATE … RETURNING`; there, `await session.refresh(user, ["updated_at"])` reloads the column instead:

# %%
async with db.Session() as session:
    active = (await session.scalars(select(User).where(User.id.in_(ids)).order_by(User.id))).all()
    stamp_now = update(User).where(User.id.in_(ids)).values(is_active=False, updated_at=func.now())
    if db.engine.dialect.update_returning:  # SQLite and PostgreSQL
        with show_sql(parameters=False):
            await session.scalars(stamp_now.returning(User))
    else:  # MariaDB
        await session.execute(stamp_now)
        for user in active:
            await session.refresh(user, ["updated_at"])
    print("expired:", inspect(active[0]).expired_attributes)
    print("updated_at is timezone-aware:", active[0].updated_at.tzinfo is not None)


# %% [markdown]
# Fix 2, simpler: don't set it. The model's `onupdate=clock.now` is a Python value, so SQLAlchemy puts it in the
# `UPDATE` *and* on the loaded objects, as the first update above showed. One clock for the whole application.
#
# ## Bulk DELETE
#
# **In Laravel**
#
# ```php
# Post::where('user_id', 5)->delete();   // one DELETE; no `deleting` events; the database cascades
# ```
#
# **In SQLAlchemy** `delete()` is one statement, and the ORM's own cascades do not run: the database's
# `ON DELETE CASCADE` removes the comments (the course's engine turns foreign keys on for SQLite; lesson 13c).

# %%
from sqlalchemy import delete

from lessons import Comment, Post

async with db.Session() as session:
    posts = (await session.scalars(select(Post).where(Post.user_id == 5))).all()
    post_ids = [post.id for post in posts]
    comments_of = select(func.count()).select_from(Comment).where(Comment.post_id.in_(post_ids))
    print("posts:", len(posts), "· their comments:", await session.scalar(comments_of))

    with show_sql():
        result = await session.execute(delete(Post).where(Post.user_id == 5))
    print("deleted:", result.rowcount, "· comments left:", await session.scalar(comments_of))
    print("loaded post marked deleted:", inspect(posts[0]).was_deleted, "· still in session:", posts[0] in session)
    await session.commit()


# %% [markdown]
# The posts loaded before the `DELETE` were taken out of the session too (`synchronize_session` again), so a
# later flush will not try to update rows that are gone.
#
# ## Your turn
#
# Write `unpublish_old_posts(session, before)`: unpublish every **published** post created before `before`, in
# **one** bulk `UPDATE`, and return how many posts you unpublished. `updated_at` must be the application's clock,
# `lessons.core.clock.now()` (frozen in this notebook, so `datetime.now()` is not it; the model's `onupdate` reads it if
# you let it). Posts the session already holds must show the change without a new query (not expired, not stale).
# Don't commit: the caller does.
#
# Eloquent: `Post::where('published', true)->where('created_at', '<', $before)->update(['published' => false])`.

# %%
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from lessons import exercises

q1 = exercises.get("09.unpublish_old_posts")


async def unpublish_old_posts(session: AsyncSession, before: datetime) -> int:
    # BEGIN SOLUTION
    result = await session.execute(
        update(Post).where(Post.published, Post.created_at < before).values(published=False)
    )
    return result.rowcount
    # END SOLUTION


await q1.check(unpublish_old_posts)

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
# - On SQLite `add_all()` sends one `INSERT … RETURNING` per object (the ids must match the objects); PostgreSQL
#   and MariaDB batch them. Either way it builds and tracks every object: fine for a request, slow for an import.
# - `from sqlalchemy import insert`, then `await session.execute(insert(Model), rows)`: one `executemany`, model
#   defaults applied. `AsyncSession` has no `bulk_insert_mappings`.
# - Core `insert()` with a list of dicts comes closest to the raw driver (1.3× in the reference run; see the table
#   for yours); `add_all()` is tens of times slower. `.returning(Model)` gives you objects back from a bulk insert.
# - Bulk `update()`/`delete()` are one statement, skip ORM events and cascades, and keep loaded objects in step
#   through `synchronize_session` (`"auto"`: evaluate in Python, else fetch the ids). `False` leaves them stale.
# - A SQL-side value (`func.now()`) in a bulk update expires that attribute: add `.returning(Model)` (on MariaDB,
#   `refresh()`), or let the model's Python `onupdate` set it.
#
# [Contents](00-setup.ipynb#Course-map) · Previous: [← 08b · Concurrency](08b-concurrency.ipynb) · Next: [10 · Sessions →](10-sessions.ipynb)
