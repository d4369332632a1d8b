"""The capstone's checker (lesson 15): the task manager, moved from a JSON file onto SQLAlchemy.

The learner's answer is ``build_task_manager(engine, data)``: create the tables on ``engine``, import ``data``
(the legacy JSON), and return a FastAPI app. The checker judges only what the app answers over HTTP, so any
design of models and code passes when it behaves: every user and task imported without loss, CRUD with the
right status codes, and no N+1 when tasks are listed with their owners.
"""

from __future__ import annotations

import copy
import inspect
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta, timezone
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

import httpx
from fastapi import Body, HTTPException
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import Boolean, DateTime, ForeignKey, String, Text, false, select, update
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, selectinload

from lessons.database import LessonDatabase
from lessons.exercises import lesson15_reference as reference
from lessons.exercises.framework import (
    Exercise,
    Incorrect,
    Unattempted,
    count_statements,
    describe,
    register,
    show,
    statements,
)
from lessons.types import UTCDateTime

LEGACY_FILE = Path(__file__).resolve().parent.parent / "data" / "task_manager.json"
#: Listing the checker's tasks (8 owners) with their owners: the tasks, then the owners (selectinload sends one
#: ``IN`` per 500 distinct owners, ``_SelectInLoader._chunksize``), plus one spare for a count or a lookup.
MAX_LIST_STATEMENTS = 3
_JSON = {"content-type": "application/json"}
#: Input that must be refused with a 4xx and a reason, never a 500: (method, url, request keywords, why).
ODD_INPUT: list[tuple[str, str, dict[str, Any], str]] = [
    ("GET", "/tasks", {"params": {"owner_id": str(2**63)}}, "an owner_id no integer column holds"),
    ("POST", "/tasks", {"json": {"title": "Naive", "owner_id": 1, "due": "2025-02-01T17:00:00"}},
     "a due time without a UTC offset (use AwareDatetime)"),
    ("POST", "/tasks", {"json": {"title": "Far", "owner_id": 1, "due": "9999-12-31T23:59:59-01:00"}},
     "a due time that leaves the calendar once converted to UTC"),
    ("POST", "/tasks", {"json": {"title": "a\x00b", "owner_id": 1}}, "a title with a NUL character"),
    ("POST", "/tasks", {"content": '{"title": "\\ud800", "owner_id": 1}', "headers": _JSON},
     "a title with a lone surrogate"),
]


@cache
def legacy_data() -> dict[str, Any]:
    """The old app's JSON file: ``{"users": [...], "tasks": [...]}``, as shipped with the lesson."""
    return json.loads(LEGACY_FILE.read_text())


#: Rows the checker adds to the legacy file: a user who shares user 1's name (an import keyed by name merges
#: them) and owns a task with no due date and a backslash in its text, and a user with no tasks at all.
SAME_NAME_USER = 7
IDLE_USER = 8


def checker_data() -> dict[str, Any]:
    """The legacy JSON plus the checker's own revealing rows (a fresh copy each time: an answer may mutate it)."""
    data = copy.deepcopy(legacy_data())
    first = data["users"][0]
    data["users"] += [
        {"id": SAME_NAME_USER, "name": first["name"], "email": "second." + first["email"]},
        {"id": IDLE_USER, "name": "Idle Person", "email": "idle@tasks.example"},
    ]
    data["tasks"].append(
        {
            "id": max(task["id"] for task in data["tasks"]) + 1,
            "title": "Sort C:\\backups\\2024 (50% done)",
            "description": "",
            "done": True,
            "due": None,
            "priority": "normal",
            "owner_id": SAME_NAME_USER,
        }
    )
    return data


