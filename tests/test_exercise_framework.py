"""The checker framework itself: a check never hangs, counts only its own statements, and blames the right party."""

from __future__ import annotations

import asyncio
import time
from typing import Any, ClassVar

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from lessons import exercises
from lessons.core import database
from lessons.core.database import LessonDatabase
from lessons.core.models import User
from lessons.exercises import framework
from lessons.exercises.framework import Exercise, Incorrect

pytestmark = pytest.mark.usefixtures("database_url_env")

_kept: list[Any] = []  # what a careless answer leaves behind, alive after the check returned


class _SortsWhatItGets(Exercise):
    """A minimal checker: sorts what the answer returned (and so can fail on it)."""

    id = "test.sorts"
    title = "Sorts"
    hints: ClassVar[list[str]] = ["", ""]

    async def judge(self, answer: Any, db: LessonDatabase) -> str:
        async with db.Session() as session:
            got = await self.call(answer, session)
        if sorted(got) != [1, 2]:
            raise Incorrect(f"you returned {exercises.show(got)}")
        return "sorted"


async def test_an_error_in_the_checkers_own_code_is_not_blamed_on_the_answer() -> None:
    async def answer(session: AsyncSession) -> list[Any]:
        return [1, "two"]

    result = await _SortsWhatItGets().check(answer)
    assert result.status == "failed"
    assert result.message.startswith("the checker could not read your result: TypeError: ")
    assert result.message.endswith("it got [1, 'two']")


async def test_an_error_the_answer_raises_is_its_own() -> None:
    async def answer(session: AsyncSession) -> list[int]:
        return sorted([1, "two"])  # type: ignore[list-item]

    result = await _SortsWhatItGets().check(answer)
    assert result.message.startswith("your code raised TypeError: ")


async def test_not_implemented_inside_a_written_function_is_the_learners_error() -> None:
    async def stub(session: AsyncSession) -> list[int]:
        """Only the stub's line: not attempted."""
        raise NotImplementedError

    async def started(session: AsyncSession) -> list[int]:
        await session.execute(select(1))
        raise NotImplementedError("the second half")

    async def calls_a_stub(session: AsyncSession) -> list[int]:
        return await stub(session)

    assert (await _SortsWhatItGets().check(stub)).status == "unattempted"
    result = await _SortsWhatItGets().check(started)
    assert (result.status, result.message) == ("failed", "your code raised NotImplementedError: the second half")
    # An answer built on a stub it has not filled in yet (an earlier step, as 14c's and 15's step-by-step tasks
    # have) is not attempted yet either: a fresh learner copy must never show ❌.
    assert (await _SortsWhatItGets().check(calls_a_stub)).status == "unattempted"


async def test_a_check_ends_an_answer_that_never_finishes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(framework, "ANSWER_TIMEOUT_SECONDS", 1)

    async def forever(session: AsyncSession) -> list[int]:
        await session.execute(select(1))
        await asyncio.sleep(3600)
        return [1, 2]

    started = time.monotonic()
    result = await _SortsWhatItGets().check(forever)
    assert result.message == "your function ran for more than 1 s without finishing"
    assert time.monotonic() - started < 30


