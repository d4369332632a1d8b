"""Practice for lesson 15 (the capstone): the task manager on SQLAlchemy, judged by difference from the reference.

Each step runs the reference (``lesson15_reference.py``) and the answer on identical generated task lists: ids with
gaps, namesakes, a user with no tasks, due dates far and near (or none), Unicode, ``%``, ``_`` and backslashes, a
title at its 200-character limit. The model step stores the same tasks through both models and reads them back; the
request-model step validates the same PATCH bodies with both; the API steps send both apps the same requests, one by
one (valid ones, and the bad input the statement names), and compare each response's status code and body. The task
manager's own tables are the learner's design (any names, any columns): they are judged through what the models and
the API give back; the blog's tables must stay as they were.
"""

from __future__ import annotations

import inspect
import json
import random
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import cache
from pathlib import Path
from typing import Any, ClassVar

import httpx
from pydantic import BaseModel, ValidationError
from sqlalchemy import MetaData, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlalchemy.orm import selectinload

from lessons.core.database import LessonDatabase
from lessons.exercises import lesson15_reference as ref
from lessons.exercises.differential import Call, Differential, Raised, Run, compare
from lessons.exercises.framework import Incorrect, Unattempted, count_statements, describe, register, show, statements
from lessons.exercises.worlds import BLOG_TABLES, World

LEGACY_FILE = Path(__file__).resolve().parent.parent / "data" / "task_manager.json"
UTC = timezone.utc


@cache
def legacy_data() -> dict[str, Any]:
    """The old app's JSON file: ``{"users": [...], "tasks": [...]}``, as shipped with the lesson."""
    return json.loads(LEGACY_FILE.read_text())


# --------------------------------------------------------------------------------------------------------------
# The generated task lists
# --------------------------------------------------------------------------------------------------------------

_WORDS = ["Buy", "milk", "café", "naïve", "Zoë's", "50%", "under_score", "C:\\backups", "李", "🐘", "report", "Ünïcödé",
          "review", "\"quoted\"", "deploy", "O'Brien", "ship", "x"]
_NAMES = ["Tammy Smith", "Jill Moore", "Łukasz Müller", "Ngozi Okafor", "Søren D'Arcy", "李 Nakamura", "Ana María"]


def task_world(seed: int) -> World:
    """A legacy JSON of its own per seed (``rows["legacy_users"]``, ``["legacy_tasks"]``): the edges an import loses.

    >>> world = task_world(5)
    >>> owners = {task["owner_id"] for task in world.rows["legacy_tasks"]}
    >>> world.rows["legacy_users"][0]["id"] not in owners            # a user with no tasks
    True
    >>> task_world(5).rows == world.rows
    True
    """
    rng = random.Random(seed)
    now = datetime(2030, 1, 1, tzinfo=UTC) + timedelta(days=rng.randint(0, 3650), seconds=rng.randint(0, 86_399))
    users, user_id = [], rng.randint(1, 60)
    for number in range(rng.choice([3, 4, 6])):
        name = users[1]["name"] if number == 2 else rng.choice(_NAMES)  # user 2 is a namesake of user 1
        users.append({"id": user_id, "name": name, "email": f"u{user_id}.{number}@tasks.example"})
        user_id += rng.choice([1, 1, 2, 9])
    tasks, task_id = [], rng.randint(1, 300)
    owners = [user["id"] for user in users[1:]]  # users[0] owns nothing
    for number in range(rng.randint(6, 14)):
        due = None if rng.random() < 0.3 else now + timedelta(seconds=rng.randint(-400 * 86_400, 400 * 86_400))
        title = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(1, 5)))
        tasks.append({
            "id": task_id,
            "title": ("Zoë " + "x" * 200)[:200] if number == 1 else title,  # a title at its column's limit
            "description": rng.choice(["", "", " ".join(rng.choice(_WORDS) for _ in range(rng.randint(1, 12)))]),
            "done": rng.random() < 0.4,
            "due": due.isoformat() if due else None,
            "priority": rng.choice(["low", "normal", "normal", "high"]),
            "owner_id": owners[number % len(owners)] if number < len(owners) else rng.choice(owners),
        })
        task_id += rng.choice([1, 1, 2, 5])
    return World(seed=seed, now=now, rng=rng, rows={"legacy_users": users, "legacy_tasks": tasks})


