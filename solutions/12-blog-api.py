# %% [markdown]
# # 12 · The blog API
#
# [Contents](00-setup.ipynb#Course-map) · Previous: [← 11 · Security](11-security.ipynb) · Next: [13a · Pools and raw SQL →](13a-pools-and-raw-sql.ipynb)
#
# The chapter ends with a "complete example": a blog API in one file. Run as written it answers 500s, leaks every
# user's password hash, and its delete answers 204 while the post survives. This lesson reads the same API built
# properly, the package `lessons/blog/`: each route's real code, the requests it answers, and the SQL each request
# costs.
#
# **You will learn**
# - how a FastAPI application is laid out (settings, dependencies, schemas, one router per resource)
# - how `response_model` plays the role of Laravel's API Resources, and what breaks without one
# - which status code each kind of bad input gets (404, 409, 422), always with a reason
# - PATCH against PUT, filters that are really applied, and bulk endpoints that are all or nothing
# - how to check that no endpoint runs one query per row, and how to run the API as a real server
#
# **Time:** about 45 minutes.

# %%
from lessons import clock, fresh_database

clock.freeze()
db = await fresh_database("12-blog-api")

# %% [markdown]
# ## The layout
#
# **In Laravel** an API is `routes/api.php`, controllers, Form Requests (input) and API Resources (output).
# **In FastAPI** the same jobs sit in small modules, the layout of FastAPI's own full-stack template:

# %%
from pathlib import Path

import lessons.blog

package = Path(lessons.blog.__file__).parent
for path in sorted(package.rglob("*.py")):
    print(path.relative_to(package.parent).as_posix())

# %% [markdown]
# | Laravel | here |
# |---|---|
# | `routes/api.php`, controllers | `routes/users.py`, `routes/posts.py`, `routes/comments.py` (one `APIRouter` each) |
# | Form Request (`rules()`) | request models in `schemas.py` (`UserCreate`, `PostCreate` …) |
# | API Resource (`toArray()`), `$hidden` | response models in `schemas.py` (`UserRead` has no `password_hash`) |
# | service container | dependencies in `deps.py`: `SessionDep`, validated `page`/`size` |
# | `findOrFail()`, repeated steps | `crud.py`: `get_or_404`, `delete_or_404`, `commit_or_409` |
# | `bootstrap/app.php` | `app.py`: `create_app()` |
#
# (`explore.py` and `validation.py` are for this lesson and for bad text; we meet both below.)
#
# `create_app()` takes a session factory, so this notebook can serve the lesson's database. The client talks to
# the application in memory (no server, no port). `httpx.ASGITransport` does not run the application's
# *lifespan* (its startup and shutdown), so we enter it ourselves, and keep both open for the whole lesson:

# %%
from contextlib import AsyncExitStack

import httpx

from lessons.blog import create_app

app = create_app(db.Session)
stack = AsyncExitStack()
await stack.enter_async_context(app.router.lifespan_context(app))
client = await stack.enter_async_context(
    httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://blog.test")
)
[path for path in app.openapi()["paths"] if path.startswith("/users")]

# %% [markdown]
# ## Create a user: the route, then the request
#
# **In Laravel**
#
# ```php
# Route::post('/users', function (StoreUserRequest $request) {
#     return new UserResource(User::create($request->validated()));   // 201
# });
# ```
#
# **In FastAPI** the route is a decorated function. `route_source(method, path)` (from `lessons.blog.explore`)
# prints the real function that serves a route, read from `lessons/blog/routes/` with `inspect.getsource`:

# %%
from lessons.blog.explore import call, route_source

print(route_source("POST", "/users"))

# %% [markdown]
# FastAPI reads the signature: `body: UserCreate` is the validated JSON body (the Form Request), `session:
# SessionDep` a session opened for this request and closed after it, and `response_model=UserRead` decides what
# goes back. `call(client, method, url, json=...)` sends one request and prints the SQL it caused, then the
# status and the statement count. One `INSERT`, and the new id comes back with it: on SQLite and MariaDB the driver
# reports it (the cursor's `lastrowid`); on PostgreSQL the same `INSERT` ends in `RETURNING users.id` (the cell's
# tabs on the site show both).

# %%
response = await call(client, "POST", "/users", json={"name": "Ada Lovelace", "email": "Ada@Example.com", "age": 36})
response.json()

