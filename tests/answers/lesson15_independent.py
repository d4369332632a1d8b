"""Answers to lesson 15's practice (the task manager capstone), written from the task statements alone (not from the
checkers).

The steps build on each other, so the module starts with a kit of its own: models, the one-off import, the request
and response models and the routers, written from the notebook's statement (steps 1 to 5) and the reference solution
shown to learners. Answers are assembled from that kit, each changing one thing. ``_build_app`` is the notebook's
``build_app`` (given to learners), with the models, the import and the routers as parameters.

Every comment above a wrong answer names the input on which it differs from a right one.
"""

import re
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta, timezone
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Path, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)
from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    delete,
    false,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    MappedAsDataclass,
    joinedload,
    mapped_column,
    relationship,
    selectinload,
)
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.types import TypeDecorator

from lessons.core.types import UTCDateTime
from lessons.exercises.lesson15_reference import in_utc, storable, validation_error
from tests.answers import right, wrong

INT_MAX = 2**31 - 1

# ---------------------------------------------------------------------------------------------------------------------
# The kit: step 1's models, step 2's import, step 3's schemas, steps 4 and 5's routes, as the statement asks for them.
# ---------------------------------------------------------------------------------------------------------------------


class _Base(DeclarativeBase):
    pass


class _Owner(_Base):
    __tablename__ = "tm_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(255), unique=True)
    tasks: Mapped[list["_Task"]] = relationship(back_populates="owner", cascade="save-update, merge, delete")


class _Task(_Base):
    __tablename__ = "tm_tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    done: Mapped[bool] = mapped_column(default=False)
    due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    priority: Mapped[str] = mapped_column(String(10), default="normal")
    owner_id: Mapped[int] = mapped_column(ForeignKey("tm_users.id", ondelete="CASCADE"), index=True)
    owner: Mapped[_Owner] = relationship(back_populates="tasks")


def _parse_due(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


async def _move_sequences(session: AsyncSession, tables: tuple[str, ...] = ("tm_users", "tm_tasks")) -> None:
    if session.get_bind().dialect.name == "postgresql":
        for table in tables:
            await session.execute(
                text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
            )


async def _import_legacy(session: AsyncSession, data: dict[str, Any]) -> None:
    session.add_all(_Owner(id=u["id"], name=u["name"], email=u["email"]) for u in data["users"])
    await session.flush()
    session.add_all(
        _Task(
            id=t["id"],
            title=t["title"],
            description=t["description"],
            done=t["done"],
            due=_parse_due(t["due"]),
            priority=t["priority"],
            owner_id=t["owner_id"],
        )
        for t in data["tasks"]
    )
    await session.flush()
    await _move_sequences(session)
    await session.commit()


Priority = Literal["low", "normal", "high"]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), AfterValidator(storable)]
Description = Annotated[str, StringConstraints(max_length=10_000), AfterValidator(storable)]
DueDate = Annotated[AwareDatetime, AfterValidator(in_utc)]


class _OwnerRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    email: str


class _TaskRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    title: str
    description: str
    done: bool
    due: datetime | None
    priority: str
    owner: _OwnerRead


class _TaskCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: Title
    description: Description = ""
    done: bool = False
    due: DueDate | None = None
    priority: Priority = "normal"
    owner_id: int = Field(ge=1, le=INT_MAX)


class _TaskUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: Title | None = None
    description: Description | None = None
    done: bool | None = None
    due: DueDate | None = None
    priority: Priority | None = None

    @field_validator("title", "description", "done", "priority")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("cannot be null; leave the field out to keep its value")
        return value


async def _get_db(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.Session() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(_get_db)]
TaskId = Annotated[int, Path(ge=1, le=INT_MAX)]
OwnerFilter = Annotated[int | None, Query(ge=1, le=INT_MAX)]


async def _build_app(
    engine: AsyncEngine,
    data: dict[str, Any],
    *routers: APIRouter,
    base: type[DeclarativeBase] = _Base,
    importer: Callable[[AsyncSession, dict[str, Any]], Any] = _import_legacy,
) -> FastAPI:
    """The notebook's ``build_app``: creates the tables, imports the data, mounts the routers."""
    async with engine.begin() as conn:
        await conn.run_sync(base.metadata.create_all)
    Session = async_sessionmaker(engine, expire_on_commit=False)
    async with Session() as session:
        await importer(session, data)
    app = FastAPI(title="Task manager")
    app.state.Session = Session
    app.add_exception_handler(RequestValidationError, validation_error)
    for router in routers:
        app.include_router(router)
    return app


async def _list_tasks(session: AsyncSession, owner_id: int | None = None, done: bool | None = None) -> list[Any]:
    statement = select(_Task).options(selectinload(_Task.owner)).order_by(_Task.id)
    if owner_id is not None:
        statement = statement.where(_Task.owner_id == owner_id)
    if done is not None:
        statement = statement.where(_Task.done == done)
    return list((await session.scalars(statement)).all())


async def _get_task(session: AsyncSession, task_id: int) -> Any:
    task = await session.scalar(select(_Task).where(_Task.id == task_id).options(selectinload(_Task.owner)))
    if task is None:
        raise HTTPException(404, f"no task with id {task_id}")
    return task


async def _create_task(session: AsyncSession, body: _TaskCreate) -> Any:
    if await session.get(_Owner, body.owner_id) is None:
        raise HTTPException(404, f"no user with id {body.owner_id}")
    task = _Task(**body.model_dump())
    session.add(task)
    await session.commit()
    return await _get_task(session, task.id)


def _reading_routes(
    *,
    list_fn: Callable[..., Any] = _list_tasks,
    get_fn: Callable[..., Any] = _get_task,
    create_fn: Callable[..., Any] = _create_task,
    create_status: int = status.HTTP_201_CREATED,
) -> APIRouter:
    router = APIRouter(prefix="/tasks")

    @router.get("", response_model=list[_TaskRead])
    async def read_tasks(session: SessionDep, owner_id: OwnerFilter = None, done: bool | None = None) -> Any:
        return await list_fn(session, owner_id, done)

    @router.get("/{task_id}", response_model=_TaskRead)
    async def read_task(session: SessionDep, task_id: TaskId) -> Any:
        return await get_fn(session, task_id)

    @router.post("", response_model=_TaskRead, status_code=create_status)
    async def create_task(session: SessionDep, body: _TaskCreate) -> Any:
        return await create_fn(session, body)

    return router


async def _update_task(session: AsyncSession, task_id: int, body: _TaskUpdate) -> Any:
    task = await _get_task(session, task_id)
    for field, value in body.model_dump(exclude_unset=True).items():
        setattr(task, field, value)
    await session.commit()
    return task


async def _delete_task(session: AsyncSession, task_id: int) -> None:
    await session.delete(await _get_task(session, task_id))
    await session.commit()


def _writing_routes(
    *,
    update_fn: Callable[..., Any] = _update_task,
    delete_fn: Callable[..., Any] = _delete_task,
    delete_status: int = status.HTTP_204_NO_CONTENT,
) -> APIRouter:
    router = APIRouter(prefix="/tasks")

    @router.patch("/{task_id}", response_model=_TaskRead)
    async def update_task(session: SessionDep, task_id: TaskId, body: _TaskUpdate) -> Any:
        return await update_fn(session, task_id, body)

    @router.delete("/{task_id}", status_code=delete_status)
    async def delete_task(session: SessionDep, task_id: TaskId) -> Response:
        await delete_fn(session, task_id)
        return Response(status_code=delete_status)

    return router


# =====================================================================================================================
# 15.task_model: the answer is the `Task` model (its relationship leads to the owner model).
# =====================================================================================================================


class _BaseM1(DeclarativeBase):
    pass


class OwnerM1(_BaseM1):
    __tablename__ = "tm_users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(255))
    tasks: Mapped[list["TaskAnnotated"]] = relationship(back_populates="owner")


@right("15.task_model")
class TaskAnnotated(_BaseM1):
    """Typed `Mapped[...]` columns, Python-side defaults, `UTCDateTime`, a two-way relationship."""

    __tablename__ = "tm_tasks"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    done: Mapped[bool] = mapped_column(default=False)
    due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    priority: Mapped[str] = mapped_column(String(10), default="normal")
    owner_id: Mapped[int] = mapped_column(ForeignKey("tm_users.id"))
    owner: Mapped[OwnerM1] = relationship(back_populates="tasks")


