# %% [markdown]
# # 05a · The query builder: `select()` for `User::where()`
#
# [Contents](00-setup.ipynb#Course-map) · Previous: [← 04 · Loading and N+1](04-loading-and-n-plus-1.ipynb) · Next: [05b · Joins and subqueries →](05b-joins-and-subqueries.ipynb)
#
# Eloquent's builder turns `User::where(...)->orderBy(...)->get()` into SQL you rarely look at. SQLAlchemy's
# `select()` builds the same SQL from Python expressions, and this lesson looks at it every time: each query is
# printed with `to_sql()` (Eloquent's `toSql()`, values filled in) and its rows are shown as a DataFrame.
#
# **You will learn**
# - how `where`, `and_`/`or_`, `in_`, `is_(None)` and `order_by`/`limit` map to Eloquent's builder
# - why a statement is a value you reassign, not a builder you mutate
# - how to count in the database, and why `count(*)` and `count(column)` differ
# - how to search with LIKE without letting `%` and `_` in the user's input match everything
#
# Joins, `group_by`, subqueries and `whereHas` follow in lesson 05b.
#
# **Time:** about 35 minutes.

# %% [markdown]
# ## Your lesson database

# %%
from lessons import clock, fresh_database

clock.freeze()
db = await fresh_database("05a-query-builder")
db

# %% [markdown]
# ## A query is a value
#
# **In Laravel** a builder collects clauses until `get()` runs it; `toSql()` shows it without running it.
#
# ```php
# $query = User::where('age', '>', 18);
# echo $query->toSql();      // select * from "users" where "age" > ?
# $users = $query->get();
# ```
#
# **In SQLAlchemy** `select(User)` is the builder. Building it runs nothing; `to_sql()` prints what it compiles
# to on this lesson's database, with the values inlined for reading.

# %%
from sqlalchemy import select

from lessons import User, show_sql, to_sql

adults = select(User).where(User.age > 18)
print(to_sql(adults))


# %% [markdown]
# `session.scalars()` runs it and hands back model objects (the `get()` of Eloquent). Here is what ran:

# %%
async with db.Session() as session:
    with show_sql():
        users = (await session.scalars(adults.limit(3))).all()
users


# %% [markdown]
# Values never enter the SQL that runs: `?` is a placeholder and the numbers travel beside it. `to_sql()` fills
# them in only so you can read the query. (SQLite always pairs `LIMIT` with an `OFFSET`; 0 means "from the start".)
#
# ### Columns, not models: `select('id', 'name')` and `pluck()`
#
# ```php
# User::select('id', 'name')->orderBy('id')->limit(3)->get();
# User::orderBy('id')->limit(3)->pluck('name');
# ```
#
# Select columns instead of the model and you get rows (named tuples); `scalars()` takes the first column of each
# row, like `pluck()`:

# %%
async with db.Session() as session:
    rows = (await session.execute(select(User.id, User.name).order_by(User.id).limit(3))).all()
    names = (await session.scalars(select(User.name).order_by(User.id).limit(3))).all()
print(rows)
print(rows[0].name, "·", names)

# %% [markdown]
# For the rest of the lesson `await frame(statement)` (from `lessons.lens.frames`) runs a statement and shows its rows
# as a pandas DataFrame.
#
# ### Careful: a statement is immutable
#
# An Eloquent builder is an object you change: `$query->where(...)` adds to `$query`, so code like
# `if ($onlyActive) { $query->where('is_active', true); }` works. A SQLAlchemy statement never changes: `.where()`
# returns a **new** statement, and the old one is left as it was.

# %%
from sqlalchemy import func

everyone = select(func.count()).select_from(User)
only_active = True

counted = everyone
if only_active:
    counted.where(User.is_active)  # builds a new statement, then throws it away

async with db.Session() as session:
    with show_sql(transactions=False):
        print("forgot to reassign:", await session.scalar(counted))


# %% [markdown]
# No error and no warning: the SQL that ran has no `WHERE`, the filter just never happened. Reassign, the way
# Laravel's `when()` reads:

# %%
counted = everyone
if only_active:
    counted = counted.where(User.is_active)