def _expected(task: dict[str, Any], users: dict[int, dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": task["id"],
        "title": task["title"],
        "description": task["description"],
        "done": task["done"],
        "due": datetime.fromisoformat(task["due"]) if task["due"] else None,
        "priority": task["priority"],
        "owner": users[task["owner_id"]],
    }


def _normalised(answer: dict[str, Any]) -> dict[str, Any]:
    due = answer.get("due")
    owner = answer.get("owner") or {}
    return {
        "id": answer.get("id"),
        "title": answer.get("title"),
        "description": answer.get("description"),
        "done": answer.get("done"),
        "due": datetime.fromisoformat(due.replace("Z", "+00:00")) if isinstance(due, str) else due,
        "priority": answer.get("priority"),
        "owner": {key: owner.get(key) for key in ("id", "name", "email")},
    }


def _shown(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else repr(value)


Send = Callable[..., Awaitable[httpx.Response]]


@asynccontextmanager
async def _serving(exercise: Exercise, answer: Any, db: LessonDatabase, data: dict[str, Any]) -> AsyncIterator[Send]:
    """Build the learner's app with ``answer(engine, data)`` and yield ``send(method, url, ...)``, which turns a
    route that raised (a 500 for a real client) into :class:`Incorrect` naming the error."""
    try:
        app = await exercise.call(answer, db.engine, data)
    except NotImplementedError as error:
        if _raised_by_a_stub(error):  # a step not written yet (its router is still the stub): not attempted
            raise Unattempted from None
        raise
    # raise_app_exceptions: a route that raises reaches the checker as the error itself, which it can name.
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=True)
    async with httpx.AsyncClient(transport=transport, base_url="http://tasks.test") as client:

        async def send(method: str, url: str, **kwargs: Any) -> httpx.Response:
            shown = f"{method} {url}" + (f" with {json.dumps(kwargs['json'])}" if "json" in kwargs else "")
            if "content" in kwargs:
                shown = f"{method} {url} with {kwargs['content']}"
            if "params" in kwargs:
                shown = f"{method} {url}?" + "&".join(f"{k}={v}" for k, v in kwargs["params"].items())
            try:
                response = await client.request(method, url, **kwargs)
            except Exception as error:  # the route raised: a 500 for a real client
                raise Incorrect(f"{shown} answered 500: the route raised {describe(error)}") from None
            if response.status_code >= 500:
                raise Incorrect(f"{shown} answered {response.status_code}: {response.text[:200] or '(no body)'}")
            return response

        yield send


def _raised_by_a_stub(error: BaseException) -> bool:
    """True when the innermost frame that raised is a body of just ``raise NotImplementedError``."""
    traceback = error.__traceback__
    while traceback is not None and traceback.tb_next is not None:
        traceback = traceback.tb_next
    return traceback is not None and set(traceback.tb_frame.f_code.co_names) == {"NotImplementedError"}


async def _judge_listing(send: Send, data: dict[str, Any]) -> int:
    """GET /tasks lists every imported task with its owner, in a few statements; filters work. Returns the count."""
    users = {user["id"]: user for user in data["users"]}
    expected = [_expected(task, users) for task in data["tasks"]]
    with count_statements() as queries:
        listing = await send("GET", "/tasks")
    if listing.status_code != 200:
        raise Incorrect(f"GET /tasks answered {listing.status_code}, not 200: {listing.text[:200]}")
    got = [_normalised(task) for task in listing.json()]
    if len(got) != len(expected):
        raise Incorrect(f"GET /tasks lists {len(got)} tasks; the imported data has {len(expected)}.")
    for want, have in zip(expected, got, strict=True):
        if want != have:
            diff = "; ".join(
                f"{key}: expected {_shown(want[key])}, got {_shown(have[key])}"
                for key in want
                if want[key] != have[key]
            )
            raise Incorrect(f"task {want['id']} was not imported as it was: {diff}")
    if queries.count > MAX_LIST_STATEMENTS:
        raise Incorrect(
            f"GET /tasks ran {statements(queries.count)} for {len(got)} tasks of {len(users)} owners: load the "
            f"owners with selectinload (one statement for the tasks, one per 500 owners), at most "
            f"{MAX_LIST_STATEMENTS} here."
        )
    mine = await send("GET", "/tasks", params={"owner_id": 2, "done": "false"})
    want_ids = [t["id"] for t in data["tasks"] if t["owner_id"] == 2 and not t["done"]]
    if mine.status_code != 200 or [t["id"] for t in mine.json()] != want_ids:
        raise Incorrect(
            f"GET /tasks?owner_id=2&done=false answered {mine.status_code} {mine.text[:120]}; "
            f"expected 200 with tasks {want_ids} (by id)."
        )
    idle = await send("GET", "/tasks", params={"owner_id": IDLE_USER})
    if idle.status_code != 200 or idle.json() != []:
        raise Incorrect(
            f"GET /tasks?owner_id={IDLE_USER} (a user who exists and has no tasks) answered "
            f"{idle.status_code} {idle.text[:120]}; expected 200 with an empty list."
        )
    return queries.count


async def _judge_create(send: Send) -> dict[str, Any]:
    """POST /tasks answers 201 with the new task, which GET finds; 404 for a missing owner, 422 for bad input."""
    body = {"title": "Write the migration notes", "owner_id": IDLE_USER, "due": "2025-02-01T17:00:00+00:00"}
    created = await send("POST", "/tasks", json=body)
    if created.status_code != 201:
        raise Incorrect(
            f"POST /tasks with {json.dumps(body)} answered {created.status_code}, not 201: {created.text[:200]}"
        )
    new = created.json()
    if new.get("owner", {}).get("id") != IDLE_USER or new.get("done") is not False:
        raise Incorrect(f"POST /tasks answered {new}; expected the new task, not done, owned by user {IDLE_USER}.")
    task_url = f"/tasks/{new['id']}"
    if (await send("GET", task_url)).status_code != 200:
        raise Incorrect(f"GET {task_url} did not find the task POST /tasks just created.")
    for bad, reason in (
        ({"title": "x", "owner_id": 999}, 404),
        ({"title": "", "owner_id": 1}, 422),
        ({"owner_id": 1}, 422),
    ):
        answer_status = (await send("POST", "/tasks", json=bad)).status_code
        if answer_status != reason:
            raise Incorrect(f"POST /tasks with {json.dumps(bad)} answered {answer_status}, expected {reason}.")
    if (missing := await send("GET", "/tasks/999999")).status_code != 404:
        raise Incorrect(f"GET /tasks/999999 answered {missing.status_code}, not 404.")
    await _judge_odd_input(send)
    return new


async def _judge_odd_input(send: Send) -> None:
    """Each of :data:`ODD_INPUT` answers 400 or 422 with a reason (``send`` already turns a 500 into Incorrect)."""
    for method, url, request, why in ODD_INPUT:
        refused = await send(method, url, **request)
        if refused.status_code not in (400, 422) or not refused.content:
            query = "".join(f"?{name}={value}" for name, value in request.get("params", {}).items())
            raise Incorrect(f"{method} {url}{query} with {why} answered {refused.status_code} "
                            f"{refused.text[:120]}; expected 422 (or 400) with the reason.")


async def _judge_delete(send: Send, task_url: str) -> None:
    """DELETE answers 204 and the task is gone; PATCH and DELETE of a missing task answer 404."""
    deleted = await send("DELETE", task_url)
    if deleted.status_code != 204:
        raise Incorrect(f"DELETE {task_url} answered {deleted.status_code}, not 204.")
    if (after := await send("GET", task_url)).status_code != 404:
        raise Incorrect(f"DELETE {task_url} answered 204, then GET {task_url} answered {after.status_code}: "
                        "the task is still there (is `session.delete(...)` awaited, and committed?).")
    for method in ("PATCH", "DELETE"):
        missing = await send(method, "/tasks/999999", **({"json": {}} if method == "PATCH" else {}))
        if missing.status_code != 404:
            raise Incorrect(f"{method} /tasks/999999 answered {missing.status_code}, not 404.")


@register
class TaskManager(Exercise):
    id = "15.task_manager"
    title = "Move the task manager onto SQLAlchemy"
    hints = [
        "Two models on your own DeclarativeBase (tables tm_users and tm_tasks), Task.owner a relationship; "
        "due is a timezone-aware datetime (datetime.fromisoformat keeps the +00:00).",
        "Import with session.add_all(...) keeping the JSON ids, then commit. On PostgreSQL, move the id "
        "sequences past the imported ids (setval), or the first POST collides with task 1.",
        "GET /tasks loads owners with selectinload(Task.owner): the tasks, then one IN per 500 owners (two "
        "statements here), never one per task. Bound owner_id with Query(ge=1, le=2**31 - 1).",
        "Delete with `await session.delete(task)`: without await, the 204 is a lie.",
    ]
    reference = reference.build_task_manager
    right_answers: list[Any] = []  # filled in below, after the variants are defined
    wrong_answers: list[Any] = []

    def solution(self) -> None:
        """Print the whole reference solution: models, import, CRUD, router, and the assembly."""
        print("One solution to “Move the task manager onto SQLAlchemy” (lessons/exercises/lesson15_reference.py):\n")
        print(inspect.getsource(reference).rstrip())

    async def judge(self, answer: Any, db: LessonDatabase) -> str:
        data = checker_data()
        async with _serving(self, answer, db, data) as send:
            listed_in = await _judge_listing(send, data)
            new = await _judge_create(send)
            task_url = f"/tasks/{new['id']}"
            await _judge_patch(send, task_url, new)
            await _judge_delete(send, task_url)
        return (
            f"{len(data['users'])} users and {len(data['tasks'])} tasks imported without loss; listed with owners "
            f"in {statements(listed_in)}; create, read, update and delete answer 201/200/200/204, and 404/422 "
            "(odd input too: a naive time, a huge owner_id, a NUL, a lone surrogate); "
            "a PATCH changes only what it is sent, clears a due date with null, and refuses null elsewhere."
        )


async def _judge_patch(send: Any, task_url: str, new: dict[str, Any]) -> None:
    before = _normalised(new)
    patched = await send("PATCH", task_url, json={"done": True})
    if patched.status_code != 200 or patched.json().get("done") is not True:
        raise Incorrect(
            f"PATCH {task_url} with {{\"done\": true}} answered {patched.status_code} {patched.text[:160]}; "
            "expected 200 with done true."
        )
    stored = _normalised((await send("GET", task_url)).json())
    if stored["done"] is not True:
        raise Incorrect(f"PATCH {task_url} with {{\"done\": true}} answered 200, but GET {task_url} then shows "
                        "done false: the change was not saved (commit the session).")
    untouched = {key: (before[key], stored[key]) for key in before if key != "done" and before[key] != stored[key]}
    if untouched:
        diff = "; ".join(f"{key} {_shown(old)} → {_shown(now)}" for key, (old, now) in untouched.items())
        raise Incorrect(f"PATCH {task_url} with only {{\"done\": true}} also changed {diff}: a PATCH changes "
                        "only the fields it is sent (model_dump(exclude_unset=True)).")
    for field in ("title", "description", "done", "priority"):
        refused = await send("PATCH", task_url, json={field: None})
        after = _normalised((await send("GET", task_url)).json())
        if refused.status_code not in (400, 422):
            raise Incorrect(
                f"PATCH {task_url} with {{\"{field}\": null}} answered {refused.status_code}; a task's {field} "
                "cannot be empty: refuse the null with 422 (a validator on the request model)."
            )
        if after[field] != stored[field]:
            raise Incorrect(f"PATCH {task_url} with {{\"{field}\": null}} answered {refused.status_code}, yet "
                            f"{field} changed from {_shown(stored[field])} to {_shown(after[field])}.")
    naive = await send("PATCH", task_url, json={"due": "2025-02-01T17:00:00"})
    if naive.status_code not in (400, 422):
        raise Incorrect(f"PATCH {task_url} with {{\"due\": \"2025-02-01T17:00:00\"}} (no UTC offset) answered "
                        f"{naive.status_code}; refuse a naive time with 422 (AwareDatetime).")
    cleared = await send("PATCH", task_url, json={"due": None})
    if cleared.status_code != 200:
        raise Incorrect(f"PATCH {task_url} with {{\"due\": null}} answered {cleared.status_code} "
                        f"{cleared.text[:160]}; due is optional, so null must clear it (200).")
    after = _normalised((await send("GET", task_url)).json())
    if after["due"] is not None:
        raise Incorrect(
            f"PATCH {task_url} with {{\"due\": null}} answered 200, but GET {task_url} still shows due "
            f"{_shown(after['due'])}: a null that was sent must clear a nullable field; leave out only the "
            "fields that were not sent (model_dump(exclude_unset=True), not exclude_none)."
        )
    if any(after[key] != stored[key] for key in after if key != "due"):
        raise Incorrect(f"PATCH {task_url} with {{\"due\": null}} changed other fields too: {after}.")


# --- known answers for the self-tests ------------------------------------------------------------------------


async def _right_joinedload_variant(engine: Any, data: dict[str, Any]) -> Any:
    from sqlalchemy import select
    from sqlalchemy.orm import joinedload

    Task = reference.Task

    async def list_tasks(session: Any, owner_id: int | None = None, done: bool | None = None) -> list[Any]:
        statement = select(Task).options(joinedload(Task.owner)).order_by(Task.id)
        if owner_id is not None:
            statement = statement.where(Task.owner_id == owner_id)
        if done is not None:
            statement = statement.where(Task.done == done)
        return list((await session.scalars(statement)).all())

    return reference.assemble(await reference.prepare(engine, data), reference.task_router(lister=list_tasks))


async def _wrong_drops_tasks_without_due_date(engine: Any, data: dict[str, Any]) -> Any:
    trimmed = {**data, "tasks": [task for task in data["tasks"] if task["due"]]}
    return await reference.build_task_manager(engine, trimmed)


async def _wrong_shifted_due_dates(engine: Any, data: dict[str, Any]) -> Any:
    # Read as local time (+02:00) instead of the UTC the file says: every due date moves by two hours.
    shifted = {
        **data,
        "tasks": [{**t, "due": t["due"].replace("+00:00", "+02:00") if t["due"] else None} for t in data["tasks"]],
    }
    return await reference.build_task_manager(engine, shifted)


async def _wrong_n_plus_1_listing(engine: Any, data: dict[str, Any]) -> Any:
    async def list_tasks(session: Any, owner_id: int | None = None, done: bool | None = None) -> list[Any]:
        from sqlalchemy import select

        tasks = list((await session.scalars(select(reference.Task).order_by(reference.Task.id))).all())
        for task in tasks:  # one statement per task: the N+1 shape
            await session.refresh(task, ["owner"])
        return [
            task
            for task in tasks
            if (owner_id is None or task.owner_id == owner_id) and (done is None or task.done == done)
        ]

    return reference.assemble(await reference.prepare(engine, data), reference.task_router(lister=list_tasks))


async def _wrong_delete_not_awaited(engine: Any, data: dict[str, Any]) -> Any:
    async def remove_task(session: Any, task: Any) -> None:
        session.delete(task)  # the chapter's bug: a coroutine that never runs
        await session.commit()

    return reference.assemble(await reference.prepare(engine, data), reference.task_router(remover=remove_task))


# PATCH routes written other ways, mounted on the reference router in place of its own PATCH.


def _replacing(method: str, path: str, route: Any, **options: Any) -> Any:
    """The reference app with ``route`` in place of its own ``method`` route at ``/tasks{path}``."""

    async def build(engine: Any, data: dict[str, Any]) -> Any:
        router = reference.task_router()
        router.routes = [r for r in router.routes if not (method in r.methods and r.path == f"/tasks{path}")]
        router.add_api_route(path, route, methods=[method], **options)
        return reference.assemble(await reference.prepare(engine, data), router)

    build.__name__ = route.__name__
    return build


async def _list_with_unbounded_owner(
    session: reference.SessionDep, owner_id: int | None = None, done: bool | None = None
) -> Any:
    return await reference.list_tasks(session, owner_id, done)  # 2**63: OverflowError / asyncpg DataError


async def _create_taking_naive_due(session: reference.SessionDep, body: _CreateNaiveDue) -> Any:
    if await session.get(reference.TaskOwner, body.owner_id) is None:
        raise HTTPException(404, f"no user with id {body.owner_id}")
    task = reference.Task(**body.model_dump())
    session.add(task)
    await session.commit()  # UTCDateTime refuses the naive due: StatementError, a 500
    return await reference.get_task(session, task.id)


_wrong_unbounded_owner_filter = _replacing(
    "GET", "", _list_with_unbounded_owner, response_model=list[reference.TaskRead]
)
_wrong_naive_due_accepted = _replacing(
    "POST", "", _create_taking_naive_due, response_model=reference.TaskRead, status_code=201
)


def _with_patch(route: Any) -> Any:
    async def build(engine: Any, data: dict[str, Any]) -> Any:
        router = reference.task_router()
        router.routes = [r for r in router.routes if "PATCH" not in getattr(r, "methods", ())]
        router.patch("/{task_id}", response_model=reference.TaskRead)(route)
        return reference.assemble(await reference.prepare(engine, data), router)

    build.__name__ = route.__name__
    return build


class _NullableEverywhere(BaseModel):
    """Every field optional, None meaning "not sent": the old reference's model."""

    model_config = ConfigDict(extra="forbid")
    title: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=10_000)
    done: bool | None = None
    due: datetime | None = None
    priority: Literal["low", "normal", "high"] | None = None


