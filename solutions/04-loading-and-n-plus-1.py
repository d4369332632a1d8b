# %% [markdown]
# # 04 · Loading relationships, and the N+1 problem
#
# [Contents](00-setup.ipynb#Course-map) · Previous: [← 03 · Relationships](03-relationships.ipynb) · Next: [05a · Query builder →](05a-query-builder.ipynb)
#
# In Laravel, `$user->posts` runs a query the first time you read it, quietly. Inside a loop that is one query
# per user: the **N+1 problem**, and `with('posts')` is the cure. Async SQLAlchemy never runs a query behind your
# back: reading a relationship that is not loaded **raises**. This lesson shows that error as it really is, the
# explicit (and still N+1) way around it, the loaders that fetch everything in one or two statements, and how
# they compare when the data grows.
#
# **You will learn**
# - why `user.posts` raises under asyncio, and which exception you actually get
# - what the N+1 looks like in async code (`await user.awaitable_attrs.posts`), and how a test catches it
# - `selectinload` (Eloquent's `with()`), `joinedload` with `.unique()`, and nested loading
# - how to forbid lazy loads (`raiseload`, `lazy="raise"`: Eloquent's `preventLazyLoading()`), and why a closed
#   session's objects raise `DetachedInstanceError`
# - how many statements and how much time each strategy costs as the users grow, with and without an index
#
# **Time:** about 40 minutes.

# %%
from lessons import clock, fresh_database

clock.freeze()
db = await fresh_database("04-loading-and-n-plus-1")
db

# %% [markdown]
# ## Lazy loading: what Eloquent does for you
#
# **In Laravel**
#
# ```php
# $users = User::orderBy('id')->take(3)->get();   // select * from users … limit 3
# foreach ($users as $user) {
#     echo $user->posts->count();                  // select * from posts where user_id = ?  (once per user)
# }
# ```
#
# **In SQLAlchemy** a relationship's loader is set by `lazy=`; unless the model says otherwise it is `"select"`:
# load on first access, with a `SELECT` of its own, exactly like Eloquent. (The chapter calls `lazy="selectin"` the
# default; it is not.)

# %%
from sqlalchemy import inspect

from lessons import User

inspect(User).relationships["posts"].lazy

# %% [markdown]
# ## Careful: under asyncio, a lazy load raises
#
# Load three users, then read `posts` on the first one, the way the Eloquent loop does:

# %%
from sqlalchemy import select
from sqlalchemy.exc import MissingGreenlet

from lessons import show_error

async with db.Session() as session:
    users = (await session.scalars(select(User).order_by(User.id).limit(3))).all()
    with show_error(expected=MissingGreenlet):
        print(len(users[0].posts))


# %% [markdown]
# A lazy load must run a query, and under asyncio a query must be awaited. Reading an attribute cannot `await`,
# so SQLAlchemy raises rather than block the event loop. The chapter's N+1 demo expects an extra query per user
# here; in async code there is no query at all, only this error.
#
# ### Which exception, exactly?
#
# SQLAlchemy 2.0 raised `MissingGreenlet`. In 2.1 it depends on the driver: aiosqlite and aiomysql first await
# while the cursor opens, and SQLAlchemy wraps an error from that step in a `StatementError` (the
# `MissingGreenlet` is its `.orig`); asyncpg first awaits while the statement runs, and that error comes through
# as it is. So on SQLite and MariaDB, `except MissingGreenlet` lets it through:

# %%
from sqlalchemy.exc import IntegrityError, StatementError

async with db.Session() as session:
    user = await session.get(User, 1)
    with show_error(expected=MissingGreenlet) as caught:  # show_error looks inside StatementError too
        try:
            user.posts
        except MissingGreenlet:
            print("`except MissingGreenlet` caught it")  # PostgreSQL only
            raise

print(f"{db.backend}: raised {type(caught.error).__name__}")
print("is a MissingGreenlet:", isinstance(caught.error, MissingGreenlet))
print("wraps:", type(getattr(caught.error, "orig", None)).__name__)
print("IntegrityError is a StatementError too:", issubclass(IntegrityError, StatementError))

