# %% [markdown]
# # 06 · Pagination
#
# [Contents](00-setup.ipynb#Course-map) · Previous: [← 05b · Joins and subqueries](05b-joins-and-subqueries.ipynb) · Next: [07 · Indexes →](07-indexes.ipynb)
#
# Every list endpoint pages its results. Laravel gives you `paginate()` and `cursorPaginate()`; SQLAlchemy gives you
# `LIMIT` and `OFFSET`, and leaves the rest to you. This lesson builds the rest: a page with its total, a
# response model, input that can never crash the endpoint, and keyset pagination for pages deep in a big table.
#
# **You will learn**
# - how `paginate(session, statement, page, size)` reproduces Eloquent's `paginate()`, and why it counts over a
#   subquery
# - a generic Pydantic `Page[T]` response model
# - why `page=0` and `size=0` must be 422s, never a 500 (the chapter's helper gets this wrong)
# - keyset ("seek") pagination on `(created_at, id)` with `tuple_`, Eloquent's `cursorPaginate()`
# - what OFFSET and keyset read on a deep page of 100,000 posts, with and without an index: the plans, the rows
#   read, then the timings
#
# **Time:** about 35 minutes.

# %% [markdown]
# ## Your lesson database

# %%
from lessons import clock, fresh_database

clock.freeze()
db = await fresh_database("06-pagination")
db

# %% [markdown]
# ## Page numbers: Eloquent's `paginate()`
#
# **In Laravel**
#
# ```php
# $posts = Post::orderBy('id')->paginate(perPage: 10, page: 2);
# $posts->total();      // a second query: select count(*) as aggregate from posts
# $posts->lastPage();
# ```
#
# **In SQLAlchemy** the course's `paginate()` (in `lessons/core/pagination.py`) runs the same two statements and returns
# a `Page`:

# %%
from sqlalchemy import select

from lessons import Post, paginate, show_sql

by_id = select(Post).order_by(Post.id)

async with db.Session() as session:
    with show_sql():
        page = await paginate(session, by_id, page=2, size=10)
page.total, page.pages, [post.id for post in page.items]

# %% [markdown]
# Two statements: the count, then the page itself with `LIMIT 10 OFFSET 10` (`OFFSET` is `(page - 1) * size`).
# The count wraps your statement in a subquery and drops its `ORDER BY`, which changes nothing in a count.
#
# ### Why count over a subquery?
#
# Because the statement may group or join. Take "authors with at least 10 posts": counting the statement itself
# (`with_only_columns(func.count())`) keeps its `GROUP BY`, so it returns one count *per author*, and `scalar()`
# picks the first.

# %%
from sqlalchemy import func

from lessons import User, to_sql

prolific = (
    select(User.id, User.name, func.count(Post.id).label("posts"))
    .join(User.posts)
    .group_by(User.id, User.name)
    .having(func.count(Post.id) >= 10)
    .order_by(User.id)
)

counted_in_place = prolific.with_only_columns(func.count())
print(to_sql(counted_in_place))

async with db.Session() as session:
    wrong_total = await session.scalar(counted_in_place)
    authors = await paginate(session, prolific, page=1, size=3)
print("count of the statement itself:", wrong_total)
print("count over a subquery:        ", authors.total)
authors.items

# %% [markdown]
# That SQL keeps the `GROUP BY`: one `count(*)` per author. The first number is the first author's post count, not
# a number of authors. The subquery counts the rows the
# statement returns, whatever it does. With several columns selected, the items are rows (`.id`, `.name`, `.posts`).
#
# ## `Page[T]`: one response model for every list
#
# Laravel's paginator serialises itself as `data`, `total`, `per_page`, `current_page`, `last_page`. The course's
# `Page[T]` is a generic Pydantic model with `items`, `total`, `page`, `size` and `pages`: `Page[PostOut]` is a
# page of posts, `Page[UserOut]` a page of users, each with its own OpenAPI schema.

# %%
from pydantic import BaseModel, ConfigDict

from lessons import Page


class PostOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str


Page[PostOut].model_validate(page, from_attributes=True).items[:2]


# %% [markdown]
# `from_attributes=True` reads the ORM objects' attributes (Eloquent's API resources do the same job). FastAPI does
# this for you when a route declares `response_model=Page[PostOut]`, as the next section shows.
#
# ## Careful: `page=0` and `size=0`
#
# The chapter's helper trusts its input. Here it is, in short: count, `OFFSET (page - 1) * size`, and the
# number of pages rounded up.

