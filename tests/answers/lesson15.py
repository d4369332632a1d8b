"""Known answers the checkers' authors wrote (moved from lessons/exercises/lesson15.py), with their verdicts.

The API answers are the reference app with one part swapped: a CRUD function (``lister``, ``remover``), a route
(:func:`_replacing`), or the import's input.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import Body, HTTPException
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import Boolean, DateTime, ForeignKey, String, Text, false, select, update
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    contains_eager,
    joinedload,
    mapped_column,
    relationship,
    selectinload,
)

from lessons.core.types import UTCDateTime
from lessons.exercises import lesson15_reference as ref
from lessons.exercises.lesson15 import legacy_data
from tests.answers import right, wrong

# --- step 1: the models --------------------------------------------------------------------------------------

right("15.task_model")(ref.Task)


class _VariantBase(DeclarativeBase):
    pass


class VariantOwner(_VariantBase):
    __tablename__ = "legacy_people"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(255))


@right("15.task_model")
class VariantTask(_VariantBase):
    """Right, written another way: server-side defaults, other table names, no back_populates."""

    __tablename__ = "legacy_tasks"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, server_default="", default="")
    done: Mapped[bool] = mapped_column(Boolean, server_default=false(), default=False)
    due: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    priority: Mapped[str] = mapped_column(String(10), server_default="normal", default="normal")
    owner_id: Mapped[int] = mapped_column(ForeignKey("legacy_people.id"))
    owner: Mapped[VariantOwner] = relationship()


class _NaiveBase(DeclarativeBase):
    pass


class NaiveOwner(_NaiveBase):
    __tablename__ = "tm_users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(255))


@wrong("15.task_model", "naive due")
class NaiveDueTask(_NaiveBase):
    """Wrong: a plain DateTime loses the time zone (SQLite and MariaDB hand back naive values)."""

    __tablename__ = "tm_tasks"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    done: Mapped[bool] = mapped_column(default=False)
    due: Mapped[datetime | None] = mapped_column(DateTime)
    priority: Mapped[str] = mapped_column(String(10), default="normal")
    owner_id: Mapped[int] = mapped_column(ForeignKey("tm_users.id"))
    owner: Mapped[NaiveOwner] = relationship()


class _NoDefaultsBase(DeclarativeBase):
    pass


class NoDefaultsOwner(_NoDefaultsBase):
    __tablename__ = "tm_users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(255))


@wrong("15.task_model", "no defaults")
class NoDefaultsTask(_NoDefaultsBase):
    """Wrong: no defaults, so a task created with a title alone breaks the NOT NULL columns."""

    __tablename__ = "tm_tasks"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    done: Mapped[bool]
    due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    priority: Mapped[str] = mapped_column(String(10))
    owner_id: Mapped[int] = mapped_column(ForeignKey("tm_users.id"))
    owner: Mapped[NoDefaultsOwner] = relationship()


class _BlogTableBase(DeclarativeBase):
    pass


class BlogTableOwner(_BlogTableBase):
    __tablename__ = "users"  # the blog's table: create_all skips it, and the owner never fits
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(255))


@wrong("15.task_model", "blog table")
class BlogTableTask(_BlogTableBase):
    """Wrong: reuses the blog's ``users`` table name."""

    __tablename__ = "tasks"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    done: Mapped[bool] = mapped_column(default=False)
    due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    priority: Mapped[str] = mapped_column(String(10), default="normal")
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    owner: Mapped[BlogTableOwner] = relationship()


# --- step 3: the PATCH request model -------------------------------------------------------------------------

right("15.task_update_schema")(ref.TaskUpdate)


@right("15.task_update_schema")
class NonOptionalTypes(BaseModel):
    """Right: the types say a title is a str, so a null fails validation; defaults are not validated, so a field
    left out stays unset."""

    model_config = ConfigDict(extra="forbid")
    title: ref.Title = ""
    description: ref.Description = ""
    done: bool = False
    due: ref.DueDate | None = None
    priority: Literal["low", "normal", "high"] = "normal"


@wrong("15.task_update_schema", "nullable everywhere")
class NullableEverywhere(BaseModel):
    """Every field optional, None meaning "not sent": the old reference's model."""

    model_config = ConfigDict(extra="forbid")
    title: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=10_000)
    done: bool | None = None
    due: datetime | None = None
    priority: Literal["low", "normal", "high"] | None = None


@wrong("15.task_update_schema", "due required")
class UpdateDueRequired(BaseModel):
    """Wrong: refuses null for every field, due too, so a due date can never be cleared."""

    title: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = None
    done: bool | None = None
    due: datetime | None = None
    priority: Literal["low", "normal", "high"] | None = None

    @field_validator("title", "description", "done", "due", "priority")
    @classmethod
    def not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("cannot be null")
        return value


