"""Known answers the checkers' authors wrote (moved from lessons/exercises/), with their verdicts."""

from __future__ import annotations

from sqlalchemy import Index, Table

from lessons.core.models import Comment
from tests.answers import right, wrong


@right("07.latest_comments_index")
def latest_comments_index(comments: Table) -> Index:
    return Index("ix_comments_user_id_created_at", comments.c.user_id, comments.c.created_at)


@right("07.latest_comments_index")
def right_by_name_newest_first(comments: Table) -> Index:
    # Column names as strings (as in __table_args__), newest first inside each user.
    return Index("ix_comments_author_newest", "user_id", comments.c.created_at.desc())


@right("07.latest_comments_index")
def right_with_id_tiebreak(comments: Table) -> Index:
    # A third column after the two the query needs does no harm: still a SEARCH, still no sort.
    return Index("ix_comments_user_created_id", comments.c.user_id, comments.c.created_at, comments.c.id)


@wrong("07.latest_comments_index", "user id only")
def wrong_user_id_only(comments: Table) -> Index:
    return Index("ix_comments_user_id", comments.c.user_id)


@wrong("07.latest_comments_index", "column order")
def wrong_column_order(comments: Table) -> Index:
    return Index("ix_comments_created_at_user_id", comments.c.created_at, comments.c.user_id)


@wrong("07.latest_comments_index", "unique")
def wrong_unique(comments: Table) -> Index:
    return Index("ix_comments_user_id_created_at", comments.c.user_id, comments.c.created_at, unique=True)


@wrong("07.latest_comments_index", "table column")
def wrong_table_column(comments: Table) -> Index:
    return Index("ix_comments_post_id_created_at", comments.c.post_id, comments.c.created_at)


@wrong("07.latest_comments_index", "on the model")
def wrong_on_the_model(comments: Table) -> Index:
    # The model's columns, not the table the function receives.
    return Index("ix_comments_user_id_created_at", Comment.user_id, Comment.created_at)

