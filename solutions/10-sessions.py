# %% [markdown]
# # 10 · Sessions: one per request, one per task
#
# [Contents](00-setup.ipynb#Course-map) · Previous: [← 09 · Bulk operations](09-bulk-operations.ipynb) · Next: [11 · Security →](11-security.ipynb)
#
# Under PHP-FPM each request has a process of its own, so Laravel's database connection is never used by two
# requests at once. An async Python server runs hundreds of requests in one process, on one event loop. A
# SQLAlchemy session holds a transaction, a connection and every object it has loaded: state that must belong to
# one request, or one background task, at a time. This lesson sets that up and shows what breaks without it.
#
# **You will learn**
# - what a session holds: the identity map, pending changes, a transaction
# - one session per request with `get_db`, and one per background task
# - the two ways a session shared by concurrent requests goes wrong
# - what `expire_on_commit` changes
# - why `DetachedInstanceError` appears after a session closes, and how eager loading prevents it
#
# **Time:** about 40 minutes.

# %%
from lessons import clock, fresh_database

clock.freeze()
db = await fresh_database("10-sessions")
db

# %% [markdown]
# ## What a session holds
#
# **In Laravel** every `find()` is a query and a new object:
#
# ```php
# $a = User::find(7);
# $b = User::find(7);   // a second SELECT, a second object: $a !== $b
# ```
#
# **In SQLAlchemy**

# %%
from lessons import User, show_sql

async with db.Session() as session:
    with show_sql():
        first = await session.get(User, 7)
        again = await session.get(User, 7)
    print("same object:", first is again)
    first.name = "Not saved"
    print("pending changes:", session.dirty)
async with db.Session() as session:
    print("in the database:", (await session.get(User, 7)).name)


# %% [markdown]
# The second `get()` ran no SQL: the session's **identity map** already held user 7, and handed back the same
# object. The change waits in the session until a commit; leaving the block without one rolled it back. The map,
# the pending changes, the open transaction and its connection all belong to whoever holds the session.
#
# ## One session per request: `get_db`
#
# **In Laravel** you never see this: the container gives each request its controller, and the process its one
# connection. **In FastAPI** a dependency opens a session for each request and closes it after the response.

# %%
from typing import Annotated

import httpx
from fastapi import Depends, FastAPI, HTTPException
from pydantic import BaseModel, ConfigDict
from sqlalchemy.ext.asyncio import AsyncSession

from lessons import Post, get_db

SessionDep = Annotated[AsyncSession, Depends(get_db)]


class PostOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    user_id: int
    published: bool


# %%
app = FastAPI()


@app.get("/posts/{post_id}")
async def read_post(post_id: int, session: SessionDep) -> PostOut:
    post = await session.get(Post, post_id)
    if post is None:
        raise HTTPException(404, "Post not found")
    return PostOut.model_validate(post)


# %% [markdown]
# As in lesson 00, `dependency_overrides` points `get_db` at this lesson's database. This version also keeps
# every session it hands out, so we can count them:

# %%
opened: list[AsyncSession] = []


async def lesson_db():
    async with db.Session() as session:
        opened.append(session)
        yield session


app.dependency_overrides[get_db] = lesson_db


def client() -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


# %% [markdown]
# Ten requests at the same time:

# %%
import asyncio

async with client() as http:
    responses = await asyncio.gather(*(http.get(f"/posts/{n}") for n in range(1, 11)))
print("status codes:", {response.status_code for response in responses})
print("sessions:", len(opened), "· all different:", len(set(map(id, opened))) == len(opened))
print("connections still checked out:", db.engine.pool.checkedout())

# %% [markdown]
# Ten requests, ten sessions, and every connection back in the pool once the responses were sent.
#
# ## A background task opens its own session
#
# **In Laravel** a queued job stores the model's id (`SerializesModels`), and the worker loads a fresh copy when
# it runs; `dispatchAfterResponse()` runs a job in the same process once the response is sent:
#
# ```php
# PostPublished::dispatch($post);               // queued: the worker reloads the post by its id
# PostPublished::dispatchAfterResponse($post);  // this process, after the response
# ```
#
# **In FastAPI** `BackgroundTasks` is the second kind: it runs a function in this process after the response. Give it ids and a session
# *factory*, never the request's session or its objects. The factory comes from a dependency too, so a test
# (or this notebook) can swap it like `get_db`. The task writes to a notifications table of this lesson's own:

# %%
from fastapi import BackgroundTasks
from sqlalchemy import String
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from lessons import app_sessionmaker


class LessonBase(DeclarativeBase):
    """This lesson's own tables."""


class Notification(LessonBase):
    __tablename__ = "l10_notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int]
    message: Mapped[str] = mapped_column(String(200))

    def __repr__(self) -> str:
        return f"Notification(user_id={self.user_id!r}, message={self.message!r})"