@wrong("15.task_update_schema", "update empty title")
class UpdateEmptyTitle(BaseModel):
    """Wrong: no min_length, and priority any string: an empty title and 'urgent' get through."""

    title: str = ""
    description: str = ""
    done: bool = False
    due: datetime | None = None
    priority: str = "normal"


@wrong("15.task_update_schema", "update naive due")
class UpdateNaiveDue(ref.TaskUpdate):
    """Wrong: a plain datetime takes "2025-02-01T17:00:00" (no offset); UTCDateTime refuses it at INSERT, a 500."""

    due: datetime | None = None


# --- steps 4, 5 and the whole app ----------------------------------------------------------------------------

API_STEPS = ("15.reading_routes", "15.writing_routes", "15.task_manager")


def _answer(*verdicts: Any) -> Any:
    """Register one answer under several exercises: ``right(...)``/``wrong(...)`` decorators, applied in turn."""
    def register(answer: Any) -> Any:
        for verdict in verdicts:
            verdict(answer)
        return answer

    return register


@_answer(*(right(step) for step in API_STEPS))
async def build_task_manager(engine: Any, data: dict[str, Any]) -> Any:
    return await ref.build_task_manager(engine, data)


@_answer(right("15.reading_routes"), right("15.task_manager"))
async def right_joinedload_variant(engine: Any, data: dict[str, Any]) -> Any:
    Task = ref.Task

    async def list_tasks(session: Any, owner_id: int | None = None, done: bool | None = None) -> list[Any]:
        statement = select(Task).options(joinedload(Task.owner)).order_by(Task.id)
        if owner_id is not None:
            statement = statement.where(Task.owner_id == owner_id)
        if done is not None:
            statement = statement.where(Task.done == done)
        return list((await session.scalars(statement)).all())

    return ref.assemble(await ref.prepare(engine, data), ref.task_router(lister=list_tasks))


@wrong("15.task_manager", "drops tasks without due date")
async def wrong_drops_tasks_without_due_date(engine: Any, data: dict[str, Any]) -> Any:
    trimmed = {**data, "tasks": [task for task in data["tasks"] if task["due"]]}
    return await ref.build_task_manager(engine, trimmed)


@_answer(wrong("15.reading_routes", "shifted due dates"), wrong("15.task_manager", "shifted due dates"))
async def wrong_shifted_due_dates(engine: Any, data: dict[str, Any]) -> Any:
    # Read as local time (+02:00) instead of the UTC the file says: every due date moves by two hours.
    shifted = {
        **data,
        "tasks": [{**t, "due": t["due"].replace("+00:00", "+02:00") if t["due"] else None} for t in data["tasks"]],
    }
    return await ref.build_task_manager(engine, shifted)


@_answer(wrong("15.reading_routes", "n plus 1 listing"), wrong("15.task_manager", "n plus 1 listing"))
async def wrong_n_plus_1_listing(engine: Any, data: dict[str, Any]) -> Any:
    async def list_tasks(session: Any, owner_id: int | None = None, done: bool | None = None) -> list[Any]:
        tasks = list((await session.scalars(select(ref.Task).order_by(ref.Task.id))).all())
        for task in tasks:  # one statement per task: the N+1 shape
            await session.refresh(task, ["owner"])
        return [
            task
            for task in tasks
            if (owner_id is None or task.owner_id == owner_id) and (done is None or task.done == done)
        ]

    return ref.assemble(await ref.prepare(engine, data), ref.task_router(lister=list_tasks))


@_answer(wrong("15.writing_routes", "delete not awaited"), wrong("15.task_manager", "delete not awaited"))
async def wrong_delete_not_awaited(engine: Any, data: dict[str, Any]) -> Any:
    async def remove_task(session: Any, task: Any) -> None:
        session.delete(task)  # the chapter's bug: a coroutine that never runs
        await session.commit()

    return ref.assemble(await ref.prepare(engine, data), ref.task_router(remover=remove_task))


@_answer(wrong("15.reading_routes", "user without tasks is 404"), wrong("15.task_manager", "user without tasks is 404"))
async def wrong_user_without_tasks_is_404(engine: Any, data: dict[str, Any]) -> Any:
    async def list_tasks(session: Any, owner_id: int | None = None, done: bool | None = None) -> list[Any]:
        tasks = await ref.list_tasks(session, owner_id, done)
        if not tasks:
            raise HTTPException(404, "no tasks found")
        return tasks

    return ref.assemble(await ref.prepare(engine, data), ref.task_router(lister=list_tasks))


