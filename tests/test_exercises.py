"""Every practice checker spots the stub and survives broken code (its known answers: tests/test_answers.py)."""

from __future__ import annotations

import os

import pytest

from lessons import exercises
from lessons.exercises import Exercise

ALL = exercises.all_exercises()


# Checkers use DATABASE_URL, as in a learner's notebook: run each test once per backend of the matrix.
pytestmark = pytest.mark.usefixtures("database_url_env")


def test_every_exercise_has_hints() -> None:
    for exercise in ALL:
        assert len(exercise.hints) >= 2, exercise.id


@pytest.mark.parametrize("exercise", ALL, ids=[exercise.id for exercise in ALL])
async def test_the_stub_and_nothing_count_as_not_attempted(exercise: Exercise) -> None:
    async def stub(*args: object, **kwargs: object) -> None:
        raise NotImplementedError

    assert (await exercise.check(stub)).status == "unattempted"
    assert (await exercise.check(None)).status == "unattempted"


async def test_a_checker_never_raises_on_broken_code() -> None:
    async def broken(session: object) -> int:
        raise RuntimeError("boom")

    result = await exercises.get("00.count_active_users").check(broken)
    assert result.status == "failed"
    assert result.message == (
        "count_active_users(session): your code raised RuntimeError: boom [generated database 1 of 3, seed 63929]"
    )


async def test_a_called_function_is_explained_not_awaited() -> None:
    async def answer(session: object) -> int:
        return 1

    result = await exercises.get("00.count_active_users").check(answer(None))
    assert result.status == "failed" and "pass the function itself" in result.message


def test_checkers_share_one_database_per_process() -> None:
    """Every check reloads the same database of this process (schema included), never one copy per check.

    It goes when the kernel exits (``lessons.core.database``'s atexit), or at the next start when the kernel was killed.
    """
    from lessons.core.settings import DATA_DIR

    leftovers = sorted(path.name for path in DATA_DIR.glob(f"*check*{os.getpid()}*.sqlite3"))
    assert len(leftovers) <= 1, leftovers
    assert all(f"check_{os.getpid()}" in name for name in leftovers), leftovers


#: The checkers whose partial answers are checked below (lessons 07–15 join as their checkers adopt the rule).
PARTIAL_ANSWER_LESSONS = ("00", "01", "02", "03", "04", "05", "06")


@pytest.mark.parametrize(
    "exercise",
    [exercise for exercise in ALL if exercise.id.split(".")[0] in PARTIAL_ANSWER_LESSONS],
    ids=lambda exercise: exercise.id,
)
async def test_not_implemented_inside_a_written_function_is_reported_as_raised(exercise: Exercise) -> None:
    # Only the untouched stub (a body of just `raise NotImplementedError`) is "not attempted".
    async def half_done(*args: object, **kwargs: object) -> None:
        started = len(args)
        raise NotImplementedError(f"the rest of it ({started} arguments)")

    result = await exercise.check(half_done)
    assert result.status == "failed", result.message
    assert "NotImplementedError: the rest of it" in result.message
