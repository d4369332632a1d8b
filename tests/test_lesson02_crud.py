"""Lesson 02's checker: each typical wrong answer gets the message that tells the learner what to fix."""

from __future__ import annotations

import pytest

from lessons import exercises
from lessons.exercises import lesson02

CREATE_USER = exercises.get("02.create_user")

EXPECTED_REASONS = {
    lesson02._wrong_lets_the_error_escape: "raise IntegrityError",
    lesson02._wrong_forgets_the_rollback: "PendingRollbackError",
    lesson02._wrong_only_flushes: "await session.commit() saves it",
    lesson02._wrong_returns_the_existing_user: "not firstOrCreate",
    lesson02._wrong_overwrites_the_existing_user: "name was 'Taken Owner', now 'Someone Else'",
    lesson02._wrong_checks_the_name: "Names are not unique",
}


# Checkers use DATABASE_URL, as in a learner's notebook: run each test once per backend of the matrix.
pytestmark = pytest.mark.usefixtures("database_url_env")


def test_every_wrong_answer_has_a_reason() -> None:
    assert set(EXPECTED_REASONS) == set(CREATE_USER.wrong_answers)


@pytest.mark.parametrize(
    ("answer", "reason"), list(EXPECTED_REASONS.items()), ids=[answer.__name__ for answer in EXPECTED_REASONS]
)
async def test_wrong_answer_is_told_what_to_fix(answer, reason: str) -> None:
    result = await CREATE_USER.check(answer)
    assert result.status == "failed"
    assert reason in result.message, result.message