# %% [markdown]
# The email came back lower-cased (the schema normalises it), both timestamps are set, and there is no
# `password_hash` in sight: `UserRead` does not have that field, so it cannot leak. The chapter's §4 answered a
# duplicate email with **400**; here it is **409 Conflict** (the request is valid, it clashes with a stored row),
# with the email in the reason. Reading one user is `get_or_404`, Eloquent's `findOrFail`: one statement, or a 404.
# A taken email is found by the database itself: the unique index refuses the `INSERT`, the route rolls back and
# answers 409:

# %%
for user_id in (201, 999999):
    answer = await call(client, "GET", f"/users/{user_id}")
    print("  ", answer.json().get("name") or answer.json()["detail"])
taken = await call(client, "POST", "/users", json={"name": "Copy", "email": "ada@example.com"}, parameters=False)
print("  ", taken.json()["detail"])

# %% [markdown]
# ### Careful: what the chapter's response models do (ERRATA 19)
#
# Three mistakes in the chapter's example, each run here on a small application of its own. First, a route that
# returns an ORM object with no `response_model`: FastAPI serialises every attribute it finds.

# %%
from fastapi import FastAPI

from lessons import User, show_error

leaky = FastAPI()


@leaky.get("/users/{user_id}")
async def read_user_leaky(user_id: int):
    async with db.Session() as session:
        return await session.get(User, user_id)


async with httpx.AsyncClient(transport=httpx.ASGITransport(app=leaky), base_url="http://leaky.test") as other:
    exposed = (await other.get("/users/1")).json()
print("password_hash" in exposed, exposed["password_hash"][:22] + "…")

# %% [markdown]
# Second, the chapter's `PostWithComments` names `CommentResponse` in a string, and never defines it. Python
# accepts the class; FastAPI fails on the first request that uses it, and on `/openapi.json`, so `/docs` is blank:

# %%
from pydantic import BaseModel, PydanticUserError


class PostResponse(BaseModel):
    id: int
    title: str
    user_id: int


class PostWithComments(PostResponse):
    comments: list["CommentResponse"] = []  # CommentResponse is defined nowhere


chapter = FastAPI()


@chapter.get("/posts/{post_id}", response_model=PostWithComments)
async def get_post(post_id: int):
    return {"id": post_id, "title": "Hello", "user_id": None}


async with httpx.AsyncClient(transport=httpx.ASGITransport(app=chapter), base_url="http://chapter.test") as other:
    with show_error(expected=PydanticUserError):
        await other.get("/posts/1")
    with show_error(expected=PydanticUserError):
        await other.get("/openapi.json")


# %% [markdown]
# Third, once `CommentResponse` exists (`PostWithComments.model_rebuild()`), the route above meets the chapter's
# other mismatch: its `posts.user_id` column is nullable, its schema says `user_id: int`. A post without an author
# is a valid row and an invalid response: `ResponseValidationError`, a 500. Our models make every foreign key
# `NOT NULL`, so schema and table agree:

# %%
from fastapi.exceptions import ResponseValidationError

from lessons import Post


class CommentResponse(BaseModel):
    id: int
    body: str


PostWithComments.model_rebuild()
async with httpx.AsyncClient(transport=httpx.ASGITransport(app=chapter), base_url="http://chapter.test") as other:
    with show_error(expected=ResponseValidationError) as caught:
        await other.get("/posts/1")
problem = caught.error.errors()[0]
print(f"{problem['loc']}: {problem['msg']}, got {problem['input']}")
print("posts.user_id nullable here:", Post.__table__.c.user_id.nullable)

# %% [markdown]
# Every route of the blog API declares its response model; a test in `tests/test_blog_api.py` fails if one does
# not.
#
# ## Bad input: a 4xx with a reason, never a 500
#
# `page` and `size` are validated query parameters (`Query(ge=1)`, `Query(ge=1, le=100)`), bodies are validated
# models. In the chapter's version `size=0` was a 500 and `page=0` a 500 or a silent page 1 (ERRATA 18), a post
# for a missing user a 500 or, on SQLite without foreign keys, a row pointing at nobody (ERRATA 11); its
# `UserCreate` is never defined. Here each answers a status a client can act on, with `detail` saying why:

# %%
bad_requests = [
    ("GET", "/users?page=0", None),
    ("GET", "/users?size=0", None),
    ("POST", "/users", {"name": "X", "email": "not-an-email"}),
    ("POST", "/users", {"name": "X", "email": "x@example.com", "password_hash": "sneaky"}),
    ("POST", "/posts", {"title": "Hi", "content": "…", "user_id": 999999}),
]
for method, url, body in bad_requests:
    answer = await client.request(method, url, json=body)
    detail = answer.json()["detail"]
    reason = detail if isinstance(detail, str) else f"{detail[0]['loc'][-1]}: {detail[0]['msg']}"
    print(f"{method:4} {url:16} → {answer.status_code}  {reason}")

