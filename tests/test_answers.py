"""Every known answer to a practice task (``tests/answers/``) gets its verdict: right ones pass, wrong ones fail with a
reason the checker's own code did not crash on. The answers run on every backend of the matrix."""

from __future__ import annotations

import pytest

from lessons import exercises
from tests.answers import KnownAnswer, load_all

KNOWN = load_all()

# Checkers use DATABASE_URL, as in a learner's notebook: run each test once per backend of the matrix.
pytestmark = pytest.mark.usefixtures("database_url_env")

CRASHED = ("the checker could not", "the checker crashed")


def _id(known: KnownAnswer) -> str:
    return f"{known.exercise}-{known.module}-{known.name}"


@pytest.mark.parametrize("known", [k for k in KNOWN if k.right], ids=_id)
async def test_right_answers_pass(known: KnownAnswer) -> None:
    result = await exercises.get(known.exercise).check(known.answer)
    assert result.status == "passed", result.message


@pytest.mark.parametrize("known", [k for k in KNOWN if not k.right], ids=_id)
async def test_wrong_answers_fail_with_a_reason(known: KnownAnswer) -> None:
    result = await exercises.get(known.exercise).check(known.answer)
    assert result.status == "failed", f"{known.name} ({known.mistake}) was judged {result.status}: {result.message}"
    assert result.message
    assert not result.message.startswith(CRASHED), result.message


def test_every_exercise_has_known_answers_of_both_kinds() -> None:
    for exercise in exercises.all_exercises():
        mine = [known for known in KNOWN if known.exercise == exercise.id]
        assert sum(known.right for known in mine) >= 2, exercise.id
        assert sum(not known.right for known in mine) >= 2, exercise.id


def test_every_exercise_has_answers_written_without_reading_its_checker() -> None:
    """Issue 19's bar: at least 3 right and 8 wrong answers per exercise, by someone who had not read the checker."""
    for exercise in exercises.all_exercises():
        mine = [known for known in KNOWN if known.exercise == exercise.id and known.module.endswith("_independent")]
        assert sum(known.right for known in mine) >= 3, exercise.id
        assert sum(not known.right for known in mine) >= 8, exercise.id
        assert len({known.mistake for known in mine if not known.right}) >= 8, f"{exercise.id}: mistake classes"


def test_known_answers_name_real_exercises() -> None:
    ids = {exercise.id for exercise in exercises.all_exercises()}
    assert {known.exercise for known in KNOWN} <= ids