def legacy(world: World) -> dict[str, Any]:
    """The world as the legacy JSON: a fresh copy each time (an answer may change what it is given)."""
    return json.loads(json.dumps({"users": world.rows["legacy_users"], "tasks": world.rows["legacy_tasks"]}))


def _due(value: Any, parse: bool = True) -> Any:
    """A due date as compared: the instant, in UTC (any offset may be given back), or what it was instead.

    ``parse``: a string is a date in JSON (it is parsed); read back from a model, it is a string, not a date.
    """
    if isinstance(value, str) and not parse:
        return f"{value!r} (a str, not a datetime)"
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat() if value.tzinfo else f"{value.isoformat()} (no time zone)"
    return value


_MISSING = "(missing)"


def _task(value: Any, parse: bool = True) -> Any:
    """A task as the API shows it: the fields the statement lists, ``due`` as an instant."""
    if not isinstance(value, dict):
        return value
    shown = {key: value.get(key, _MISSING) for key in ("id", "title", "description", "done", "priority")}
    owner = value.get("owner", _MISSING)
    return shown | {"due": _due(value.get("due", _MISSING), parse), "owner": {
        key: owner.get(key, _MISSING) for key in ("id", "name", "email")} if isinstance(owner, dict) else owner}


def _short(value: Any) -> Any:
    """``value`` with every long string cut short (a message shows a 200-character title as its length)."""
    if isinstance(value, str) and len(value) > 40:
        return f"{value[:20]}… ({len(value)} characters)"
    return {k: _short(v) for k, v in value.items()} if isinstance(value, dict) else value


def _shown(body: Any) -> str:
    """A request body in a message: short strings, and a NUL or a lone surrogate as its JSON escape."""
    text = json.dumps(_short(body), ensure_ascii=False)
    return "".join(f"\\u{ord(c):04x}" if c < " " or "\ud800" <= c <= "\udfff" else c for c in text)


class _Steps(Differential):
    """What every step shares: the generated task lists, its own tables dropped around each run, the blog's kept."""

    #: The reference's objects :meth:`solution` prints.
    shown: ClassVar[list[Any]] = []

    def world(self, seed: int) -> World:
        return task_world(seed)

    #: The task manager's tables are the learner's design: judged through the models and the API, not row by row.
    compared_tables = BLOG_TABLES

    async def run(self, function: Any, db: LessonDatabase, world: World, run: Run, answer: bool) -> None:
        """:meth:`steps` on a database holding the blog's tables alone, left so afterwards (the next run's turn)."""
        await _drop_own_tables(db)
        try:
            await self.steps(function, db, world, run, answer)
        finally:
            if db.engine.pool.checkedout():  # (a DROP would wait for the transaction it holds)
                run.problem = run.problem or (
                    "your app left a database connection checked out: a session or connection it opened and never "
                    "closed (use `async with`)")
            else:
                with suppress(Exception):
                    await _drop_own_tables(db)

    async def steps(self, function: Any, db: LessonDatabase, world: World, run: Run, answer: bool) -> None:
        raise NotImplementedError

    def solution(self) -> None:
        print(f"One solution to “{self.title}” (lessons/exercises/lesson15_reference.py):\n")
        print("\n\n".join(inspect.getsource(part).rstrip() for part in self.shown))

    async def answered_class(self, answer: Any, kind: type) -> Any:
        """A class is the answer itself; a function is called for it (the stub is "not attempted")."""
        found = answer if isinstance(answer, type) else await self.call(answer)
        if found is None:
            raise Unattempted
        if not (isinstance(found, type) and issubclass(found, kind)):
            what = "your Task model class" if kind is object else "your TaskUpdate class (a Pydantic model)"
            raise Incorrect(f"check() takes {what}; got {show(found)}.")
        return found