async with db.engine.begin() as conn:
    await conn.run_sync(LessonBase.metadata.create_all)


# %%
def get_sessionmaker() -> async_sessionmaker[AsyncSession]:
    """The app's session factory, for work that outlives the request."""
    return app_sessionmaker()


SessionmakerDep = Annotated[async_sessionmaker[AsyncSession], Depends(get_sessionmaker)]
app.dependency_overrides[get_sessionmaker] = lambda: db.Session


# %%
def log(event: str) -> None:
    print(f"-- {event}")


async def notify_author(Session: async_sessionmaker[AsyncSession], post_id: int) -> None:
    log("background task runs")
    async with Session.begin() as session:  # its own session and transaction, closed when the task ends
        post = await session.get(Post, post_id)
        session.add(Notification(user_id=post.user_id, message=f"“{post.title}” is live"))


@app.post("/posts/{post_id}/publish")
async def publish(post_id: int, session: SessionDep, Session: SessionmakerDep, tasks: BackgroundTasks) -> PostOut:
    post = await session.get(Post, post_id)
    post.published = True
    await session.commit()
    tasks.add_task(notify_author, Session, post.id)  # an id and a factory: nothing tied to this request
    log("route returns")
    return PostOut.model_validate(post)


# %% [markdown]
# To see *when* things happen, the route, the task and the request's session log what they do, between the SQL
# each one sends:

# %%
async def logged_db():
    async with db.Session() as session:
        yield session
    log("request's session closed")


app.dependency_overrides[get_db] = logged_db

with show_sql():
    async with client() as http:
        response = await http.post("/posts/3/publish")
print(response.status_code, response.json())

# %% [markdown]
# The request's transaction (`UPDATE posts`) is committed before the route returns. The task then opens a
# session of its own: a new transaction, its own `SELECT` of the post, and the `INSERT` of the notification.
#
# With FastAPI's default the request's session closes *after* the background task. That is a setting, not a
# promise: `Depends(get_db, scope="function")` closes it before the response is even sent (FastAPI's docstring of
# `Depends`: "end the dependency after the path operation function ends, but before the response is sent").

# %%
EarlySessionDep = Annotated[AsyncSession, Depends(get_db, scope="function")]


@app.post("/posts/{post_id}/publish-early-close")
async def publish_early_close(
    post_id: int, session: EarlySessionDep, Session: SessionmakerDep, tasks: BackgroundTasks
) -> PostOut:
    return await publish(post_id, session, Session, tasks)


async with client() as http:
    response = await http.post("/posts/4/publish-early-close")


# %% [markdown]
# A task that opens its own session works either way. The notifications it wrote:

# %%
from sqlalchemy import select

async with db.Session() as session:
    print(*(await session.scalars(select(Notification).order_by(Notification.id))).all(), sep="\n")


# %% [markdown]
# ### Careful: one session for every request
#
# The chapter marks a global `session = AsyncSessionLocal()` as bad because it is "not thread-safe". There are no
# threads here: the danger is two *coroutines* using one session at once. Right after start-up (an empty pool),
# five requests arrive together:

# %%
from collections import Counter

from sqlalchemy.exc import InvalidRequestError

from lessons import describe

await db.engine.dispose()  # an empty pool, as right after the server starts
shared_session = db.Session()  # the chapter's global session


async def the_shared_session():
    yield shared_session


app.dependency_overrides[get_db] = the_shared_session


async def outcome_of(http: httpx.AsyncClient, url: str) -> int | str:
    try:
        return (await http.get(url)).status_code
    except InvalidRequestError as error:
        return describe(error)


async with client() as http:
    outcomes = await asyncio.gather(*(outcome_of(http, f"/posts/{n}") for n in range(1, 6)))
for outcome, times in Counter(outcomes).most_common():
    print(f"{times}× {outcome}")
await shared_session.close()

# %% [markdown]
# The first request's session was still waiting for its connection when the other four asked it for one:
# SQLAlchemy refused, and those four requests failed. That error is the lucky case: SQLAlchemy checks for
# concurrent use at only a few points. Its documentation does not promise anything beyond them: the
# `AsyncSession` "is **not safe for use in concurrent tasks**" (its docstring), and the session FAQ adds that it
# "cannot be shared among concurrent threads or asyncio tasks without careful synchronization". Sharing it is
# undefined behaviour, not a safe path that happens to be quiet. One thing that can happen, without any
# error, is that two requests share one transaction.
#
# To show it, request A posts spam, and a spam filter (`lessons.scenery.lesson10_slow_api.SpamFilter`, a stand-in for a slow
# external API, answering when told to, like Laravel's `Http::fake()`) takes its time. Meanwhile request B adds a comment. Then the filter answers.

