# %% [markdown]
# # 13c · Events: code that runs on every connection and every save
#
# [Contents](00-setup.ipynb#Course-map) · Previous: [← 13b · Hybrids and custom types](13b-hybrids-and-custom-types.ipynb) · Next: [14a · Soft deletes →](14a-soft-deletes.ipynb)
#
# Laravel has model observers (`creating`, `updated` …); SQLAlchemy has events, on the engine (a new
# connection) and on the mapper (an `INSERT` or `UPDATE` of a model). Every lesson so far has relied on one of
# them: the listener that switches on SQLite's foreign keys (lesson 00 said the course's engine does it, lesson 03
# showed a cascade ignored without it). Here you see it written out. The chapter's versions of both kinds have a
# trap; this lesson runs them.
#
# **You will learn**
# - why SQLite ignores foreign keys unless each connection switches them on, and the `"connect"` event that does it
# - mapper events: `before_insert` and `after_update`, and what skips them
# - why a listener must stamp timezone-aware times, not `datetime.utcnow()`
#
# **Time:** about 20 minutes.

# %% [markdown]
# ## Your lesson database
#
# A fresh copy of the seeded blog (200 users, 1,000 posts), clock frozen at 2025-01-15 09:00 UTC.

# %%
from lessons import clock, fresh_database

clock.freeze()
db = await fresh_database("13c-events")
db

# %% [markdown]
# ## The SQLite foreign-key pragma
#
# SQLite ships with foreign keys **off**: each connection must turn them on with `PRAGMA foreign_keys=ON`. The
# chapter mentions this only in its advanced section; the course's engine has done it since lesson 00, and lesson 03
# showed a bare engine ignoring `ON DELETE CASCADE`. Here is the whole picture on an engine made with plain
# `create_async_engine`, without the listener, inside a transaction we roll back:

# %%
from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import create_async_engine

from lessons import Post, User, show_error

posts_of = select(func.count()).select_from(Post).where(Post.user_id == 1)

plain = create_async_engine(db.url)  # no connect listener: the database's own rules
async with plain.connect() as conn:
    if db.backend == "sqlite":
        print("foreign_keys:", await conn.scalar(text("PRAGMA foreign_keys")))
    with show_error(expected=None if db.backend == "sqlite" else IntegrityError) as caught:
        await conn.execute(insert(Post).values(title="Orphan", user_id=999))
    if caught.error:
        await conn.rollback()  # PostgreSQL runs nothing more in a transaction that failed
    orphans = select(func.count()).select_from(Post).where(Post.user_id == 999)
    print("post for user 999 accepted:", await conn.scalar(orphans))
    before = await conn.scalar(posts_of)
    await conn.execute(delete(User).where(User.id == 1))
    print(f"user 1 deleted; their posts: {before} before, {await conn.scalar(posts_of)} after")
    await conn.rollback()
await plain.dispose()


# %% [markdown]
# Without the pragma SQLite accepted a post by a user who does not exist, and deleting user 1 left their posts
# behind despite `ON DELETE CASCADE`. PostgreSQL and MariaDB (InnoDB) need no pragma: the same cell, run there or
# opened in their tabs on the site, refuses the orphan with `IntegrityError` and deletes user 1's posts with them.
# The course's engine turns SQLite's on for every new connection:

# %%
async with db.engine.connect() as conn:
    with show_error(expected=IntegrityError):
        await conn.execute(insert(Post).values(title="Orphan", user_id=999))
    await conn.rollback()


# %% [markdown]
# The listener is a few lines on `engine.sync_engine` (the async engine wraps a synchronous one, and pool events
# live there). It runs on each **new** connection, so connections already in the pool need a `dispose()`:

# %%
from sqlalchemy import event


