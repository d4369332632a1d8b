# %% [markdown]
# # 15 · Capstone: the task manager moves onto SQLAlchemy
#
# [Contents](00-setup.ipynb#Course-map) · Previous: [← 14d · Audit log](14d-audit-log.ipynb) · Next: [99 · Quick reference →](99-quick-reference.ipynb)
#
# Earlier in the course series you built a small task manager that kept its users and tasks in a JSON file. It
# worked until two requests wrote the file at once. In this capstone you move it onto SQLAlchemy, the way you
# would move a Laravel app from a JSON store to Eloquent, one step at a time: models, a one-off import of the old
# data, request models, then the routes. Each step has a check of its own, judged through behaviour only (rows,
# HTTP status codes), so any design that behaves passes; a last check judges the whole app.
#
# **You will practise**
# - two models with a relationship, and timezone-aware dates
# - a one-off data import that loses nothing (and what PostgreSQL needs after importing ids)
# - request models that refuse bad input with a 422, never a 500
# - a FastAPI router with the right status codes, loading what it returns with no N+1
#
# **Time:** 60–90 minutes.

# %%
from lessons import clock, fresh_database

clock.freeze()
db = await fresh_database("15-task-manager")

# %% [markdown]
# ## The old data
#
# The JSON file ships with the course. Users have an id, a name and an email; tasks have a title, a description
# (sometimes empty), `done`, a `due` date (an ISO 8601 string in UTC, or `null`), a priority and an `owner_id`.

# %%
from lessons.exercises.lesson15 import LEGACY_FILE, legacy_data

legacy = legacy_data()
print(LEGACY_FILE.name, "·", len(legacy["users"]), "users ·", len(legacy["tasks"]), "tasks")
legacy["users"][0], legacy["tasks"][0]

# %% [markdown]
# Some details that an import must not lose:

# %%
tasks = legacy["tasks"]
print("tasks without a due date:", sum(task["due"] is None for task in tasks))
print("tasks with an empty description:", sum(task["description"] == "" for task in tasks))
print("users without tasks:", sorted({u["id"] for u in legacy["users"]} - {t["owner_id"] for t in tasks}))

# %% [markdown]
# ## What you will build
#
# | Route | Answers |
# |---|---|
# | `GET /tasks?owner_id=&done=` | 200, the tasks by id, each with `id, title, description, done, due, priority` and `owner: {id, name, email}`; two statements (the tasks, then their owners; one more per further 500 owners), not one per task; 422 for an `owner_id` outside 1…2³¹−1 |
# | `GET /tasks/{task_id}` | 200 with one task, or 404 |
# | `POST /tasks` | 201 with the new task; 404 if the owner does not exist; 422 on invalid input (a blank title, a priority other than `low`, `normal` or `high`) |
# | `PATCH /tasks/{task_id}` | 200 with the changed task (only the fields sent change; `"due": null` clears the date), 422 for `null` in a field that cannot be empty, or 404 |
# | `DELETE /tasks/{task_id}` | 204, and then the task is gone; or 404 |
#
# Every route answers bad input with a 4xx and its reason, never a 500. The checks send some on purpose: a `due`
# without a UTC offset (`"2025-02-01T17:00:00"`), a `due` that leaves the calendar in UTC
# (`"9999-12-31T23:59:59-01:00"`), `?owner_id=9223372036854775808`, and a title holding a NUL character (`\u0000`,
# which PostgreSQL cannot store) or a lone surrogate (`\ud800`, not Unicode at all).
#
# Five steps build it; most end with `await qN.check(...)`. Stuck on one? `qN.hint()`, `qN.hint(2)`; and
# `qN.solution()` shows one answer.
#
# ## Step 1 · Models
#
# **In Laravel** you would write two models and a migration:
#
# ```php
# class Task extends Model {
#     protected $casts = ['done' => 'boolean', 'due' => 'immutable_datetime'];
#     public function owner() { return $this->belongsTo(User::class, 'owner_id'); }
# }
# ```
#
# Here the models are the migration: `metadata.create_all` creates their tables. The lesson database already
# holds the blog's `users` table: use your own `DeclarativeBase` and other names (`tm_users`, `tm_tasks`). `Task`
# has `title`, `description` (default `""`), `done` (default `False`), `due`, `priority` (default `"normal"`),
# `owner_id` and a relationship `owner`; use a timezone-aware type for `due` (`lessons.core.types.UTCDateTime` keeps it
# aware on every backend). The owner model has `id`, `name` and `email`. The check creates owners and tasks of its
# own with keyword arguments (`Owner(id=…, name=…, email=…)`, `Task(id=…, title=…, owner_id=…)` or `owner=…`, some
# tasks with only a title and an owner, some due dates at other offsets than UTC) and reads them back.

