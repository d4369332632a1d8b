"""What lessons 05a (the query builder) and 05b (joins and subqueries) claim holds on every backend (and keeps
holding after upgrades)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import InvalidRequestError

from lessons.core.database import LessonDatabase
from lessons.core.models import Comment, Post, User
from lessons.lens.sql import to_sql


def test_python_or_on_sql_conditions_raises() -> None:
    with pytest.raises(TypeError, match="Boolean value of this clause is not defined"):
        select(User).where(User.age > 60 or User.role == "admin")


def test_a_where_without_reassignment_changes_nothing() -> None:
    statement = select(User.id)
    statement.where(User.is_active)
    assert "WHERE" not in to_sql(statement, "sqlite")


def test_join_to_a_table_reachable_two_ways_is_ambiguous() -> None:
    with pytest.raises(InvalidRequestError, match="Can't determine which FROM clause to join from"):
        to_sql(select(User.name, Post.title, Comment.body).join(Post).join(Comment), "sqlite")
    joined = to_sql(select(User.name, Post.title, Comment.body).join(User.posts).join(Post.comments), "sqlite")
    assert "JOIN comments ON posts.id = comments.post_id" in joined


def test_autoescape_escapes_like_wildcards() -> None:
    assert "lower('a/_n') || '%' ESCAPE '/'" in to_sql(
        select(User.id).where(User.name.icontains("a_n", autoescape=True)), "sqlite"
    )


async def test_the_lessons_claims_on_each_backend(db: LessonDatabase) -> None:
    async with db.Session() as session:

        async def count(*conditions) -> int:
            return await session.scalar(select(func.count()).select_from(User).where(*conditions))

        # LIKE: % and _ in the input are wildcards unless escaped.
        assert await count(User.name.ilike("%%%")) == 200
        assert await count(User.name.ilike("%_%")) == 200
        assert await count(User.name.icontains("%", autoescape=True)) == 0
        assert await count(User.name.icontains("a_n", autoescape=True)) == 0
        assert await count(User.name.icontains("ann", autoescape=True)) == 4
        # NULL is neither > 18 nor <= 18.
        assert await count(User.age > 18) + await count(User.age <= 18) + await count(User.age.is_(None)) == 200
        # An empty IN list matches nothing, without an error.
        assert await count(User.role.in_([])) == 0

        # Over an outer join, count(*) counts the NULL-padded row of a user without posts.
        row = (
            await session.execute(
                select(func.count(), func.count(Post.id)).select_from(User).outerjoin(User.posts)
                .where(User.id == 200).group_by(User.id)
            )
        ).one()
        assert tuple(row) == (1, 0)

        # NULLs sort first on SQLite and MariaDB, last on PostgreSQL; `age IS NULL` first is portable.
        first_age = await session.scalar(select(User.age).order_by(User.age, User.id).limit(1))
        assert (first_age is None) == (db.backend != "postgresql")
        portable = await session.scalar(select(User.age).order_by(User.age.is_(None), User.age, User.id).limit(1))
        assert portable == 18

        # session.scalar() adds no LIMIT: Eloquent's first() does.
        statement = select(User.id).order_by(User.id)
        assert "LIMIT" not in to_sql(statement, db.backend)
        assert await session.scalar(statement) == 1
