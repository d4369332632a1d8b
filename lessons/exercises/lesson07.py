"""Practice for lesson 07: the index that turns a query's SCAN into a SEARCH (and drops its sort)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Index, MetaData, Select, Table, inspect, select
from sqlalchemy.exc import IntegrityError

from lessons.database import LessonDatabase
from lessons.exercises.framework import Exercise, Incorrect, register
from lessons.models import Comment
from lessons.sql import explain

#: The user whose latest comments the checker asks for.
USER_ID = 42


def latest_comments(comments: Table, user_id: int) -> Select[Any]:
    """A user's ten latest comments: the query the index is for."""
    return (
        select(comments)
        .where(comments.c.user_id == user_id)
        .order_by(comments.c.created_at.desc())
        .limit(10)
    )


def latest_comments_index(comments: Table) -> Index:
    return Index("ix_comments_user_id_created_at", comments.c.user_id, comments.c.created_at)


def _right_by_name_newest_first(comments: Table) -> Index:
    # Column names as strings (as in __table_args__), newest first inside each user.
    return Index("ix_comments_author_newest", "user_id", comments.c.created_at.desc())


def _right_with_id_tiebreak(comments: Table) -> Index:
    # A third column after the two the query needs does no harm: still a SEARCH, still no sort.
    return Index("ix_comments_user_created_id", comments.c.user_id, comments.c.created_at, comments.c.id)


def _wrong_on_the_model(comments: Table) -> Index:
    # The model's columns, not the table the function receives.
    return Index("ix_comments_user_id_created_at", Comment.user_id, Comment.created_at)


def _wrong_user_id_only(comments: Table) -> Index:
    return Index("ix_comments_user_id", comments.c.user_id)


def _wrong_column_order(comments: Table) -> Index:
    return Index("ix_comments_created_at_user_id", comments.c.created_at, comments.c.user_id)


def _wrong_unique(comments: Table) -> Index:
    return Index("ix_comments_user_id_created_at", comments.c.user_id, comments.c.created_at, unique=True)


def _wrong_table_column(comments: Table) -> Index:
    return Index("ix_comments_post_id_created_at", comments.c.post_id, comments.c.created_at)


@register
class LatestCommentsIndex(Exercise):
    id = "07.latest_comments_index"
    title = "Index a user's latest comments"
    hints = [
        "The query filters on user_id with = and sorts on created_at: an index whose columns come in that order "
        "lets the database jump to the user's comments and read them already sorted.",
        "Index('ix_comments_user_id_created_at', comments.c.user_id, comments.c.created_at): the column in the "
        "WHERE first, the ORDER BY column second (the order of the columns matters).",
    ]
    reference = latest_comments_index
    right_answers = [latest_comments_index, _right_by_name_newest_first, _right_with_id_tiebreak]
    wrong_answers = [_wrong_user_id_only, _wrong_column_order, _wrong_unique, _wrong_table_column, _wrong_on_the_model]

    async def judge(self, answer: Any, db: LessonDatabase) -> str:
        # A private copy of the table: an answer never adds an index to the course's own models.
        comments = Comment.__table__.to_metadata(MetaData())
        index = await self.call(answer, comments)
        if not isinstance(index, Index):
            raise Incorrect(f"return an Index(...) object, not {type(index).__name__}.")
        if index.table is None:
            comments.append_constraint(index)  # columns named as strings, as in __table_args__
        elif index.table is not comments:
            index.table.indexes.discard(index)  # leave the other table as it was
            raise Incorrect(
                "build the index on the table your function receives, e.g. Index('ix_…', comments.c.user_id, …), "
                "not on another Table or model."
            )
        async with db.engine.connect() as conn:
            before = await explain(latest_comments(comments, USER_ID), on=conn)
            expected = (await conn.execute(latest_comments(comments, USER_ID))).all()
        try:
            async with db.engine.begin() as conn:
                await self.call(conn.run_sync, index.create)
        except IntegrityError:
            raise Incorrect(
                "creating your index failed with IntegrityError: it is unique, but a user writes many comments. "
                "Leave out unique=True."
            ) from None
        async with db.engine.connect() as conn:
            if (await conn.execute(latest_comments(comments, USER_ID))).all() != expected:
                raise Incorrect("with your index the query returns other rows; an index must never change results.")
            if db.backend == "sqlite":
                return self._judge_plan(await explain(latest_comments(comments, USER_ID), on=conn), before, index)
            columns = await conn.run_sync(lambda sync: _indexed_columns(sync, index.name))
        return self._judge_columns(columns, index)

    @staticmethod
    def _judge_plan(plan: Any, before: Any, index: Index) -> str:
        if "SCAN comments" in plan:
            raise Incorrect(
                f"the plan still reads every comment:\n{plan}\nThe WHERE column (user_id) must come first in the "
                "index: an index sorted on another column cannot jump to one user's rows."
            )
        if f"USING INDEX {index.name}" not in plan:
            raise Incorrect(f"the query does not use your index {index.name}; the plan is:\n{plan}")
        if "TEMP B-TREE" in plan:
            raise Incorrect(
                f"SEARCH now, but the comments are still sorted afterwards:\n{plan}\nAdd created_at as the "
                "index's second column, so the user's comments are read already in order."
            )
        return f"the plan went from\n{before}\nto\n{plan}"

    @staticmethod
    def _judge_columns(columns: list[str], index: Index) -> str:
        if columns[:1] != ["user_id"]:
            raise Incorrect(
                f"your index {index.name} starts with {columns[:1]}; the WHERE column (user_id) must come first, "
                "or the database cannot jump to one user's comments."
            )
        if columns[1:2] != ["created_at"]:
            raise Incorrect(
                f"your index {index.name} has columns {columns}; add created_at second, so the user's comments "
                "are read already sorted (no sort step after the search)."
            )
        return f"index {index.name} on {', '.join(columns)}: the user's comments are found and read in order."


def _indexed_columns(sync_connection: Any, name: str) -> list[str]:
    for found in inspect(sync_connection).get_indexes("comments"):
        if found["name"] == name:
            return [column for column in found["column_names"] if column is not None]
    raise Incorrect(f"no index named {name} was found on comments after creating it.")
