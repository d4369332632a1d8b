"""What the checkers of lessons 07–15 must see, beyond their known answers (tests/test_exercises.py runs those):
answers whose verdict depends on the backend, the capstone reference's PATCH over HTTP, and the facts a
failure message must name."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timezone
from typing import Any

import httpx
import pytest
from sqlalchemy import DateTime, event, text
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column, with_loader_criteria

from lessons import exercises
from lessons.blog.deps import SessionDep, UserId
from lessons.core.database import LessonDatabase
from lessons.exercises import lesson15, lesson15_reference

pytestmark = pytest.mark.usefixtures("database_url_env")


def _backend(url: str) -> str:
    return url.split("+")[0].split(":")[0]


class TimezoneColumnOnly:
    """Aware in memory, but DateTime(timezone=True) reads back naive on SQLite and MariaDB (right on PostgreSQL)."""

    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    def soft_delete(self) -> None:
        self.deleted_at = datetime.now(timezone.utc)

    def restore(self) -> None:
        self.deleted_at = None

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


@event.listens_for(Session, "do_orm_execute")
def _hide_trashed(state: ORMExecuteState) -> None:
    if state.is_select and not state.execution_options.get("include_deleted"):
        state.statement = state.statement.options(
            with_loader_criteria(TimezoneColumnOnly, lambda cls: cls.deleted_at.is_(None), include_aliases=True)
        )


async def test_a_timezone_column_alone_passes_only_where_it_reads_back_aware(database_url_env: str) -> None:
    # DateTime(timezone=True) is TIMESTAMPTZ on PostgreSQL; SQLite and MariaDB drop the zone on the way back.
    result = await exercises.get("14.soft_deletes").check(TimezoneColumnOnly)
    if _backend(database_url_env) == "postgresql":
        assert result.passed, result.message
    else:
        assert result.status == "failed"
        assert "deleted_at" in result.message and "no time zone" in result.message, result.message




async def test_a_capstone_step_whose_router_is_still_the_stub_is_not_attempted() -> None:
    def reading_routes() -> Any:
        raise NotImplementedError

    async def app_with_reading_routes(engine: Any, data: dict[str, Any]) -> Any:
        return lesson15_reference.assemble(await lesson15_reference.prepare(engine, data), reading_routes())

    result = await exercises.get("15.reading_routes").check(app_with_reading_routes)
    assert result.status == "unattempted", result.message


@pytest.fixture
async def client(db: LessonDatabase) -> AsyncIterator[httpx.AsyncClient]:
    app = await lesson15_reference.build_task_manager(db.engine, lesson15.legacy_data())
    transport = httpx.ASGITransport(app=app)  # raises what a route raises: a 500 fails the test
    async with httpx.AsyncClient(transport=transport, base_url="http://tasks.test") as http:
        yield http


@pytest.mark.parametrize("field", ["title", "description", "done", "priority"])
async def test_reference_patch_refuses_null_for_a_not_null_column(
    client: httpx.AsyncClient, db: LessonDatabase, field: str
) -> None:
    before = (await client.get("/tasks/1")).json()
    response = await client.patch("/tasks/1", json={field: None})
    assert response.status_code == 422
    assert "cannot be null" in response.text
    assert (await client.get("/tasks/1")).json() == before
    async with db.engine.connect() as other:  # and nothing reached the table
        stored = (await other.execute(text(f"SELECT {field} FROM tm_tasks WHERE id = 1"))).scalar_one()
    assert stored is not None


_JSON = {"content-type": "application/json"}
#: Input the reference refuses with a 422 and its reason, never a 500: (method, url, request keywords, why).
ODD_INPUT: list[tuple[str, str, dict[str, Any], str]] = [
    ("GET", "/tasks", {"params": {"owner_id": str(2**63)}}, "an owner_id no integer column holds"),
    ("POST", "/tasks", {"json": {"title": "Naive", "owner_id": 1, "due": "2025-02-01T17:00:00"}},
     "a due time without a UTC offset"),
    ("POST", "/tasks", {"json": {"title": "Far", "owner_id": 1, "due": "9999-12-31T23:59:59-01:00"}},
     "a due time that leaves the calendar once converted to UTC"),
    ("POST", "/tasks", {"json": {"title": "a\x00b", "owner_id": 1}}, "a title with a NUL character"),
    ("POST", "/tasks", {"content": '{"title": "\\ud800", "owner_id": 1}', "headers": _JSON},
     "a title with a lone surrogate"),
]
ODD_IDS = [case[3] for case in ODD_INPUT]


@pytest.mark.parametrize(("method", "url", "request_", "why"), ODD_INPUT, ids=ODD_IDS)
async def test_reference_refuses_odd_input_with_a_422_and_its_reason(
    client: httpx.AsyncClient, method: str, url: str, request_: dict[str, Any], why: str
) -> None:
    # A 500 raises here (the transport re-raises a route's error); a 422 names the field it refused.
    response = await client.request(method, url, **request_)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"][-1] in {"owner_id", "due", "title"}


async def test_reference_patch_clears_the_due_date_and_keeps_the_rest(client: httpx.AsyncClient) -> None:
    before = (await client.get("/tasks/1")).json()
    assert before["due"] is not None
    response = await client.patch("/tasks/1", json={"due": None})
    assert response.status_code == 200 and response.json()["due"] is None
    after = (await client.get("/tasks/1")).json()
    assert after == {**before, "due": None}


async def test_reference_routes_take_their_session_from_the_dependency() -> None:
    router = lesson15_reference.task_router()
    dependencies: set[Any] = set()
    for route in router.routes:
        dependencies |= {dependency.call for dependency in route.dependant.dependencies}
    assert dependencies == {lesson15_reference.get_db}


LESSONS = ("07", "08", "09", "10", "11", "12", "13", "14", "15")


@pytest.mark.parametrize(
    "exercise",
    [exercise for exercise in exercises.all_exercises() if exercise.id.split(".")[0] in LESSONS],
    ids=lambda exercise: exercise.id,
)
async def test_not_implemented_inside_a_written_function_is_the_learners_error(exercise: Any) -> None:
    # Only the untouched stub is "not attempted"; a function with code of its own that raises is reported as such.
    async def half_done(*args: object, **kwargs: object) -> None:
        started = len(args)
        raise NotImplementedError(f"the rest of it ({started} arguments)")

    async def half_done_route(user_id: UserId, session: SessionDep) -> None:  # 12 mounts it: a real signature
        started = user_id
        raise NotImplementedError(f"the rest of it (user {started})")

    result = await exercise.check(half_done_route if exercise.id == "12.user_summary" else half_done)
    assert result.status == "failed", result.message
    if exercise.id == "14.full_text_search":  # it takes a class: a function, written or not, is told so
        assert "check() takes your class" in result.message, result.message
    else:
        assert "NotImplementedError: the rest of it" in result.message, result.message