def enable_foreign_keys(dbapi_connection, connection_record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


if db.backend == "sqlite":
    event.listen(plain.sync_engine, "connect", enable_foreign_keys)
    await plain.dispose()
    async with plain.connect() as conn:
        with show_error(expected=IntegrityError):
            await conn.execute(insert(Post).values(title="Orphan", user_id=999))
        await conn.rollback()
    await plain.dispose()

# %% [markdown]
# ## Model events: `before_insert` and `after_update`
#
# **In Laravel** a model observer's `creating()` and `updated()` run around each save:
#
# ```php
# Member::creating(fn (Member $member) => $member->joined_at = now());
# ```
#
# **In SQLAlchemy** mapper events do: `before_insert` runs during the flush, just before the row's `INSERT`.
# The model here is scenery, a small members table (`id`, `first_name`, `last_name`, `joined_at`) from
# `lessons/scenery/lesson13_member_table.py`; `add_members` creates its table and adds two members:

# %%
from lessons.scenery.lesson13_member_table import Member, add_members

await add_members(db, Member, "Ada Lovelace", "Grace Hopper")


# %% [markdown]
# ### Careful: naive times
#
# The chapter's listener stamps `datetime.utcnow()`: deprecated since Python 3.12, and **naive** (no time zone).
# `utcnow()` is exactly `now(timezone.utc)` with the zone removed; we remove it from the frozen clock, so the
# output stays the same:

# %%
def stamp_naive(mapper, connection, target: Member) -> None:
    target.joined_at = clock.now().replace(tzinfo=None)  # what datetime.utcnow() returns


event.listen(Member, "before_insert", stamp_naive)
async with db.Session() as session:
    session.add(Member(first_name="Katherine", last_name="Johnson"))
    with show_error(expected=ValueError):
        await session.flush()
event.remove(Member, "before_insert", stamp_naive)

# %% [markdown]
# The course's `UTCDateTime` column type refuses a naive datetime, because nothing in it says which zone it
# means. (A plain `DateTime` would store it silently, and whoever reads it later cannot tell UTC from local
# time.) Stamp timezone-aware times: `datetime.now(timezone.utc)`, which is what `clock.now()` returns
# when the clock is not frozen.

# %%
from lessons import show_sql


@event.listens_for(Member, "before_insert")
def stamp_joined_at(mapper, connection, target: Member) -> None:
    target.joined_at = clock.now()


@event.listens_for(Member, "after_update")
def report_update(mapper, connection, target: Member) -> None:
    print(f"after_update: member {target.id} is now {target.first_name} {target.last_name}")


async with db.Session() as session:
    katherine = Member(first_name="Katherine", last_name="Johnson")
    session.add(katherine)
    with show_sql(transactions=False):
        await session.commit()
        katherine.last_name = "Goble Johnson"
        await session.commit()
print("joined_at:", katherine.joined_at.isoformat())

# %% [markdown]
# Both listeners ran during the flush: `before_insert` set `joined_at` in time to be among the `INSERT`'s values,
# and `after_update` printed its line once the `UPDATE` had been sent. Like Eloquent's mass updates, a bulk
# `update()` skips them: it sends one statement and never loads the rows (lesson 09):

# %%
from sqlalchemy import update

async with db.Session() as session:
    with show_sql():
        await session.execute(update(Member).where(Member.id == katherine.id).values(last_name="Bulk"))
        await session.commit()
event.remove(Member, "before_insert", stamp_joined_at)  # the lesson is done with its listeners
event.remove(Member, "after_update", report_update)

# %% [markdown]
# No `after_update` line. Use mapper events for what must happen on every ORM save; put rules that must hold for
# *every* write in the database (constraints, triggers).

# %% [markdown]
# ## Your turn
#
# Laravel touches `updated_at` on every save. Write `stamp_updates(model)` so that from then on, every ORM
# update of a `model` object sets its `updated_at` to the current, timezone-aware time **in the same
# `UPDATE`**. The checker calls it on a `Note` model of its own (`id`, `title`, `updated_at`), changes a note's
# title, commits, and reads the row back.

# %%
from lessons import exercises

q1 = exercises.get("13.stamp_updates")


def stamp_updates(model) -> None:
    # BEGIN SOLUTION
    @event.listens_for(model, "before_update")
    def stamp(mapper, connection, target) -> None:
        target.updated_at = clock.now()

    # END SOLUTION


await q1.check(stamp_updates)

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
# - SQLite enforces foreign keys only after `PRAGMA foreign_keys=ON` on each connection: a `"connect"` listener
#   on `engine.sync_engine` does it for every new one (the course's engine has it; PostgreSQL and MariaDB
#   always enforce them).
# - Mapper events (`before_insert`, `before_update`, `after_update` …) run during the flush, like Eloquent's
#   observers. A listener is a plain `def`: SQLAlchemy calls it without `await`.
# - Stamp timezone-aware times (`datetime.now(timezone.utc)`), never `datetime.utcnow()`.
# - Bulk `update()`/`delete()` statements skip mapper events; rules for every write belong in the database.
#
# [Contents](00-setup.ipynb#Course-map) · Previous: [← 13b · Hybrids and custom types](13b-hybrids-and-custom-types.ipynb) · Next: [14a · Soft deletes →](14a-soft-deletes.ipynb)