# %%
from sqlalchemy import func

from lessons import Comment
from lessons.scenery.lesson10_slow_api import SpamFilter  # is_spam() waits until the test sets spam.may_answer


def get_spam_filter() -> SpamFilter:
    return SpamFilter()


class PostIn(BaseModel):
    title: str
    user_id: int


class CommentIn(BaseModel):
    body: str
    user_id: int


# %%
@app.post("/posts", status_code=201)
async def create_post(
    data: PostIn, session: SessionDep, spam: Annotated[SpamFilter, Depends(get_spam_filter)]
) -> PostOut:
    post = Post(**data.model_dump())
    session.add(post)  # pending in the session until the commit
    if await spam.is_spam(post.title):
        await session.rollback()
        raise HTTPException(422, "That looks like spam")
    await session.commit()
    return PostOut.model_validate(post)


@app.post("/posts/{post_id}/comments", status_code=201)
async def add_comment(post_id: int, data: CommentIn, session: SessionDep) -> dict[str, int]:
    comment = Comment(post_id=post_id, **data.model_dump())
    session.add(comment)
    await session.commit()
    return {"id": comment.id}


# %%
SPAM = "Cheap watches!!!"


async def spam_posts() -> int:
    async with db.Session() as session:
        return await session.scalar(select(func.count()).select_from(Post).where(Post.title == SPAM))


async def spam_race() -> None:
    """A posts spam and waits for the filter; B comments meanwhile; then the filter answers."""
    spam = SpamFilter()
    app.dependency_overrides[get_spam_filter] = lambda: spam
    before = await spam_posts()
    async with client() as http:
        request_a = asyncio.create_task(http.post("/posts", json={"title": SPAM, "user_id": 3}))
        await spam.asked.wait()  # A's post is pending; the filter is thinking
        with show_sql(transactions=False):
            response_b = await http.post("/posts/1/comments", json={"body": "Nice post", "user_id": 4})
        spam.may_answer.set()
        response_a = await request_a
    print("A:", response_a.status_code, response_a.json()["detail"], "· B:", response_b.status_code)
    print("spam posts saved:", await spam_posts() - before)


shared_session = db.Session()
await spam_race()
await shared_session.close()

# %% [markdown]
# No error this time: B's commit flushed everything pending in *the* session, A's spam included. A's rollback
# came too late: the client was told 422, and the spam is in the database. That is one possible outcome of
# sharing; SQLAlchemy promises none in particular. With a session per request, the same race:

# %%
app.dependency_overrides[get_db] = lesson_db
await spam_race()

# %% [markdown]
# B's commit sends only B's comment; A's rollback discards A's post. One session per request (or task), always.
#
# ## `expire_on_commit`: fresh or free
#
# By default a commit **expires** every object in the session: the next read of an attribute reloads it. Under
# asyncio that reload must be awaited:

# %%
from sqlalchemy import inspect

ExpiringSession = async_sessionmaker(db.engine)  # SQLAlchemy's default: expire_on_commit=True

async with ExpiringSession() as session:
    user = await session.get(User, 9)
    user.name = "Renamed"
    await session.commit()
    print("expired after the commit:", len(inspect(user).expired_attributes), "attributes")
    with show_sql():
        print(await user.awaitable_attrs.name)


# %% [markdown]
# The course's factory sets `expire_on_commit=False`: nothing expires, and reading costs no SQL.

# %%
async with db.Session() as session:
    user = await session.get(User, 9)
    user.name = "Renamed again"
    await session.commit()
    print("expired after the commit:", len(inspect(user).expired_attributes), "attributes")
    with show_sql():
        print(user.name)


# %% [markdown]
# The price: the object keeps what it last read, even after someone else changed the row. Eloquent's models
# behave the same, and the fix has the same name, `refresh()`:

# %%
from sqlalchemy import update

async with db.Session() as mine:
    user = await mine.get(User, 9)
    await mine.commit()  # a request saves, then carries on with the object
    async with db.Session.begin() as other:  # meanwhile another request renames the user
        await other.execute(update(User).where(User.id == 9).values(name="Renamed elsewhere"))
    print("mine still says:", user.name)
    with show_sql(transactions=False):
        await mine.refresh(user)
    print("after refresh():", user.name)


# %% [markdown]
# ### Careful: `expire_on_commit=True` in a FastAPI app
#
# After a commit that expired everything, the first read of an attribute is a `SELECT`. The `publish` route reads
# `post.id` right after its commit (to hand it to the task), in plain code where nothing awaits that `SELECT`:

# %%
from sqlalchemy.exc import MissingGreenlet

from lessons import show_error


async def expiring_db():
    async with ExpiringSession() as session:
        yield session