class _BaseM2(DeclarativeBase):
    pass


class OwnerM2(_BaseM2):
    __tablename__ = "tm_owners"
    id = Column(Integer, primary_key=True)
    name = Column(String(120), nullable=False)
    email = Column(String(255), nullable=False)


@right("15.task_model")
class TaskServerDefaults(_BaseM2):
    """Old-style `Column()`s, defaults in the DDL (`server_default`), fetched back at INSERT (`eager_defaults`);
    a one-way relationship; other table names than the blog's."""

    __tablename__ = "tm_todo"
    __mapper_args__ = {"eager_defaults": True}
    id = Column(Integer, primary_key=True)
    title = Column(String(255), nullable=False)
    description = Column(Text().with_variant(String(2000), "mysql", "mariadb"), nullable=False, server_default="")
    done = Column(Boolean, nullable=False, server_default=false())
    due = Column(UTCDateTime, nullable=True)
    priority = Column(String(20), nullable=False, server_default="normal")
    owner_id = Column(Integer, ForeignKey("tm_owners.id"), nullable=False)
    owner = relationship(OwnerM2, lazy="selectin")


class _IsoUTC(TypeDecorator[datetime]):
    """An aware datetime kept as ISO 8601 text in UTC (sorts like the instants it names)."""

    impl = String(32)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> str | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        return value.astimezone(timezone.utc).isoformat(timespec="microseconds")

    def process_result_value(self, value: str | None, dialect: Any) -> datetime | None:
        return None if value is None else datetime.fromisoformat(value).astimezone(timezone.utc)


class _BaseM3(MappedAsDataclass, DeclarativeBase):
    pass


class OwnerM3(_BaseM3):
    __tablename__ = "tm_people"
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(255))
    id: Mapped[int] = mapped_column(primary_key=True, default=None)


@right("15.task_model")
class TaskDataclassIsoText(_BaseM3):
    """A dataclass model (`MappedAsDataclass`, keyword defaults) whose `due` is a type of its own: aware, kept as UTC
    ISO text."""

    __tablename__ = "tm_items"
    title: Mapped[str] = mapped_column(String(200))
    owner_id: Mapped[int] = mapped_column(ForeignKey("tm_people.id"), default=None)
    id: Mapped[int] = mapped_column(primary_key=True, default=None)
    description: Mapped[str] = mapped_column(Text, default="")
    done: Mapped[bool] = mapped_column(default=False)
    due: Mapped[datetime | None] = mapped_column(_IsoUTC, default=None)
    priority: Mapped[str] = mapped_column(String(10), default="normal")
    owner: Mapped[OwnerM3 | None] = relationship(default=None)


# Differs on a task with a due date: SQLite and MariaDB read it back naive (no tzinfo); PostgreSQL (asyncpg) refuses to
# bind an aware datetime into TIMESTAMP WITHOUT TIME ZONE.
class _BaseW1(DeclarativeBase):
    pass


class OwnerW1(_BaseW1):
    __tablename__ = "tm_users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(255))


@wrong("15.task_model", "naive DateTime for due: the time zone is lost (or refused on PostgreSQL)")
class TaskNaiveDue(_BaseW1):
    __tablename__ = "tm_tasks"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    done: Mapped[bool] = mapped_column(default=False)
    due: Mapped[datetime | None] = mapped_column(DateTime)
    priority: Mapped[str] = mapped_column(String(10), default="normal")
    owner_id: Mapped[int] = mapped_column(ForeignKey("tm_users.id"))
    owner: Mapped[OwnerW1] = relationship()


# Differs on the lesson database: `users` is the blog's table already (create_all skips it), with other columns, so
# adding an owner fails. The statement says to use other names.
class _BaseW2(DeclarativeBase):
    pass


class OwnerW2(_BaseW2):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(255))


@wrong("15.task_model", "reuses the blog's table names (users, tasks), as Laravel would")
class TaskBlogTableNames(_BaseW2):
    __tablename__ = "tasks"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    done: Mapped[bool] = mapped_column(default=False)
    due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    priority: Mapped[str] = mapped_column(String(10), default="normal")
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    owner: Mapped[OwnerW2] = relationship()


# Differs on a task added without a description: NOT NULL refuses the INSERT (IntegrityError).
class _BaseW3(DeclarativeBase):
    pass


class OwnerW3(_BaseW3):
    __tablename__ = "tm_users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(255))


@wrong("15.task_model", "no default for description: a task without one cannot be added")
class TaskNoDescriptionDefault(_BaseW3):
    __tablename__ = "tm_tasks"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    done: Mapped[bool] = mapped_column(default=False)
    due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    priority: Mapped[str] = mapped_column(String(10), default="normal")
    owner_id: Mapped[int] = mapped_column(ForeignKey("tm_users.id"))
    owner: Mapped[OwnerW3] = relationship()


# Differs on a task added without a description: it reads back None, not "".
class _BaseW4(DeclarativeBase):
    pass


class OwnerW4(_BaseW4):
    __tablename__ = "tm_users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(255))


@wrong("15.task_model", "description nullable with no default: reads back None instead of an empty string")
class TaskNullableDescription(_BaseW4):
    __tablename__ = "tm_tasks"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    done: Mapped[bool] = mapped_column(default=False)
    due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    priority: Mapped[str] = mapped_column(String(10), default="normal")
    owner_id: Mapped[int] = mapped_column(ForeignKey("tm_users.id"))
    owner: Mapped[OwnerW4] = relationship()


# Differs on a task added without `done`: NOT NULL refuses the INSERT.
class _BaseW5(DeclarativeBase):
    pass


class OwnerW5(_BaseW5):
    __tablename__ = "tm_users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(255))


@wrong("15.task_model", "no default for done")
class TaskNoDoneDefault(_BaseW5):
    __tablename__ = "tm_tasks"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    done: Mapped[bool] = mapped_column()
    due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    priority: Mapped[str] = mapped_column(String(10), default="normal")
    owner_id: Mapped[int] = mapped_column(ForeignKey("tm_users.id"))
    owner: Mapped[OwnerW5] = relationship()


# Differs on a task added without a priority: it reads back "medium" (Laravel habit), not "normal".
class _BaseW6(DeclarativeBase):
    pass


class OwnerW6(_BaseW6):
    __tablename__ = "tm_users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(255))


@wrong("15.task_model", "wrong default priority (medium instead of normal)")
class TaskMediumPriority(_BaseW6):
    __tablename__ = "tm_tasks"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    done: Mapped[bool] = mapped_column(default=False)
    due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    priority: Mapped[str] = mapped_column(String(10), default="medium")
    owner_id: Mapped[int] = mapped_column(ForeignKey("tm_users.id"))
    owner: Mapped[OwnerW6] = relationship()


# Differs on any task: there is no `owner` relationship to read (only the foreign key column).
class _BaseW7(DeclarativeBase):
    pass


class OwnerW7(_BaseW7):
    __tablename__ = "tm_users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(255))


@wrong("15.task_model", "no owner relationship, only the owner_id foreign key")
class TaskNoOwnerRelationship(_BaseW7):
    __tablename__ = "tm_tasks"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    done: Mapped[bool] = mapped_column(default=False)
    due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    priority: Mapped[str] = mapped_column(String(10), default="normal")
    owner_id: Mapped[int] = mapped_column(ForeignKey("tm_users.id"))


# Differs on a task with no due date (the legacy file has several): NOT NULL refuses it.
class _BaseW8(DeclarativeBase):
    pass


class OwnerW8(_BaseW8):
    __tablename__ = "tm_users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(255))


@wrong("15.task_model", "due is NOT NULL: a task without a due date cannot be stored")
class TaskDueRequired(_BaseW8):
    __tablename__ = "tm_tasks"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    done: Mapped[bool] = mapped_column(default=False)
    due: Mapped[datetime] = mapped_column(UTCDateTime)
    priority: Mapped[str] = mapped_column(String(10), default="normal")
    owner_id: Mapped[int] = mapped_column(ForeignKey("tm_users.id"))
    owner: Mapped[OwnerW8] = relationship()


