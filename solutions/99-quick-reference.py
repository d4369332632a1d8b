# %% [markdown]
# # 99 · Quick reference: Eloquent ⇄ SQLAlchemy
#
# [Contents](00-setup.ipynb#Course-map) · Previous: [← 15 · Task manager](15-task-manager.ipynb) · Next: — · Start: [00 · Setup](00-setup.ipynb)
#
# One row per everyday operation: the Eloquent call, the async SQLAlchemy code that does the same, the SQL that
# code sent, and what it returned. Nothing in the tables is typed by hand: each SQLAlchemy cell is the body of a
# real function, run against this lesson's database when the table is drawn, so the reference cannot drift from
# what SQLAlchemy really does.
#
# **You will learn**
# - where to find the SQLAlchemy spelling of an Eloquent call you already know
# - what SQL each one sends (on SQLite here; run the notebook with `DATABASE_URL` set to see another backend)
# - the few traps that sit right behind these rows, shown live at the end of their section
#
# **Time:** about 20 minutes to read through; keep it open while you work.

# %% [markdown]
# ## Your lesson database

# %%
from lessons import clock, fresh_database

clock.freeze()
db = await fresh_database("99-quick-reference")
db

# %% [markdown]
# ## How the tables are made
#
# Each row is an `async def name(session)` in `lessons/scenery/lesson99_eloquent_equivalents.py`: its docstring is the Eloquent
# call, its body the SQLAlchemy code. `reference.show("Section")` (from `lessons/scenery/lesson99_quick_reference.py`) resets the
# database (so each table starts from the seed), runs the section's rows in order, one session each, under the
# SQL lens (`show_sql`), and draws the table from the docstring, the body, the captured SQL and the returned
# value. A row that raises fails the cell, unless it names the error it demonstrates. `reference.db` is the
# database as the last table left it; the traps below run on it.
#
# **What to copy into your own project:** the SQLAlchemy column is SQLAlchemy's own API, except where a comment
# in the row names a **course helper** (`paginate()` from lesson 06, the course's frozen `clock.now()`, its
# `UTCDateTime` column type), which your project does not have. The plumbing of this page (`QuickReference`,
# `show_error`, `fresh_database`) is the course's too.

# %%
from lessons import show_error
from lessons.scenery.lesson99_eloquent_equivalents import ROWS
from lessons.scenery.lesson99_quick_reference import QuickReference

reference = QuickReference(db, ROWS)

# %% [markdown]
# ## Reading

# %%
await reference.show("Reading")

# %% [markdown]
# Notice: `session.get()` reads the identity map first and may send nothing; `get_one()` raises instead of
# returning `None` (turn it into a 404 yourself). `first()` has no `LIMIT` of its own: add `.limit(1)`.
# `scalars()` gives models or single values, `execute()` rows, `scalar()` one value. `str(statement)` and
# `.compile()` run nothing: `str()` shows placeholders (here `:age_1`, SQLAlchemy's generic style; compiled for a
# database, `?` on SQLite), as `toSql()` does; `literal_binds` inlines the values, as `toRawSql()` does (for
# reading only: what runs keeps them as bound parameters).
#
# ### Careful: there is no `session.query()`
#
# The chapter's comparison table offers "`session.query()` or `select()`". `query()` is the legacy 1.x API, and
# an `AsyncSession` does not have it:

# %%
from lessons import User

async with reference.db.Session() as session:
    with show_error(expected=AttributeError):
        session.query(User)


# %% [markdown]
# ## Relationships
#
# Lesson 03 defines them, lesson 04 loads them without N+1 queries, lesson 05 filters on them.

# %%
await reference.show("Relationships")

# %% [markdown]
# Notice: in async code a relationship you did not load is not fetched for you; reading `user.posts` raises
# (lesson 04). Load it up front (`selectinload`) or ask for it (`await user.awaitable_attrs.posts`).
#
# ## Paginating
#
# Lesson 06 builds these; `paginate()` lives in `lessons/core/pagination.py`.

# %%
await reference.show("Paginating")

# %% [markdown]
# ## Writing
#
# Each write row shows its transaction: the session begins one on the first statement (`BEGIN (implicit)`) and
# `commit()` ends it. Nothing is committed until then: a flush (before a query, or `await session.flush()`)
# already sends the `INSERT`/`UPDATE`, inside the transaction, where no other connection sees it yet.

# %%
await reference.show("Writing")

# %% [markdown]
# Notice: `update()`/`delete()` statements write in one statement without loading rows (Eloquent's mass update),
# and the model's `onupdate` still sets `updated_at`. `insert(User)` with a list of rows fills the model's
# Python-side defaults (`role`, `created_at` above), where Laravel's `User::insert()` skips the timestamps. `firstOrCreate` is two statements here as in Laravel; under
# concurrent requests the unique index on `roles.name` is what really prevents duplicates.
#
# ### Careful: `session.delete()` must be awaited
#
# The chapter calls `db.delete(user)` "synchronous". On an `AsyncSession` it is a coroutine: not awaited, it
# never runs, Python warns, and the commit deletes nothing:

# %%
from lessons import show_sql

async with reference.db.Session() as session:
    user = await session.get(User, 199)
    with show_error():
        session.delete(user)
    with show_sql():
        await session.commit()  # no DELETE: the commit has nothing to send

async with reference.db.Session() as session:
    print("user 199 still there:", await session.get(User, 199) is not None)


# %% [markdown]
# ## Transactions
#
# `session.begin()` is `DB::transaction()`: commit when the block ends, roll back if it raises. Use it on a
# session that has not run anything yet (see the trap below); `begin_nested()` is a savepoint.

# %%
await reference.show("Transactions")

# %% [markdown]
# ### Careful: `begin()` after the session has already run a query
#
# A session starts a transaction by itself on its first statement (autobegin). Calling `begin()` after that,
# as the chapter does on the request's session, fails:

# %%
from sqlalchemy.exc import InvalidRequestError

async with reference.db.Session() as session:
    await session.get(User, 1)
    with show_error(expected=InvalidRequestError):
        async with session.begin():
            pass


# %% [markdown]
# On a session that is already in use, write and then `await session.commit()`, or take a savepoint with
# `begin_nested()`.
#
# ## Scopes and soft deletes
#
# Eloquent has scopes and a `SoftDeletes` trait; SQLAlchemy has neither built in, but both are a few lines. A
# **local scope** is a function that returns a condition. For **soft deletes** the notes below have a
# `deleted_at` column, and `with_loader_criteria()` adds "not deleted" to every load of `Note` in a query,
# relationship loads included. To apply it to *every* query, the way a global scope does, attach it in a
# `do_orm_execute` session event: the soft-delete exercise in [14a · Soft deletes](14a-soft-deletes.ipynb) builds that.
#
# The notes table belongs to this page only, on a base of its own (in `lessons/scenery/lesson99_eloquent_equivalents.py`):

# %%
from inspect import getsource

from lessons.scenery.lesson99_eloquent_equivalents import Note

print(getsource(Note).rstrip())

# %%
await reference.show("Scopes and soft deletes")


# %% [markdown]
# ### Careful: `datetime.utcnow()`
#
# The chapter's soft-delete mixin stamps `datetime.utcnow()`: a *naive* datetime (no time zone), deprecated since
# Python 3.12. The course's `UTCDateTime` column refuses a naive time rather than store an ambiguous one (here the
# lesson's frozen "now" with its zone removed, which is what `utcnow()` would give):

# %%
async with reference.db.Session() as session:
    note = await session.get(Note, 1)
    note.deleted_at = clock.now().replace(tzinfo=None)
    with show_error(expected=ValueError):
        await session.commit()


# %% [markdown]
# Use `datetime.now(timezone.utc)` (or `clock.now()` in the course, which the lessons freeze).
#
# ## Raw SQL
#
# `text()` with named parameters (`:age`) is `DB::select()` with bindings; never format values into the string
# (lesson 11).

# %%
await reference.show("Raw SQL")

# %% [markdown]
# Notice: `func.length(User.name) > 15` says the same as the `whereRaw` row without raw SQL; prefer `func` when it
# exists. `IF NOT EXISTS` keeps the `CREATE INDEX` safe to run twice (without it the second run fails).
#
# ### Careful: `text().columns()` does not make models
#
# The chapter builds "raw SQL returning ORM objects" with `text(...).columns(User.id, ...)` and `.scalars()`. That
# returns the first column of each row, the ids, not `User` objects:

# %%
from sqlalchemy import text

async with reference.db.Session() as session:
    typed = text("SELECT * FROM users WHERE age > :age ORDER BY id LIMIT 3").columns(User.id, User.name, User.email)
    print((await session.scalars(typed, {"age": 70})).all())


# %% [markdown]
# `.columns()` names and types the text's columns (a `TextualSelect`), nothing more; `.scalars()` then returns the
# first column of each row, as it does for any statement. `select(User).from_statement(text(...))`, the row above,
# is what maps raw rows to models.
#
# ## Every row ran

# %%
print(reference.summary())

# %% [markdown]
# ## Key points
#
# - Reading: `session.get()` by key, `select()` for everything else; `scalars()`/`execute()`/`scalar()` for models,
#   rows, or one value.
# - Relationships load eagerly (`selectinload`) or explicitly (`awaitable_attrs`), never silently.
# - Writes go through the session and `commit()`; `update()`/`delete()` statements for mass changes;
#   `await session.delete(obj)`.
# - `session.begin()` only on a fresh session; `begin_nested()` for savepoints.
# - Scopes are functions returning conditions; soft deletes are a column plus `with_loader_criteria`.
# - Raw SQL: `text()` with bound parameters; `select(Model).from_statement(text(...))` for models.
#
# [Contents](00-setup.ipynb#Course-map) · Previous: [← 15 · Task manager](15-task-manager.ipynb) · Next: — · Start: [00 · Setup](00-setup.ipynb)