class _NonOptionalTypes(BaseModel):
    """Right: the types say a title is a str, so a null fails validation; defaults are not validated, so a field
    left out stays unset."""

    model_config = ConfigDict(extra="forbid")
    title: reference.Title = ""
    description: reference.Description = ""
    done: bool = False
    due: reference.DueDate | None = None
    priority: Literal["low", "normal", "high"] = "normal"


class _UpdateNaiveDue(reference.TaskUpdate):
    """Wrong: a plain datetime takes "2025-02-01T17:00:00" (no offset); UTCDateTime refuses it at INSERT, a 500."""

    due: datetime | None = None


class _CreateNaiveDue(reference.TaskCreate):
    """Wrong: the same plain datetime, in the POST body."""

    due: datetime | None = None


async def _patch_null_reaches_the_column(
    session: reference.SessionDep, task_id: reference.TaskId, body: _NullableEverywhere
) -> Any:
    task = await reference.get_task(session, task_id)
    for field, value in body.model_dump(exclude_unset=True).items():
        setattr(task, field, value)  # {"title": null} → NOT NULL constraint failed: a 500
    await session.commit()
    return task


async def _patch_ignores_nulls(
    session: reference.SessionDep, task_id: reference.TaskId, body: _NullableEverywhere
) -> Any:
    task = await reference.get_task(session, task_id)
    for field, value in body.model_dump(exclude_none=True).items():  # a null is skipped: due can never be cleared
        setattr(task, field, value)
    await session.commit()
    return task