# Differs on a task added without a due date: it gets the wall-clock time (not even the course clock) instead of None.
class _BaseW9(DeclarativeBase):
    pass


class OwnerW9(_BaseW9):
    __tablename__ = "tm_users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(255))


@wrong("15.task_model", "due defaults to now (the wall clock) instead of no date")
class TaskDueDefaultsToNow(_BaseW9):
    __tablename__ = "tm_tasks"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    done: Mapped[bool] = mapped_column(default=False)
    due: Mapped[datetime | None] = mapped_column(UTCDateTime, default=lambda: datetime.now(timezone.utc))
    priority: Mapped[str] = mapped_column(String(10), default="normal")
    owner_id: Mapped[int] = mapped_column(ForeignKey("tm_users.id"))
    owner: Mapped[OwnerW9] = relationship()


# Differs on any task read back: `done` is 0/1 (an int), not False/True (a bool); JSON would say 0, not false.
class _BaseW10(DeclarativeBase):
    pass


class OwnerW10(_BaseW10):
    __tablename__ = "tm_users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(255))


@wrong("15.task_model", "done stored as an integer: reads back 0/1, not a bool")
class TaskDoneAsInteger(_BaseW10):
    __tablename__ = "tm_tasks"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    done: Mapped[int] = mapped_column(Integer, default=0)
    due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    priority: Mapped[str] = mapped_column(String(10), default="normal")
    owner_id: Mapped[int] = mapped_column(ForeignKey("tm_users.id"))
    owner: Mapped[OwnerW10] = relationship()


# Differs on a task with a due date: it reads back a str, not an aware datetime; tasks cannot be compared by time.
class _BaseW11(DeclarativeBase):
    pass


class OwnerW11(_BaseW11):
    __tablename__ = "tm_users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(255))


@wrong("15.task_model", "due kept as an ISO string column: reads back text, not a datetime")
class TaskDueAsString(_BaseW11):
    __tablename__ = "tm_tasks"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    done: Mapped[bool] = mapped_column(default=False)
    due: Mapped[str | None] = mapped_column(String(40))
    priority: Mapped[str] = mapped_column(String(10), default="normal")
    owner_id: Mapped[int] = mapped_column(ForeignKey("tm_users.id"))
    owner: Mapped[OwnerW11] = relationship()


# =====================================================================================================================
# 15.task_update_schema: the answer is the `TaskUpdate` request model of a PATCH.
# =====================================================================================================================


@right("15.task_update_schema")
class TaskUpdateFieldValidator(_TaskUpdate):
    """The kit's model: optional fields, a `field_validator` refusing an explicit null except for `due`."""


@right("15.task_update_schema")
class TaskUpdateModelValidatorBefore(BaseModel):
    """Null refused on the raw body (`model_validator(mode="before")`); unknown fields ignored (allowed: the statement
    does not forbid them); no length limits (the statement asks for none)."""

    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1), AfterValidator(storable)] | None = (
        None
    )
    description: Annotated[str, AfterValidator(storable)] | None = None
    done: bool | None = None
    due: Annotated[AwareDatetime, AfterValidator(in_utc)] | None = None
    priority: Priority | None = None

    @model_validator(mode="before")
    @classmethod
    def _no_null_but_due(cls, body: Any) -> Any:
        if isinstance(body, dict):
            nulls = sorted(key for key, value in body.items() if value is None and key != "due")
            if nulls:
                raise ValueError(f"{', '.join(nulls)} cannot be null")
        return body


def _no_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


@right("15.task_update_schema")
class TaskUpdateNonOptionalTypes(BaseModel):
    """Fields typed without `None` but defaulting to None: pydantic does not validate defaults, so a field left out
    stays unset, and an explicit null fails its type. Blank titles refused by a validator of its own."""

    model_config = ConfigDict(extra="forbid")
    title: Annotated[str, AfterValidator(_no_blank), AfterValidator(storable)] = None  # type: ignore[assignment]
    description: Annotated[str, AfterValidator(storable)] = None  # type: ignore[assignment]
    done: bool = None  # type: ignore[assignment]
    due: Annotated[AwareDatetime, AfterValidator(in_utc)] | None = None
    priority: Priority = None  # type: ignore[assignment]


# Differs on {"due": "2025-02-01T17:00:00"} (no offset): accepted, then a 500 at INSERT.
@wrong("15.task_update_schema", "plain datetime for due: accepts a naive time")
class TaskUpdateNaiveDue(_TaskUpdate):
    due: datetime | None = None


# Differs on {"due": "9999-12-31T23:59:59-01:00"}: valid with its offset, but leaves the calendar in UTC.
@wrong("15.task_update_schema", "AwareDatetime without the UTC conversion: accepts a due that overflows in UTC")
class TaskUpdateNoUtcOverflowCheck(_TaskUpdate):
    due: AwareDatetime | None = None


# Differs on {"title": null} (and the other non-nullable fields): accepted, then NOT NULL answers 500.
@wrong("15.task_update_schema", "optional fields accept an explicit null (no not-null refusal)")
class TaskUpdateAcceptsNull(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: Title | None = None
    description: Description | None = None
    done: bool | None = None
    due: DueDate | None = None
    priority: Priority | None = None


# Differs on {"done": null} or {"priority": null}: only title is protected.
@wrong("15.task_update_schema", "refuses null for title only, not for description, done or priority")
class TaskUpdateNullCheckOnTitleOnly(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: Title | None = None
    description: Description | None = None
    done: bool | None = None
    due: DueDate | None = None
    priority: Priority | None = None

    @field_validator("title")
    @classmethod
    def _title_not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("title cannot be null")
        return value


# Differs on {"due": null}: refused, where the statement says it clears the due date.
@wrong("15.task_update_schema", "refuses due: null, which must clear the date")
class TaskUpdateRefusesNullDue(_TaskUpdate):
    @field_validator("due")
    @classmethod
    def _due_not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("cannot be null")
        return value


# Differs on {"title": "   "}: min_length=1 without strip_whitespace lets a blank title through.
@wrong("15.task_update_schema", "blank title accepted (min_length without stripping whitespace)")
class TaskUpdateBlankTitle(_TaskUpdate):
    title: Annotated[str, StringConstraints(min_length=1, max_length=200), AfterValidator(storable)] | None = None


# Differs on {"title": "a\u0000b"} and {"title": "\ud800"}: accepted, then PostgreSQL (NUL) or every driver's UTF-8
# encoder (lone surrogate) fails with a 500.
@wrong("15.task_update_schema", "no storable check: NUL and lone surrogates accepted")
class TaskUpdateNoStorableCheck(_TaskUpdate):
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)] | None = None
    description: Annotated[str, StringConstraints(max_length=10_000)] | None = None


# Differs on {"description": "x\u0000"}: the title is checked, the description is not ("no text holds a NUL").
@wrong("15.task_update_schema", "storable checked on the title only, not on the description")
class TaskUpdateStorableTitleOnly(_TaskUpdate):
    description: Annotated[str, StringConstraints(max_length=10_000)] | None = None


# Differs on {"done": true}: the title is required, so a partial PATCH is refused.
@wrong("15.task_update_schema", "fields required as in TaskCreate: a partial update is refused")
class TaskUpdateFieldsRequired(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: Title
    description: Description = ""
    done: bool = False
    due: DueDate | None = None
    priority: Priority = "normal"


# Differs on {"title": "   "}: a before-validator turns blank strings into None, and None then passes as "not sent";
# the model also takes {"title": null}.
def _blank_to_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


@wrong("15.task_update_schema", "blank strings coerced to null, and null accepted")
class TaskUpdateBlankToNone(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: Annotated[str | None, BeforeValidator(_blank_to_none), AfterValidator(lambda v: v and storable(v))] = None
    description: Description | None = None
    done: bool | None = None
    due: DueDate | None = None
    priority: Priority | None = None


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("NUL characters cannot be stored")
    return value


# Differs on {"description": "\ud800"}: a NUL check of its own, none for lone surrogates (a 500 when encoded);
# the title is saved by accident: pydantic's strip_whitespace refuses a lone surrogate.
@wrong("15.task_update_schema", "refuses NUL by hand but lets a lone surrogate through")
class TaskUpdateNulCheckOnly(_TaskUpdate):
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1), AfterValidator(_no_nul)] | None = None
    description: Annotated[str, AfterValidator(_no_nul)] | None = None


