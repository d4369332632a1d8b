# %% [markdown]
# # 11 · Security
#
# [Contents](00-setup.ipynb#Course-map) · Previous: [← 10 · Sessions](10-sessions.ipynb) · Next: [12 · The blog API →](12-blog-api.ipynb)
#
# Eloquent protects you by default, and so does SQLAlchemy, until you build SQL out of strings. This lesson runs a
# real SQL injection against the seeded database, shows what each driver does with a stacked `DROP TABLE`, then
# makes every classic payload harmless with bound parameters. It ends with the hole that parameters do not close:
# `%` and `_` in a `LIKE` search.
#
# The outputs stored in this notebook were produced on **SQLite**, the course's default. Where PostgreSQL or
# MariaDB answer differently, the cell prints which backend it ran on and the text says what the others do; on the
# site, the cell's PostgreSQL and MariaDB tabs show their outputs (or run the lesson with `DATABASE_URL`).
#
# **You will learn**
# - what an injection looks like, and why an f-string in `text()` is one
# - how bound parameters (`text()` with `:name`, and every `select()`) keep input out of the SQL
# - why `LIKE` searches need `autoescape=True` even with bound parameters
# - where validation (Pydantic), hidden fields, least privilege and `echo=False` fit in
#
# **Time:** about 30 minutes.

# %%
from lessons import clock, fresh_database

clock.freeze()
db = await fresh_database("11-security")

# %% [markdown]
# ## SQL injection, live
#
# **In Laravel**, the unsafe version is raw SQL with the input pasted in:
#
# ```php
# DB::select("SELECT id, name FROM users WHERE email = '$email'");          // injectable
# DB::select('SELECT id, name FROM users WHERE email = ?', [$email]);        // bound
# ```
#
# **In SQLAlchemy** the unsafe version is an f-string inside `text()`. Here is a login-style lookup, asked for
# one email:

# %%
from sqlalchemy import text


async def find_by_email_unsafe(email: str):
    async with db.Session() as session:
        sql = f"SELECT id, name FROM users WHERE email = '{email}'"
        return (await session.execute(text(sql))).all()


await find_by_email_unsafe("david.clark.3@example.com")

# %% [markdown]
# Now an "email" that closes the quote and adds a condition that is always true. `show_sql()` prints the
# statement that actually reached the database:

# %%
from lessons import show_sql

with show_sql(transactions=False):
    rows = await find_by_email_unsafe("' OR '1'='1")
len(rows)

# %% [markdown]
# Every user. The input became SQL: `WHERE email = '' OR '1'='1'`, and there is no `[parameters]` line: nothing
# was bound, the value is part of the statement.
#
# ### A stacked statement
#
# The classic next step is a second statement after a `;`. What happens depends on the driver, so we try it on
# `users` and on `notes`, a scratch table that no foreign key points at:

# %%
from sqlalchemy import Column, Integer, MetaData, Table, inspect

from lessons import show_error

notes = Table("notes", MetaData(), Column("id", Integer, primary_key=True))
async with db.engine.begin() as connection:
    await connection.run_sync(notes.create)

print("backend:", db.backend)
for table in ("users", "notes"):
    with show_sql(transactions=False), show_error():
        await find_by_email_unsafe(f"'; DROP TABLE {table}; --")
    async with db.engine.connect() as connection:
        still_there = await connection.run_sync(lambda sync, name=table: inspect(sync).has_table(name))
    print(f"{table} still there: {still_there}\n")


# %% [markdown]
# The same cell on each backend (the SQL sent is identical; what follows it differs; the MariaDB and PostgreSQL
# rows are the cell's outputs in those tabs):
#
# | backend, driver | `DROP TABLE users` | `DROP TABLE notes` |
# |---|---|---|
# | SQLite, `sqlite3` (the output above) | refused: "You can only execute one statement at a time" | refused; still there |
# | PostgreSQL, asyncpg | refused: "cannot insert multiple commands into a prepared statement" | refused; still there |
# | MariaDB, aiomysql | **runs**, and fails only because foreign keys point at `users`: `IntegrityError` 1451 | **runs: `notes` is gone** |
#
# On MariaDB the error printed for `notes` is a syntax error about the trailing `--'`: it comes after the `DROP
# TABLE` has already run. Do not lean on a driver's refusal: aiomysql sends stacked statements, and so do other
# drivers and other databases. Parameters, below, are the defence everywhere.
#
# ## The fix: bound parameters
#
# A bound parameter travels *beside* the SQL, never inside it: the database compiles the statement first, then
# reads the value as data. In `text()`, name it with a colon. (The placeholder printed is SQLite's `?`;
# PostgreSQL's asyncpg shows `$1`, MariaDB's aiomysql `%s`.)