# %%
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from lessons import UTCDateTime, exercises

# BEGIN SOLUTION
# STUB: TaskBase = TaskOwner = Task = None  # your models here


class TaskBase(DeclarativeBase):
    pass


class TaskOwner(TaskBase):
    __tablename__ = "tm_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(255), unique=True)
    # `all` minus refresh-expire: under asyncio, refresh() would expire loaded tasks, not reload them (lesson 03)
    tasks: Mapped[list["Task"]] = relationship(
        back_populates="owner", cascade="save-update, merge, expunge, delete, delete-orphan"
    )


class Task(TaskBase):
    __tablename__ = "tm_tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    done: Mapped[bool] = mapped_column(default=False)
    due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    priority: Mapped[str] = mapped_column(String(10), default="normal")
    owner_id: Mapped[int] = mapped_column(ForeignKey("tm_users.id", ondelete="CASCADE"), index=True)
    owner: Mapped[TaskOwner] = relationship(back_populates="tasks")


# END SOLUTION

q1 = exercises.get("15.task_model")
await q1.check(Task)

# %% [markdown]
# ## Step 2 · The one-off import
#
# Keep the ids: other systems (and the old app's users) know tasks by number. `datetime.fromisoformat` turns
# `"2025-01-06T17:00:00+00:00"` into an aware datetime. Step 4's check lists every imported task, so it judges
# this step too.
#
# **Careful on PostgreSQL.** Inserting rows with explicit ids does not move PostgreSQL's id sequence: the next
# `INSERT` without an id gets id 1 and collides with the imported task 1 (an `IntegrityError`, a 500). After
# the import, move each sequence past the highest id with `setval`. SQLite and MariaDB move their counters by
# themselves.

# %%
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


async def import_legacy(session: AsyncSession, data: dict[str, Any]) -> None:
    # BEGIN SOLUTION
    session.add_all(TaskOwner(id=u["id"], name=u["name"], email=u["email"]) for u in data["users"])
    session.add_all(
        Task(
            id=t["id"],
            title=t["title"],
            description=t["description"],
            done=t["done"],
            due=datetime.fromisoformat(t["due"]) if t["due"] else None,
            priority=t["priority"],
            owner_id=t["owner_id"],
        )
        for t in data["tasks"]
    )
    await session.flush()
    if session.get_bind().dialect.name == "postgresql":
        for table in ("tm_users", "tm_tasks"):
            await session.execute(
                text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
            )
    await session.commit()
    # END SOLUTION


# %% [markdown]
# See the collision on a small table of this lesson's own, `l15_imported`, on whichever backend runs the lesson:
# three rows imported with their ids, then one row added without an id, as `POST /tasks` will do.

# %%
from sqlalchemy import Column, Integer, MetaData, Table, insert
from sqlalchemy.exc import IntegrityError

from lessons import show_error, show_sql

imported = Table("l15_imported", MetaData(), Column("id", Integer, primary_key=True), Column("title", String(50)))