# =====================================================================================================================
# 15.reading_routes: the answer builds the app with the reading routes (`app_with_reading_routes(engine, data)`).
# =====================================================================================================================


@right("15.reading_routes")
async def reading_with_selectinload(engine: AsyncEngine, data: dict[str, Any]) -> FastAPI:
    """The kit: ORM with `selectinload`, response models, owner checked with `session.get`."""
    return await _build_app(engine, data, _reading_routes())


async def _list_two_queries_by_hand(session: AsyncSession, owner_id: int | None, done: bool | None) -> list[Any]:
    statement = select(_Task.id, _Task.title, _Task.description, _Task.done, _Task.due, _Task.priority, _Task.owner_id)
    if owner_id is not None:
        statement = statement.where(_Task.owner_id == owner_id)
    if done is not None:
        statement = statement.where(_Task.done.is_(done))
    tasks = (await session.execute(statement.order_by(_Task.id))).mappings().all()
    owner_ids = sorted({task["owner_id"] for task in tasks})
    owners = {}
    for start in range(0, len(owner_ids), 500):
        chunk = owner_ids[start : start + 500]
        rows = await session.execute(select(_Owner.id, _Owner.name, _Owner.email).where(_Owner.id.in_(chunk)))
        owners.update({row.id: dict(row._mapping) for row in rows})
    return [{**{k: v for k, v in task.items() if k != "owner_id"}, "owner": owners[task["owner_id"]]} for task in tasks]


async def _get_by_text(session: AsyncSession, task_id: int) -> Any:
    row = (
        await session.execute(
            text(
                "SELECT t.id, t.title, t.description, t.done, t.due, t.priority, "
                "u.id AS owner_id, u.name, u.email FROM tm_tasks t JOIN tm_users u ON u.id = t.owner_id "
                "WHERE t.id = :task_id"
            ).columns(done=Boolean(), due=UTCDateTime()),
            {"task_id": task_id},
        )
    ).first()
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "task not found")
    return {
        "id": row.id,
        "title": row.title,
        "description": row.description,
        "done": row.done,
        "due": row.due,
        "priority": row.priority,
        "owner": {"id": row.owner_id, "name": row.name, "email": row.email},
    }


async def _create_core(session: AsyncSession, body: _TaskCreate) -> Any:
    exists = await session.scalar(select(func.count()).select_from(_Owner).where(_Owner.id == body.owner_id))
    if not exists:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "owner not found")
    values = body.model_dump()
    result = await session.execute(insert(_Task).values(**values))
    await session.commit()
    return await _get_by_text(session, result.inserted_primary_key[0])


@right("15.reading_routes")
async def reading_with_core_dicts(engine: AsyncEngine, data: dict[str, Any]) -> FastAPI:
    """Core: columns selected into dicts, owners fetched by hand in chunks of 500 `IN` keys, one task by a `text()` JOIN
    with a bound parameter, `insert()` for POST."""
    return await _build_app(
        engine, data, _reading_routes(list_fn=_list_two_queries_by_hand, get_fn=_get_by_text, create_fn=_create_core)
    )


async def _list_joined(session: AsyncSession, owner_id: int | None, done: bool | None) -> list[Any]:
    filters = []
    if owner_id is not None:
        filters.append(_Task.owner_id == owner_id)
    if done is not None:
        filters.append(_Task.done == done)
    statement = select(_Task).join(_Task.owner).options(joinedload(_Task.owner)).where(*filters).order_by(_Task.id)
    return list((await session.scalars(statement)).unique())


async def _get_with_session_get(session: AsyncSession, task_id: int) -> Any:
    task = await session.get(_Task, task_id, options=[joinedload(_Task.owner)])
    if task is None:
        raise HTTPException(404, "no such task")
    return task


async def _create_catching_fk(session: AsyncSession, body: _TaskCreate) -> Any:
    owner = await session.scalar(select(_Owner).where(_Owner.id == body.owner_id))
    if owner is None:
        raise HTTPException(404, "no such owner")
    task = _Task(owner=owner, **body.model_dump(exclude={"owner_id"}))
    session.add(task)
    await session.commit()
    return task


@right("15.reading_routes")
async def reading_with_joinedload(engine: AsyncEngine, data: dict[str, Any]) -> FastAPI:
    """`joinedload`: tasks and owners in ONE statement (fewer than the two the statement describes, never one per
    task); `session.get` for one task; POST assigns the owner object."""
    return await _build_app(
        engine,
        data,
        _reading_routes(list_fn=_list_joined, get_fn=_get_with_session_get, create_fn=_create_catching_fk),
    )


async def _list_n_plus_one(session: AsyncSession, owner_id: int | None, done: bool | None) -> list[Any]:
    statement = select(_Task).order_by(_Task.id)
    if owner_id is not None:
        statement = statement.where(_Task.owner_id == owner_id)
    if done is not None:
        statement = statement.where(_Task.done == done)
    tasks = list((await session.scalars(statement)).all())
    for task in tasks:  # one SELECT per owner not loaded yet: Eloquent's lazy $task->owner in a loop
        set_committed_value(task, "owner", await session.get(_Owner, task.owner_id))
    return tasks


# Differs on GET /tasks with the legacy data: 1 + 5 statements (one per owner), not 2.
@wrong("15.reading_routes", "N+1: loads each task's owner lazily, one statement per owner")
async def reading_n_plus_one(engine: AsyncEngine, data: dict[str, Any]) -> FastAPI:
    return await _build_app(engine, data, _reading_routes(list_fn=_list_n_plus_one))


async def _list_by_due(session: AsyncSession, owner_id: int | None, done: bool | None) -> list[Any]:
    tasks = await _list_tasks(session, owner_id, done)
    return sorted(tasks, key=lambda task: (task.due is None, task.due or datetime.min.replace(tzinfo=timezone.utc)))


# Differs on GET /tasks: the legacy tasks' due dates are not in id order.
@wrong("15.reading_routes", "wrong order: tasks sorted by due date, not by id")
async def reading_ordered_by_due(engine: AsyncEngine, data: dict[str, Any]) -> FastAPI:
    return await _build_app(engine, data, _reading_routes(list_fn=_list_by_due))


async def _list_truthy_filters(session: AsyncSession, owner_id: int | None, done: bool | None) -> list[Any]:
    statement = select(_Task).options(selectinload(_Task.owner)).order_by(_Task.id)
    if owner_id:
        statement = statement.where(_Task.owner_id == owner_id)
    if done:  # done=false is falsy: the filter silently disappears
        statement = statement.where(_Task.done == done)
    return list((await session.scalars(statement)).all())


# Differs on GET /tasks?done=false: every task comes back, done ones included.
@wrong("15.reading_routes", "truthiness test on the filter: done=false is ignored")
async def reading_done_false_ignored(engine: AsyncEngine, data: dict[str, Any]) -> FastAPI:
    return await _build_app(engine, data, _reading_routes(list_fn=_list_truthy_filters))


def _unbounded_reading_routes() -> APIRouter:
    router = APIRouter(prefix="/tasks")

    @router.get("", response_model=list[_TaskRead])
    async def read_tasks(session: SessionDep, owner_id: int | None = None, done: bool | None = None) -> Any:
        return await _list_tasks(session, owner_id, done)

    @router.get("/{task_id}", response_model=_TaskRead)
    async def read_task(session: SessionDep, task_id: int) -> Any:
        return await _get_task(session, task_id)

    @router.post("", response_model=_TaskRead, status_code=201)
    async def create_task(session: SessionDep, body: _TaskCreate) -> Any:
        return await _create_task(session, body)

    return router