# %% [markdown]
# (On PostgreSQL the same cell prints `postgresql: raised MissingGreenlet`, wrapping nothing: its tab
# on the site.) Code that must recognise it has to check both the error and its `.orig`, and `except StatementError`
# alone would also swallow every integrity error (the last line). Better: never read what you did not load. The rest
# of this lesson is about loading it.
#
# ## The real N+1 in async: `awaitable_attrs`
#
# The course's `Base` mixes in `AsyncAttrs`, which gives every object an `awaitable_attrs` namespace: awaiting
# `user.awaitable_attrs.posts` runs the lazy load properly. It works, and it is Eloquent's N+1 again, only now you
# can see it: an `await` inside a loop.

# %%
from lessons import show_sql

async with db.Session() as session:
    with show_sql():
        users = (await session.scalars(select(User).order_by(User.id).limit(3))).all()
        for user in users:
            posts = await user.awaitable_attrs.posts
            print(f"→ {user.name}: {len(posts)} posts")


# %% [markdown]
# One `SELECT` for the users, then one per user: 1 + N statements, each a round trip to the database. Three
# users cost 4 statements; a page of 50 costs 51. `expect_queries(n)` from the SQL lens turns that into an
# assertion (Django's `assertNumQueries`; in Laravel you would count `DB::getQueryLog()`):

# %%
from sqlalchemy.ext.asyncio import AsyncSession

from lessons import expect_queries


async def post_counts_one_by_one(session: AsyncSession, n: int) -> dict[int, int]:
    users = (await session.scalars(select(User).order_by(User.id).limit(n))).all()
    return {user.id: len(await user.awaitable_attrs.posts) for user in users}


for n in (3, 10, 50):
    async with db.Session() as session:
        with expect_queries(1 + n):
            counts = await post_counts_one_by_one(session, n)
    print(f"{n} users: {1 + n} statements")


# %% [markdown]
# In a test you assert the number you *want*; the N+1 then fails loudly. The first line of the message names
# what ran (repeats folded: `×3`); the lines after it, which pytest prints in full, list each statement with its
# parameters:

# %%
async with db.Session() as session:
    with show_error(expected=AssertionError), expect_queries(2):
        await post_counts_one_by_one(session, 3)


# %% [markdown]
# ## `selectinload`: Eloquent's `with()`
#
# **In Laravel**
#
# ```php
# $users = User::with('posts')->orderBy('id')->take(3)->get();
# // select * from users order by id limit 3
# // select * from posts where posts.user_id in (1, 2, 3)
# ```
#
# **In SQLAlchemy** the loader goes in `.options(...)`:

# %%
from sqlalchemy.orm import selectinload

async with db.Session() as session:
    with show_sql():
        users = (
            await session.scalars(select(User).order_by(User.id).limit(3).options(selectinload(User.posts)))
        ).all()
    for user in users:
        print(f"→ {user.name}: {len(user.posts)} posts")


# %% [markdown]
# Two statements, the same two Eloquent sends: the users, then all their posts with one `IN (…)` of the ids the
# first statement returned. After that `user.posts` is a plain list: no `await`, no query. And it stays two for
# 50 users:

# %%
async with db.Session() as session:
    with expect_queries(2):
        users = (
            await session.scalars(select(User).order_by(User.id).limit(50).options(selectinload(User.posts)))
        ).all()
print(len(users), "users,", sum(len(user.posts) for user in users), "posts")

# %% [markdown]
# (The session is closed by then, and `user.posts` still reads fine: loaded data stays on the objects.)
#
# ## `joinedload`: one statement, and `.unique()`
#
# `joinedload` fetches the posts in the *same* statement with a `LEFT OUTER JOIN`. Eloquent has no equivalent.
#
# ### Careful: a joined collection needs `.unique()`

# %%
from sqlalchemy.exc import InvalidRequestError
from sqlalchemy.orm import joinedload

joined = select(User).where(User.id <= 3).order_by(User.id).options(joinedload(User.posts))

async with db.Session() as session:
    with show_error(expected=InvalidRequestError):
        users = (await session.scalars(joined)).all()