# %%
async def chapter_paginate(session, statement, page, size):
    total = await session.scalar(select(func.count()).select_from(statement.subquery()))
    posts = (await session.scalars(statement.offset((page - 1) * size).limit(size))).all()
    return {"items": [post.id for post in posts], "total": total, "page": page, "pages": (total + size - 1) // size}


# %% [markdown]
# `size=0` divides by zero:

# %%
from lessons import show_error

async with db.Session() as session:
    with show_error(expected=ZeroDivisionError):
        await chapter_paginate(session, by_id, page=1, size=0)


# %% [markdown]
# `page=0` asks for `OFFSET -3`. What happens depends on the database:

# %%
from sqlalchemy.exc import DBAPIError

async with db.Session() as session:
    with show_error(expected=None if db.backend == "sqlite" else DBAPIError):
        print(await chapter_paginate(session, by_id, page=0, size=3))


# %% [markdown]
# SQLite treats a negative `OFFSET` as 0 and silently answers with page 1 labelled "page 0". PostgreSQL refuses
# (`OFFSET must not be negative`) and MariaDB rejects the SQL (a syntax error: its `OFFSET` takes no negative
# number), so there a client's typo becomes a 500: run the lesson there, or open their tabs on the site, to see
# the errors. (SQLite's documentation, [LIMIT and OFFSET](https://www.sqlite.org/lang_select.html#limitoffset):
# a negative offset counts as zero; MariaDB's, [LIMIT](https://mariadb.com/kb/en/limit/).)
#
# The fix is to validate at the edge: FastAPI's `Query(ge=1)` and `Query(ge=1, le=100)` turn bad input into a 422
# that says which parameter is wrong, before your code runs. Both routes below share one session dependency;
# the first is the chapter's, the second uses `paginate()` and `Page[PostOut]`.

# %%
from typing import Annotated

import httpx
from fastapi import Depends, FastAPI, Query
from sqlalchemy.ext.asyncio import AsyncSession

from lessons import get_db

SessionDep = Annotated[AsyncSession, Depends(get_db)]
app = FastAPI()


@app.get("/chapter/posts")
async def chapter_posts(session: SessionDep, page: int = 1, size: int = 10) -> dict:
    return await chapter_paginate(session, by_id, page, size)


@app.get("/posts", response_model=Page[PostOut])
async def list_posts(
    session: SessionDep,
    page: Annotated[int, Query(ge=1)] = 1,
    size: Annotated[int, Query(ge=1, le=100)] = 10,
):
    return await paginate(session, by_id, page, size)


# %% [markdown]
# The client calls the app in memory. `raise_app_exceptions=False` makes an unhandled error come back as the 500 a
# real server would send.

# %%
async def lesson_db():
    async with db.Session() as session:
        yield session


app.dependency_overrides[get_db] = lesson_db
transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)


async def call(url: str) -> None:
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get(url)
    if response.status_code == 422:
        error = response.json()["detail"][0]
        print(url, "→ 422", error["loc"], error["msg"])
    elif response.status_code == 200:
        page = response.json()
        ids = [item["id"] for item in page.pop("items")]
        print(url, "→ 200, post ids", ids, page)
    else:
        print(url, "→", response.status_code, response.text)


await call("/chapter/posts?size=0")
await call("/posts?size=0")
await call("/posts?page=0")
await call("/posts?size=1000")
await call("/posts?page=2&size=2")

# %% [markdown]
# Same input, and now the client learns what to fix. `size` also has a ceiling: `?size=1000000` would otherwise
# load the whole table in one request. `Page[PostOut]` got a schema of its own in the OpenAPI document:

# %%
[name for name in app.openapi()["components"]["schemas"] if name.startswith("Page")]


# %% [markdown]
# And `paginate()` refuses the same values itself, for code that calls it without going through a route:

# %%
async with db.Session() as session:
    with show_error(expected=ValueError):
        await paginate(session, by_id, page=0, size=10)


# %% [markdown]
# ## Keyset pagination: Eloquent's `cursorPaginate()`
#
# `OFFSET 90000` still makes the database produce 90,000 rows and throw them away: deep pages get slower and
# slower. Keyset pagination remembers where the last page ended, the key of its last row, and asks for the rows
# *after* it; with the right index the database jumps straight there.
#
# **In Laravel**
#
# ```php
# $page = Post::orderBy('created_at')->orderBy('id')->cursorPaginate(10);
# $next = Post::orderBy('created_at')->orderBy('id')->cursorPaginate(10, cursor: $page->nextCursor());
# // where (created_at > ? or (created_at = ? and id > ?)) order by created_at, id limit 11
# ```
#
# **In SQLAlchemy** `tuple_(a, b) > (x, y)` is a row-value comparison: a later `created_at`, or the same one and a
# higher `id`.