async def add_without_id(title: str) -> None:
    async with db.engine.begin() as conn:
        with show_sql(transactions=False):
            new_id = (await conn.execute(insert(imported).values(title=title))).inserted_primary_key[0]
    print(f"{db.backend}: the new row got id {new_id}")


async with db.engine.begin() as conn:
    await conn.run_sync(imported.create)
    await conn.execute(insert(imported), [{"id": n, "title": f"imported {n}"} for n in (1, 2, 3)])
with show_error(expected=IntegrityError if db.backend == "postgresql" else None):
    await add_without_id("added after the import")

# %% [markdown]
# On SQLite (above) and on MariaDB the new row gets id 4: SQLite takes the highest id plus one, and MariaDB's
# `AUTO_INCREMENT` moves past any id inserted explicitly. On PostgreSQL the same `INSERT` asks the sequence,
# which still stands at its start, gets 1, and fails with `IntegrityError: duplicate key value violates unique
# constraint "l15_imported_pkey"` (open the cell's PostgreSQL and MariaDB tabs on the site, or run the lesson
# there; MariaDB's [AUTO_INCREMENT](https://mariadb.com/kb/en/auto_increment/), PostgreSQL's
# [serial types](https://www.postgresql.org/docs/15/datatype-numeric.html#DATATYPE-SERIAL)). `setval` moves the
# sequence past the highest id (the statement runs on PostgreSQL only):

# %%
move_sequence = text("SELECT setval(pg_get_serial_sequence('l15_imported', 'id'), (SELECT max(id) FROM l15_imported))")
if db.backend == "postgresql":
    async with db.engine.begin() as conn:
        await conn.execute(move_sequence)
await add_without_id("added after setval")

# %% [markdown]
# PostgreSQL now gives out 4; SQLite and MariaDB, which gave out 4 already, give out 5. Your `import_legacy`
# needs the same `setval` for `tm_users` and `tm_tasks`.
#
# The app itself is assembled for you: `build_app` creates your tables, imports the data, and mounts the routers
# you will write; each route takes its session from a `get_db` dependency (one session per request, as lessons
# 10 and 12 teach). It also installs `validation_error`, the blog API's 422 handler from lesson 12: FastAPI echoes the refused
# input, and a lone surrogate in it cannot be encoded as UTF-8, which turns even a 422 into a 500; the handler
# answers FastAPI's own 422 with each such character replaced by U+FFFD.

# %%
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from lessons.exercises.lesson15_reference import validation_error


async def build_app(engine: AsyncEngine, data: dict[str, Any], *routers: APIRouter) -> FastAPI:
    if TaskBase is None:
        raise RuntimeError("finish step 1 first: the app needs your models")
    async with engine.begin() as conn:
        await conn.run_sync(TaskBase.metadata.create_all)
    Session = async_sessionmaker(engine, expire_on_commit=False)
    async with Session() as session:
        await import_legacy(session, data)
    app = FastAPI(title="Task manager")
    app.state.Session = Session
    app.add_exception_handler(RequestValidationError, validation_error)
    for router in routers:
        app.include_router(router)
    return app


async def get_db(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.Session() as session:  # one session per request
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_db)]

# %% [markdown]
# ## Step 3 · Request and response models
#
# Request models refuse bad input (422) before any SQL runs; response models say exactly what goes out. A PATCH
# changes only the fields sent (`model_dump(exclude_unset=True)`); `"due": null` clears the due date, but `null`
# for `title`, `description`, `done` or `priority` would reach a NOT NULL column and answer 500, so `TaskUpdate`
# must refuse it with a 422 first. The check validates bodies with your `TaskUpdate`; steps 4 and 5 use the others.
#
# Refuse, too, what would fail later inside the database, as a 500:
# - `due` is an `AwareDatetime`: a plain `datetime` takes `"2025-02-01T17:00:00"` (no offset) and `UTCDateTime`
#   refuses it at `INSERT` (*Try it* shows that 500); `in_utc` (given) converts to UTC, a 422 if that overflows;
# - a title is not blank (`StringConstraints(strip_whitespace=True, min_length=1)`), a priority is `"low"`,
#   `"normal"` or `"high"`, and no text holds a NUL or a lone surrogate: `storable` (given) refuses both, in an
#   `AfterValidator`.