# Differs on GET /tasks?owner_id=9223372036854775808: OverflowError (SQLite), DataError (PostgreSQL): a 500, not a 422.
@wrong("15.reading_routes", "unbounded ids in the URL: a huge owner_id is a 500")
async def reading_unbounded_ids(engine: AsyncEngine, data: dict[str, Any]) -> FastAPI:
    return await _build_app(engine, data, _unbounded_reading_routes())


async def _get_or_none(session: AsyncSession, task_id: int) -> Any:
    return await session.scalar(select(_Task).where(_Task.id == task_id).options(selectinload(_Task.owner)))


def _nullable_get_routes() -> APIRouter:
    router = _reading_routes()
    router.routes[:] = [route for route in router.routes if getattr(route, "path", "") != "/tasks/{task_id}"]

    @router.get("/{task_id}", response_model=_TaskRead | None)
    async def read_task(session: SessionDep, task_id: TaskId) -> Any:
        return await _get_or_none(session, task_id)  # Eloquent's find(): null, not findOrFail()

    return router


# Differs on GET /tasks/999: 200 with `null`, not a 404.
@wrong("15.reading_routes", "missing task answers 200 null instead of 404 (find, not findOrFail)")
async def reading_missing_is_null(engine: AsyncEngine, data: dict[str, Any]) -> FastAPI:
    return await _build_app(engine, data, _nullable_get_routes())


# Differs on POST /tasks: 200, not 201.
@wrong("15.reading_routes", "POST answers 200 instead of 201")
async def reading_create_200(engine: AsyncEngine, data: dict[str, Any]) -> FastAPI:
    return await _build_app(engine, data, _reading_routes(create_status=200))


async def _create_without_owner_check(session: AsyncSession, body: _TaskCreate) -> Any:
    task = _Task(**body.model_dump())
    session.add(task)
    await session.commit()  # an unknown owner_id: IntegrityError from the foreign key, a 500
    return await _get_task(session, task.id)


# Differs on POST /tasks with owner_id=999: IntegrityError (500), not a 404.
@wrong("15.reading_routes", "no owner check on POST: an unknown owner is a 500, not a 404")
async def reading_no_owner_check(engine: AsyncEngine, data: dict[str, Any]) -> FastAPI:
    return await _build_app(engine, data, _reading_routes(create_fn=_create_without_owner_check))


async def _create_without_commit(session: AsyncSession, body: _TaskCreate) -> Any:
    if await session.get(_Owner, body.owner_id) is None:
        raise HTTPException(404, "no such owner")
    task = _Task(**body.model_dump())
    session.add(task)
    await session.flush()  # an id, but the session closes without a commit: rolled back
    return await _get_task(session, task.id)


# Differs on POST then GET /tasks/{new id}: the POST answers 201 with an id, the GET a 404.
@wrong("15.reading_routes", "forgets to commit the new task (flush only): it vanishes after the request")
async def reading_create_not_committed(engine: AsyncEngine, data: dict[str, Any]) -> FastAPI:
    return await _build_app(engine, data, _reading_routes(create_fn=_create_without_commit))


class _LooseTaskCreate(BaseModel):
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    description: str = ""
    done: bool = False
    due: datetime | None = None
    priority: Priority = "normal"
    owner_id: int = Field(ge=1, le=INT_MAX)


def _loose_create_routes() -> APIRouter:
    router = _reading_routes()
    router.routes[:] = [route for route in router.routes if "POST" not in getattr(route, "methods", set())]

    @router.post("", response_model=_TaskRead, status_code=201)
    async def create_task(session: SessionDep, body: _LooseTaskCreate) -> Any:
        return await _create_task(session, body)  # type: ignore[arg-type]

    return router


# Differs on POST /tasks with "due": "2025-02-01T17:00:00" (500 at INSERT) and a title holding "\u0000" (201 on
# SQLite, 500 on PostgreSQL) or "\ud800" (500 everywhere).
@wrong("15.reading_routes", "loose TaskCreate: naive due, NUL and lone surrogates reach the database (500)")
async def reading_loose_create_model(engine: AsyncEngine, data: dict[str, Any]) -> FastAPI:
    return await _build_app(engine, data, _loose_create_routes())


class _FlatTaskRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    title: str
    description: str
    done: bool
    due: datetime | None
    priority: str
    owner_id: int


def _flat_routes() -> APIRouter:
    router = APIRouter(prefix="/tasks")

    @router.get("", response_model=list[_FlatTaskRead])
    async def read_tasks(session: SessionDep, owner_id: OwnerFilter = None, done: bool | None = None) -> Any:
        return await _list_tasks(session, owner_id, done)

    @router.get("/{task_id}", response_model=_FlatTaskRead)
    async def read_task(session: SessionDep, task_id: TaskId) -> Any:
        return await _get_task(session, task_id)

    @router.post("", response_model=_FlatTaskRead, status_code=201)
    async def create_task(session: SessionDep, body: _TaskCreate) -> Any:
        return await _create_task(session, body)

    return router


# Differs on any GET: no `owner` object, an `owner_id` instead.
@wrong("15.reading_routes", "wrong body shape: owner_id instead of the owner object")
async def reading_flat_owner(engine: AsyncEngine, data: dict[str, Any]) -> FastAPI:
    return await _build_app(engine, data, _flat_routes())


async def _import_owners_of_tasks_only(session: AsyncSession, data: dict[str, Any]) -> None:
    owner_ids = {t["owner_id"] for t in data["tasks"]}
    session.add_all(_Owner(id=u["id"], name=u["name"], email=u["email"]) for u in data["users"] if u["id"] in owner_ids)
    await session.flush()
    session.add_all(
        _Task(**{**t, "due": _parse_due(t["due"])})
        for t in data["tasks"]  # keys match the columns
    )
    await session.flush()
    await _move_sequences(session)
    await session.commit()


# Differs on POST /tasks for user 6 (who has no task in the file): 404 instead of 201.
@wrong("15.reading_routes", "import skips the users who own no task")
async def reading_import_drops_idle_users(engine: AsyncEngine, data: dict[str, Any]) -> FastAPI:
    return await _build_app(engine, data, _reading_routes(), importer=_import_owners_of_tasks_only)


async def _list_owner_filter_ignored(session: AsyncSession, owner_id: int | None, done: bool | None) -> list[Any]:
    return await _list_tasks(session, None, done)


# Differs on GET /tasks?owner_id=2: tasks of every owner.
@wrong("15.reading_routes", "owner_id filter ignored")
async def reading_owner_filter_ignored(engine: AsyncEngine, data: dict[str, Any]) -> FastAPI:
    return await _build_app(engine, data, _reading_routes(list_fn=_list_owner_filter_ignored))


async def _list_first_page(session: AsyncSession, owner_id: int | None, done: bool | None) -> list[Any]:
    return (await _list_tasks(session, owner_id, done))[:15]  # Laravel's paginate(15) habit, with no page to ask for


# Differs on GET /tasks with the legacy data: 15 tasks of 40.
@wrong("15.reading_routes", "lists only a first page of 15 tasks")
async def reading_first_page_only(engine: AsyncEngine, data: dict[str, Any]) -> FastAPI:
    return await _build_app(engine, data, _reading_routes(list_fn=_list_first_page))


async def _create_title_only(session: AsyncSession, body: _TaskCreate) -> Any:
    if await session.get(_Owner, body.owner_id) is None:
        raise HTTPException(404, "no such owner")
    task = _Task(title=body.title, owner_id=body.owner_id)  # description, done, due, priority: defaults
    session.add(task)
    await session.commit()
    return await _get_task(session, task.id)


# Differs on POST {"title": "Full", "description": "d", "done": true, "priority": "high", "owner_id": 1}.
@wrong("15.reading_routes", "POST keeps only title and owner; the other fields sent are lost")
async def reading_create_drops_fields(engine: AsyncEngine, data: dict[str, Any]) -> FastAPI:
    return await _build_app(engine, data, _reading_routes(create_fn=_create_title_only))


# =====================================================================================================================
# 15.writing_routes: the answer builds the whole app (`build_task_manager(engine, data)`); the check is about PATCH and
# DELETE.
# =====================================================================================================================


