"""Answers to lesson 07's practice (07.latest_comments_index), written from the task statement alone.

Spec: ``latest_comments_index(comments)`` returns the ``Index``, built on the ``comments`` table it receives, that
turns "a user's latest comments" (``WHERE user_id = ? ORDER BY created_at DESC LIMIT 10``) into a ``SEARCH`` with no
``TEMP B-TREE``, as one would put it in ``__table_args__``; not unique.
"""

from __future__ import annotations

from sqlalchemy import Index, Table

from lessons.core.models import Comment
from tests.answers import right, wrong


@right("07.latest_comments_index")
def two_columns(comments: Table) -> Index:
    return Index("ix_comments_user_id_created_at", comments.c.user_id, comments.c.created_at)


@right("07.latest_comments_index")
def created_at_descending(comments: Table) -> Index:
    # A DESC key column: SQLite walks it forwards instead of backwards; PostgreSQL and MariaDB read it either way.
    return Index("ix_comments_user_latest", comments.c["user_id"], comments.c["created_at"].desc())


@right("07.latest_comments_index")
def covering_with_id(comments: Table) -> Index:
    # A third column after the two the query needs: still user_id first, created_at second, still no sort.
    return Index("ix_comments_user_created_id", comments.c.user_id, comments.c.created_at, comments.c.id)


# The query filters on user_id: with created_at first the index cannot search by user (SCAN, or a sort).
@wrong("07.latest_comments_index", "columns in the wrong order")
def swapped_columns(comments: Table) -> Index:
    return Index("ix_comments_created_at_user_id", comments.c.created_at, comments.c.user_id)


# Searches by user, but the rows still come out unsorted: USE TEMP B-TREE FOR ORDER BY.
@wrong("07.latest_comments_index", "indexes user_id only: still sorts")
def user_id_only(comments: Table) -> Index:
    return Index("ix_comments_user_id", comments.c.user_id)


# No user_id: the query scans the index in date order and filters, or scans the table.
@wrong("07.latest_comments_index", "indexes created_at only")
def created_at_only(comments: Table) -> Index:
    return Index("ix_comments_created_at", comments.c.created_at)


# Cannot be built: the seeded data has one user with two comments sharing a created_at.
@wrong("07.latest_comments_index", "unique index the data violates")
def unique_index(comments: Table) -> Index:
    return Index("ix_comments_user_id_created_at", comments.c.user_id, comments.c.created_at, unique=True)


# The statement says: built on the comments table it receives. This one is built on the course model's table.
@wrong("07.latest_comments_index", "ignores the table it receives (uses the model's)")
def on_model_table(comments: Table) -> Index:
    return Index("ix_comments_user_id_created_at", Comment.__table__.c.user_id, Comment.__table__.c.created_at)


# Wrong type: the DDL as a string, not an Index.
@wrong("07.latest_comments_index", "returns CREATE INDEX text, not an Index")
def ddl_string(comments: Table) -> str:
    return "CREATE INDEX ix_comments_user_id_created_at ON comments (user_id, created_at)"


# Column names as strings, as in __table_args__. Written as wrong (bound to no table); the lead reclassified it as
# right, since the statement names __table_args__, where strings are the usual form, and now says so.
@right("07.latest_comments_index")
def string_columns(comments: Table) -> Index:
    return Index("ix_comments_user_id_created_at", "user_id", "created_at")


# Not registered: a partial index for the example's user 42 only (sqlite_where/postgresql_where). Wrong on SQLite and
# PostgreSQL (any other user's query sorts), but MariaDB ignores the WHERE and builds a full, right index, so no
# single verdict holds on every backend. The current checker passes it on SQLite (see the report).
def partial_for_user_42(comments: Table) -> Index:
    return Index(
        "ix_comments_user_42",
        comments.c.user_id,
        comments.c.created_at,
        sqlite_where=comments.c.user_id == 42,
        postgresql_where=comments.c.user_id == 42,
    )


# The wrong second column: the query sorts by created_at, not post_id.
@wrong("07.latest_comments_index", "second column is not the sort column")
def user_id_post_id(comments: Table) -> Index:
    return Index("ix_comments_user_id_post_id", comments.c.user_id, comments.c.post_id)


# Name collision: comments.post_id already has ix_comments_post_id, so CREATE INDEX fails.
@wrong("07.latest_comments_index", "reuses an existing index name")
def existing_name(comments: Table) -> Index:
    return Index("ix_comments_post_id", comments.c.user_id, comments.c.created_at)