async def _patch_sets_every_field(
    session: reference.SessionDep, task_id: reference.TaskId, body: _NonOptionalTypes
) -> Any:
    task = await reference.get_task(session, task_id)
    for field, value in body.model_dump().items():  # fields not sent are reset to their defaults
        setattr(task, field, value)
    await session.commit()
    return task


async def _patch_with_core_update(
    session: reference.SessionDep, task_id: reference.TaskId, body: _NonOptionalTypes
) -> Any:
    await reference.get_task(session, task_id)  # a 404 for a missing task
    changes = {field: getattr(body, field) for field in body.model_fields_set}
    if changes:
        await session.execute(update(reference.Task).where(reference.Task.id == task_id).values(**changes))
        await session.commit()
    owner = selectinload(reference.Task.owner)
    return await session.get(reference.Task, task_id, populate_existing=True, options=[owner])


async def _patch_checks_nulls_itself(
    session: reference.SessionDep, task_id: reference.TaskId, body: Annotated[dict[str, Any], Body()]
) -> Any:
    allowed = {"title", "description", "done", "due", "priority"}
    if unknown := set(body) - allowed:
        raise HTTPException(422, f"unknown fields: {sorted(unknown)}")
    if nulls := sorted(field for field, value in body.items() if value is None and field != "due"):
        raise HTTPException(422, f"{', '.join(nulls)} cannot be null")
    try:
        changes = reference.TaskUpdate.model_validate(body).model_dump(exclude_unset=True)
    except ValidationError as error:
        raise HTTPException(422, str(error.errors()[0]["msg"])) from None
    task = await reference.get_task(session, task_id)
    for field, value in changes.items():
        setattr(task, field, value)
    await session.commit()
    return task