# %%
async def find_by_email(email: str):
    async with db.Session() as session:
        statement = text("SELECT id, name FROM users WHERE email = :email")
        return (await session.execute(statement, {"email": email})).all()


with show_sql():
    rows = await find_by_email("' OR '1'='1")
rows

# %% [markdown]
# The SQL text is fixed; the payload is just a string that no email equals. Every `select()` binds its values
# the same way, so the ORM path is safe without you doing anything:

# %%
from sqlalchemy import select

from lessons import User

statement = select(User.id, User.name).where(User.email == "' OR '1'='1")
with show_sql(transactions=False):
    async with db.Session() as session:
        rows = (await session.execute(statement)).all()
rows

# %% [markdown]
# ### Every classic payload, at once
#
# `lessons.scenery.lesson11_security.INJECTION_PAYLOADS` holds 25 well-known payloads: tautologies, comment tricks, `UNION`
# reads, stacked statements, time delays. Through bound parameters, none matches anything, none raises, and
# nothing changes:

# %%
from sqlalchemy import func

from lessons.scenery.lesson11_security import INJECTION_PAYLOADS

matched = {}
async with db.Session() as session:
    for payload in INJECTION_PAYLOADS:
        by_text = await session.execute(text("SELECT id FROM users WHERE email = :e OR name = :e"), {"e": payload})
        by_select = await session.scalars(select(User.id).where((User.email == payload) | (User.name == payload)))
        matched[payload] = len(by_text.all()) + len(by_select.all())
    users_left = await session.scalar(select(func.count()).select_from(User))
print(f"{len(INJECTION_PAYLOADS)} payloads, rows matched: {sum(matched.values())}, users left: {users_left}")

# %% [markdown]
# Also bound: lists for `IN`. `User.id.in_(ids)` sends one parameter per item (or an expanding parameter), never
# the text of the list.

# %%
ids = [1, 2, 3]
with show_sql(transactions=False):
    async with db.Session() as session:
        names = (await session.scalars(select(User.name).where(User.id.in_(ids)))).all()
names


# %% [markdown]
# ## The hole parameters do not close: LIKE wildcards
#
# The chapter searches with `ilike(f"%{term}%")` and says "SQLAlchemy handles escaping". It handles *quoting*:
# the term is bound, so it cannot inject. But inside a `LIKE` pattern, `%` means "anything" and `_` means "any one
# character", and the user typed them (ERRATA 7):

# %%
async def search_naive(term: str) -> list[str]:
    async with db.Session() as session:
        statement = select(User.name).where(User.name.ilike(f"%{term}%"))
        return list((await session.scalars(statement)).all())


print("'%' matches", len(await search_naive("%")), "users")
print("'_' matches", len(await search_naive("_")), "users")

# %% [markdown]
# A search for a literal `%` returns every user: harmless here, but on a big table it hands anyone every row (and
# a page count to match), and in a permission filter it is a leak. `icontains(term, autoescape=True)` escapes both
# wildcards. To see how, the course's `to_sql()` (from `lessons.lens.sql`) prints the statement with its value inlined,
# for reading only (SQLAlchemy's own spelling: `statement.compile(compile_kwargs={"literal_binds": True})`):

# %%
from lessons import to_sql


async def search(term: str) -> list[str]:
    async with db.Session() as session:
        statement = select(User.name).where(User.name.icontains(term, autoescape=True))
        return list((await session.scalars(statement)).all())


print(to_sql(select(User.name).where(User.name.icontains("50%_off", autoescape=True))))
print("'%' matches", len(await search("%")), "users;", "'ann' matches", len(await search("ann")))

# %% [markdown]
# `/` is the escape character SQLAlchemy chose; the value `50/%/_off` is still a bound parameter when it runs.
#
# ## Before the database: validation and hidden fields
#
# Laravel validates a request before the controller runs. Pydantic does the same before your query runs: the
# wrong type, a missing field, an unknown field, a string too long for its column, each is a 422 and no SQL at
# all. The blog API's schemas (lesson 12) do exactly that:

# %%
from pydantic import ValidationError

from lessons.blog.schemas import UserCreate, UserRead

try:
    UserCreate(name="x" * 500, email="' OR '1'='1", role="admin")