@wrong("15.task_manager", "import keyed by name")
async def wrong_import_keyed_by_name(engine: Any, data: dict[str, Any]) -> Any:
    # Owners looked up by name: a namesake is folded into the first user of that name, and so are her tasks.
    first_id: dict[str, int] = {}
    for user in data["users"]:
        first_id.setdefault(user["name"], user["id"])
    merged = {
        "users": [u for u in data["users"] if first_id[u["name"]] == u["id"]],
        "tasks": [{**t, "owner_id": first_id[next(u["name"] for u in data["users"] if u["id"] == t["owner_id"])]}
                  for t in data["tasks"]],
    }
    return await ref.build_task_manager(engine, merged)


def _replacing(method: str, path: str, route: Any, **options: Any) -> Any:
    """The reference app with ``route`` in place of its own ``method`` route at ``/tasks{path}``."""

    async def build(engine: Any, data: dict[str, Any]) -> Any:
        router = ref.task_router()
        router.routes = [r for r in router.routes if not (method in r.methods and r.path == f"/tasks{path}")]
        router.add_api_route(path, route, methods=[method], **options)
        return ref.assemble(await ref.prepare(engine, data), router)

    build.__name__ = route.__name__
    build.__module__ = __name__
    return build


def _with_patch(route: Any) -> Any:
    return _replacing("PATCH", "/{task_id}", route, response_model=ref.TaskRead)


async def unbounded_owner_filter(
    session: ref.SessionDep, owner_id: int | None = None, done: bool | None = None
) -> Any:
    return await ref.list_tasks(session, owner_id, done)  # 2**63: OverflowError / asyncpg DataError


class _CreateNaiveDue(ref.TaskCreate):
    due: datetime | None = None


async def naive_due_accepted(session: ref.SessionDep, body: _CreateNaiveDue) -> Any:
    if await session.get(ref.TaskOwner, body.owner_id) is None:
        raise HTTPException(404, f"no user with id {body.owner_id}")
    task = ref.Task(**body.model_dump())
    session.add(task)
    await session.commit()  # UTCDateTime refuses the naive due: StatementError, a 500
    return await ref.get_task(session, task.id)


for _build, _mistake in [
    (_replacing("GET", "", unbounded_owner_filter, response_model=list[ref.TaskRead]), "unbounded owner filter"),
    (_replacing("POST", "", naive_due_accepted, response_model=ref.TaskRead, status_code=201), "naive due accepted"),
]:
    wrong("15.reading_routes", _mistake)(_build)
    wrong("15.task_manager", _mistake)(_build)


async def patch_null_reaches_the_column(
    session: ref.SessionDep, task_id: ref.TaskId, body: NullableEverywhere
) -> Any:
    task = await ref.get_task(session, task_id)
    for field, value in body.model_dump(exclude_unset=True).items():
        setattr(task, field, value)  # {"title": null} → NOT NULL constraint failed: a 500
    await session.commit()
    return task


async def patch_ignores_nulls(session: ref.SessionDep, task_id: ref.TaskId, body: NullableEverywhere) -> Any:
    task = await ref.get_task(session, task_id)
    for field, value in body.model_dump(exclude_none=True).items():  # a null is skipped: due can never be cleared
        setattr(task, field, value)
    await session.commit()
    return task


async def patch_sets_every_field(session: ref.SessionDep, task_id: ref.TaskId, body: NonOptionalTypes) -> Any:
    task = await ref.get_task(session, task_id)
    for field, value in body.model_dump().items():  # fields not sent are reset to their defaults
        setattr(task, field, value)
    await session.commit()
    return task


async def patch_with_core_update(session: ref.SessionDep, task_id: ref.TaskId, body: NonOptionalTypes) -> Any:
    await ref.get_task(session, task_id)  # a 404 for a missing task
    changes = {field: getattr(body, field) for field in body.model_fields_set}
    if changes:
        await session.execute(update(ref.Task).where(ref.Task.id == task_id).values(**changes))
        await session.commit()
    owner = selectinload(ref.Task.owner)
    return await session.get(ref.Task, task_id, populate_existing=True, options=[owner])


async def patch_checks_nulls_itself(
    session: ref.SessionDep, task_id: ref.TaskId, body: Annotated[dict[str, Any], Body()]
) -> Any:
    allowed = {"title", "description", "done", "due", "priority"}
    if unknown := set(body) - allowed:
        raise HTTPException(422, f"unknown fields: {sorted(unknown)}")
    if nulls := sorted(field for field, value in body.items() if value is None and field != "due"):
        raise HTTPException(422, f"{', '.join(nulls)} cannot be null")
    try:
        changes = ref.TaskUpdate.model_validate(body).model_dump(exclude_unset=True)
    except ValidationError as error:
        raise HTTPException(422, str(error.errors()[0]["msg"])) from None
    task = await ref.get_task(session, task_id)
    for field, value in changes.items():
        setattr(task, field, value)
    await session.commit()
    return task