async def _wrong_user_without_tasks_is_404(engine: Any, data: dict[str, Any]) -> Any:
    async def list_tasks(session: Any, owner_id: int | None = None, done: bool | None = None) -> list[Any]:
        tasks = await reference.list_tasks(session, owner_id, done)
        if not tasks:
            raise HTTPException(404, "no tasks found")
        return tasks

    return reference.assemble(await reference.prepare(engine, data), reference.task_router(lister=list_tasks))


async def _wrong_import_keyed_by_name(engine: Any, data: dict[str, Any]) -> Any:
    # Owners looked up by name: the second "Tammy Smith" is folded into the first, and so are her tasks.
    first_id = {}
    for user in data["users"]:
        first_id.setdefault(user["name"], user["id"])
    merged = {
        "users": [u for u in data["users"] if first_id[u["name"]] == u["id"]],
        "tasks": [{**t, "owner_id": first_id[next(u["name"] for u in data["users"] if u["id"] == t["owner_id"])]}
                  for t in data["tasks"]],
    }
    return await reference.build_task_manager(engine, merged)


TaskManager.right_answers = [
    reference.build_task_manager,
    _right_joinedload_variant,
    _with_patch(_patch_with_core_update),
    _with_patch(_patch_checks_nulls_itself),
]
TaskManager.wrong_answers = [
    _with_patch(_patch_null_reaches_the_column),
    _with_patch(_patch_ignores_nulls),
    _with_patch(_patch_sets_every_field),
    _wrong_user_without_tasks_is_404,
    _wrong_import_keyed_by_name,
    _wrong_drops_tasks_without_due_date,
    _wrong_shifted_due_dates,
    _wrong_n_plus_1_listing,
    _wrong_delete_not_awaited,
    _wrong_unbounded_owner_filter,
    _wrong_naive_due_accepted,
]