# %% [markdown]
# The join returns one row *per post*, so each user comes back once per post it has. SQLAlchemy will not hand
# you those duplicates silently: you ask for them to be folded into one object each with `.unique()`:

# %%
async with db.Session() as session:
    with show_sql():
        users = (await session.scalars(joined)).unique().all()
[(user.id, len(user.posts)) for user in users]

# %% [markdown]
# One statement, but every user's columns travel once per post. For a **collection** (`hasMany`,
# `belongsToMany`) prefer `selectinload`. For a **single object** (`belongsTo`, `hasOne`) `joinedload` is the
# natural choice: one row per post anyway, nothing to fold, no `.unique()`:

# %%
from lessons import Post

async with db.Session() as session:
    with show_sql():
        posts = (
            await session.scalars(select(Post).order_by(Post.id).limit(3).options(joinedload(Post.author)))
        ).all()
[(post.id, post.author.name) for post in posts]


# %% [markdown]
# ## Nested and several relationships
#
# **In Laravel**
#
# ```php
# $users = User::with('posts.comments')->whereIn('id', [1, 2])->get();   // 3 queries
# ```
#
# **In SQLAlchemy** chain the loaders along the path:

# %%
async with db.Session() as session:
    with show_sql():
        users = (
            await session.scalars(
                select(User)
                .where(User.id.in_([1, 2]))
                .order_by(User.id)
                .options(selectinload(User.posts).selectinload(Post.comments))
            )
        ).all()
for user in users:
    print(f"→ {user.name}: comments per post {[len(post.comments) for post in user.posts]}")


# %% [markdown]
# Three statements: users, their posts, those posts' comments; one per level, however many rows. Several
# relationships side by side (`with(['posts', 'roles', 'profile'])`) are several options, and each loader keeps
# its own cost: two `selectinload`s add a statement each, a `joinedload` adds a join to the first one.

# %%
async with db.Session() as session:
    with expect_queries(3):
        users = (
            await session.scalars(
                select(User)
                .where(User.id <= 20)
                .options(selectinload(User.posts), selectinload(User.roles), joinedload(User.profile))
            )
        ).all()
print(sum(len(u.posts) for u in users), "posts ·", sum(len(u.roles) for u in users), "roles ·",
      sum(u.profile is not None for u in users), "profiles")

# %% [markdown]
# ## Forbid accidental lazy loads
#
# **In Laravel** you switch lazy loading off in development, and a forgotten `with()` throws:
#
# ```php
# Model::preventLazyLoading(! app()->isProduction());   // LazyLoadingViolationException
# ```
#
# **In SQLAlchemy**, per query: `raiseload("*")` makes every relationship you did not load raise at once, with
# a message that names it (clearer than a greenlet error, and it also refuses `awaitable_attrs`):

# %%
from sqlalchemy.orm import raiseload

async with db.Session() as session:
    users = (
        await session.scalars(
            select(User).where(User.id <= 3).options(selectinload(User.posts), raiseload("*"))
        )
    ).all()
    print([len(user.posts) for user in users])
    with show_error(expected=InvalidRequestError):
        users[0].roles
    with show_error(expected=InvalidRequestError):
        await users[0].awaitable_attrs.roles


# %% [markdown]
# Per relationship, in the model: `lazy="raise"` makes eager loading the *only* way to read it, and
# `lazy="selectin"` loads it on every query (Eloquent's `protected $with = ['author'];`). Two small models in
# `lessons/scenery/lesson04_loader_default_models.py` show both, in tables of their own:
#
# ```python
# class Author(LoaderBase):
#     books: Mapped[list["Book"]] = relationship(back_populates="author", lazy="raise", order_by="Book.id")
#
# class Book(LoaderBase):
#     author: Mapped[Author] = relationship(back_populates="books", lazy="selectin")
# ```

# %%
from lessons.scenery.lesson04_loader_default_models import Author, Book, add_authors_and_books

await add_authors_and_books(db)
print("Author.books:", inspect(Author).relationships["books"].lazy)
print("Book.author:", inspect(Book).relationships["author"].lazy)


# %% [markdown]
# `Book.author` is `lazy="selectin"`: a plain query for books brings their authors along, in a second statement.