@right("15.writing_routes")
async def writing_orm(engine: AsyncEngine, data: dict[str, Any]) -> FastAPI:
    """The kit: load, setattr the fields sent (`exclude_unset=True`), commit; `await session.delete`."""
    return await _build_app(engine, data, _reading_routes(), _writing_routes())


async def _update_core(session: AsyncSession, task_id: int, body: _TaskUpdate) -> Any:
    changes = body.model_dump(exclude_unset=True)
    if changes:
        result = await session.execute(update(_Task).where(_Task.id == task_id).values(**changes))
        if result.rowcount == 0:
            raise HTTPException(404, "no such task")
        await session.commit()
    return await _get_by_text(session, task_id)


async def _delete_core(session: AsyncSession, task_id: int) -> None:
    result = await session.execute(delete(_Task).where(_Task.id == task_id))
    if result.rowcount != 1:
        raise HTTPException(404, "no such task")
    await session.commit()


@right("15.writing_routes")
async def writing_core_update_delete(engine: AsyncEngine, data: dict[str, Any]) -> FastAPI:
    """Core `update()` / `delete()` with `rowcount` for the 404; the task read back with a `text()` JOIN."""
    return await _build_app(
        engine, data, _reading_routes(), _writing_routes(update_fn=_update_core, delete_fn=_delete_core)
    )


async def _update_model_copy(session: AsyncSession, task_id: int, body: _TaskUpdate) -> Any:
    task = await session.get(_Task, task_id, options=[selectinload(_Task.owner)])
    if task is None:
        raise HTTPException(404, "no such task")
    current = _TaskRead.model_validate(task)
    merged = current.model_copy(update=body.model_dump(exclude_unset=True))
    for field in body.model_fields_set:
        setattr(task, field, getattr(merged, field))
    await session.commit()
    return merged


async def _delete_text(session: AsyncSession, task_id: int) -> None:
    result = await session.execute(text("DELETE FROM tm_tasks WHERE id = :id"), {"id": task_id})
    if result.rowcount == 0:
        raise HTTPException(404, "no such task")
    await session.commit()


@right("15.writing_routes")
async def writing_model_copy_and_text_delete(engine: AsyncEngine, data: dict[str, Any]) -> FastAPI:
    """PATCH merges the body into the response model (`model_copy(update=...)`) and writes only `model_fields_set`;
    DELETE is `text()` SQL with a bound parameter."""
    return await _build_app(
        engine, data, _reading_routes(), _writing_routes(update_fn=_update_model_copy, delete_fn=_delete_text)
    )


async def _update_every_field(session: AsyncSession, task_id: int, body: _TaskUpdate) -> Any:
    task = await _get_task(session, task_id)
    for field, value in body.model_dump().items():  # fields not sent are None too
        setattr(task, field, value)
    await session.commit()
    return task


# Differs on PATCH {"done": true}: title etc. become None: NOT NULL answers 500 (and due would be cleared).
@wrong("15.writing_routes", "model_dump() without exclude_unset: unsent fields overwritten with null")
async def writing_dump_everything(engine: AsyncEngine, data: dict[str, Any]) -> FastAPI:
    return await _build_app(engine, data, _reading_routes(), _writing_routes(update_fn=_update_every_field))


async def _update_exclude_none(session: AsyncSession, task_id: int, body: _TaskUpdate) -> Any:
    task = await _get_task(session, task_id)
    for field, value in body.model_dump(exclude_none=True).items():
        setattr(task, field, value)
    await session.commit()
    return task


# Differs on PATCH {"due": null}: the due date stays.
@wrong("15.writing_routes", "exclude_none instead of exclude_unset: due: null does not clear the date")
async def writing_exclude_none(engine: AsyncEngine, data: dict[str, Any]) -> FastAPI:
    return await _build_app(engine, data, _reading_routes(), _writing_routes(update_fn=_update_exclude_none))


async def _update_no_commit(session: AsyncSession, task_id: int, body: _TaskUpdate) -> Any:
    task = await _get_task(session, task_id)
    for field, value in body.model_dump(exclude_unset=True).items():
        setattr(task, field, value)
    await session.flush()
    return task


# Differs on PATCH then GET: the PATCH answers the change, the GET shows the old value.
@wrong("15.writing_routes", "PATCH forgets to commit")
async def writing_patch_not_committed(engine: AsyncEngine, data: dict[str, Any]) -> FastAPI:
    return await _build_app(engine, data, _reading_routes(), _writing_routes(update_fn=_update_no_commit))


async def _delete_no_commit(session: AsyncSession, task_id: int) -> None:
    await session.delete(await _get_task(session, task_id))


# Differs on DELETE then GET: 204, and the task is still there.
@wrong("15.writing_routes", "DELETE forgets to commit: the 204 is a lie")
async def writing_delete_not_committed(engine: AsyncEngine, data: dict[str, Any]) -> FastAPI:
    return await _build_app(engine, data, _reading_routes(), _writing_routes(delete_fn=_delete_no_commit))


async def _update_unchecked(session: AsyncSession, task_id: int, body: _TaskUpdate) -> Any:
    task = await session.get(_Task, task_id, options=[selectinload(_Task.owner)])
    for field, value in body.model_dump(exclude_unset=True).items():
        setattr(task, field, value)  # AttributeError on None when the task does not exist
    await session.commit()
    return task


# Differs on PATCH /tasks/999: a 500 (AttributeError on None), not a 404.
@wrong("15.writing_routes", "PATCH of a missing task is a 500, not a 404")
async def writing_patch_missing_500(engine: AsyncEngine, data: dict[str, Any]) -> FastAPI:
    return await _build_app(engine, data, _reading_routes(), _writing_routes(update_fn=_update_unchecked))


async def _delete_idempotent(session: AsyncSession, task_id: int) -> None:
    await session.execute(delete(_Task).where(_Task.id == task_id))
    await session.commit()


# Differs on DELETE /tasks/999: 204, not a 404.
@wrong("15.writing_routes", "DELETE of a missing task answers 204 instead of 404")
async def writing_delete_missing_204(engine: AsyncEngine, data: dict[str, Any]) -> FastAPI:
    return await _build_app(engine, data, _reading_routes(), _writing_routes(delete_fn=_delete_idempotent))


async def _delete_owners_tasks(session: AsyncSession, task_id: int) -> None:
    task = await _get_task(session, task_id)
    await session.execute(delete(_Task).where(_Task.owner_id == task.owner_id))
    await session.commit()


# Differs on DELETE /tasks/1: every task of user 2 goes, not only task 1.
@wrong("15.writing_routes", "DELETE removes every task of the same owner")
async def writing_delete_too_much(engine: AsyncEngine, data: dict[str, Any]) -> FastAPI:
    return await _build_app(engine, data, _reading_routes(), _writing_routes(delete_fn=_delete_owners_tasks))


def _writing_routes_200_delete() -> APIRouter:
    router = APIRouter(prefix="/tasks")

    @router.patch("/{task_id}", response_model=_TaskRead)
    async def update_task(session: SessionDep, task_id: TaskId, body: _TaskUpdate) -> Any:
        return await _update_task(session, task_id, body)

    @router.delete("/{task_id}")
    async def delete_task(session: SessionDep, task_id: TaskId) -> dict[str, bool]:
        await _delete_task(session, task_id)
        return {"deleted": True}

    return router


# Differs on DELETE /tasks/1: 200 with a body, not 204.
@wrong("15.writing_routes", "DELETE answers 200 with a body instead of 204")
async def writing_delete_200(engine: AsyncEngine, data: dict[str, Any]) -> FastAPI:
    return await _build_app(engine, data, _reading_routes(), _writing_routes_200_delete())


class _NullableTaskUpdate(BaseModel):
    title: Title | None = None
    description: Description | None = None
    done: bool | None = None
    due: DueDate | None = None
    priority: Priority | None = None


def _writing_routes_nullable_body() -> APIRouter:
    router = APIRouter(prefix="/tasks")

    @router.patch("/{task_id}", response_model=_TaskRead)
    async def update_task(session: SessionDep, task_id: TaskId, body: _NullableTaskUpdate) -> Any:
        return await _update_task(session, task_id, body)  # type: ignore[arg-type]

    @router.delete("/{task_id}", status_code=204)
    async def delete_task(session: SessionDep, task_id: TaskId) -> Response:
        await _delete_task(session, task_id)
        return Response(status_code=204)

    return router


