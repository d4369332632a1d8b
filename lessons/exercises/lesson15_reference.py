"""A reference solution to the capstone (lesson 15): the task manager moved from a JSON file onto SQLAlchemy.

Models for users and tasks with a relationship, a one-off import of the legacy JSON, async CRUD functions and
a FastAPI router, assembled by :func:`build_task_manager`. The checker in ``lesson15.py`` judges any design
through the HTTP API alone; this is one design that passes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timezone
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Path, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError
from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, field_validator
from sqlalchemy import ForeignKey, String, Text, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, selectinload

from lessons.blog.validation import request_validation_error
from lessons.core.types import UTCDateTime


class TaskBase(DeclarativeBase):
    pass


class TaskOwner(TaskBase):
    __tablename__ = "tm_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(255), unique=True)
    # `all` minus refresh-expire: under asyncio, refresh() would expire loaded tasks, not reload them (lesson 03)
    tasks: Mapped[list[Task]] = relationship(
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


async def import_legacy(session: AsyncSession, data: dict[str, Any]) -> None:
    """Copy every user and task of the legacy JSON, keeping their ids; ``due`` becomes an aware datetime."""
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
        # Rows came with their own ids: move PostgreSQL's id sequences past them, or the next INSERT collides.
        for table in ("tm_users", "tm_tasks"):
            await session.execute(
                text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
            )
    await session.commit()


#: The largest id an INTEGER column holds (PostgreSQL's int4): a bigger id in a URL is a 422, not a DBAPIError
#: wrapping asyncpg's DataError ("value out of int32 range").
MAX_ID = 2**31 - 1


def storable(text: str) -> str:
    """Refuse what no backend stores: a NUL character (PostgreSQL's text has none) and a lone surrogate (not
    Unicode, so not UTF-8). Both arrive as JSON escapes, ``"\\u0000"`` and ``"\\ud800"``.

    >>> storable("Buy milk")
    'Buy milk'
    """
    if "\x00" in text:
        raise ValueError("contains a NUL character (\\u0000), which PostgreSQL cannot store")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("contains a lone surrogate (\\ud800-\\udfff), which is not Unicode text") from None
    return text


def in_utc(value: datetime) -> datetime:
    """An aware datetime, converted to UTC (as it is stored); a date that leaves the calendar there is a 422.

    >>> in_utc(datetime.fromisoformat("2025-02-01T18:00:00+01:00")).isoformat()
    '2025-02-01T17:00:00+00:00'
    """
    try:
        return value.astimezone(timezone.utc)
    except OverflowError:
        raise ValueError("is out of range once converted to UTC") from None


Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), AfterValidator(storable)]
Description = Annotated[str, StringConstraints(max_length=10_000), AfterValidator(storable)]
#: AwareDatetime: a time without an offset is a 422 (UTCDateTime would refuse it at INSERT: a 500).
DueDate = Annotated[AwareDatetime, AfterValidator(in_utc)]


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


class TaskCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: Title
    description: Description = ""
    done: bool = False
    due: DueDate | None = None
    priority: Literal["low", "normal", "high"] = "normal"
    owner_id: int = Field(ge=1, le=MAX_ID)


class TaskUpdate(BaseModel):
    """A PATCH: only the fields sent change. ``"due": null`` clears the due date; ``null`` for a column that
    cannot be NULL (title, description, done, priority) is a 422, never an ``IntegrityError`` (a 500)."""

    model_config = ConfigDict(extra="forbid")
    title: Title | None = None
    description: Description | None = None
    done: bool | None = None
    due: DueDate | None = None
    priority: Literal["low", "normal", "high"] | None = None

    @field_validator("title", "description", "done", "priority")
    @classmethod
    def not_null(cls, value: Any) -> Any:
        # Runs only for fields the client sent (defaults are not validated): an omitted field stays unset.
        if value is None:
            raise ValueError("cannot be null; leave the field out to keep its value")
        return value


TaskId = Annotated[int, Path(ge=1, le=MAX_ID)]
OwnerFilter = Annotated[int | None, Query(ge=1, le=MAX_ID)]


async def list_tasks(session: AsyncSession, owner_id: int | None = None, done: bool | None = None) -> list[Task]:
    statement = select(Task).options(selectinload(Task.owner)).order_by(Task.id)
    if owner_id is not None:
        statement = statement.where(Task.owner_id == owner_id)
    if done is not None:
        statement = statement.where(Task.done == done)
    return list((await session.scalars(statement)).all())


async def get_task(session: AsyncSession, task_id: int) -> Task:
    task = await session.scalar(select(Task).where(Task.id == task_id).options(selectinload(Task.owner)))
    if task is None:
        raise HTTPException(404, f"no task with id {task_id}")
    return task


async def remove_task(session: AsyncSession, task: Task) -> None:
    await session.delete(task)  # awaited: an un-awaited delete answers 204 and deletes nothing
    await session.commit()


async def get_db(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request (lessons 10 and 12), from the factory the app was assembled with."""
    async with request.app.state.Session() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_db)]


