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
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

import httpx
from fastapi import Body, HTTPException
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import update
from sqlalchemy.orm import selectinload

from lessons.database import LessonDatabase
from lessons.exercises import lesson15_reference as reference
from lessons.exercises.framework import Exercise, Incorrect, count_statements, describe, register, statements

LEGACY_FILE = Path(__file__).resolve().parent.parent / "data" / "task_manager.json"
#: Listing tasks with their owners: at most the tasks and their owners (plus a count or a BEGIN-free lookup).
MAX_LIST_STATEMENTS = 3


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


@register
class TaskManager(Exercise):
    id = "15.task_manager"
    title = "Move the task manager onto SQLAlchemy"
    hints = [
        "Two models on your own DeclarativeBase (tables tm_users and tm_tasks), Task.owner a relationship; "
        "due is a timezone-aware datetime (datetime.fromisoformat keeps the +00:00).",
        "Import with session.add_all(...) keeping the JSON ids, then commit. On PostgreSQL, move the id "
        "sequences past the imported ids (setval), or the first POST collides with task 1.",
        "GET /tasks loads owners with selectinload(Task.owner): two statements for any number of tasks.",
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
        app = await self.call(answer, db.engine, data)
        users = {user["id"]: user for user in data["users"]}
        expected = [_expected(task, users) for task in data["tasks"]]
        # raise_app_exceptions: a route that raises reaches the checker as the error itself, which it can name.
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=True)
        async with httpx.AsyncClient(transport=transport, base_url="http://tasks.test") as client:

            async def send(method: str, url: str, **kwargs: Any) -> httpx.Response:
                shown = f"{method} {url}" + (f" with {json.dumps(kwargs['json'])}" if "json" in kwargs else "")
                if "params" in kwargs:
                    shown = f"{method} {url}?" + "&".join(f"{k}={v}" for k, v in kwargs["params"].items())
                try:
                    response = await client.request(method, url, **kwargs)
                except Exception as error:  # the route raised: a 500 for a real client
                    raise Incorrect(f"{shown} answered 500: the route raised {describe(error)}") from None
                if response.status_code >= 500:
                    raise Incorrect(f"{shown} answered {response.status_code}: {response.text[:200] or '(no body)'}")
                return response

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
                    f"GET /tasks ran {statements(queries.count)} for {len(got)} tasks: load the owners with "
                    f"selectinload, at most {MAX_LIST_STATEMENTS} statements however many tasks there are."
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

            body = {"title": "Write the migration notes", "owner_id": IDLE_USER, "due": "2025-02-01T17:00:00+00:00"}
            created = await send("POST", "/tasks", json=body)
            if created.status_code != 201:
                raise Incorrect(f"POST /tasks with {json.dumps(body)} answered {created.status_code}, not 201: "
                                f"{created.text[:200]}")
            new = created.json()
            if new.get("owner", {}).get("id") != IDLE_USER or new.get("done") is not False:
                raise Incorrect(
                    f"POST /tasks answered {new}; expected the new task, not done, owned by user {IDLE_USER}."
                )
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

            await self._judge_patch(send, task_url, new)

            deleted = await send("DELETE", task_url)
            if deleted.status_code != 204:
                raise Incorrect(f"DELETE {task_url} answered {deleted.status_code}, not 204.")
            if (after := await send("GET", task_url)).status_code != 404:
                raise Incorrect(f"DELETE {task_url} answered 204, then GET {task_url} answered {after.status_code}: "
                                "the task is still there (is `session.delete(...)` awaited, and committed?).")
            for method in ("GET", "PATCH", "DELETE"):
                missing = await send(method, "/tasks/999999", **({"json": {}} if method == "PATCH" else {}))
                if missing.status_code != 404:
                    raise Incorrect(f"{method} /tasks/999999 answered {missing.status_code}, not 404.")
        return (
            f"{len(data['users'])} users and {len(expected)} tasks imported without loss; listed with owners in "
            f"{statements(queries.count)}; create, read, update and delete answer 201/200/200/204, and 404/422; "
            "a PATCH changes only what it is sent, clears a due date with null, and refuses null elsewhere."
        )

    @staticmethod
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
    title: str = Field(default="", min_length=1, max_length=200)
    description: str = Field(default="", max_length=10_000)
    done: bool = False
    due: datetime | None = None
    priority: Literal["low", "normal", "high"] = "normal"


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
]