# %%
from typing import Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, field_validator

from lessons.exercises.lesson15_reference import in_utc, storable  # given: see their docstrings

# BEGIN SOLUTION
# STUB: OwnerRead = TaskRead = TaskCreate = TaskUpdate = None  # your models here


class OwnerRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    email: str


class TaskRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    title: str
    description: str
    done: bool
    due: datetime | None
    priority: Literal["low", "normal", "high"]
    owner: OwnerRead


Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), AfterValidator(storable)]
Description = Annotated[str, StringConstraints(max_length=10_000), AfterValidator(storable)]
DueDate = Annotated[AwareDatetime, AfterValidator(in_utc)]  # a naive time is a 422, not a 500 at INSERT


class TaskCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: Title
    description: Description = ""
    done: bool = False
    due: DueDate | None = None
    priority: Literal["low", "normal", "high"] = "normal"
    owner_id: int = Field(ge=1, le=2**31 - 1)


class TaskUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: Title | None = None
    description: Description | None = None
    done: bool | None = None
    due: DueDate | None = None  # null clears the due date
    priority: Literal["low", "normal", "high"] | None = None

    @field_validator("title", "description", "done", "priority")
    @classmethod
    def not_null(cls, value: Any) -> Any:
        # Runs only for fields the client sent: null here would reach a NOT NULL column (a 500).
        if value is None:
            raise ValueError("cannot be null; leave the field out to keep its value")
        return value


# END SOLUTION

q3 = exercises.get("15.task_update_schema")
await q3.check(TaskUpdate)

# %% [markdown]
# ## Step 4 · List, read and create
#
# The API shows each task's owner, so `list_tasks` and `get_task` load owners with the tasks (`selectinload`):
# two statements for the whole list (up to 500 owners), not one per task. `get_task` answers 404 for a missing task; `POST /tasks`
# answers 201, or 404 when the owner does not exist. Ids in the URL are bounded like the column they are
# compared with (`INTEGER`, at most 2³¹−1): `?owner_id=9223372036854775808` is a 422, where unbounded it is an
# `OverflowError` on SQLite and, on PostgreSQL, a `DBAPIError` wrapping asyncpg's `DataError` (`value out of
# int32 range`, raised before the query is sent), both a 500.

# %%
from fastapi import HTTPException, Path, Query, status
from sqlalchemy import select
from sqlalchemy.orm import selectinload

TaskId = Annotated[int, Path(ge=1, le=2**31 - 1)]
OwnerFilter = Annotated[int | None, Query(ge=1, le=2**31 - 1)]


async def list_tasks(session: AsyncSession, owner_id: int | None = None, done: bool | None = None) -> list[Any]:
    # BEGIN SOLUTION
    statement = select(Task).options(selectinload(Task.owner)).order_by(Task.id)
    if owner_id is not None:
        statement = statement.where(Task.owner_id == owner_id)
    if done is not None:
        statement = statement.where(Task.done == done)
    return list((await session.scalars(statement)).all())
    # END SOLUTION


async def get_task(session: AsyncSession, task_id: int) -> Any:
    # BEGIN SOLUTION
    task = await session.scalar(select(Task).where(Task.id == task_id).options(selectinload(Task.owner)))
    if task is None:
        raise HTTPException(404, f"no task with id {task_id}")
    return task
    # END SOLUTION


