"""The capstone's checker (lesson 15): the task manager, moved from a JSON file onto SQLAlchemy.

The learner's answer is ``build_task_manager(engine, data)``: create the tables on ``engine``, import ``data``
(the legacy JSON), and return a FastAPI app. The checker judges only what the app answers over HTTP, so any
design of models and code passes when it behaves: every user and task imported without loss, CRUD with the
right status codes, and no N+1 when tasks are listed with their owners.
"""

from __future__ import annotations

import inspect
import json
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import httpx

from lessons.database import LessonDatabase
from lessons.exercises import lesson15_reference as reference
from lessons.exercises.framework import Exercise, Incorrect, register, statements
from lessons.sql import count_queries

LEGACY_FILE = Path(__file__).resolve().parent.parent / "data" / "task_manager.json"
#: Listing tasks with their owners: at most the tasks and their owners (plus a count or a BEGIN-free lookup).
MAX_LIST_STATEMENTS = 3


@cache
def legacy_data() -> dict[str, Any]:
    """The old app's JSON file: ``{"users": [...], "tasks": [...]}``, as shipped with the lesson."""
    return json.loads(LEGACY_FILE.read_text())


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
        data = legacy_data()
        app = await self.call(answer, db.engine, data)
        users = {user["id"]: user for user in data["users"]}
        expected = [_expected(task, users) for task in data["tasks"]]
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://tasks.test") as client:
            with count_queries() as queries:
                listing = await client.get("/tasks")
            if listing.status_code != 200:
                raise Incorrect(f"GET /tasks answered {listing.status_code}: {listing.text[:200]}")
            got = [_normalised(task) for task in listing.json()]
            if len(got) != len(expected):
                raise Incorrect(f"GET /tasks lists {len(got)} tasks; the JSON file has {len(expected)}.")
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
            mine = await client.get("/tasks", params={"owner_id": 2, "done": "false"})
            want_ids = [t["id"] for t in data["tasks"] if t["owner_id"] == 2 and not t["done"]]
            if mine.status_code != 200 or [t["id"] for t in mine.json()] != want_ids:
                raise Incorrect(f"GET /tasks?owner_id=2&done=false should list tasks {want_ids} (by id).")

            body = {"title": "Write the migration notes", "owner_id": 6, "due": "2025-02-01T17:00:00+00:00"}
            created = await client.post("/tasks", json=body)
            if created.status_code != 201:
                raise Incorrect(f"POST /tasks answered {created.status_code}, not 201: {created.text[:200]}")
            new = created.json()
            if new.get("owner", {}).get("id") != 6 or new.get("done") is not False:
                raise Incorrect(f"POST /tasks answered {new}; expected the new task, not done, owned by user 6.")
            if (await client.get(f"/tasks/{new['id']}")).status_code != 200:
                raise Incorrect(f"GET /tasks/{new['id']} did not find the task POST /tasks just created.")
            for bad, reason in (
                ({"title": "x", "owner_id": 999}, 404),
                ({"title": "", "owner_id": 1}, 422),
                ({"owner_id": 1}, 422),
            ):
                answer_status = (await client.post("/tasks", json=bad)).status_code
                if answer_status != reason:
                    raise Incorrect(f"POST /tasks with {bad} answered {answer_status}, expected {reason}.")

            patched = await client.patch(f"/tasks/{new['id']}", json={"done": True})
            if patched.status_code != 200 or patched.json().get("done") is not True:
                raise Incorrect(f"PATCH /tasks/{new['id']} with done=true answered {patched.status_code}.")
            if (await client.get(f"/tasks/{new['id']}")).json().get("done") is not True:
                raise Incorrect("PATCH answered, but GET shows the task unchanged: commit the session.")

            deleted = await client.delete(f"/tasks/{new['id']}")
            if deleted.status_code != 204:
                raise Incorrect(f"DELETE /tasks/{new['id']} answered {deleted.status_code}, not 204.")
            if (await client.get(f"/tasks/{new['id']}")).status_code != 404:
                raise Incorrect(
                    f"DELETE /tasks/{new['id']} answered 204 but the task is still there: "
                    "is `session.delete(...)` awaited?"
                )
            for method in ("GET", "PATCH", "DELETE"):
                missing = await client.request(method, "/tasks/999999", json={} if method == "PATCH" else None)
                if missing.status_code != 404:
                    raise Incorrect(f"{method} /tasks/999999 answered {missing.status_code}, not 404.")
        return (
            f"{len(data['users'])} users and {len(expected)} tasks imported without loss; listed with owners in "
            f"{statements(queries.count)}; create, read, update and delete answer 201/200/200/204, and 404/422."
        )


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


TaskManager.right_answers = [reference.build_task_manager, _right_joinedload_variant]
TaskManager.wrong_answers = [
    _wrong_drops_tasks_without_due_date,
    _wrong_shifted_due_dates,
    _wrong_n_plus_1_listing,
    _wrong_delete_not_awaited,
]