# --- the steps: each part of the design with a check of its own ---------------------------------------------

#: Tables the lesson database already has (the blog's): a model of the task manager must not reuse them.
BLOG_TABLES = {"users", "profiles", "posts", "comments", "roles", "user_roles"}
#: A due date given at +01:00 (18:00 in Paris): the same instant as 17:00 UTC, however it is stored.
PARIS_DUE = datetime(2025, 2, 1, 18, 0, tzinfo=timezone(timedelta(hours=1)))


_AWARE_DUE = "Declare due with lessons.types.UTCDateTime (or another type that keeps it aware)."


async def _answer_as_class(exercise: Exercise, answer: Any) -> Any:
    """A class is the answer itself; a function is called for it (the stub counts as not attempted)."""
    found = answer if isinstance(answer, type) else await exercise.call(answer)
    if found is None:
        raise Unattempted
    return found


@register
class TaskModel(Exercise):
    id = "15.task_model"
    title = "Step 1: the Task and owner models"
    hints = [
        "Task needs title, description, done, due, priority, owner_id and a relationship `owner` to your owner "
        "model (id, name, email); tables of your own, e.g. tm_users and tm_tasks.",
        "Give description, done and priority defaults ('', False, 'normal'), and declare due with "
        "lessons.types.UTCDateTime: DateTime(timezone=True) comes back naive on SQLite.",
    ]
    reference = reference.Task

    def solution(self) -> None:
        print(f"One solution to “{self.title}”:\n")
        print(inspect.getsource(reference.TaskBase).rstrip() + "\n\n")
        print(inspect.getsource(reference.TaskOwner).rstrip() + "\n\n")
        print(inspect.getsource(reference.Task).rstrip())

    async def judge(self, answer: Any, db: LessonDatabase) -> str:
        model = await _answer_as_class(self, answer)
        mapper = sa_inspect(model, raiseerr=False)
        if mapper is None or not hasattr(mapper, "relationships"):
            raise Incorrect(f"check() takes your Task model class; got {show(model)}.")
        if "owner" not in mapper.relationships:
            raise Incorrect("Task has no relationship named `owner`: the API shows each task's owner (task.owner).")
        owner_model = mapper.relationships["owner"].mapper.class_
        clash = sorted(BLOG_TABLES & {table.name for table in model.metadata.sorted_tables})
        if clash:
            raise Incorrect(f"your models use the table(s) {clash}, which the blog has already: name yours "
                            "tm_users and tm_tasks (say), on a DeclarativeBase of your own.")
        Session = async_sessionmaker(db.engine, expire_on_commit=False)
        step = "creating your tables"
        try:
            async with db.engine.begin() as conn:
                await conn.run_sync(model.metadata.create_all)
            step = "adding an owner and two tasks (one with only a title and an owner)"
            async with Session() as session:
                owner = owner_model(id=1, name="Ada Lovelace", email="ada@tasks.example")
                session.add_all([
                    owner,
                    model(id=1, title="Only a title", owner_id=1),
                    model(id=2, title="Due in Paris", description="d", done=True, due=PARIS_DUE, priority="high",
                          owner=owner),
                ])
                await session.commit()
            step = "reading the tasks back with selectinload(Task.owner)"
            async with Session() as session:
                tasks = (await session.scalars(
                    select(model).options(selectinload(mapper.relationships["owner"].class_attribute))
                    .order_by(mapper.primary_key[0])
                )).all()
        except Exception as error:
            naive = "naive" in str(error)  # PostgreSQL refuses an aware datetime for a column without a time zone
            advice = " (a due date with a time zone, +01:00): " + _AWARE_DUE if naive else ""
            raise Incorrect(f"{step} failed{advice}: {describe(error)}") from None
        plain, due = tasks
        defaults = {"description": "", "done": False, "priority": "normal", "due": None}
        got = {field: getattr(plain, field) for field in defaults}
        if got != defaults:
            wrong = "; ".join(f"{f} is {got[f]!r}" for f in defaults if got[f] != defaults[f])
            raise Incorrect(f"a task created with only a title and an owner comes back with {wrong}; the defaults "
                            f"are {defaults}.")
        if due.due is None or due.due.tzinfo is None:
            raise Incorrect(f"a due date stored as {PARIS_DUE.isoformat()} came back as {_shown(due.due)}: naive. "
                            + _AWARE_DUE)
        if due.due != PARIS_DUE:
            raise Incorrect(f"a due date stored as {PARIS_DUE.isoformat()} came back as {due.due.isoformat()}: "
                            "another instant.")
        if (due.done, due.priority, due.owner.name, due.owner.email) != (True, "high", "Ada Lovelace",
                                                                         "ada@tasks.example"):
            raise Incorrect(f"a task stored with done=True, priority='high' and its owner came back as done="
                            f"{due.done!r}, priority={due.priority!r}, owner {due.owner.name!r}.")
        return (f"tables {', '.join(t.name for t in model.metadata.sorted_tables)}; defaults '', False and 'normal'; "
                f"a due date at +01:00 comes back aware as {due.due.astimezone(timezone.utc).isoformat()}; "
                "task.owner loads with selectinload.")


