# %% [markdown]
# # 05b · Joins and subqueries: `join`, `groupBy`, `withCount` and `whereHas`
#
# [Contents](00-setup.ipynb#Course-map) · Previous: [← 05a · Query builder](05a-query-builder.ipynb) · Next: [06 · Pagination →](06-pagination.ipynb)
#
# Lesson 05a built single-table queries with `select()`. Most real questions span tables: posts with their
# authors, users with a count of their posts, users who have never written anything. This lesson builds them the
# same way: each statement is printed with `to_sql()` and its rows are shown as a DataFrame by `frame()`.
#
# **You will learn**
# - how `join()` follows a relationship, and what to do when a table can be reached two ways
# - `group_by` and `having` with a labelled aggregate, and outer joins that keep rows with no match
# - why `count(*)` over an outer join counts users who have nothing
# - subqueries: a correlated count (`withCount`), a derived table (`fromSub`), `in_()` with a `select`
# - `EXISTS` with `.any()`/`.has()`: Eloquent's `whereHas` and `doesntHave`
#
# **Time:** about 35 minutes.

# %% [markdown]
# ## Your lesson database

# %%
from lessons import clock, fresh_database

clock.freeze()
db = await fresh_database("05b-joins-and-subqueries")
db

# %% [markdown]
# ## Joins
#
# **In Laravel**
#
# ```php
# DB::table('users')
#     ->join('posts', 'users.id', '=', 'posts.user_id')
#     ->where('posts.published', true)
#     ->select('users.name', 'posts.title')
#     ->get();
# ```
#
# **In SQLAlchemy** `join(User.posts)` follows the relationship; `join(Post)` finds the `ON` clause from the
# foreign key; `join(Post, Post.user_id == User.id)` spells it out. All three make the same join here:

# %%
from sqlalchemy import select

from lessons import Comment, Post, User, show_sql, to_sql

for join_args in [(User.posts,), (Post,), (Post, Post.user_id == User.id)]:
    print(to_sql(select(User.name).join(*join_args)).splitlines()[1])

# %% [markdown]
# (The last keeps the `ON` the way round you wrote it.) The first form, in a query:

# %%
from sqlalchemy import func

from lessons import frame

titles = (
    select(User.name, Post.title)
    .join(User.posts)
    .where(Post.published)
    .order_by(Post.id)
    .limit(5)
)
print(to_sql(titles))
await frame(titles)

# %% [markdown]
# ### Careful: two ways to reach a table
#
# `comments` has a foreign key to `posts` *and* one to `users`. Once both are in the query, `join(Comment)`
# cannot guess which one you mean. The statement builds without complaint; compiling (or running) it fails:

# %%
from sqlalchemy.exc import InvalidRequestError

from lessons import show_error

ambiguous = select(User.name, Post.title, Comment.body).join(Post).join(Comment)  # no error yet

with show_error(expected=InvalidRequestError):
    print(to_sql(ambiguous))

# %% [markdown]
# Name the path with the relationship (`join(Post.comments)`: the post's comments), or give the `ON` clause:

# %%
thread = (
    select(User.name.label("author"), Post.title, Comment.body)
    .join(User.posts)
    .join(Post.comments)
    .where(Post.id == 1)
    .order_by(Comment.id)
    .limit(3)
)
print(to_sql(thread))
await frame(thread)

# %% [markdown]
# ## `group_by` with labelled aggregates
#
# **In Laravel**
#
# ```php
# User::join('posts', 'users.id', '=', 'posts.user_id')
#     ->select('users.id', 'users.name', DB::raw('count(posts.id) as post_count'))
#     ->groupBy('users.id', 'users.name')
#     ->having('post_count', '>', 10)
#     ->orderByDesc('post_count')
#     ->get();
# ```
#
# **In SQLAlchemy** label the aggregate once and reuse the object: in `having()` it renders the expression, in
# `order_by()` the label.

# %%
post_count = func.count(Post.id).label("post_count")

prolific = (
    select(User.id, User.name, post_count)
    .join(User.posts)
    .group_by(User.id, User.name)
    .having(post_count > 10)
    .order_by(post_count.desc(), User.id)
)
print(to_sql(prolific))
await frame(prolific)