except ValidationError as error:
    for problem in error.errors():
        print(f"{problem['loc'][0]}: {problem['msg'][:60]}")


# %% [markdown]
# Three problems, one error: the name is longer than its column, the email is not an email, and `role` is not a
# field a client may set (`extra="forbid"`: a mass-assignment attempt is refused, where `$fillable` would drop it
# silently). On the way out, `UserRead` has no `password_hash` field, so no response can carry it:

# %%
async with db.Session() as session:
    user = await session.get(User, 1)
sorted(UserRead.model_validate(user).model_dump())

# %% [markdown]
# ## In production, briefly
#
# - **Least privilege**: the application's database user needs `SELECT`, `INSERT`, `UPDATE`, `DELETE` on its
#   tables, not `DROP` or `CREATE`. Run migrations with a separate, stronger user. Had the MariaDB user above
#   lacked `DROP`, the stacked statement would have failed on permissions, not by luck.
# - **`echo=False`** (the default): `echo=True` logs every statement with its parameters, which can include
#   emails and tokens. The SQL lens is for lessons and tests.
# - **Secrets in the environment**: `DATABASE_URL` comes from the environment or `.env`, never from code; the
#   course prints URLs with the password masked (`lessons.core.settings.mask`).
# - **Rate limiting** (the chapter's §12): cap how often one client may call the API, as Laravel's
#   `throttle:60,1` middleware does. In Python that is usually the reverse proxy's job (nginx `limit_req`) or a
#   middleware such as `slowapi`; either way a flood of searches never reaches the database.
# - **A capped pool** (also §12): the engine keeps `pool_size` connections and opens at most `max_overflow` more;
#   a request beyond that waits `pool_timeout` seconds, then fails, instead of opening connection after
#   connection until the database refuses everyone. Here a pool of one, already in use, refuses a second checkout
#   after 0.2 s:

# %%
from sqlalchemy.exc import TimeoutError as PoolTimeout

from lessons import create_engine

capped = create_engine(db.url, pool_size=1, max_overflow=0, pool_timeout=0.2)
async with capped.connect():
    with show_error(expected=PoolTimeout):
        async with capped.connect():
            pass
await capped.dispose()

# %% [markdown]
# Keep `pool_size + max_overflow`, times the number of server processes, below the database's connection limit,
# and let a request that cannot get a connection fail fast with a 503 rather than hang.
#
# ## Your turn
#
# `search_users(session, term)` must return the names of users whose name contains `term`, case-insensitively,
# ordered by id (an empty term is contained in every name). The checker fills generated databases, with users such
# as `100% Organic`, `Under_score Person` and `Back\slash Admin` among them, then searches parts of names in either
# case, terms with a space or a backslash (`\`, `k\s`, `\%`) and all 25 payloads: every search must return
# exactly the names that contain the term literally, and the tables must be intact. Case is ignored for A–Z;
# whether `é` matches `É`, or `e`, differs between databases, so the checker searches no term where it would.

# %%
from sqlalchemy.ext.asyncio import AsyncSession

from lessons import exercises

q1 = exercises.get("11.safe_search")


async def search_users(session: AsyncSession, term: str) -> list[str]:
    # BEGIN SOLUTION
    statement = select(User.name).where(User.name.icontains(term, autoescape=True)).order_by(User.id)
    return list((await session.scalars(statement)).all())
    # END SOLUTION


await q1.check(search_users)

# %%
q1.hint()

# %%
# q1.hint(2)
# q1.solution()

# %% [markdown]
# ## Key points
#
# - Never build SQL from input: an f-string in `text()` is an injection, whatever the driver.
# - Bound parameters (`text("... :name")` with a dict, and every `select()`) send values beside the SQL.
# - Some drivers refuse stacked statements; aiomysql does not. Parameters, not drivers, are the defence.
# - `LIKE` needs `icontains(term, autoescape=True)`: `%` and `_` are wildcards even in a bound value.
# - Validate before the database (Pydantic, `extra="forbid"`), hide fields by leaving them out of response
#   models, give the application user only the privileges it needs, and keep `echo=False` in production.
# - Rate-limit the API, and cap the pool (`pool_size`, `max_overflow`, `pool_timeout`) so a burst waits or fails
#   fast instead of exhausting the database's connections.
#
# [Contents](00-setup.ipynb#Course-map) · Previous: [← 10 · Sessions](10-sessions.ipynb) · Next: [12 · The blog API →](12-blog-api.ipynb)