async def test_a_check_returns_and_drops_its_database_when_the_answer_leaves_a_transaction_open(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # MariaDB's DROP DATABASE waits for the metadata lock an open transaction holds on `users`;
    # PostgreSQL's waits for every connection. The check must end them, not wait for minutes.
    monkeypatch.setattr(framework, "CLEANUP_TIMEOUT_SECONDS", 20)
    seen: list[LessonDatabase] = []

    async def leaves_a_transaction_open(session: AsyncSession) -> list[int]:
        engine = create_async_engine(session.bind.url)
        conn = await engine.connect()
        await conn.execute(select(User.id).where(User.id == 1).with_for_update())
        _kept.append((engine, conn))
        await session.execute(select(func.count()).select_from(User))  # and the session stays open
        return [1, 2]

    class Spy(_SortsWhatItGets):
        async def judge(self, answer: Any, db: LessonDatabase) -> str:
            seen.append(db)
            return await super().judge(answer, db)

    started = time.monotonic()
    result = await Spy().check(leaves_a_transaction_open)
    elapsed = time.monotonic() - started
    assert result.status == "passed", result.message
    assert elapsed < 60, f"check() took {elapsed:.0f} s"
    db = seen[0]
    if db.backend != "sqlite":
        async with database.server_connection(db._base_url) as conn:
            if db.backend == "postgresql":
                query = text("SELECT count(*) FROM pg_database WHERE datname = :name")
            else:
                query = text("SELECT count(*) FROM information_schema.schemata WHERE schema_name = :name")
            assert await conn.scalar(query, {"name": db.url.database}) == 0
    for engine, conn in _kept:
        if db.backend != "sqlite":  # the server ended the connection the answer left open
            with pytest.raises(DBAPIError):
                await conn.execute(select(1))
        await conn.invalidate()
        await engine.dispose()
    _kept.clear()


async def test_the_statement_count_covers_this_check_alone() -> None:
    # Work left running on the loop by someone else (an earlier answer, say) runs statements all along.
    engine = database.create_engine()
    stop = asyncio.Event()

    async def busy() -> None:
        while not stop.is_set():
            async with engine.connect() as conn:
                await conn.execute(select(1))
            await asyncio.sleep(0)

    task = asyncio.create_task(busy())
    try:
        # 04's checker requires exactly the reference's statements: one counted from elsewhere would fail it.
        exercise = exercises.get("04.users_with_posts")
        result = await exercise.check(getattr(exercise.reference, "__func__", exercise.reference))
    finally:
        stop.set()
        await task
        await engine.dispose()
    assert result.status == "passed", result.message


async def test_a_task_an_answer_leaves_running_is_ended_with_its_check() -> None:
    leftovers: list[asyncio.Task[None]] = []

    async def answer(session: AsyncSession) -> list[int]:
        leftovers.append(asyncio.create_task(asyncio.sleep(3600)))
        return [1, 2]

    assert (await _SortsWhatItGets().check(answer)).passed
    await asyncio.sleep(0)
    assert leftovers[0].cancelled()


async def test_rows_fetched_are_counted_per_statement() -> None:
    db = await database.fresh_database("test-framework-helpers", make_current=False)
    try:
        async with db.Session() as session:
            session.add_all([User(name="Twin", email="twin.1@check.invalid"), User(name="Twin", email="twin.2@x.test")])
            await session.flush()
            with exercises.count_rows_fetched() as fetched:
                await session.scalars(select(User).where(User.name == "Twin"))
                await session.scalar(select(func.count()).select_from(User))
        assert fetched.per_statement == [2, 1]
    finally:
        await db.drop()


def test_messages_show_strings_as_strings_and_never_end_in_an_empty_reason() -> None:
    assert exercises.show("abc") == "'abc'"
    assert exercises.show(["abc"]) == "['abc']"
    assert exercises.show(tuple(range(7))) == "(0, 1, 2, 3, 4, … (7 in all))"
    assert exercises.reason("GET /tasks answered 500", "  ") == "GET /tasks answered 500"
    assert exercises.describe(NotImplementedError()) == "NotImplementedError"


async def test_a_check_says_the_same_thing_every_time_it_runs() -> None:
    # Rows of the checker's own (emails numbered per check) must not make a notebook's output differ run to run.
    from lessons.exercises import lesson02

    exercise = exercises.get("02.create_user")
    first, second = [(await exercise.check(lesson02.create_user)).message for _ in range(2)]
    assert first == second


def test_every_hint_prints_within_the_text_width(capsys: pytest.CaptureFixture[str]) -> None:
    """A hint is read in a notebook window: no line runs past 88 columns, so none wraps mid-word there."""
    from lessons.exercises.framework import TEXT_WIDTH, all_exercises

    for exercise in all_exercises():
        for number in range(1, len(exercise.hints) + 1):
            exercise.hint(number)
    printed = capsys.readouterr().out.splitlines()
    too_long = [line for line in printed if len(line) > TEXT_WIDTH and " " in line.strip()]
    assert printed and not too_long, too_long[:3]


def test_a_long_result_is_wrapped_between_words() -> None:
    from lessons.exercises.framework import Result

    shown = repr(Result("failed", "your function returned the wrong rows: " + "users.password_hash " * 8))
    assert all(len(line) <= 88 for line in shown.splitlines())
    assert "users.password_hash" in shown.splitlines()[1]  # an identifier is never split