# %% [markdown]
# - **404**: no such row, in the path or named by the body.
# - **409**: valid, but clashes with what is stored: the email is taken. The route catches the
#   `IntegrityError`, rolls the session back, and says which email.
# - **422**: invalid input, rejected by Pydantic before any SQL runs, including a field the client may not set
#   (`extra="forbid"`: stricter than Laravel's `$fillable`, which silently drops it). The email check raises
#   "not a valid email address" rather than showing its regular expression, and text that is not valid Unicode
#   (a lone surrogate such as `"\ud800"` in the JSON) is a 422 too: `validation.py` makes the answer printable.
#
# ### Careful: route order
#
# Routes are matched in the order they are declared. The chapter declared `/users/{user_id}` before
# `/users/search`, so `search` was parsed as a user id (ERRATA 19):

# %%
wrong_order = FastAPI()


@wrong_order.get("/users/{user_id}")
async def by_id(user_id: int) -> dict[str, int]:
    return {"user_id": user_id}


@wrong_order.get("/users/search")
async def search(q: str) -> dict[str, str]:
    return {"q": q}


async with httpx.AsyncClient(transport=httpx.ASGITransport(app=wrong_order), base_url="http://w.test") as other:
    answer = await other.get("/users/search", params={"q": "ada"})
answer.status_code, answer.json()["detail"][0]["msg"]

# %% [markdown]
# ## Search with filters (the chapter's §7)
#
# The blog API declares the literal route first. Its filters are optional and combine: a term (escaped, so `%` and
# `_` match themselves: lesson 11), `is_active`, and the page. Whatever the filters, two statements: the count and
# the page.

# %%
print(route_source("GET", "/users/search"))

# %% [markdown]
# Every filter at once prints the SQL: the count of all matches, then the page. Fewer filters send the same two
# statements with fewer conditions (only their count is printed):

# %%
every_filter = {"q": "an", "is_active": "true", "size": 3}
for params in (every_filter, {"q": "lovelace"}, {"q": "%"}, {"is_active": "false"}):
    url = f"/users/search?{httpx.QueryParams(params)}"
    found = (await call(client, "GET", url, sql=params == every_filter)).json()
    print(f"   {found['total']} match, page {found['page']}: {[user['name'] for user in found['items']][:3]}")

# %% [markdown]
# ## The SQL each request costs
#
# A list endpoint must not run one query per row. `GET /posts` shows each post's author, so the route loads
# authors with `selectinload`: three statements for any page size (count, posts, their authors).

# %%
response = await call(client, "GET", "/posts?size=3")
[(post["id"], post["author"]["name"]) for post in response.json()["items"]]

# %% [markdown]
# `expect_queries` proves it does not grow with the page: 3 statements for 1 post or 50.

# %%
from lessons import expect_queries

for size in (1, 50):
    with expect_queries(3):
        await client.get("/posts", params={"size": size})
print("3 statements at every page size")

# %% [markdown]
# ### Only published posts
#
# The chapter filtered with `published_only=true`. Here the parameter is `published`, `true` or `false` (leave it
# out for both). Careful: FastAPI **ignores query parameters a route does not declare**, so the chapter's name
# is not an error, it is silently no filter at all:

# %%
for query in ("published=true", "published=false", "published_only=true"):
    total = (await client.get(f"/posts?{query}")).json()["total"]
    print(f"/posts?{query:20} → {total} posts")

# %% [markdown]
# ## A post with its comments
#
# `GET /posts/{post_id}` answers the post, its author, its comments and each comment's author. `load_post` loads
# all of it up front, in three statements however many comments there are: the post with its author in the same
# row (`joinedload`: one author per post, so the join adds columns, not rows), then the comments
# (`selectinload`: one `SELECT … WHERE comments.post_id IN (…)`), then their authors (one more `IN`).

# %%
import inspect

from lessons.blog.routes.posts import load_post

print(route_source("GET", "/posts/{post_id}"))
print(inspect.getsource(load_post))

# %%
post = (await call(client, "GET", "/posts/7")).json()
post["title"], post["author"]["name"], [(c["id"], c["author"]["name"]) for c in post["comments"]][:3]

# %% [markdown]
# ## Update: PATCH, not the chapter's PUT
#
# The chapter's `PUT /posts/{id}` takes its whole `PostCreate`, where `published: bool = False` has a default, and
# copies `post.model_dump()` onto the row. A client fixing the title of a published post sends the title and the
# content (both required), and leaves `published` out. Here is the chapter's route, on this lesson's database:

# %%
from lessons import show_sql


class ChapterPostCreate(BaseModel):  # the chapter's PostCreate
    title: str
    content: str
    published: bool = False


chapter_put = FastAPI()


@chapter_put.put("/posts/{post_id}")
async def update_post_as_the_chapter_does(post_id: int, post: ChapterPostCreate) -> dict[str, str | bool]:
    async with db.Session() as session:
        existing = await session.get(Post, post_id)
        for key, value in post.model_dump().items():  # every field, the defaults included
            setattr(existing, key, value)
        await session.commit()
        return {"title": existing.title, "published": existing.published}


content = (await client.get("/posts/8")).json()["content"]
async with httpx.AsyncClient(transport=httpx.ASGITransport(app=chapter_put), base_url="http://chapter.test") as other:
    with show_sql(transactions=False):
        answer = await other.put("/posts/8", json={"title": "A better title", "content": content})
print(answer.status_code, answer.json())

# %% [markdown]
# A 200, and post 8 is **no longer published**: the field the client left out took its default, `False`, and the
# `UPDATE` wrote it. Nothing failed, so nothing warns anyone. **PUT replaces, PATCH changes some fields.** The blog
# API's `PATCH` takes `PostUpdate`, where every field is optional, and applies only the fields the client sent:
# `model_dump(exclude_unset=True)` leaves out every field the JSON did not have, defaults included. (`null` leaves a
# field as it is, since none of them may be empty.)
#
# The same edit, on post 9 (also published), sent as a PATCH with the title alone:

# %%
print(route_source("PATCH", "/posts/{post_id}"))
after = (await call(client, "PATCH", "/posts/9", json={"title": "A better title"})).json()
print("published:", after["published"])
print("PUT:", (await client.put("/posts/9", json={"title": "x"})).status_code, "(Method Not Allowed)")

# %% [markdown]
# One statement before the `UPDATE`: the post with its author, for the answer. The `UPDATE` sets only `title`,
# and `updated_at`, which the model's `onupdate` keeps current: `published` stays as it was. The blog API has no
# `PUT` at all.
#
# ## Comments
#
# Comments live under their post for listing and creating, and by their own id for reading and deleting.
# Creating one checks that the post and the user exist (a 404 names the missing one), then inserts: three
# statements, and the user just loaded is the comment's author in the answer, so nothing is read back.

# %%
new = await call(client, "POST", "/posts/7/comments", json={"body": "Great post!", "user_id": 201})
comment_id = new.json()["id"]
print("  ", new.json()["author"])

# %% [markdown]
# Listing a post's comments is four statements: does the post exist (a 404 if not), the count, the page, and the
# page's authors in one `IN`. Reading one comment is two (the comment, its author), and so is deleting one (find
# it, delete it): the same shapes as for posts, so only their count is printed.

# %%
listed = (await call(client, "GET", "/posts/7/comments?size=50")).json()
print("   listed:", comment_id in [c["id"] for c in listed["items"]], "of", listed["total"])
print("  ", (await call(client, "GET", f"/comments/{comment_id}", sql=False)).json()["author"])
await call(client, "DELETE", f"/comments/{comment_id}", sql=False)
print("  ", (await client.get(f"/comments/{comment_id}")).json())

# %% [markdown]
# ## Bulk endpoints (the chapter's §10)
#
# The chapter's `POST /users/bulk` added the users with `add_all()` (on SQLite that flush sends one `INSERT` per
# user) and answered `{"created": n}`; its
# `PATCH /users/bulk-activate` answered `{"updated": len(user_ids)}` whether or not the ids existed. Here a batch
# (1 to 100 items) is **all or nothing**: a taken or repeated email is a 409 naming it, and nothing is created.
# Otherwise one `SELECT` for the taken emails and one `INSERT … VALUES (…), (…), …` for the whole batch:

# %%
print(route_source("POST", "/users/bulk"))

# %%
batch = [{"name": f"Reader {n}", "email": f"reader{n}@example.org"} for n in range(3)]
created = await call(client, "POST", "/users/bulk", json=batch, parameters=False)
print([user["id"] for user in created.json()])
again = await call(client, "POST", "/users/bulk", json=[{"name": "New", "email": "new@example.org"}, *batch[:1]])
again.json()

# %% [markdown]
# Nothing was created by the second request (`new@example.org` does not exist). `PATCH /users/bulk-activate`
# takes a list of ids: one `SELECT` to find unknown ids (404, naming them, nothing changed), then one `UPDATE … WHERE
# id IN (…)`:

# %%
from sqlalchemy import select

async with db.Session() as session:
    first_inactive = select(User.id).where(User.is_active.is_(False)).order_by(User.id).limit(3)
    inactive = list((await session.scalars(first_inactive)).all())
print((await call(client, "PATCH", "/users/bulk-activate", json=[*inactive, 999999])).json())
print((await call(client, "PATCH", "/users/bulk-activate", json=inactive, parameters=False)).json())

# %% [markdown]
# ## Delete means delete
#
# The chapter's route called `db.delete(post)` without `await`: a coroutine that never ran. It answered 204 and
# the post survived (ERRATA 1; lesson 02 shows the warning). Here the delete is awaited, and the database's
# `ON DELETE CASCADE` removes the post's comments in the same statement:

# %%
from sqlalchemy import func

from lessons import Comment

deleted = await call(client, "DELETE", "/posts/5")
after = await client.get("/posts/5")
async with db.Session() as session:
    comments_left = await session.scalar(select(func.count()).where(Comment.post_id == 5))
deleted.status_code, after.status_code, after.json(), comments_left

# %% [markdown]
# ## Running it as a server
#
# In a terminal, from the top of the repository:
#
# ```bash
# make api                         # or: .venv/bin/python -m lessons.blog --port 8000
# make api PORT=8012               # another port; a port in use is one sentence, before anything starts
# ```
#
# It serves a fresh copy of the seeded database on http://127.0.0.1:8000, with interactive documentation at
# `/docs`. The test suite starts the same command on a free port, talks to it over HTTP, sends it 50 concurrent
# creates (all 50 land) and over a thousand requests generated from its OpenAPI schema by schemathesis (no 5xx,
# every answer within the schema).
#
# **Before it faces the internet** (the chapter's §12 notes): limit how often one client may call it (Laravel's
# `throttle:60,1`; in Python a reverse proxy's rate limit, or a middleware such as `slowapi`), and cap the pool so
# a burst of requests waits for a connection instead of opening hundreds (`pool_size`, `max_overflow`,
# `pool_timeout`: lesson 11 shows a capped pool refusing the extra request).
#
# ## Your turn
#
# Add `GET /users/{user_id}/summary`, answering `{"id", "name", "posts", "comments"}`: how many posts and comments
# the user wrote. A missing user is a 404 with a reason, and the route takes at most 3 statements however many
# posts the user has. Write the route function; the checker mounts it on a fresh copy of the API (FastAPI takes the
# response model from its return annotation, as `@router.get` does) and calls it on generated databases.

# %%
from fastapi import HTTPException

from lessons import Post, exercises
from lessons.blog.deps import SessionDep, UserId
from lessons.exercises.lesson12 import UserSummary

q1 = exercises.get("12.user_summary")


async def user_summary(user_id: UserId, session: SessionDep) -> UserSummary:
    # BEGIN SOLUTION
    user = await session.get(User, user_id)
    if user is None:
        raise HTTPException(404, f"no user with id {user_id}")
    posts = await session.scalar(select(func.count()).where(Post.user_id == user_id))
    comments = await session.scalar(select(func.count()).where(Comment.user_id == user_id))
    return UserSummary(id=user.id, name=user.name, posts=posts, comments=comments)
    # END SOLUTION


await q1.check(user_summary)

# %%
q1.hint()

# %%
# q1.hint(2)
# q1.solution()

# %%
await stack.aclose()

# %% [markdown]
# ## Key points
#
# - A FastAPI application is small modules: settings, dependencies, schemas, one router per resource.
# - `response_model` on every route is your `$hidden`: a field the schema lacks cannot leak.
# - Bad input is a 4xx with a reason: 404 (no such row), 409 (clashes with stored data), 422 (invalid input).
# - Declare literal routes (`/users/search`, `/users/bulk`) before parameter routes (`/users/{user_id}`).
# - PATCH changes the fields sent (`exclude_unset=True`); PUT replaces. An undeclared query parameter is ignored.
# - Bulk endpoints: one statement per batch, all or nothing, and a 404 or 409 that names what was wrong.
# - Load what the response shows (`selectinload` for a collection, `joinedload` for a many-to-one), and prove the
#   statement count with `expect_queries`.
# - `await session.delete(obj)`; a route's 204 proves nothing until a `GET` answers 404.
#
# [Contents](00-setup.ipynb#Course-map) · Previous: [← 11 · Security](11-security.ipynb) · Next: [13a · Pools and raw SQL →](13a-pools-and-raw-sql.ipynb)
