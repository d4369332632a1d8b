"""The lesson 07 checker never leaves a learner's index on the course's shared models."""

from __future__ import annotations

from sqlalchemy import Index, Table

from lessons import exercises
from lessons.core.models import Comment
from lessons.exercises.lesson07 import latest_comments_index


async def test_an_index_built_on_the_shared_table_is_refused_and_removed() -> None:
    before = set(Comment.__table__.indexes)

    def on_the_model(comments: Table) -> Index:
        return Index("ix_comments_user_id_created_at", Comment.user_id, Comment.created_at)

    result = await exercises.get("07.latest_comments_index").check(on_the_model)
    assert result.status == "failed"
    assert "another table than the comments table it received" in result.message
    assert set(Comment.__table__.indexes) == before


async def test_a_right_answer_leaves_the_shared_table_alone() -> None:
    before = set(Comment.__table__.indexes)
    exercise = exercises.get("07.latest_comments_index")
    assert (await exercise.check(latest_comments_index)).passed
    assert set(Comment.__table__.indexes) == before