# %% [markdown]
# `WHERE` filters rows before they are grouped; `HAVING` filters the groups. Every plain column you select must be
# grouped, or belong to a table whose primary key is grouped: PostgreSQL refuses anything else, while SQLite and
# MariaDB (in its default `sql_mode`) silently return some row's value. Here `posts.title` is neither; the same
# cell answers on SQLite (below) and MariaDB, and is an error on PostgreSQL (its tab on the site, or run the lesson
# there). With `ONLY_FULL_GROUP_BY` set, which the cell sets for its own connection on MariaDB, MariaDB refuses
# even a column that depends on a grouped primary key (10.11 answers `'users.name' isn't in GROUP BY`): there,
# group by every column you select. (PostgreSQL's documentation, [GROUP
# BY](https://www.postgresql.org/docs/15/sql-select.html#SQL-GROUPBY); SQLite's, [bare columns in an aggregate
# query](https://www.sqlite.org/lang_select.html#bare_columns_in_an_aggregate_query); MariaDB's,
# [`ONLY_FULL_GROUP_BY`](https://mariadb.com/kb/en/sql-mode/).)

# %%
from sqlalchemy.exc import OperationalError, ProgrammingError

loose = select(User.id, Post.title, func.count(Post.id)).join(User.posts).group_by(User.id)
async with db.engine.connect() as conn:
    with show_error(expected=ProgrammingError if db.backend == "postgresql" else None):
        print(f"{db.backend}: {len((await conn.execute(loose)).all())} rows, each with some post's title")
if db.backend == "mysql":
    async with db.engine.connect() as conn:
        await conn.exec_driver_sql("SET SESSION sql_mode = CONCAT(@@sql_mode, ',ONLY_FULL_GROUP_BY')")
        try:
            await conn.execute(select(User.name, func.count(Post.id)).join(User.posts).group_by(User.id))
        except OperationalError as error:  # the message names this copy's database: leave that out
            print("ONLY_FULL_GROUP_BY:", error.orig.args[1].replace(f"{conn.engine.url.database}.", ""))
        await conn.exec_driver_sql("SET SESSION sql_mode = DEFAULT")  # the pool's next user gets the default

# %% [markdown]
# ### Outer joins: keep the users with no posts
#
# An inner join drops users who have written nothing. The chapter's query uses `outerjoin()` (Laravel's
# `leftJoin`), and selects the `User` entity beside the count:

# %%
with_counts = (
    select(User, func.count(Post.id).label("post_count"))
    .outerjoin(User.posts)
    .group_by(User.id)
    .order_by(User.id.desc())
    .limit(3)
)
async with db.Session() as session:
    with show_sql(transactions=False):
        rows = (await session.execute(with_counts)).all()
[(row.User.name, row.post_count) for row in rows]

# %% [markdown]
# Each row is a `(User, int)` pair, named after the entity and the label. Grouping by `users.id` alone
# is enough on SQLite, PostgreSQL and MariaDB's default mode (the cell runs on each: see their tabs on the site): it
# is the primary key, so every other column of `users` depends on it.
#
# ### Careful: `count(*)` over an outer join
#
# For a user with no posts, the outer join still produces one row, with NULL in every `posts` column. As in 05a,
# `count(*)` counts rows, so it counts that one:

# %%
star_or_column = (
    select(
        User.id,
        func.count().label("count_star"),
        func.count(Post.id).label("count_post_id"),
    )
    .outerjoin(User.posts)
    .group_by(User.id)
    .order_by(func.count(Post.id), User.id)
    .limit(4)
)
await frame(star_or_column)

# %% [markdown]
# Users 181 to 200 have written nothing, yet `count(*)` says 1. Count a column of the outer table (`Post.id`), which
# is NULL on the padded row.
#
# ## Subqueries
#
# ### A correlated count: `withCount`
#
# ```php
# User::withCount('posts')->orderByDesc('posts_count')->take(5)->get();
# ```
#
# `scalar_subquery()` turns a one-value `select` into an expression you can select, filter or order by. It
# refers to `User.id` from the outer query, so SQLAlchemy correlates it for you.

# %%
posts_count = (
    select(func.count(Post.id)).where(Post.user_id == User.id).scalar_subquery().label("posts_count")
)
busiest = select(User.id, User.name, posts_count).order_by(posts_count.desc(), User.id).limit(5)
print(to_sql(busiest))
await frame(busiest)

# %% [markdown]
# ### A derived table: `fromSub`
#
# ```php
# $perAuthor = Post::select('user_id', DB::raw('count(*) as n'))->groupBy('user_id');
# DB::query()->fromSub($perAuthor, 'per_author')->avg('n');
# ```
#
# `.subquery()` makes a `select` usable as a table; its columns are on `.c`.

# %%
per_author = select(Post.user_id, func.count().label("n")).group_by(Post.user_id).subquery("per_author")
spread = select(
    func.count().label("authors"),
    func.min(per_author.c.n).label("fewest"),
    func.max(per_author.c.n).label("most"),
    func.avg(per_author.c.n).label("average"),
)
print(to_sql(spread))
await frame(spread)

# %% [markdown]
# ### `whereIn` with a subquery
#
# ```php
# User::whereIn('id', Comment::select('user_id')->where('post_id', 1))->get();
# ```
#
# Pass a `select` to `in_()`; it is sent as one statement, not as a list of ids fetched first.