async def _drop_own_tables(db: LessonDatabase) -> None:
    """Drop every table but the blog's: the previous run's task manager (its names are the learner's choice)."""
    def drop(sync: Any) -> None:
        own = [name for name in sa_inspect(sync).get_table_names() if name not in BLOG_TABLES]
        if own:
            metadata = MetaData()
            metadata.reflect(sync, only=own)
            metadata.drop_all(sync)

    async with db.engine.begin() as conn:
        await conn.run_sync(drop)


# --------------------------------------------------------------------------------------------------------------
# Step 1: the models
# --------------------------------------------------------------------------------------------------------------

_AWARE_DUE = " Declare due with lessons.core.types.UTCDateTime (or another type that keeps it aware)."


@register
class TaskModel(_Steps):
    id = "15.task_model"
    title = "Step 1: the Task and owner models"
    hints = [
        "Task needs title, description, done, due, priority, owner_id and a relationship `owner` to your owner "
        "model (id, name, email); tables of your own, e.g. tm_users and tm_tasks.",
        "Give description, done and priority defaults ('', False, 'normal'), and declare due with "
        "lessons.core.types.UTCDateTime: DateTime(timezone=True) comes back naive on SQLite.",
    ]
    reference = ref.Task
    shown = [ref.TaskBase, ref.TaskOwner, ref.Task]

    async def steps(self, model: Any, db: LessonDatabase, world: World, run: Run, answer: bool) -> None:
        if answer:
            model = await self.answered_class(model, object)
        mapper = sa_inspect(model, raiseerr=False)
        if not hasattr(mapper, "relationships"):
            raise Incorrect(f"check() takes your Task model class (a mapped class); got {show(model)}.")
        if "owner" not in mapper.relationships:
            raise Incorrect("Task has no relationship named `owner`: the API shows each task's owner (task.owner).")
        if clash := sorted(set(BLOG_TABLES) & {table.name for table in model.metadata.sorted_tables}):
            raise Incorrect(f"your models use the table(s) {clash}, which the blog has already: name yours "
                            "tm_users and tm_tasks (say), on a DeclarativeBase of your own.")
        owner_model, data = mapper.relationships["owner"].mapper.class_, legacy(world)
        given = []  # what each task is created with: every field, or only a title and an owner (the defaults)
        for number, task in enumerate(data["tasks"]):
            fields = dict(task, due=datetime.fromisoformat(task["due"]) if task["due"] else None)
            if fields["due"] and number % 3 == 0:  # the same instant at another offset
                fields["due"] = fields["due"].astimezone(timezone(timedelta(hours=world.rng.choice([-8, 1, 5.5]))))
            given.append({key: fields[key] for key in ("id", "title", "owner_id")} if number % 4 == 2 else fields)
        labels = [f"task {fields['id']} created with {', '.join(fields)}, then read back" for fields in given]
        try:
            observed = await self._store_and_read(db, model, owner_model, data["users"], given)
        except Exception as error:
            if not answer:
                raise
            observed = [Raised(describe(error))] * len(given)
        run.results.extend(zip(labels, observed, strict=True))

    @staticmethod
    async def _store_and_read(db: LessonDatabase, model: Any, owner_model: Any, users: list[Any],
                              given: list[dict[str, Any]]) -> list[Any]:
        async with db.engine.begin() as conn:
            await conn.run_sync(model.metadata.create_all)
        Session = async_sessionmaker(db.engine, expire_on_commit=False)
        async with Session() as session:
            owners = {user["id"]: owner_model(**user) for user in users}
            session.add_all(owners.values())
            for number, fields in enumerate(given):  # every other task is given its owner object, not owner_id
                by_object = number % 2 == 1
                session.add(model(**{k: v for k, v in fields.items() if not (by_object and k == "owner_id")},
                                  **({"owner": owners[fields["owner_id"]]} if by_object else {})))
            await session.commit()
        async with Session() as session:
            owner = sa_inspect(model).relationships["owner"].class_attribute
            tasks = (await session.scalars(select(model).options(selectinload(owner)))).all()
            read = {task.id: task for task in tasks}
            return [_task({
                **{key: getattr(read[f["id"]], key, _MISSING) for key in ("id", "title", "description", "done",
                                                                          "priority", "due")},
                "owner": {key: getattr(read[f["id"]].owner, key, _MISSING) for key in ("id", "name", "email")},
            }, parse=False) if f["id"] in read else "(not found)" for f in given]

    def differs(self, expected: Any, got: Any) -> str | None:
        found = compare(expected, got)
        return found + _AWARE_DUE if found and "(no time zone)" in found else found

    def passed(self, runs: list[Run]) -> str:
        count = sum(len(run.results) for run in runs)
        return (f"{count} tasks on 2 generated task lists read back as the reference's: the defaults '', False and "
                "'normal', due dates aware and the same instants (given at other offsets too), owners by "
                "selectinload; the blog's tables untouched.")