app.dependency_overrides[get_db] = expiring_db
async with client() as http:
    with show_error(expected=MissingGreenlet):
        await http.post("/posts/5/publish")
app.dependency_overrides[get_db] = lesson_db

async with db.Session() as session:
    print("post 5 published anyway:", (await session.get(Post, 5)).published)


# %% [markdown]
# The commit went through, and the request failed anyway: no `-- route returns`, and behind a real server the
# client gets a 500 (the test client re-raises the error instead). On PostgreSQL the error is a bare
# `MissingGreenlet`, not wrapped in a `StatementError` (the cell's PostgreSQL tab on the site). That is why FastAPI apps use
# `expire_on_commit=False`, and `refresh()` when they want fresh values.
#
# ## `DetachedInstanceError`: the session has closed
#
# When its session closes, an object is **detached**: what was loaded stays readable, and nothing more can be
# loaded. SQLAlchemy names the object in this error by its memory address, which changes on every run, so the
# lesson prints the message without it.

# %%
from sqlalchemy.orm.exc import DetachedInstanceError

async with db.Session() as session:
    user = await session.get(User, 14)
print("detached:", inspect(user).detached, "· name:", user.name)
with show_error(expected=DetachedInstanceError):
    user.posts


# %% [markdown]
# The chapter's route does exactly this: `await db.close()`, then `return user.posts`. With
# `expire_on_commit=True` even a column is gone once the session has closed:

# %%
async with ExpiringSession() as session:
    user = await session.get(User, 14)
    await session.commit()
with show_error(expected=DetachedInstanceError):
    user.name

# %% [markdown]
# The fix is the one from lesson 04: load what you will read *before* the session closes.
#
# **In Laravel** `User::with('posts')->find(14)`. **In SQLAlchemy**

# %%
from sqlalchemy.orm import selectinload

async with db.Session() as session:
    with show_sql(transactions=False):
        user = await session.scalar(select(User).where(User.id == 14).options(selectinload(User.posts)))
print("detached:", inspect(user).detached, "·", len(user.posts), "posts, the first:", user.posts[0].title)


# %% [markdown]
# Two statements: the user, then all of their posts at once (`WHERE posts.user_id IN (…)`). Both ran before the
# session closed, so the detached user's posts can be read. And the chapter's route, fixed: load the posts with
# the user, return a response model.

# %%
@app.get("/users/{user_id}/posts")
async def posts_of(user_id: int, session: SessionDep) -> list[PostOut]:
    user = await session.scalar(select(User).where(User.id == user_id).options(selectinload(User.posts)))
    if user is None:
        raise HTTPException(404, "User not found")
    return [PostOut.model_validate(post) for post in user.posts]


async with client() as http:
    response = await http.get("/users/14/posts")
response.status_code, len(response.json())

# %% [markdown]
# ## Your turn
#
# Write `load_author(Session, user_id)`: it opens a session of its own, closes it before returning, and hands back
# the user **with their posts loaded**, so a background task (or a template) can read `user.posts` afterwards.
# At most two statements. The checker calls it on generated databases for the author with the most posts and for a
# user who has written none (their `user.posts` must be an empty list), then reads the posts after your session
# has closed: the `User` it asked for, with every one of their posts.

# %%
from lessons import exercises

q1 = exercises.get("10.load_author")


async def load_author(Session: async_sessionmaker[AsyncSession], user_id: int) -> User:
    # BEGIN SOLUTION
    async with Session() as session:
        statement = select(User).where(User.id == user_id).options(selectinload(User.posts))
        return await session.scalar(statement)
    # END SOLUTION


await q1.check(load_author)

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
# - A session holds an identity map, pending changes and a transaction with its connection: it belongs to one
#   request or task at a time.
# - FastAPI: one session per request from a `get_db` dependency; swap it with `dependency_overrides`.
# - Background tasks get ids and a session factory, and open their own session (`async with Session.begin()`).
# - An `AsyncSession` is not safe for concurrent tasks: shared by concurrent requests it may fail ("provisioning a
#   new connection; concurrent operations are not permitted"), or, worse, silently commit one request's pending
#   rows in another's commit. The behaviour is undefined; never share one.
# - `expire_on_commit=True` expires every object at each commit: the next read is a `SELECT` (awaited, or a
#   `MissingGreenlet` and a 500 in FastAPI); `False` keeps values, possibly stale: `await session.refresh(obj)`.
# - A closed session leaves objects detached: load relationships before it closes (`selectinload`), or get
#   `DetachedInstanceError`.
#
# [Contents](00-setup.ipynb#Course-map) · Previous: [← 09 · Bulk operations](09-bulk-operations.ipynb) · Next: [11 · Security →](11-security.ipynb)