# %%
commenters = (
    select(User.id, User.name)
    .where(User.id.in_(select(Comment.user_id).where(Comment.post_id == 1)))
    .order_by(User.id)
)
print(to_sql(commenters))
await frame(commenters)

# %% [markdown]
# ## `EXISTS`: `whereHas` and `doesntHave`
#
# **In Laravel**
#
# ```php
# User::whereHas('posts', fn ($q) => $q->where('published', true))->count();
# User::doesntHave('posts')->get();
# ```
#
# **In SQLAlchemy** a one-to-many relationship has `.any(condition)`; a many-to-one has `.has(condition)`. Both
# compile to a correlated `EXISTS`, and `~` negates it.

# %%
publishing = select(func.count()).select_from(User).where(User.posts.any(Post.published))
print(to_sql(publishing))
await frame(publishing)

# %%
silent = select(User.id, User.name).where(~User.posts.any()).order_by(User.id).limit(5)
print(to_sql(silent))
await frame(silent)

# %% [markdown]
# `.has()` goes the other way, from a post to its author (`Post::whereHas('author', ...)`):

# %%
by_admins = select(func.count()).select_from(Post).where(Post.author.has(User.role == "admin"))
print(to_sql(by_admins))
await frame(by_admins)

# %% [markdown]
# Without a relationship, write the `EXISTS` yourself with `exists()`; this is the same query as `silent`:

# %%
from sqlalchemy import exists

silent_by_hand = (
    select(User.id, User.name)
    .where(~exists().where(Post.user_id == User.id))
    .order_by(User.id)
    .limit(5)
)
print(to_sql(silent_by_hand))
(await frame(silent_by_hand)).equals(await frame(silent))

# %% [markdown]
# ## Your turn
#
# ### 1. Top publishers
#
# Write `top_publishers(session, min_posts)`: the users with **more than** `min_posts` *published* posts, as
# `(name, published posts)` pairs, most first (ties in any order), in **one** statement. Two users may share a
# name: each is a row of its own. The checker compares your function with the reference on generated databases, with two publishing users of the
# same name, for thresholds from 0 to the most anyone published.

# %%
from sqlalchemy.ext.asyncio import AsyncSession

from lessons import exercises

q1 = exercises.get("05.top_publishers")


async def top_publishers(session: AsyncSession, min_posts: int) -> list[tuple[str, int]]:
    # BEGIN SOLUTION
    published = func.count(Post.id).label("published")
    rows = await session.execute(
        select(User.name, published)
        .join(User.posts)
        .where(Post.published)
        .group_by(User.id, User.name)
        .having(published > min_posts)
        .order_by(published.desc())
    )
    return [(name, count) for name, count in rows]
    # END SOLUTION


await q1.check(top_publishers)

# %%
q1.hint()

# %%
# q1.hint(2)
# q1.solution()

# %% [markdown]
# ### 2. Users without posts
#
# Write `users_without_posts(session)`: the ids of every user who has written no post at all (drafts count as
# posts), in one statement, each id once, in any order. Eloquent: `User::doesntHave('posts')->pluck('id')`.
# The checker compares it with the reference on generated databases, with a user whose only post is a draft.

# %%
q2 = exercises.get("05.users_without_posts")


async def users_without_posts(session: AsyncSession) -> list[int]:
    # BEGIN SOLUTION
    ids = await session.scalars(select(User.id).outerjoin(User.posts).where(Post.id.is_(None)).order_by(User.id))
    return list(ids)
    # END SOLUTION


await q2.check(users_without_posts)

# %%
q2.hint()

# %%
# q2.hint(2)
# q2.solution()

# %% [markdown]
# ## Key points
#
# - `join(User.posts)` follows a relationship; when a table can be reached two ways (`comments` from `posts` and
#   from `users`), name the path with the relationship or give the `ON` clause.
# - `WHERE` filters rows, `HAVING` filters groups; label an aggregate once and reuse it in `having()` and
#   `order_by()`; group by the primary key, not by a name two users can share.
# - `outerjoin()` keeps rows with no match; over it, count a column of the joined table (`count(posts.id)`), never
#   `*`, which counts the NULL-padded row.
# - `scalar_subquery()` is `withCount`, `.subquery()` is `fromSub`, and `in_(select(...))` is `whereIn` with a
#   subquery: each is one statement.
# - `.any()`/`.has()` are `whereHas`; `~` is `doesntHave`; `exists()` writes the same `EXISTS` by hand.
#
# [Contents](00-setup.ipynb#Course-map) · Previous: [← 05a · Query builder](05a-query-builder.ipynb) · Next: [06 · Pagination →](06-pagination.ipynb)