async with db.Session() as session:
    with show_sql(transactions=False):
        print("reassigned:", await session.scalar(counted))


# %% [markdown]
# The upside: a base statement can be shared and extended in many directions without one use leaking into
# another (in Laravel you would need `clone $query`).
#
# ## `where` chains
#
# **In Laravel** (the chapter's first query)
#
# ```php
# $users = User::where('age', '>', 18)
#     ->where('is_active', true)
#     ->orderBy('created_at', 'desc')
#     ->limit(10)
#     ->get();
# ```
#
# **In SQLAlchemy** every `.where()` adds a condition joined by `AND`; `.where(a, b)` does the same in one call.

# %%
from lessons import frame

recent_adults = (
    select(User.id, User.name, User.age, User.created_at)
    .where(User.age > 18)
    .where(User.is_active)
    .order_by(User.created_at.desc())
    .limit(5)
)
print(to_sql(recent_adults))
await frame(recent_adults)

# %% [markdown]
# A boolean column is already a condition: `.where(User.is_active)`. The chapter writes `User.is_active == True`;
# it works, but linters flag `== True` (E712). Write `User.is_active.is_(True)` when you want it spelled out.
#
# ## `and_` / `or_`: `orWhere` and nested groups
#
# **In Laravel**
#
# ```php
# User::where('age', '>', 60)->orWhere('role', 'admin')->get();
# ```
#
# **In SQLAlchemy** `or_()` takes the alternatives; `and_()` groups conditions that must all hold.

# %%
from sqlalchemy import and_, or_

seniors_or_admins = (
    select(User.id, User.name, User.age, User.role)
    .where(or_(User.age > 60, User.role == "admin"))
    .order_by(User.id)
    .limit(5)
)
print(to_sql(seniors_or_admins))
await frame(seniors_or_admins)

# %% [markdown]
# In Eloquent, `->where(A)->orWhere(B)->where(C)` means `A OR (B AND C)`, a classic source of leaks; you group with
# a closure. In SQLAlchemy the grouping is the call tree, so the parentheses land where your calls put them:

# %%
active_seniors_or_admins = select(User.id).where(
    or_(User.age > 60, User.role == "admin"),
    User.is_active,
)
print(to_sql(active_seniors_or_admins))
print(to_sql(select(User.id).where(and_(User.age > 60, User.is_active) | (User.role == "admin"))))

# %% [markdown]
# `|`, `&` and `~` are the operator spellings of `or_`, `and_` and `not_`. They bind tighter than `==` or `>`,
# so wrap each comparison in parentheses.
#
# ### Careful: Python's `or` and `and`
#
# They look right. With a comparison like `>` on the left they fail at once, which is the lucky case:

# %%
from lessons import show_error

with show_error(expected=TypeError):
    select(User).where(User.age > 60 or User.role == "admin")

# %% [markdown]
# Python's `or` asks `User.age > 60` whether it is true *now*, in Python; a SQL condition has no answer until the
# database evaluates it, so SQLAlchemy refuses. Except for `==` and `!=`: those answer, because SQLAlchemy keeps
# columns in sets and dicts, where Python compares them with `==` (`BinaryExpression.__bool__` in
# `sqlalchemy/sql/elements.py` compares the two sides' identities). Swap the two conditions and nothing is raised:

# %%
print("bool(User.role == 'admin'):", bool(User.role == "admin"))
print(to_sql(select(User.id).where(User.role == "admin" or User.age > 60)))
print(to_sql(select(User.id).where(User.role == "admin" and User.is_active)))

# %% [markdown]
# `User.role == "admin"` is false in Python (the column and the value bound to it are two different objects), so
# `or` hands back its right side and the role condition is gone; `and` stops at the false left side and the
# `is_active` one is gone (with `!=`, true in Python, they drop the other side). No error, no warning, just the
# wrong rows: only the SQL shows it. Use `or_()`/`and_()` (or `|`/`&`) every time.
#
# ## `whereIn` and `whereNull`
#
# **In Laravel**
#
# ```php
# $staff = User::whereIn('role', ['admin', 'editor'])->get();
# $unknownAge = User::whereNull('age')->count();
# ```
#
# ### Careful: the chapter's model has no `role`
#
# The chapter queries `User.role`, but the `User` model it defines has no such column. Here is that model, on a
# base of its own so it never touches the course's tables:

# %%
from sqlalchemy import String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class ChapterBase(DeclarativeBase):
    pass


class ChapterUser(ChapterBase):
    __tablename__ = "l05_chapter_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    email: Mapped[str] = mapped_column(String(255), unique=True)
    age: Mapped[int | None]
    is_active: Mapped[bool] = mapped_column(default=True)


with show_error(expected=AttributeError):
    select(ChapterUser).where(ChapterUser.role.in_(["admin", "editor"]))

# %% [markdown]
# A mapped class only has the attributes you map, so the query fails before any SQL exists. The course's `User`
# maps every column the lessons query, `role` included:

# %%
print(repr(User.__table__.c.role))
staff = select(User.id, User.name, User.role).where(User.role.in_(["admin", "editor"])).order_by(User.id).limit(5)
print(to_sql(staff))
await frame(staff)

# %% [markdown]
# `not_in()` is `whereNotIn`. An empty list is fine: like Eloquent's `whereIn('role', [])`, it matches nothing
# instead of producing broken SQL.

# %%
nobody = select(func.count()).select_from(User).where(User.role.in_([]))
print(to_sql(nobody))
async with db.Session() as session:
    print("users with a role in []:", await session.scalar(nobody))


# %% [markdown]
# `whereNull('age')` is `User.age.is_(None)`; `User.age == None` compiles to the same `IS NULL`, but linters flag it.

# %%
unknown_age = select(User.id, User.name, User.age).where(User.age.is_(None)).order_by(User.id).limit(3)
print(to_sql(unknown_age))
await frame(unknown_age)


# %% [markdown]
# ## `count()` and other aggregates
#
# **In Laravel**
#
# ```php
# $count = User::where('age', '>', 18)->count();
# ```
#
# **In SQLAlchemy** select `func.count()` and ask for one value with `session.scalar()`: the database counts and
# sends back one number, not 200 rows.

# %%
async with db.Session() as session:
    with show_sql():
        count = await session.scalar(select(func.count()).select_from(User).where(User.age > 18))
count

# %% [markdown]
# `func.count()` alone is `count(*)`; `select_from(User)` says which table, since no column of it is selected.
# `func.<anything>` renders the SQL function of that name, so `func.avg`, `func.max` and friends work the same way.
#
# ### Careful: `count(*)` is not `count(column)`
#
# `count(*)` counts rows; `count(age)` counts the rows where `age` is not NULL. Eloquent's `count('age')` is the
# second one.

# %%
from sqlalchemy import distinct

counts = select(
    func.count().label("rows"),
    func.count(User.age).label("with_age"),
    func.count(distinct(User.role)).label("roles"),
    func.min(User.age).label("youngest"),
    func.max(User.age).label("oldest"),
)
print(to_sql(counts))
await frame(counts)


# %% [markdown]
# NULL is neither `> 18` nor `<= 18`: the users with no age fall out of both sides of a comparison.

# %%
async with db.Session() as session:
    over = await session.scalar(select(func.count()).select_from(User).where(User.age > 18))
    not_over = await session.scalar(select(func.count()).select_from(User).where(User.age <= 18))
    null = await session.scalar(select(func.count()).select_from(User).where(User.age.is_(None)))
print(f"{over} + {not_over} + {null} = {over + not_over + null}")

# %% [markdown]
# ## Searching with LIKE
#
# **In Laravel**
#
# ```php
# User::where('name', 'like', "%{$term}%")->get();
# ```
#
# **In SQLAlchemy** `ilike()` is case-insensitive on every backend (`ILIKE` on PostgreSQL, `lower(...) LIKE
# lower(...)` elsewhere). Plain `like()` is case-insensitive on SQLite (for ASCII letters) and MariaDB (with its
# default collation), but case-sensitive on PostgreSQL. The cell counts `like()` matches for the term in both
# cases: on SQLite (below) and MariaDB both find the same names; run this lesson on PostgreSQL, or open its tab
# on the site, to see `'%ANN%'` find none. (SQLite's documentation, [The LIKE
# operator](https://www.sqlite.org/lang_expr.html#like); PostgreSQL's, [9.7.1
# LIKE](https://www.postgresql.org/docs/15/functions-matching.html#FUNCTIONS-LIKE); MariaDB's
# [LIKE](https://mariadb.com/kb/en/like/), which follows the column's collation.)