# --------------------------------------------------------------------------------------------------------------
# Step 3: the PATCH request model
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Refused:
    """A body the request model refused (a 422): the first reason, shown, never compared."""

    reason: str

    def __repr__(self) -> str:
        return f"refused ({self.reason})"


def _patch_bodies(world: World) -> list[dict[str, Any]]:
    """PATCH bodies: valid ones (any subset of fields, due at any offset or null), and each kind of bad input."""
    rng, task = world.rng, world.rng.choice(world.rows["legacy_tasks"])
    offset = timezone(timedelta(minutes=rng.choice([-480, -60, 0, 60, 330])))
    valid = {"title": task["title"], "description": rng.choice(["", "naïve 50% under_score", task["description"]]),
             "done": rng.random() < 0.5, "due": (world.now + timedelta(days=rng.randint(-9, 9))).astimezone(offset)
             .isoformat(), "priority": rng.choice(["low", "normal", "high"])}
    bodies: list[dict[str, Any]] = [{}, {"due": None}, {"title": "x" * 200}]
    bodies += [{field: valid[field]} for field in rng.sample(sorted(valid), len(valid))]
    bodies += [{field: valid[field] for field in rng.sample(sorted(valid), 3)}, dict(valid, due=None)]
    bad = [{field: None} for field in ("title", "description", "done", "priority")]
    bad += [{"title": ""}, {"title": "   "}, {"priority": rng.choice(["urgent", "HIGH"])},
            {"due": "2025-02-01T17:00:00"}, {"due": "9999-12-31T23:59:59-01:00"}, {"title": "a\x00b"},
            {"description": "\x00"}, {"title": "\ud800"}, {"description": "x \udfff"}, dict(valid, title=None)]
    return bodies + bad


@register
class TaskUpdateSchema(_Steps):
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
    reference = ref.TaskUpdate
    shown = [ref.TaskUpdate]

    def calls(self, world: World) -> list[Call]:
        return [Call((body,), f"TaskUpdate.model_validate({_shown(body)})") for body in _patch_bodies(world)]

    async def steps(self, schema: Any, db: LessonDatabase, world: World, run: Run, answer: bool) -> None:
        if answer:
            schema = await self.answered_class(schema, BaseModel)
        for call in self.calls(world):
            try:
                dumped = schema.model_validate(*call.args).model_dump(exclude_unset=True)
                observed: Any = {key: _due(value) if key == "due" else value for key, value in dumped.items()}
            except ValidationError as error:
                observed = Refused(str(error.errors()[0]["msg"]))
            except Exception as error:
                if not answer:
                    raise
                observed = Raised(describe(error))
            run.results.append((call.label, observed))

    def differs(self, expected: Any, got: Any) -> str | None:
        if isinstance(expected, Refused):
            return None if isinstance(got, Refused) else (
                f"accepted, as {show(_short(got))}; the reference refuses it with a 422 ({expected.reason}), before it "
                "reaches the database")
        if isinstance(got, Refused):
            return f"refused ({got.reason}); the reference accepts it as {show(_short(expected))}: a PATCH may send it"
        found = compare(expected, got)
        return found and f"model_dump(exclude_unset=True) differs (only the fields sent, as sent): {found}"

    def passed(self, runs: list[Run]) -> str:
        bodies = sum(len(run.results) for run in runs)
        return (f"{bodies} PATCH bodies validated as the reference does: only the fields sent are kept, due is "
                "cleared with null and kept aware, and null for title, description, done or priority, a blank "
                "title, an unknown priority, a naive or overflowing due time, a NUL and a lone surrogate are "
                "refused.")