# Differs on PATCH {"title": null}: NOT NULL answers 500, not 422.
@wrong("15.writing_routes", "PATCH body accepts null for a NOT NULL field: a 500")
async def writing_null_title_500(engine: AsyncEngine, data: dict[str, Any]) -> FastAPI:
    return await _build_app(engine, data, _reading_routes(), _writing_routes_nullable_body())


def _writing_routes_patch_no_content() -> APIRouter:
    router = _writing_routes()
    router.routes[:] = [route for route in router.routes if "PATCH" not in getattr(route, "methods", set())]

    @router.patch("/{task_id}", status_code=204)
    async def update_task(session: SessionDep, task_id: TaskId, body: _TaskUpdate) -> Response:
        await _update_task(session, task_id, body)
        return Response(status_code=204)

    return router


# Differs on PATCH /tasks/1: 204 without the changed task, not 200 with it.
@wrong("15.writing_routes", "PATCH answers 204 with no body instead of 200 with the task")
async def writing_patch_no_body(engine: AsyncEngine, data: dict[str, Any]) -> FastAPI:
    return await _build_app(engine, data, _reading_routes(), _writing_routes_patch_no_content())


async def _update_owners_tasks(session: AsyncSession, task_id: int, body: _TaskUpdate) -> Any:
    task = await _get_task(session, task_id)
    changes = body.model_dump(exclude_unset=True)
    if changes:
        await session.execute(update(_Task).where(_Task.owner_id == task.owner_id).values(**changes))
        await session.commit()
    return await _get_task(session, task_id)


# Differs on PATCH /tasks/1 {"done": true}: every task of user 2 is marked done, not only task 1.
@wrong("15.writing_routes", "PATCH changes every task of the same owner")
async def writing_patch_too_much(engine: AsyncEngine, data: dict[str, Any]) -> FastAPI:
    return await _build_app(engine, data, _reading_routes(), _writing_routes(update_fn=_update_owners_tasks))


def _unbounded_writing_routes() -> APIRouter:
    router = APIRouter(prefix="/tasks")

    @router.patch("/{task_id}", response_model=_TaskRead)
    async def update_task(session: SessionDep, task_id: int, body: _TaskUpdate) -> Any:
        return await _update_task(session, task_id, body)

    @router.delete("/{task_id}", status_code=204)
    async def delete_task(session: SessionDep, task_id: int) -> Response:
        await _delete_task(session, task_id)
        return Response(status_code=204)

    return router


# Differs on PATCH or DELETE /tasks/9223372036854775808: a 500 (OverflowError, DataError), not a 422.
@wrong("15.writing_routes", "unbounded task_id in PATCH and DELETE: a huge id is a 500")
async def writing_unbounded_ids(engine: AsyncEngine, data: dict[str, Any]) -> FastAPI:
    return await _build_app(engine, data, _reading_routes(), _unbounded_writing_routes())


# =====================================================================================================================
# 15.task_manager: the whole app (`build_task_manager(engine, data)`), import included.
# =====================================================================================================================


@right("15.task_manager")
async def manager_orm(engine: AsyncEngine, data: dict[str, Any]) -> FastAPI:
    """The kit all through: ORM import with `add_all` and `setval`, `selectinload`, ORM writes."""
    return await _build_app(engine, data, _reading_routes(), _writing_routes())


async def _import_core_bulk(session: AsyncSession, data: dict[str, Any]) -> None:
    users = [{k: u[k] for k in ("id", "name", "email")} for u in data["users"]]
    tasks = [{**t, "due": _parse_due(t["due"])} for t in data["tasks"]]
    for model, rows in ((_Owner, users), (_Task, tasks)):
        if rows:  # an empty list would run ONE insert with no values, not zero
            await session.execute(insert(model), rows)
    await _move_sequences(session)
    await session.commit()


@right("15.task_manager")
async def manager_core(engine: AsyncEngine, data: dict[str, Any]) -> FastAPI:
    """Core all through: executemany `insert()` for the import, chunked `IN` for owners, `update()`/`delete()`."""
    return await _build_app(
        engine,
        data,
        _reading_routes(list_fn=_list_two_queries_by_hand, get_fn=_get_by_text, create_fn=_create_core),
        _writing_routes(update_fn=_update_core, delete_fn=_delete_core),
        importer=_import_core_bulk,
    )


_ISO_Z = re.compile(r"Z$")


async def _import_text_and_sequence_max(session: AsyncSession, data: dict[str, Any]) -> None:
    for user in data["users"]:
        await session.execute(
            text("INSERT INTO tm_users (id, name, email) VALUES (:id, :name, :email)"),
            {"id": user["id"], "name": user["name"], "email": user["email"]},
        )
    session.add_all(
        _Task(
            id=t["id"],
            title=t["title"],
            description=t["description"],
            done=bool(t["done"]),
            due=datetime.fromisoformat(_ISO_Z.sub("+00:00", t["due"])).astimezone(timezone.utc) if t["due"] else None,
            priority=t["priority"],
            owner_id=t["owner_id"],
        )
        for t in data["tasks"]
    )
    await session.commit()
    if session.get_bind().dialect.name == "postgresql":
        for table in ("tm_users", "tm_tasks"):
            top = await session.scalar(text(f"SELECT coalesce(max(id), 0) + 1 FROM {table}"))
            await session.execute(
                text("SELECT setval(pg_get_serial_sequence(:table, 'id'), :next, false)"), {"table": table, "next": top}
            )
        await session.commit()


@right("15.task_manager")
async def manager_text_import_joinedload(engine: AsyncEngine, data: dict[str, Any]) -> FastAPI:
    """Users imported with `text()` INSERTs and bound parameters, tasks with the ORM, `setval(..., false)` to the next
    id; `joinedload` lists, Core writes with `text()` DELETE."""
    return await _build_app(
        engine,
        data,
        _reading_routes(list_fn=_list_joined, get_fn=_get_with_session_get, create_fn=_create_catching_fk),
        _writing_routes(update_fn=_update_model_copy, delete_fn=_delete_text),
        importer=_import_text_and_sequence_max,
    )


async def _import_local_time(session: AsyncSession, data: dict[str, Any]) -> None:
    paris = timezone(timedelta(hours=1))
    session.add_all(_Owner(id=u["id"], name=u["name"], email=u["email"]) for u in data["users"])
    await session.flush()
    session.add_all(
        _Task(**{**t, "due": datetime.fromisoformat(t["due"][:19]).replace(tzinfo=paris) if t["due"] else None})
        for t in data["tasks"]
    )
    await session.flush()
    await _move_sequences(session)
    await session.commit()


# Differs on every task with a due date: an hour early (the UTC offset dropped, the wall time read as local time).
@wrong("15.task_manager", "import drops the UTC offset and reads due dates as local time")
async def manager_import_local_time(engine: AsyncEngine, data: dict[str, Any]) -> FastAPI:
    return await _build_app(engine, data, _reading_routes(), _writing_routes(), importer=_import_local_time)


class _BaseNullDesc(DeclarativeBase):
    pass


class _OwnerND(_BaseNullDesc):
    __tablename__ = "tm_users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(255))


class _TaskND(_BaseNullDesc):
    __tablename__ = "tm_tasks"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text, default="")
    done: Mapped[bool] = mapped_column(default=False)
    due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    priority: Mapped[str] = mapped_column(String(10), default="normal")
    owner_id: Mapped[int] = mapped_column(ForeignKey("tm_users.id"))
    owner: Mapped[_OwnerND] = relationship()


class _TaskReadND(_TaskRead):
    description: str | None  # type: ignore[assignment]


async def _import_empty_as_null(session: AsyncSession, data: dict[str, Any]) -> None:
    session.add_all(_OwnerND(id=u["id"], name=u["name"], email=u["email"]) for u in data["users"])
    await session.flush()
    session.add_all(
        _TaskND(**{**t, "description": t["description"] or None, "due": _parse_due(t["due"])}) for t in data["tasks"]
    )
    await session.flush()
    await _move_sequences(session)
    await session.commit()