# %%
async with db.Session() as session:
    with show_sql():
        books = (await session.scalars(select(Book).order_by(Book.id))).all()
[(book.title, book.author.name) for book in books]


# %% [markdown]
# `Author.books` is `lazy="raise"`: reading it without a loader fails, awaited or not, and a loader in the query
# overrides the model's default.

# %%
async with db.Session() as session:
    ada = await session.scalar(select(Author).where(Author.name == "Ada Lovelace"))
    with show_error(expected=InvalidRequestError):
        ada.books
    with show_error(expected=InvalidRequestError):
        await ada.awaitable_attrs.books

async with db.Session() as session:
    ada = await session.scalar(
        select(Author).where(Author.name == "Ada Lovelace").options(selectinload(Author.books))
    )
ada.books

# %% [markdown]
# ## Careful: after the session closes, `DetachedInstanceError`
#
# In Laravel a model can lazy load at any time: the connection is global. In SQLAlchemy an object loads through
# its session, and leaving `async with` closes the session and **detaches** the objects. The chapter's
# `await db.close(); return user.posts` endpoint does exactly this:

# %%
from sqlalchemy.orm.exc import DetachedInstanceError

async with db.Session() as session:
    user = await session.get(User, 1)
print(user.name)  # columns loaded earlier are still there
with show_error(expected=DetachedInstanceError):  # posts was never loaded, and no session is left to load it
    user.posts


# %% [markdown]
# The fix is the same as for the async error: load what you will read while the session is open. `session.get`
# takes loader options too:

# %%
async with db.Session() as session:
    with show_sql(transactions=False):
        user = await session.get(User, 1, options=[selectinload(User.posts)])
len(user.posts)

# %% [markdown]
# ## Measured: statements and time as the users grow
#
# The lesson database has 200 users with about five posts each. To measure, `lessons.scenery.lesson04_loading_benchmark` builds two
# more private databases with 1,000 users and exactly 10 posts each; the second without the index on
# `posts.user_id`, the column every strategy here searches. MariaDB refuses to drop that index (InnoDB needs an
# index on every foreign key column: MariaDB's [Foreign Keys](https://mariadb.com/kb/en/foreign-keys/)), so there
# the comparison runs with the index only: run the lesson on MariaDB, or open its tab on the site, to see the error.

# %%
from sqlalchemy.exc import OperationalError

from lessons.scenery.lesson04_loading_benchmark import build_bench_database

benches = {"with": await build_bench_database("04-loading-and-n-plus-1-indexed")}
with show_error(expected=OperationalError if db.backend == "mysql" else None):
    benches["without"] = await build_bench_database("04-loading-and-n-plus-1-unindexed", index=False)
list(benches)

# %% [markdown]
# What each lazy load of `posts` now costs, as query plans (lesson 07 reads them in depth): a search through the
# index, or a scan of all 10,000 posts.

# %%
from lessons import explain

for label, bench in benches.items():
    print(f"{label} the index:")
    print(await explain(select(Post).where(Post.user_id == 3), on=bench))

# %% [markdown]
# The three ways to read every user's posts are the ones above, as functions of the number of users `n`, in
# `loading_benchmark.STRATEGIES`: the `awaitable_attrs` loop, `selectinload` and `joinedload`. `measure_loading`
# runs each in a fresh session, 10, 100 and 1,000 users, and keeps the best of three runs (one at 1,000 users). It
# reads two clocks: `seconds`, the wall-clock time you wait, which also counts waiting for the database and for
# whatever else the machine is doing; and `cpu`, the processor time this Python process spent (the SQLite
# driver's thread included), which is much steadier on a busy machine. Measured on this machine:

# %% tags=["nbval-ignore-output"]
from lessons.scenery.lesson04_loading_benchmark import measure_loading

results = await measure_loading(benches)
assert (results["posts"] == 10 * results["users"]).all()
results.pivot(index=["user_id index", "users"], columns="strategy", values=["seconds", "cpu"]).round(3)

# %% [markdown]
# The seconds change on every run; the statements never do:

# %%
results.pivot(index=["user_id index", "users"], columns="strategy", values="statements")