# %%
from sqlalchemy import tuple_


def keyset(after, size):
    statement = select(Post).order_by(Post.created_at, Post.id).limit(size)
    if after is not None:
        statement = statement.where(tuple_(Post.created_at, Post.id) > after)
    return statement


async with db.Session() as session:
    first = (await session.scalars(keyset(None, 3))).all()
    last = first[-1]
    with show_sql():
        second = (await session.scalars(keyset((last.created_at, last.id), 3))).all()
[post.id for post in first], [post.id for post in second]


# %% [markdown]
# The key is the last row's `(created_at, id)`; an API hands it to the client as an opaque `next_cursor`, as
# Laravel does. (SQLite's dialect always writes an `OFFSET`; `OFFSET 0` skips nothing.)
#
# ### Careful: `created_at` alone is not a key
#
# Two posts written in the same second share a `created_at`. The clock is frozen, so three posts written now tie:

# %%
async with db.Session() as session:
    session.add_all(Post(title=f"Launch day, part {n}", user_id=1) for n in range(1, 4))
    await session.commit()
    seeded_last = await session.get(Post, 1000)

after = (seeded_last.created_at, seeded_last.id)
async with db.Session() as session:
    page_a = (await session.scalars(keyset(after, 2))).all()
    key = (page_a[-1].created_at, page_a[-1].id)
    by_time_only = select(Post).where(Post.created_at > key[0]).order_by(Post.created_at, Post.id).limit(2)
    page_b_wrong = (await session.scalars(by_time_only)).all()
    page_b = (await session.scalars(keyset(key, 2))).all()
print("page A:                     ", [(post.id, f"{post.created_at:%H:%M}") for post in page_a])
print("page B, created_at only:    ", [post.id for post in page_b_wrong])
print("page B, (created_at, id):   ", [post.id for post in page_b])

# %% [markdown]
# Filtering on `created_at > 09:00` skips post 1003: it was written at the same moment as the key. The `id` breaks
# the tie, so the pair `(created_at, id)` is unique and every row is seen exactly once.
#
# ### Same rows as OFFSET
#
# Walk every post both ways, 50 to a page, and compare:

# %%
by_time = select(Post).order_by(Post.created_at, Post.id)

async with db.Session() as session:
    offset_ids, number = [], 1
    while posts := (await session.scalars(by_time.offset((number - 1) * 50).limit(50))).all():
        offset_ids += [post.id for post in posts]
        number += 1
    keyset_ids, after = [], None
    while posts := (await session.scalars(keyset(after, 50))).all():
        keyset_ids += [post.id for post in posts]
        after = (posts[-1].created_at, posts[-1].id)
print(f"{number - 1} pages, {len(keyset_ids)} posts; same rows in the same order: {offset_ids == keyset_ids}")

# %% [markdown]
# What keyset gives up: no "jump to page 37" and no total (Laravel's `cursorPaginate()` has neither). It suits feeds
# and infinite scroll; numbered pages suit admin tables, where people rarely go deep.
#
# ## Measured: 100,000 posts, from the first page to a deep one
#
# A copy of the large seed (10,000 users, 100,000 posts), 20 posts to a page, so page 4,500 means `OFFSET 89980`.
# The large seed is built the first time any lesson asks for it: about 15 seconds, once; every later lesson copies
# it. The next cell builds it now if it is missing, with a progress bar (its output is not compared: the bar only
# appears on that first run).

# %% tags=["nbval-ignore-output"]
from lessons import prepare_seed

await prepare_seed("large")

# %%
big = await fresh_database("06-pagination-large", size="large", make_current=False)

SIZE = 20
PAGES = [1, 500, 1500, 3000, 4500]


def offset_page(page):
    return by_time.offset((page - 1) * SIZE).limit(SIZE)


async with big.engine.connect() as conn:
    keys = {1: None}
    for page in PAGES[1:]:
        row = (await conn.execute(select(Post.created_at, Post.id).order_by(Post.created_at, Post.id)
                                  .offset((page - 1) * SIZE - 1).limit(1))).one()
        keys[page] = tuple(row)
    deep_by_offset = (await conn.execute(offset_page(4500))).all()
    deep_by_keyset = (await conn.execute(keyset(keys[4500], SIZE))).all()