def _routes_nd() -> APIRouter:
    router = APIRouter(prefix="/tasks")

    @router.get("", response_model=list[_TaskReadND])
    async def read_tasks(session: SessionDep, owner_id: OwnerFilter = None, done: bool | None = None) -> Any:
        statement = select(_TaskND).options(selectinload(_TaskND.owner)).order_by(_TaskND.id)
        if owner_id is not None:
            statement = statement.where(_TaskND.owner_id == owner_id)
        if done is not None:
            statement = statement.where(_TaskND.done == done)
        return list((await session.scalars(statement)).all())

    async def one(session: AsyncSession, task_id: int) -> Any:
        task = await session.get(_TaskND, task_id, options=[selectinload(_TaskND.owner)])
        if task is None:
            raise HTTPException(404, "no such task")
        return task

    @router.get("/{task_id}", response_model=_TaskReadND)
    async def read_task(session: SessionDep, task_id: TaskId) -> Any:
        return await one(session, task_id)

    @router.post("", response_model=_TaskReadND, status_code=201)
    async def create_task(session: SessionDep, body: _TaskCreate) -> Any:
        if await session.get(_OwnerND, body.owner_id) is None:
            raise HTTPException(404, "no such owner")
        task = _TaskND(**body.model_dump())
        session.add(task)
        await session.commit()
        return await one(session, task.id)

    @router.patch("/{task_id}", response_model=_TaskReadND)
    async def update_task(session: SessionDep, task_id: TaskId, body: _TaskUpdate) -> Any:
        task = await one(session, task_id)
        for field, value in body.model_dump(exclude_unset=True).items():
            setattr(task, field, value)
        await session.commit()
        return task

    @router.delete("/{task_id}", status_code=204)
    async def delete_task(session: SessionDep, task_id: TaskId) -> Response:
        await session.delete(await one(session, task_id))
        await session.commit()
        return Response(status_code=204)

    return router


# Differs on every legacy task with an empty description: `null` comes back instead of "" (PHP's `?: null` habit).
@wrong("15.task_manager", "import turns empty descriptions into null")
async def manager_import_empty_as_null(engine: AsyncEngine, data: dict[str, Any]) -> FastAPI:
    return await _build_app(engine, data, _routes_nd(), base=_BaseNullDesc, importer=_import_empty_as_null)


async def _import_open_tasks_only(session: AsyncSession, data: dict[str, Any]) -> None:
    await _import_legacy(session, {"users": data["users"], "tasks": [t for t in data["tasks"] if not t["done"]]})


# Differs on GET /tasks: the 14 done tasks are missing.
@wrong("15.task_manager", "import loses the done tasks (imports the open ones only)")
async def manager_import_open_only(engine: AsyncEngine, data: dict[str, Any]) -> FastAPI:
    return await _build_app(engine, data, _reading_routes(), _writing_routes(), importer=_import_open_tasks_only)


async def _import_without_commit(session: AsyncSession, data: dict[str, Any]) -> None:
    session.add_all(_Owner(id=u["id"], name=u["name"], email=u["email"]) for u in data["users"])
    await session.flush()
    session.add_all(_Task(**{**t, "due": _parse_due(t["due"])}) for t in data["tasks"])
    await session.flush()
    await _move_sequences(session)  # and no commit: the session closes, everything is rolled back


# Differs on GET /tasks: an empty list.
@wrong("15.task_manager", "import forgets to commit: nothing is imported")
async def manager_import_not_committed(engine: AsyncEngine, data: dict[str, Any]) -> FastAPI:
    return await _build_app(engine, data, _reading_routes(), _writing_routes(), importer=_import_without_commit)


async def _import_renumbered(session: AsyncSession, data: dict[str, Any]) -> None:
    session.add_all(_Owner(id=u["id"], name=u["name"], email=u["email"]) for u in data["users"])
    await session.flush()
    for t in sorted(data["tasks"], key=lambda t: (t["owner_id"], t["id"])):  # grouped by owner, ids dropped
        session.add(_Task(**{**{k: v for k, v in t.items() if k != "id"}, "due": _parse_due(t["due"])}))
    await session.flush()
    await session.commit()


# Differs on GET /tasks/1: another task (the ids were reassigned in owner order).
@wrong("15.task_manager", "import does not keep the task ids")
async def manager_import_new_ids(engine: AsyncEngine, data: dict[str, Any]) -> FastAPI:
    return await _build_app(engine, data, _reading_routes(), _writing_routes(), importer=_import_renumbered)


# Differs on GET /tasks with the legacy data: one statement per owner.
@wrong("15.task_manager", "N+1 on GET /tasks")
async def manager_n_plus_one(engine: AsyncEngine, data: dict[str, Any]) -> FastAPI:
    return await _build_app(engine, data, _reading_routes(list_fn=_list_n_plus_one), _writing_routes())


# Differs on POST /tasks with a title holding "\ud800" or "\u0000", or a naive due: a 500 (or, NUL on SQLite, a 201).
@wrong("15.task_manager", "request model lets unstorable text and naive times reach the database")
async def manager_loose_create(engine: AsyncEngine, data: dict[str, Any]) -> FastAPI:
    return await _build_app(engine, data, _loose_create_routes(), _writing_routes())


# Differs on GET /tasks/9223372036854775808 and ?owner_id=9223372036854775808: 500, not 422.
@wrong("15.task_manager", "unbounded ids: a huge id is a 500")
async def manager_unbounded_ids(engine: AsyncEngine, data: dict[str, Any]) -> FastAPI:
    return await _build_app(engine, data, _unbounded_reading_routes(), _writing_routes())


# Differs on PATCH {"done": true}: the other fields become null, a 500.
@wrong("15.task_manager", "PATCH overwrites the fields not sent")
async def manager_patch_overwrites(engine: AsyncEngine, data: dict[str, Any]) -> FastAPI:
    return await _build_app(engine, data, _reading_routes(), _writing_routes(update_fn=_update_every_field))


# Differs on DELETE then GET: the task is still there.
@wrong("15.task_manager", "DELETE forgets to commit")
async def manager_delete_not_committed(engine: AsyncEngine, data: dict[str, Any]) -> FastAPI:
    return await _build_app(engine, data, _reading_routes(), _writing_routes(delete_fn=_delete_no_commit))


async def _import_date_only(session: AsyncSession, data: dict[str, Any]) -> None:
    def day(value: str | None) -> datetime | None:  # Laravel's 'date' cast: midnight, the time of day is lost
        return datetime.fromisoformat(value[:10]).replace(tzinfo=timezone.utc) if value else None

    session.add_all(_Owner(id=u["id"], name=u["name"], email=u["email"]) for u in data["users"])
    await session.flush()
    session.add_all(_Task(**{**t, "due": day(t["due"])}) for t in data["tasks"])
    await session.flush()
    await _move_sequences(session)
    await session.commit()


# Differs on every legacy task with a due date (they are due at 17:00, 09:00, 12:00 ...): midnight instead.
@wrong("15.task_manager", "import keeps the day of due and loses the time")
async def manager_import_date_only(engine: AsyncEngine, data: dict[str, Any]) -> FastAPI:
    return await _build_app(engine, data, _reading_routes(), _writing_routes(), importer=_import_date_only)


async def _import_due_defaults_to_now(session: AsyncSession, data: dict[str, Any]) -> None:
    now = datetime.now(timezone.utc)
    session.add_all(_Owner(id=u["id"], name=u["name"], email=u["email"]) for u in data["users"])
    await session.flush()
    session.add_all(_Task(**{**t, "due": _parse_due(t["due"]) or now}) for t in data["tasks"])
    await session.flush()
    await _move_sequences(session)
    await session.commit()


# Differs on the legacy tasks whose due is null: they come back due at the wall-clock time of the import.
@wrong("15.task_manager", "import fills missing due dates with the wall-clock now()")
async def manager_import_fills_due(engine: AsyncEngine, data: dict[str, Any]) -> FastAPI:
    return await _build_app(engine, data, _reading_routes(), _writing_routes(), importer=_import_due_defaults_to_now)