# %% [markdown]
# Note the **3** for `selectinload` at 1,000 users: it sends the ids in batches of 500, one `IN (…)` each.

# %% tags=["nbval-ignore-output"]
import matplotlib.pyplot as plt

from lessons.scenery.lesson04_loading_benchmark import plot_loading

fig = plot_loading(results)
plt.show()

# %% [markdown]
# What the measurements show, stated so it holds on any machine: the statements.

# %%
at_1000 = results[(results["users"] == 1000) & (results["user_id index"] == "with")].set_index("strategy")
print("statements at 1,000 users:", at_1000["statements"].to_dict())
same_counts = results.groupby(["strategy", "users"])["statements"].nunique().eq(1).all()
print("the index changes no statement count:", bool(same_counts))

# %% [markdown]
# And what they show on this machine: a timing, so it sits in a cell whose output is not compared. The CPU
# clock is the steadier one on a busy machine.

# %% tags=["nbval-ignore-output"]
loop_cpu = at_1000.loc["awaitable_attrs loop", "cpu"]
for strategy in ["selectinload", "joinedload"]:
    print(f"measured on this machine, 1,000 users: {strategy} used {at_1000.loc[strategy, 'cpu']:.2f} s of CPU, "
          f"the loop {loop_cpu:.2f} s ({loop_cpu / at_1000.loc[strategy, 'cpu']:.1f}× as much)")

# %% [markdown]
# What holds on every machine: the loop's cost grows with the number of users, since every user is one more
# statement and one more round trip, and without the index every one of those statements scans all 10,000 posts
# (the `SCAN posts` plan above). `selectinload` and `joinedload` stay at a handful of statements, with or without
# the index. How much time that is depends on the machine: your figures are in the table and the chart above
# (and on a busy machine two close ones can swap).
#
# ## Your turn
#
# Write `users_with_posts(session, user_ids)`: the `User` objects whose id is in `user_ids`, in id order, each
# with its `posts` loaded, in **exactly 2 statements**, filtered in SQL (the database sends back only those
# users). Eloquent: `User::with('posts')->whereIn('id', $ids)->orderBy('id')->get()`. The checker runs it and the
# reference on generated databases (ids in any order, a user with no posts, an unknown id, more than ten users),
# compares the users and posts you return, and counts the statements and the rows they sent back.

# %%
from lessons import exercises

q1 = exercises.get("04.users_with_posts")


async def users_with_posts(session: AsyncSession, user_ids: list[int]) -> list[User]:
    # BEGIN SOLUTION
    statement = select(User).where(User.id.in_(user_ids)).order_by(User.id).options(selectinload(User.posts))
    return list((await session.scalars(statement)).all())
    # END SOLUTION


await q1.check(users_with_posts)

# %% [markdown]
# Stuck? Ask for a hint, then another; `q1.solution()` shows one answer (yours may differ and still pass).

# %%
q1.hint()
# q1.hint(2)
# q1.solution()

# %% [markdown]
# ## Key points
#
# - A relationship's default loader is `lazy="select"`; under asyncio a lazy read raises `MissingGreenlet`,
#   which SQLAlchemy 2.1 wraps in `StatementError` on aiosqlite and aiomysql (`except MissingGreenlet` misses it)
#   and not on asyncpg.
# - `await obj.awaitable_attrs.rel` loads explicitly; in a loop it is the N+1: 1 + N statements.
# - `selectinload` is Eloquent's `with()`: 2 statements (one more per 500 parents); `joinedload` is one
#   statement with a JOIN and needs `.unique()` on collections; nested loaders cost one statement per level.
# - `raiseload("*")` per query, or `lazy="raise"` per relationship, turns a forgotten loader into a clear error
#   (Eloquent's `preventLazyLoading()`); `lazy="selectin"` is `protected $with`.
# - Load what you will read before the session closes, or meet `DetachedInstanceError`.
# - Assert statement counts in tests with `expect_queries(n)`: timings vary, counts do not.
#
# [Contents](00-setup.ipynb#Course-map) · Previous: [← 03 · Relationships](03-relationships.ipynb) · Next: [05a · Query builder →](05a-query-builder.ipynb)