class _VariantBase(DeclarativeBase):
    pass


class _VariantOwner(_VariantBase):
    """Right, written another way: server-side defaults, other table names, no back_populates."""

    __tablename__ = "legacy_people"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(255))


class _VariantTask(_VariantBase):
    __tablename__ = "legacy_tasks"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, server_default="", default="")
    done: Mapped[bool] = mapped_column(Boolean, server_default=false(), default=False)
    due: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    priority: Mapped[str] = mapped_column(String(10), server_default="normal", default="normal")
    owner_id: Mapped[int] = mapped_column(ForeignKey("legacy_people.id"))
    owner: Mapped[_VariantOwner] = relationship()


class _NaiveBase(DeclarativeBase):
    pass


class _NaiveOwner(_NaiveBase):
    __tablename__ = "tm_users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(255))


class _NaiveDueTask(_NaiveBase):
    """Wrong: a plain DateTime loses the time zone (SQLite and MariaDB hand back naive values)."""

    __tablename__ = "tm_tasks"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    done: Mapped[bool] = mapped_column(default=False)
    due: Mapped[datetime | None] = mapped_column(DateTime)
    priority: Mapped[str] = mapped_column(String(10), default="normal")
    owner_id: Mapped[int] = mapped_column(ForeignKey("tm_users.id"))
    owner: Mapped[_NaiveOwner] = relationship()


class _NoDefaultsBase(DeclarativeBase):
    pass


class _NoDefaultsOwner(_NoDefaultsBase):
    __tablename__ = "tm_users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(255))


class _NoDefaultsTask(_NoDefaultsBase):
    """Wrong: no defaults, so a task created with a title alone breaks the NOT NULL columns."""

    __tablename__ = "tm_tasks"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    done: Mapped[bool]
    due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    priority: Mapped[str] = mapped_column(String(10))
    owner_id: Mapped[int] = mapped_column(ForeignKey("tm_users.id"))
    owner: Mapped[_NoDefaultsOwner] = relationship()


class _BlogTableBase(DeclarativeBase):
    pass


class _BlogTableOwner(_BlogTableBase):
    __tablename__ = "users"  # the blog's table: create_all skips it, and the owner never fits
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(255))


class _BlogTableTask(_BlogTableBase):
    """Wrong: reuses the blog's ``users`` table name."""

    __tablename__ = "tasks"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    done: Mapped[bool] = mapped_column(default=False)
    due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    priority: Mapped[str] = mapped_column(String(10), default="normal")
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    owner: Mapped[_BlogTableOwner] = relationship()


TaskModel.right_answers = [reference.Task, _VariantTask]
TaskModel.wrong_answers = [_NaiveDueTask, _NoDefaultsTask, _BlogTableTask]


@register
class TaskUpdateSchema(Exercise):
    id = "15.task_update_schema"
    title = "Step 3: the PATCH request model"
    hints = [
        "Every field optional, so a PATCH may send any of them; model_dump(exclude_unset=True) then holds only "
        "what was sent. due may be null (it clears the date).",
        "A null title, description, done or priority would reach a NOT NULL column: refuse it with a "
        "@field_validator (it runs only for fields that were sent), or type those fields without `| None`.",
        "due: AwareDatetime (with AfterValidator(in_utc)), so a time without an offset is a 422; title: "
        "Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), "
        "AfterValidator(storable)], and description with AfterValidator(storable) too, so a NUL is a 422.",
    ]
    reference = reference.TaskUpdate

    async def judge(self, answer: Any, db: LessonDatabase) -> str:
        schema = await _answer_as_class(self, answer)
        if not (isinstance(schema, type) and issubclass(schema, BaseModel)):
            raise Incorrect(f"check() takes your TaskUpdate class (a Pydantic model); got {show(schema)}.")
        accepted = [
            ({"done": True}, {"done": True}),
            ({}, {}),
            ({"due": None}, {"due": None}),
            ({"title": "New title", "priority": "high"}, {"title": "New title", "priority": "high"}),
            ({"due": "2025-02-01T17:00:00+00:00"}, {"due": datetime(2025, 2, 1, 17, tzinfo=timezone.utc)}),
        ]
        for body, want in accepted:
            try:
                got = schema.model_validate(body).model_dump(exclude_unset=True)
            except ValidationError as error:
                raise Incorrect(f"{json.dumps(body)} was refused ({error.errors()[0]['msg']}); "
                                f"a PATCH may send it.") from None
            if got != want:
                raise Incorrect(f"{json.dumps(body)} gives model_dump(exclude_unset=True) = {got!r}; expected "
                                f"{want!r}: only the fields sent, as sent.")
        null = "null in a NOT NULL column"
        refused = [
            ({"title": None}, null), ({"description": None}, null), ({"done": None}, null),
            ({"priority": None}, null), ({"title": ""}, "an empty title"), ({"title": "   "}, "a blank title"),
            ({"priority": "urgent"}, "an unknown priority"),
            ({"due": "2025-02-01T17:00:00"}, "a naive time, which UTCDateTime refuses at INSERT (use AwareDatetime)"),
            ({"title": "a\x00b"}, "a NUL character, which PostgreSQL cannot store"),
            ({"description": "\x00"}, "a NUL character, which PostgreSQL cannot store"),
        ]
        for body, why in refused:
            try:
                got = schema.model_validate(body).model_dump(exclude_unset=True)
            except ValidationError:
                continue
            raise Incorrect(f"{json.dumps(body)} was accepted (as {got!r}); it must be refused (a 422), or it "
                            f"reaches the database: {why}.")
        return ("a PATCH keeps only the fields sent, clears due with null, and refuses null for title, "
                "description, done and priority, a blank title, an unknown priority, a naive due time and a NUL "
                "character.")