# %%
term = "ann"
search = select(User.id, User.name).where(User.name.ilike(f"%{term}%")).order_by(User.id)
print(to_sql(search))
async with db.Session() as session:
    for pattern in ("%ann%", "%ANN%"):
        matches = await session.scalar(select(func.count()).select_from(User).where(User.name.like(pattern)))
        print(f"{db.backend}: like({pattern!r}) matches {matches} names")
await frame(search)


# %% [markdown]
# On SQLite, "ignoring case" means ASCII letters only: its `lower()` and `LIKE` leave `É` and `é` apart (SQLite's
# documentation of [`lower()`](https://www.sqlite.org/lang_corefunc.html#lower)), so a name written `ÉMILE` is not
# found by `émile`. PostgreSQL and MariaDB fold accented letters too, given a Unicode locale or collation: the same
# cell prints `émile zola` there (their tabs on the site, or `DATABASE_URL`).

# %%
async with db.Session() as session:
    print(await session.scalar(select(func.lower("ÉMILE ZOLA"))))


# %% [markdown]
# ### Careful: `%` and `_` in the user's input
#
# The chapter says SQLAlchemy "handles escaping" here. It handles *quoting*: the term is a bound parameter, so
# `'; DROP TABLE users; --` is just text (lesson 11). But inside the pattern, `%` and `_` are still LIKE's
# wildcards, so a user who types them matches far more than they typed:

# %%
async def search_names(session, term: str) -> list[str]:
    # The chapter's search: safe from injection, not from wildcards.
    return (await session.scalars(select(User.name).where(User.name.ilike(f"%{term}%")))).all()


async with db.Session() as session:
    with show_sql(transactions=False):
        found = await search_names(session, "a_n")
    print(sorted(found))
    for term in ["%", "_"]:
        print(f"{term!r} matches {len(await search_names(session, term))} names")


# %% [markdown]
# The pattern that ran is `'%a_n%'`: its `_` is a wildcard, so `a_n` matches five names without an underscore, and
# `%` and `_` match all 200 users although no name contains them. `icontains(term, autoescape=True)` escapes the
# wildcards in the value and adds the `%…%` itself:

# %%
async def search_names_escaped(session, term: str) -> list[str]:
    return (await session.scalars(select(User.name).where(User.name.icontains(term, autoescape=True)))).all()


async with db.Session() as session:
    for term in ["%", "_", "a_n", "ann"]:
        print(f"{term!r:6} matches {len(await search_names_escaped(session, term))} names")
print(to_sql(select(User.id).where(User.name.icontains("a_n", autoescape=True))))

# %% [markdown]
# The value became `a/_n` with `ESCAPE '/'`, so `_` means a literal underscore. `istartswith()` and
# `iendswith()` take `autoescape=True` too.
#
# ## Ordering and limits
#
# **In Laravel**
#
# ```php
# User::orderBy('age')->orderBy('id')->skip(10)->take(5)->get();
# User::latest()->first();
# ```
#
# **In SQLAlchemy** `order_by()` takes columns, `.desc()` flips one; `.limit()` and `.offset()` are `take` and
# `skip`.
#
# ### Careful: where do NULLs sort?
#
# Sorting by a nullable column puts NULLs first on SQLite and MariaDB (they count as smallest) but last on
# PostgreSQL (largest), as their documentation says ([SQLite](https://www.sqlite.org/lang_select.html#orderby),
# [PostgreSQL](https://www.postgresql.org/docs/15/queries-order.html), [MariaDB](https://mariadb.com/kb/en/null-values/)).
# Here are the "youngest" users (on PostgreSQL, or in its tab on the site, the same cell lists three 18-year-olds):

# %%
youngest = select(User.id, User.name, User.age).order_by(User.age, User.id).limit(3)
await frame(youngest)