# --------------------------------------------------------------------------------------------------------------
# Steps 4, 5 and the whole app: requests, and the responses compared one by one
# --------------------------------------------------------------------------------------------------------------

#: An id in a URL that stands for the task the last ``POST /tasks`` of the same run created.
CREATED = "{created}"


@dataclass(frozen=True)
class Request:
    method: str
    url: str
    json: Any = None
    content: str | None = None
    params: dict[str, Any] | None = None
    #: The statement promises only "a 4xx and its reason" for this one (not which 4xx).
    any_4xx: bool = False

    def label(self) -> str:
        query = "?" + "&".join(f"{k}={v}" for k, v in self.params.items()) if self.params else ""
        body = _shown(self.json) if self.json is not None else self.content
        return f"{self.method} {self.url}{query}" + (f" with {body}" if body else "")


@dataclass(frozen=True)
class Answered:
    """A response as compared: its status code and body (tasks reduced to the fields the statement lists)."""

    status: int
    body: Any
    any_4xx: bool = False

    def __repr__(self) -> str:
        return f"{self.status} {show(self.body) if self.body not in ('', None) else '(no body)'}"


def reading_requests(world: World) -> list[Request]:
    """GET /tasks (all, by owner, by done, an owner with no tasks, an unknown one), GET one, and POST, good and bad."""
    rng, users, tasks = world.rng, world.rows["legacy_users"], world.rows["legacy_tasks"]
    idle, namesake, owner = users[0]["id"], users[2]["id"], rng.choice(tasks)["owner_id"]
    stranger = max(user["id"] for user in users) + rng.randint(1, 9)
    missing = next(n for n in range(tasks[0]["id"], 10**6) if n not in {t["id"] for t in tasks})
    due = (world.now + timedelta(days=rng.randint(1, 30))).astimezone(timezone(timedelta(hours=5, minutes=30)))
    return [
        Request("GET", "/tasks"),
        Request("GET", "/tasks", params={"owner_id": owner, "done": rng.choice(["false", "true"])}),
        Request("GET", "/tasks", params={"done": "true"}),
        Request("GET", "/tasks", params={"owner_id": idle}),
        Request("GET", "/tasks", params={"owner_id": stranger}),
        Request("GET", f"/tasks/{rng.choice(tasks)['id']}"),
        Request("GET", f"/tasks/{missing}"),
        Request("GET", "/tasks", params={"owner_id": 2**63}),
        Request("GET", "/tasks", params={"owner_id": rng.choice([0, -1, 2**31])}),
        Request("GET", f"/tasks/{2**31}"),
        Request("POST", "/tasks", json={"title": rng.choice(_WORDS) + " 50%_\\", "owner_id": idle}),
        Request("GET", f"/tasks/{CREATED}"),
        Request("POST", "/tasks", json={"title": "Zoë's café 🐘", "description": "naïve", "done": True,
                                        "due": due.isoformat(), "priority": "high", "owner_id": namesake}),
        Request("POST", "/tasks", json={"title": "x", "owner_id": stranger}),
        Request("POST", "/tasks", json={"title": "", "owner_id": owner}),
        Request("POST", "/tasks", json={"title": "   ", "owner_id": owner}),
        Request("POST", "/tasks", json={"owner_id": owner}),
        Request("POST", "/tasks", json={"title": "Urgent", "priority": "urgent", "owner_id": owner}),
        Request("POST", "/tasks", json={"title": "Naive", "owner_id": owner, "due": "2025-02-01T17:00:00"}),
        Request("POST", "/tasks", json={"title": "Far", "owner_id": owner, "due": "9999-12-31T23:59:59-01:00"}),
        Request("POST", "/tasks", json={"title": "a\x00b", "owner_id": owner}),
        Request("POST", "/tasks", content=f'{{"title": "\\ud800", "owner_id": {owner}}}'),
        Request("POST", "/tasks", json={"title": "Huge owner", "owner_id": 2**63}, any_4xx=True),
        Request("GET", "/tasks"),
    ]