print("page 4,500, same rows both ways:", deep_by_offset == deep_by_keyset)

# %% [markdown]
# `keys` holds the key that ends the page before each page measured: what a client would send back. The query plans,
# without an index on `(created_at, id)`:

# %%
from lessons import explain

print(await explain(offset_page(4500), on=big))
print(await explain(keyset(keys[4500], SIZE), on=big))

# %% [markdown]
# Both read the whole table (`SCAN posts`) and sort what they keep (`USE TEMP B-TREE FOR ORDER BY`). They differ in
# what they keep: keyset *filters before it sorts*, so only the rows after its key reach the sort; OFFSET sorts
# every row, then throws the first 89,980 away. A plan says how SQLite walks the table, not how far: `rows_read()`
# (from `lessons.lens.rows_read`) runs a statement once and lets SQLite count the rows it visited (`read`) and the rows
# that passed the `WHERE` (`kept`, here the rows that go into the sort). It counts on SQLite only.

# %%
import pandas as pd

from lessons import rows_read


async def rows_per_page():
    table = {}
    for page in PAGES:
        offset, seek = await rows_read(offset_page(page), on=big), await rows_read(keyset(keys[page], SIZE), on=big)
        table[page] = {"OFFSET read": offset.read, "OFFSET kept": offset.kept,
                       "keyset read": seek.read, "keyset kept": seek.kept}
    return pd.DataFrame(table).T.rename_axis("page")


await rows_per_page() if big.backend == "sqlite" else "rows_read() counts on SQLite only"

# %% [markdown]
# Without an index, every page of both reads all 100,000 rows. Keyset sorts fewer of them the deeper it goes
# (10,020 at page 4,500, against OFFSET's 100,000), but it still reads the whole table for every page. Time them,
# best of three runs each (the chart comes once the index is there too):

# %% tags=["nbval-ignore-output"]
from lessons import best_of


async def fetch(conn, statement):
    return (await conn.execute(statement)).all()


async def measure(label):
    figures = {}
    async with big.engine.connect() as conn:
        for page in PAGES:
            offset_seconds = await best_of(lambda page=page: fetch(conn, offset_page(page)), repeat=3)
            keyset_seconds = await best_of(lambda page=page: fetch(conn, keyset(keys[page], SIZE)), repeat=3)
            figures[page] = {f"OFFSET{label}": offset_seconds * 1000, f"keyset{label}": keyset_seconds * 1000}
    return figures


unindexed = await measure("")

# %% [markdown]
# Now the index both strategies need, on the sort columns. `lessons.core.models` is shared by every lesson, so we add it
# the way a migration would, with one `CREATE INDEX`. `IF NOT EXISTS` lets the cell run again (without it the
# second run fails: the trap lesson 07 shows; it also declares indexes on models):

# %%
from sqlalchemy import text

async with big.engine.begin() as conn:
    await conn.execute(text("CREATE INDEX IF NOT EXISTS ix_posts_created_at_id ON posts (created_at, id)"))

print(await explain(offset_page(4500), on=big))
print(await explain(keyset(keys[4500], SIZE), on=big))

# %% [markdown]
# Read the two plans: neither sorts any more. OFFSET walks the index in order, but still from the start
# (`SCAN … USING INDEX`); keyset *searches* the index for its key (`SEARCH … (created_at>?)`). (PostgreSQL's plans
# say the same; MariaDB's OFFSET plan still reads the table and sorts it, `ALL … Using filesort`: see the cell's
# tabs on the site.) Count again:

# %%
await rows_per_page() if big.backend == "sqlite" else "rows_read() counts on SQLite only"

# %% [markdown]
# Now OFFSET reads exactly the rows before its page plus the page (90,000 at page 4,500), and keyset reads about one
# page at every depth: the 20 it returns, plus the posts at its key's `created_at` (the key's own row, and at page
# 4,500 one more post written in the same minute), where the search starts and which the row comparison drops.
# PostgreSQL's plans (its tab on the site) read differently (`Index Scan … Index Cond: (ROW(created_at, id) >
# ROW(…))`), and its `EXPLAIN ANALYZE` shows the rows it read; the shape is the same.
#
# ### Careful: MariaDB and MySQL do not search on a row comparison
#
# Their optimizer cannot turn `(created_at, id) > (…, …)` into an index range. The plan there is `type: index`, a
# walk through the whole index from its start, no faster than OFFSET. (The spelled-out form,
# `created_at > … OR (created_at = … AND id > …)`, has the opposite problem: MariaDB searches with it, SQLite and
# PostgreSQL do not; the cell prints its plan last.) One more condition, implied by the row comparison so it
# changes no rows, gives every database a range to search:

# %%
from sqlalchemy import and_, or_


def keyset(after, size):
    statement = select(Post).order_by(Post.created_at, Post.id).limit(size)
    if after is not None:
        statement = statement.where(tuple_(Post.created_at, Post.id) > after, Post.created_at >= after[0])
    return statement


print(await explain(keyset(keys[4500], SIZE), on=big))
async with big.engine.connect() as conn:
    print("same rows:", (await conn.execute(keyset(keys[4500], SIZE))).all() == deep_by_keyset)
key_at, key_id = keys[4500]
spelled_out = or_(Post.created_at > key_at, and_(Post.created_at == key_at, Post.id > key_id))
print("spelled out:", await explain(keyset(None, SIZE).where(spelled_out), on=big), sep="\n")

# %% [markdown]
# On MariaDB this plan now says `type: range` (the cell's MariaDB tab on the site shows all three plans, or run the
# lesson with `DATABASE_URL`). Time all four with the index in place, and draw them:

# %% tags=["nbval-ignore-output"]
import matplotlib.pyplot as plt

indexed = await measure(" + index")
timings = pd.DataFrame({page: unindexed[page] | indexed[page] for page in PAGES}).T.rename_axis("page")
print("measured on this machine, milliseconds:")
print(timings.round(2))
print("fastest at page 4,500:", timings.loc[4500].idxmin(), "· slowest:", timings.loc[4500].idxmax())
ax = timings.plot(logy=True, marker="o", ylabel="milliseconds (best of 3, log scale)",
                  title=f"One page of {SIZE} from 100,000 posts, measured on this machine")
plt.show()

# %% [markdown]
# Your figures differ from run to run (and on a busy machine two close ones can swap). What holds on every machine
# is in the plans and the counts above: without the index both strategies read the whole table for every page
# (keyset sorts fewer rows, since it filters first); with it, OFFSET still reads every row before its page
# (`SCAN … USING INDEX`), and only keyset searches straight to its key (`SEARCH`) and reads about one page.
#
# ## Your turn
#
# A blog's front page lists the newest posts first. Write `next_page(session, after, size)`: the `size` posts
# that follow the key `after` (the last post's `(created_at, id)` on the page before, or `None` for the first
# page) in **newest-first** order, as `Post` objects. One `SELECT` per page, which sends back only that page's rows
# (the database stops after `size`: no count, no OFFSET); the checker inserts posts that share a `created_at`.

# %%
from datetime import datetime

from lessons import exercises

q1 = exercises.get("06.next_page")


async def next_page(session: AsyncSession, after: tuple[datetime, int] | None, size: int) -> list[Post]:
    # BEGIN SOLUTION
    statement = select(Post).order_by(Post.created_at.desc(), Post.id.desc()).limit(size)
    if after is not None:
        statement = statement.where(tuple_(Post.created_at, Post.id) < after)
    return list(await session.scalars(statement))
    # END SOLUTION


await q1.check(next_page)

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
# - `paginate()` = a count over a subquery (right for joins and `GROUP BY`) + `LIMIT size OFFSET (page - 1) * size`.
# - One generic `Page[T]` model serves every list; `from_attributes=True` reads ORM objects.
# - Validate at the edge: `Query(ge=1)` for `page`, `Query(ge=1, le=100)` for `size`. Unchecked, `size=0` is a
#   `ZeroDivisionError` (500) and `page=0` is silently page 1 on SQLite, an error on PostgreSQL and MariaDB.
# - Keyset pagination: `WHERE (created_at, id) > :key ORDER BY created_at, id LIMIT :size` with `tuple_`. The `id`
#   breaks ties; the rows are the same as OFFSET's. Add `created_at >= :key_created_at` so MariaDB and MySQL can
#   search the index too.
# - OFFSET reads every row before its page, index or not. Keyset without an index still reads the whole table (it
#   only sorts less); with an index on `(created_at, id)` it reads about one page at any depth. Check with
#   `explain()` (`SCAN` walks from the start, `SEARCH` jumps to the key) and count with `rows_read()`.
#
# [Contents](00-setup.ipynb#Course-map) · Previous: [← 05b · Joins and subqueries](05b-joins-and-subqueries.ipynb) · Next: [07 · Indexes →](07-indexes.ipynb)