# %% [markdown]
# `.nulls_last()` exists, but MariaDB and MySQL reject the `NULLS LAST` it emits (a syntax error: MariaDB's
# [`ORDER BY`](https://mariadb.com/kb/en/order-by/) has no `NULLS` clause). SQLite and PostgreSQL accept it; run the
# lesson on MariaDB, or open its tab, to see the error:

# %%
from sqlalchemy.exc import ProgrammingError

last_nulls = select(User.id, User.age).order_by(User.age.nulls_last(), User.id).limit(3)
print(to_sql(last_nulls))
async with db.Session() as session:
    with show_error(expected=ProgrammingError if db.backend == "mysql" else None):
        print((await session.execute(last_nulls)).all())


# %% [markdown]
# Sorting on `age IS NULL` first works on all three (false before true):

# %%
youngest = select(User.id, User.name, User.age).order_by(User.age.is_(None), User.age, User.id).limit(3)
print(to_sql(youngest))
await frame(youngest)

# %% [markdown]
# The trailing `User.id` is a tie-breaker: many users share an age, and without it the database may return them
# in any order, so page 2 could repeat a row of page 1 (lesson 06).
#
# ### `first()` adds no `LIMIT`
#
# Eloquent's `first()` adds `limit 1`. `session.scalar()` keeps the first row, but only sends what you wrote:

# %%
latest = select(User).order_by(User.created_at.desc(), User.id.desc())

async with db.Session() as session:
    with show_sql(transactions=False):
        newest = await session.scalar(latest)
        newest_again = await session.scalar(latest.limit(1))
newest == newest_again, newest

# %% [markdown]
# Same user, but the first statement asked for all 200 rows. Add `.limit(1)` yourself.
#
# ## Your turn: a search box
#
# Write `search_users(session, term)`: the ids of the **active** users whose name **or** email contains `term`,
# ignoring case, with `%` and `_` in `term` taken literally (searching `100%` must not find `1000 Days`). One
# statement, each id once, in any order. The checker compares your function with the reference on generated databases with such users (names and
# emails with `_` and `%`, look-alikes, inactive users who match), searching for `e_c`, `100%`, a term in the other
# case, a quote, and a term nobody matches.
#
# ```php
# User::where('is_active', true)
#     ->where(fn ($q) => $q->where('name', 'like', "%{$term}%")->orWhere('email', 'like', "%{$term}%"))
#     ->pluck('id');   // and escape % and _ in $term yourself
# ```

# %%
from sqlalchemy.ext.asyncio import AsyncSession

from lessons import exercises

q1 = exercises.get("05.search_users")


async def search_users(session: AsyncSession, term: str) -> list[int]:
    # BEGIN SOLUTION
    ids = await session.scalars(
        select(User.id).where(
            User.is_active,
            or_(User.name.icontains(term, autoescape=True), User.email.icontains(term, autoescape=True)),
        )
    )
    return list(ids)
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
# - `select(...)` builds a statement and runs nothing; `to_sql()` shows it, `session.scalars()`/`execute()`/`scalar()`
#   run it for models, rows, or one value.
# - Statements are immutable: `stmt = stmt.where(...)`, never a bare `stmt.where(...)`.
# - `.where(a, b)` is AND; `or_()`/`and_()` (or `|`/`&` with parentheses) group explicitly. Python's `or`/`and`
#   raise `TypeError` after `>`, but after `==`/`!=` they silently drop a condition: read the SQL.
# - A mapped class has only the columns you map: the chapter's `User.role` is an `AttributeError` on its own model.
# - `in_()` takes a list (an empty one matches nothing); `is_(None)` is `whereNull`; NULL fails every comparison
#   and sorts first on SQLite/MariaDB but last on PostgreSQL.
# - Count in the database with `func.count()`; `count(*)` counts rows, `count(column)` the non-NULL values.
# - `icontains(term, autoescape=True)` for user search: bound parameters stop injection, not wildcards.
# - `session.scalar()` is not `first()`: add `.limit(1)`.
#
# [Contents](00-setup.ipynb#Course-map) · Previous: [← 04 · Loading and N+1](04-loading-and-n-plus-1.ipynb) · Next: [05b · Joins and subqueries →](05b-joins-and-subqueries.ipynb)