class _UpdateDueRequired(BaseModel):
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


class _UpdateEmptyTitle(BaseModel):
    """Wrong: no min_length, and priority any string: an empty title and 'urgent' get through."""

    title: str = ""
    description: str = ""
    done: bool = False
    due: datetime | None = None
    priority: str = "normal"


TaskUpdateSchema.right_answers = [reference.TaskUpdate, _NonOptionalTypes]
TaskUpdateSchema.wrong_answers = [_NullableEverywhere, _UpdateDueRequired, _UpdateEmptyTitle, _UpdateNaiveDue]


@register
class ReadingRoutes(Exercise):
    id = "15.reading_routes"
    title = "Step 4: list, read and create tasks over HTTP"
    hints = [
        "GET /tasks filters by owner_id and done only when they are given, orders by id, and loads each task's "
        "owner with selectinload(Task.owner): two statements while the tasks have at most 500 owners (one IN per "
        "500), not one per task; bound owner_id with Query(ge=1, le=2**31 - 1), or a huge one is a 500.",
        "POST /tasks answers 201 (status_code=201 on the route); look the owner up first and raise "
        "HTTPException(404) when it is missing; TaskCreate's Field(min_length=1) makes an empty title a 422.",
    ]
    reference = reference.reading_routes

    async def judge(self, answer: Any, db: LessonDatabase) -> str:
        data = checker_data()
        async with _serving(self, answer, db, data) as send:
            listed_in = await _judge_listing(send, data)
            await _judge_create(send)
        return (f"{len(data['tasks'])} imported tasks listed with their owners in {statements(listed_in)}; "
                "the filters work; POST answers 201, 404 for a missing owner and 422 for bad input (a naive due "
                "time, a huge owner_id, a NUL, a lone surrogate); GET of a missing task answers 404.")


ReadingRoutes.right_answers = [reference.build_task_manager, _right_joinedload_variant]
ReadingRoutes.wrong_answers = [
    _wrong_n_plus_1_listing,
    _wrong_user_without_tasks_is_404,
    _wrong_shifted_due_dates,
    _wrong_unbounded_owner_filter,
    _wrong_naive_due_accepted,
]


@register
class WritingRoutes(Exercise):
    id = "15.writing_routes"
    title = "Step 5: update and delete tasks over HTTP"
    hints = [
        "PATCH: load the task (404 if missing), then set only body.model_dump(exclude_unset=True), commit, and "
        "return it; the request model already refused the nulls.",
        "DELETE: `await session.delete(task)` then commit, and answer 204 with an empty body.",
    ]
    reference = reference.writing_routes

    async def judge(self, answer: Any, db: LessonDatabase) -> str:
        data = checker_data()
        task = next(t for t in data["tasks"] if t["due"] and not t["done"])
        task_url = f"/tasks/{task['id']}"
        async with _serving(self, answer, db, data) as send:
            found = await send("GET", task_url)
            if found.status_code != 200:
                raise Incorrect(f"GET {task_url} answered {found.status_code}: finish step 4 first.")
            await _judge_patch(send, task_url, found.json())
            await _judge_delete(send, task_url)
        return ("PATCH changes only what it is sent, clears due with null and answers 422 for null elsewhere; "
                "DELETE answers 204 and the task is gone; both answer 404 for a missing task.")


WritingRoutes.right_answers = [
    reference.build_task_manager,
    _with_patch(_patch_with_core_update),
    _with_patch(_patch_checks_nulls_itself),
]
WritingRoutes.wrong_answers = [
    _with_patch(_patch_null_reaches_the_column),
    _with_patch(_patch_ignores_nulls),
    _with_patch(_patch_sets_every_field),
    _wrong_delete_not_awaited,
]