# %%
def reading_routes() -> APIRouter:
    # BEGIN SOLUTION
    router = APIRouter(prefix="/tasks")

    @router.get("", response_model=list[TaskRead])
    async def read_tasks(session: SessionDep, owner_id: OwnerFilter = None, done: bool | None = None) -> list[Any]:
        return await list_tasks(session, owner_id, done)

    @router.get("/{task_id}", response_model=TaskRead)
    async def read_task(session: SessionDep, task_id: TaskId) -> Any:
        return await get_task(session, task_id)

    @router.post("", response_model=TaskRead, status_code=status.HTTP_201_CREATED)
    async def create_task(session: SessionDep, body: TaskCreate) -> Any:
        if await session.get(TaskOwner, body.owner_id) is None:
            raise HTTPException(404, f"no user with id {body.owner_id}")
        task = Task(**body.model_dump())
        session.add(task)
        await session.commit()
        return await get_task(session, task.id)

    return router
    # END SOLUTION


async def app_with_reading_routes(engine: AsyncEngine, data: dict[str, Any]) -> FastAPI:
    return await build_app(engine, data, reading_routes())


q4 = exercises.get("15.reading_routes")
await q4.check(app_with_reading_routes)

# %% [markdown]
# ## Step 5 · Update and delete
#
# `PATCH` loads the task (404 if missing), sets only the fields sent, commits, and returns it. `DELETE` answers 204
# and must really delete: `await session.delete(task)`, then commit (lesson 02: without `await`, the 204 is a lie).

# %%
from fastapi import Response


def writing_routes() -> APIRouter:
    # BEGIN SOLUTION
    router = APIRouter(prefix="/tasks")

    @router.patch("/{task_id}", response_model=TaskRead)
    async def update_task(session: SessionDep, task_id: TaskId, body: TaskUpdate) -> Any:
        task = await get_task(session, task_id)
        for field, value in body.model_dump(exclude_unset=True).items():
            setattr(task, field, value)
        await session.commit()
        return task

    @router.delete("/{task_id}", status_code=status.HTTP_204_NO_CONTENT)
    async def delete_task(session: SessionDep, task_id: TaskId) -> Response:
        await session.delete(await get_task(session, task_id))
        await session.commit()
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    return router
    # END SOLUTION


async def build_task_manager(engine: AsyncEngine, data: dict[str, Any]) -> FastAPI:
    return await build_app(engine, data, reading_routes(), writing_routes())


q5 = exercises.get("15.writing_routes")
await q5.check(build_task_manager)

# %% [markdown]
# ## Try it
#
# Build it on a fresh copy of the lesson database and ask it for user 2's open tasks, watching the SQL:

# %%
import httpx

db = await db.reset()
try:
    app = await build_task_manager(db.engine, legacy) if None not in (TaskBase, TaskUpdate) else None
except NotImplementedError:
    app = None
if app is None:
    print("Not yet: finish the steps above, then run this cell again.")
if app is not None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://tasks.test") as client:
        with show_sql():
            answer = await client.get("/tasks", params={"owner_id": 2, "done": False})
    print(answer.status_code, [(task["id"], task["title"], task["owner"]["name"]) for task in answer.json()][:4])

# %% [markdown]
# Two `SELECT`s: the tasks, then their owners in one `IN (...)` of the distinct `owner_id`s. Two however many
# tasks? Not quite: `selectinload` puts at most 500 keys in one `IN` (`_chunksize = 500` in
# `sqlalchemy/orm/strategies.py`; `selectinload(Task.owner, chunksize=...)` changes it), so the count grows by one
# per 500 owners. Add 600 owners with a task each (the ORM bulk insert of lesson 09) and list everything:

# %%
from lessons import count_queries