def writing_requests(world: World) -> list[Request]:
    """PATCH one task (each field, null where allowed and where not, bad input), DELETE another twice, GET both."""
    rng, tasks = world.rng, world.rows["legacy_tasks"]
    patched = rng.choice([t for t in tasks if t["due"]] or tasks)
    deleted = rng.choice([t for t in tasks if t is not patched])
    one, gone = f"/tasks/{patched['id']}", f"/tasks/{deleted['id']}"
    due = (world.now - timedelta(hours=rng.randint(1, 999))).astimezone(timezone(timedelta(hours=-8))).isoformat()
    missing = max(t["id"] for t in tasks) + rng.randint(1, 9)
    nulls = rng.sample(["title", "description", "done", "priority"], 4)
    return [
        Request("PATCH", one, json={"done": not patched["done"]}),
        Request("PATCH", one, json={}),
        Request("PATCH", one, json={"title": "Ünïcödé 50%_\\", "priority": rng.choice(["low", "high"])}),
        *[Request("PATCH", one, json={field: None}) for field in nulls],
        Request("PATCH", one, json={"due": "2025-02-01T17:00:00"}),
        Request("PATCH", one, json={"title": ""}),
        Request("PATCH", one, json={"description": "a\x00b"}),
        Request("PATCH", one, content='{"description": "x \\udc00"}'),
        Request("GET", one),
        Request("PATCH", one, json={"due": None}),
        Request("GET", one),
        Request("PATCH", one, json={"due": due, "description": ""}),
        Request("PATCH", f"/tasks/{missing}", json={"done": True}),
        Request("PATCH", f"/tasks/{2**63}", json={"done": True}),
        Request("DELETE", f"/tasks/{2**31}"),
        Request("DELETE", gone),
        Request("GET", gone),
        Request("DELETE", gone),
        Request("PATCH", gone, json={"done": True}),
        Request("DELETE", f"/tasks/{missing}"),
        Request("GET", "/tasks"),
    ]


def _body_differs(expected: Any, got: Any) -> str | None:
    """How a body differs: a listing by the tasks (ids) it holds first, then task by task."""
    ids = [[task.get("id") if isinstance(task, dict) else task for task in body] if isinstance(body, list) else None
           for body in (expected, got)]
    if ids[0] is not None and ids[1] is not None:
        if missing := [number for number in ids[0] if number not in ids[1]]:
            return f"the reference lists the tasks {show(missing)} too (by id): yours leaves them out"
        if extra := [number for number in ids[1] if number not in ids[0]]:
            return f"you list the tasks {show(extra)} (by id), which the reference does not"
        if ids[0] != ids[1]:
            return f"you list the tasks in the order {show(ids[1])} (by id); the reference by id, {show(ids[0])}"
        for want, have in zip(expected, got, strict=True):
            if found := compare(want, have, f"task {want.get('id') if isinstance(want, dict) else want}"):
                return found
        return None
    found = compare(expected, got)
    return found and f"the body differs from the reference's: {found}"


def _refused(status: int) -> bool:
    return status in (400, 422)


