"""Lesson 02's checker: typical wrong answers get the sentence that tells the learner what to fix."""

from __future__ import annotations

import pytest

from lessons import exercises
from tests.answers import lesson02

CREATE_USER = exercises.get("02.create_user")

EXPECTED_REASONS = {
    lesson02.wrong_lets_the_error_escape: "your code raised IntegrityError",
    lesson02.wrong_forgets_the_rollback: "PendingRollbackError (an earlier statement failed",
    lesson02.wrong_only_flushes: "your changes were never committed",
    lesson02.wrong_returns_the_existing_user: "the reference returns None",
    lesson02.wrong_overwrites_the_existing_user: "users lacks a row the reference has",
}


# Checkers use DATABASE_URL, as in a learner's notebook: run each test once per backend of the matrix.
pytestmark = pytest.mark.usefixtures("database_url_env")


@pytest.mark.parametrize(
    ("answer", "reason"), list(EXPECTED_REASONS.items()), ids=[answer.__name__ for answer in EXPECTED_REASONS]
)
async def test_wrong_answer_is_told_what_to_fix(answer, reason: str) -> None:
    result = await CREATE_USER.check(answer)
    assert result.status == "failed"
    assert reason in result.message, result.message
    assert "seed" in result.message  # reproducible