if app is not None:
    new_task = {"description": "", "done": False, "due": None, "priority": "normal"}
    owners = [{"id": 100 + n, "name": f"Owner {n}", "email": f"owner{n}@tasks.example"} for n in range(600)]
    async with db.Session() as session:
        await session.execute(insert(TaskOwner), owners)
        await session.execute(insert(Task), [{**new_task, "title": "Bulk task", "owner_id": o["id"]} for o in owners])
        await session.commit()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://tasks.test") as client:
        with count_queries() as queries:
            everything = await client.get("/tasks")
    owned_by = {task["owner"]["id"] for task in everything.json()}
    print(f"{len(everything.json())} tasks of {len(owned_by)} owners, {queries.count} statements:")
    for statement in queries.statements:
        print(f"  {statement.sql.split(chr(10))[-1][:44]:46} {len(statement.parameters):>3} parameters")

# %% [markdown]
# One statement for the tasks, then one per 500 owners: 1 + ⌈owners / 500⌉, however many tasks they own. A page
# of tasks (lesson 06) keeps it at two.
#
# ### Careful: a naive time is a 500, unless the request model refuses it
#
# The chapter types `due` as a plain `datetime`, which accepts `"2025-02-01T17:00:00"`: no offset, so no instant.
# `UTCDateTime` refuses it at `INSERT`, inside the route: a 500. Mount that route beside yours and send both the
# same body (`raise_app_exceptions=False` makes the test client answer as a server would):

# %%
if app is not None:

    class LooseTaskCreate(TaskCreate):
        due: datetime | None = None  # the chapter's type: naive times too

    @app.post("/loose-tasks", status_code=201)
    async def create_loosely(session: SessionDep, body: LooseTaskCreate) -> dict[str, int]:
        task = Task(**body.model_dump())
        session.add(task)
        await session.commit()
        return {"id": task.id}

    naive = {"title": "Ship it", "owner_id": 2, "due": "2025-02-01T17:00:00"}
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://tasks.test") as client:
        for method, url, request in [("POST", "/loose-tasks", {"json": naive}), ("POST", "/tasks", {"json": naive}),
                                     ("GET", "/tasks", {"params": {"owner_id": 2**63}})]:
            answer = await client.request(method, url, **request)
            reason = answer.json()["detail"][0]["msg"] if answer.status_code == 422 else answer.text
            print(f"{method} {url}: {answer.status_code} {reason}")

# %% [markdown]
# The server's log would name the 500: `StatementError` wrapping `ValueError: naive datetime …`, raised by
# `UTCDateTime` while binding the `INSERT`. `AwareDatetime` moves the refusal to the edge, with a reason the
# client can act on.
#
# ## Check your work
#
# The last checker builds your whole app and the reference's on identical task lists of its own, generated per
# check (namesakes, a user with no tasks, ids with gaps, Unicode, a title at 200 characters: not the lesson's
# file), sends both the same requests (lists, reads, creates, updates and deletes tasks, and sends bad input),
# compares each response's status code and body, and counts the statements of `GET /tasks`. The step checks
# above work the same way; the bad input may be refused with 400 or 422.

# %%
q6 = exercises.get("15.task_manager")
await q6.check(build_task_manager)

# %%
q6.hint()
# q6.hint(2)
# q6.solution()

# %% [markdown]
# ## Key points
#
# - Models are the migration here: `metadata.create_all` creates their tables (a real project would use Alembic).
# - An import keeps ids and converts types at the edge: ISO strings become aware datetimes, `null` stays `None`.
# - On PostgreSQL, inserting explicit ids leaves the sequence behind: `setval` it, or the first `INSERT` collides.
# - Request models turn bad input into a 422 before any SQL runs; a PATCH applies `exclude_unset=True`.
# - Request models refuse what the database would choke on (a naive time, an id beyond `INTEGER`, a NUL): a 422
#   with a reason, never a 500.
# - CRUD functions load what the API shows (`selectinload`): 1 + one statement per 500 owners, not one per task.
# - A checker that talks HTTP judges behaviour, not code: any design that imports everything and answers the
#   right status codes passes.
#
# [Contents](00-setup.ipynb#Course-map) · Previous: [← 14d · Audit log](14d-audit-log.ipynb) · Next: [99 · Quick reference →](99-quick-reference.ipynb)