class _Api(_Steps):
    """An API step: the answer is ``build(engine, data)`` returning the app; its responses are compared in order."""

    def requests(self, world: World) -> list[Request]:
        raise NotImplementedError

    def calls(self, world: World) -> list[Call]:
        return [Call((request,), request.label()) for request in self.requests(world)]

    async def steps(self, build: Any, db: LessonDatabase, world: World, run: Run, answer: bool) -> None:
        app = await (self.call(build, db.engine, legacy(world)) if answer else build(db.engine, legacy(world)))
        if not callable(app):
            raise Incorrect(f"your function returned {show(app)}; return the FastAPI app.")
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=True)
        created = world.rows["legacy_tasks"][0]["id"]
        async with httpx.AsyncClient(transport=transport, base_url="http://tasks.test") as client:
            for call in self.calls(world):
                request: Request = call.args[0]
                headers = {"content-type": "application/json"} if request.content else None
                with count_statements() as queries:
                    try:
                        response = await client.request(
                            request.method, request.url.replace(CREATED, str(created)), json=request.json,
                            content=request.content, params=request.params, headers=headers)
                    except Exception as error:  # the route raised: a 500 for a real client
                        if not answer:
                            raise
                        run.results.append((call.label, Answered(500, f"the route raised {describe(error)}")))
                        run.statements.append(queries.count)
                        continue
                try:
                    body = response.json()
                except ValueError:
                    body = response.text
                if response.status_code == 201 and isinstance(body, dict) and "id" in body:
                    created = body["id"]
                if response.is_success:
                    body = [_task(item) for item in body] if isinstance(body, list) else _task(body)
                run.results.append((call.label, Answered(response.status_code, body, request.any_4xx)))
                run.statements.append(queries.count)

    def differs(self, expected: Any, got: Any) -> str | None:
        reference = f"the reference answers {expected.status}"
        if got.status >= 500:
            return f"you answered {got.status} ({got.body}); {reference}"
        if expected.status >= 400:
            same = got.status == expected.status or (_refused(got.status) and _refused(expected.status))
            if not (same or (expected.any_4xx and 400 <= got.status < 500)):
                return f"you answered {got!r}; {reference}"
            return None if got.body not in ("", None, {}) else f"you answered {got.status} without its reason"
        if got.status != expected.status:
            return f"you answered {got!r}; {reference} {show(expected.body)}"
        return _body_differs(expected.body, got.body)

    def properties(self, reference: Run, answer: Run, world: World) -> str | None:
        users, tasks = len(world.rows["legacy_users"]), len(world.rows["legacy_tasks"])
        for (label, _), want, have in zip(reference.results, reference.statements, answer.statements, strict=True):
            if label.startswith("GET /tasks") and not label.startswith("GET /tasks/") and have > want:
                return (f"{label} ran {statements(have)} for the {tasks} imported tasks of {users} owners; the "
                        f"reference {statements(want)}: load the owners with selectinload (one statement for the "
                        "tasks, one per 500 owners), never one per task.")
        return None

    def passed(self, runs: list[Run]) -> str:
        requests = sum(len(run.results) for run in runs)
        listed = runs[0].statements[0]
        return (f"the same status codes and bodies as the reference for {requests} requests on 2 generated task "
                f"lists, the bad input refused with a 4xx and its reason; GET /tasks in {statements(listed)}.")


async def _reading_app(engine: Any, data: dict[str, Any]) -> Any:
    return ref.assemble(await ref.prepare(engine, data), ref.reading_routes())


@register
class ReadingRoutes(_Api):
    id = "15.reading_routes"
    title = "Step 4: list, read and create tasks over HTTP"
    hints = [
        "GET /tasks filters by owner_id and done only when they are given, orders by id, and loads each task's "
        "owner with selectinload(Task.owner): two statements while the tasks have at most 500 owners (one IN per "
        "500), not one per task; bound owner_id with Query(ge=1, le=2**31 - 1), or a huge one is a 500.",
        "POST /tasks answers 201 (status_code=201 on the route); look the owner up first and raise "
        "HTTPException(404) when it is missing; TaskCreate's Field(min_length=1) makes an empty title a 422.",
    ]
    reference = _reading_app
    shown = [ref.list_tasks, ref.get_task, ref.reading_routes]

    def requests(self, world: World) -> list[Request]:
        return reading_requests(world)


@register
class WritingRoutes(_Api):
    id = "15.writing_routes"
    title = "Step 5: update and delete tasks over HTTP"
    hints = [
        "PATCH: load the task (404 if missing), then set only body.model_dump(exclude_unset=True), commit, and "
        "return it; the request model already refused the nulls.",
        "DELETE: `await session.delete(task)` then commit, and answer 204 with an empty body.",
    ]
    reference = ref.build_task_manager
    shown = [ref.writing_routes, ref.remove_task]

    def requests(self, world: World) -> list[Request]:
        return [Request("GET", "/tasks"), *writing_requests(world)]


@register
class TaskManager(_Api):
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
    reference = ref.build_task_manager
    shown = [ref]

    def requests(self, world: World) -> list[Request]:
        return reading_requests(world) + writing_requests(world)