def reading_routes(lister: Any = list_tasks, router: APIRouter | None = None) -> APIRouter:
    """``GET /tasks``, ``GET /tasks/{task_id}`` and ``POST /tasks``; ``lister`` is the CRUD function for the list."""
    router = router or APIRouter(prefix="/tasks")

    @router.get("", response_model=list[TaskRead])
    async def read_tasks(session: SessionDep, owner_id: OwnerFilter = None, done: bool | None = None) -> list[Task]:
        return await lister(session, owner_id, done)

    @router.get("/{task_id}", response_model=TaskRead)
    async def read_task(session: SessionDep, task_id: TaskId) -> Task:
        return await get_task(session, task_id)

    @router.post("", response_model=TaskRead, status_code=status.HTTP_201_CREATED)
    async def create_task(session: SessionDep, body: TaskCreate) -> Task:
        if await session.get(TaskOwner, body.owner_id) is None:
            raise HTTPException(404, f"no user with id {body.owner_id}")
        task = Task(**body.model_dump())
        session.add(task)
        await session.commit()
        return await get_task(session, task.id)

    return router


def writing_routes(remover: Any = remove_task, router: APIRouter | None = None) -> APIRouter:
    """``PATCH /tasks/{task_id}`` and ``DELETE /tasks/{task_id}``; ``remover`` deletes and commits."""
    router = router or APIRouter(prefix="/tasks")

    @router.patch("/{task_id}", response_model=TaskRead)
    async def update_task(session: SessionDep, task_id: TaskId, body: TaskUpdate) -> Task:
        task = await get_task(session, task_id)
        for field, value in body.model_dump(exclude_unset=True).items():  # a sent null clears `due`
            setattr(task, field, value)
        await session.commit()
        return task

    @router.delete("/{task_id}", status_code=status.HTTP_204_NO_CONTENT)
    async def delete_task(session: SessionDep, task_id: TaskId) -> Response:
        await remover(session, await get_task(session, task_id))
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    return router


def task_router(lister: Any = list_tasks, remover: Any = remove_task) -> APIRouter:
    """All five ``/tasks`` routes; ``lister`` and ``remover`` are the CRUD functions they call."""
    return writing_routes(remover, router=reading_routes(lister))


async def prepare(engine: AsyncEngine, data: dict[str, Any]) -> async_sessionmaker[AsyncSession]:
    """Create the tables on ``engine`` and import ``data``; return the session factory."""
    async with engine.begin() as conn:
        await conn.run_sync(TaskBase.metadata.create_all)
    Session = async_sessionmaker(engine, expire_on_commit=False)
    async with Session() as session:
        await import_legacy(session, data)
    return Session


#: FastAPI's own 422 body, every lone surrogate it echoes replaced (FastAPI's default handler cannot encode one as
#: UTF-8 and answers 500): the blog API's handler (lesson 12), shared rather than written again.
validation_error = request_validation_error


def assemble(Session: async_sessionmaker[AsyncSession], router: APIRouter) -> FastAPI:
    app = FastAPI(title="Task manager")
    app.state.Session = Session
    app.add_exception_handler(RequestValidationError, validation_error)
    app.include_router(router)
    return app


async def build_task_manager(engine: AsyncEngine, data: dict[str, Any]) -> FastAPI:
    """Create the tables on ``engine``, import ``data``, and return the API serving it."""
    return assemble(await prepare(engine, data), task_router())