for _route in (patch_with_core_update, patch_checks_nulls_itself):
    right("15.writing_routes")(_with_patch(_route))
    right("15.task_manager")(_with_patch(_route))
for _route in (patch_null_reaches_the_column, patch_ignores_nulls, patch_sets_every_field):
    wrong("15.writing_routes", _route.__name__.removeprefix("patch_").replace("_", " "))(_with_patch(_route))
    wrong("15.task_manager", _route.__name__.removeprefix("patch_").replace("_", " "))(_with_patch(_route))


# --- answers that only the generated task lists tell apart (added with the differential checker) -------------


class _MediumBase(DeclarativeBase):
    pass


class MediumOwner(_MediumBase):
    __tablename__ = "tm_users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(255))


@wrong("15.task_model", "priority defaults to medium")
class MediumPriorityTask(_MediumBase):
    __tablename__ = "tm_tasks"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    done: Mapped[bool] = mapped_column(default=False)
    due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    priority: Mapped[str] = mapped_column(String(10), default="medium")
    owner_id: Mapped[int] = mapped_column(ForeignKey("tm_users.id"))
    owner: Mapped[MediumOwner] = relationship()


class _UserRelationBase(DeclarativeBase):
    pass


class UserRelationOwner(_UserRelationBase):
    __tablename__ = "tm_users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(255))


@wrong("15.task_model", "relationship named user, not owner")
class UserRelationTask(_UserRelationBase):
    __tablename__ = "tm_tasks"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    done: Mapped[bool] = mapped_column(default=False)
    due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    priority: Mapped[str] = mapped_column(String(10), default="normal")
    owner_id: Mapped[int] = mapped_column(ForeignKey("tm_users.id"))
    user: Mapped[UserRelationOwner] = relationship()


@_answer(wrong("15.reading_routes", "imports the shipped file"), wrong("15.task_manager", "imports the shipped file"))
async def wrong_imports_the_shipped_file(engine: Any, data: dict[str, Any]) -> Any:
    return await ref.build_task_manager(engine, legacy_data())  # the lesson's example, not the data it is given


@_answer(wrong("15.reading_routes", "listing ordered by due"), wrong("15.task_manager", "listing ordered by due"))
async def wrong_listing_ordered_by_due(engine: Any, data: dict[str, Any]) -> Any:
    async def list_tasks(session: Any, owner_id: int | None = None, done: bool | None = None) -> list[Any]:
        tasks = await ref.list_tasks(session, owner_id, done)
        return sorted(tasks, key=lambda task: (task.due is None, task.due or 0))

    return ref.assemble(await ref.prepare(engine, data), ref.task_router(lister=list_tasks))


@_answer(right("15.reading_routes"), right("15.task_manager"))
async def right_join_with_contains_eager(engine: Any, data: dict[str, Any]) -> Any:
    Task = ref.Task

    async def list_tasks(session: Any, owner_id: int | None = None, done: bool | None = None) -> list[Any]:
        statement = select(Task).join(Task.owner).options(contains_eager(Task.owner)).order_by(Task.id)
        if owner_id is not None:
            statement = statement.where(ref.TaskOwner.id == owner_id)
        if done is not None:
            statement = statement.where(Task.done.is_(done))
        return list((await session.scalars(statement)).unique().all())

    return ref.assemble(await ref.prepare(engine, data), ref.task_router(lister=list_tasks))


async def created_with_200(session: ref.SessionDep, body: ref.TaskCreate) -> Any:
    if await session.get(ref.TaskOwner, body.owner_id) is None:
        raise HTTPException(404, f"no user with id {body.owner_id}")
    task = ref.Task(**body.model_dump())
    session.add(task)
    await session.commit()
    return await ref.get_task(session, task.id)


async def patch_never_committed(session: ref.SessionDep, task_id: ref.TaskId, body: ref.TaskUpdate) -> Any:
    task = await ref.get_task(session, task_id)
    for field, value in body.model_dump(exclude_unset=True).items():
        setattr(task, field, value)
    await session.flush()  # the response shows the change; the session closes and rolls it back
    return task


_created_with_200 = _replacing("POST", "", created_with_200, response_model=ref.TaskRead)
wrong("15.reading_routes", "POST answers 200, not 201")(_created_with_200)
wrong("15.task_manager", "POST answers 200, not 201")(_created_with_200)
wrong("15.writing_routes", "PATCH never committed")(_with_patch(patch_never_committed))
wrong("15.task_manager", "PATCH never committed")(_with_patch(patch_never_committed))
