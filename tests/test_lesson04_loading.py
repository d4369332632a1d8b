"""Lesson 04's claims about loading strategies, checked on every backend of the matrix (statement counts only)."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import InvalidRequestError, MissingGreenlet, StatementError
from sqlalchemy.orm import joinedload, raiseload, selectinload

from lessons.core.database import LessonDatabase
from lessons.core.models import Post, User
from lessons.lens.sql import expect_queries
from lessons.lens.traps import show_error

#: What a lazy read raises under asyncio in SQLAlchemy 2.1, by backend: aiosqlite and aiomysql first await while
#: the cursor opens, and SQLAlchemy wraps errors from that step in StatementError; asyncpg first awaits while the
#: statement executes, and that error comes through as it is.
LAZY_READ_RAISES = {"sqlite": StatementError, "mysql": StatementError, "postgresql": MissingGreenlet}


async def test_a_lazy_read_raises_missing_greenlet_wrapped_or_not_by_driver(db: LessonDatabase) -> None:
    async with db.Session() as session:
        user = await session.get(User, 1)
        with show_error(expected=MissingGreenlet) as caught:
            user.posts  # noqa: B018 - the read is the trap
    assert type(caught.error) is LAZY_READ_RAISES[db.backend]
    assert isinstance(caught.error, MissingGreenlet) or isinstance(caught.error.orig, MissingGreenlet)


@pytest.mark.parametrize("n", [3, 10])
async def test_awaitable_attrs_in_a_loop_is_one_plus_n(db: LessonDatabase, n: int) -> None:
    async with db.Session() as session:
        with expect_queries(1 + n):
            users = (await session.scalars(select(User).order_by(User.id).limit(n))).all()
            for user in users:
                await user.awaitable_attrs.posts


async def test_selectinload_is_two_statements_and_batches_by_500(db: LessonDatabase) -> None:
    async with db.Session() as session:
        with expect_queries(2):
            (await session.scalars(select(User).options(selectinload(User.posts)))).all()
        with expect_queries(1 + 2):  # 1,000 posts: their comments come in two IN batches of 500
            (await session.scalars(select(Post).options(selectinload(Post.comments)))).all()


async def test_joinedload_is_one_statement_and_needs_unique(db: LessonDatabase) -> None:
    statement = select(User).where(User.id <= 3).order_by(User.id).options(joinedload(User.posts))
    async with db.Session() as session:
        with pytest.raises(InvalidRequestError, match=r"unique\(\) method must be invoked"):
            (await session.scalars(statement)).all()
        with expect_queries(1):
            users = (await session.scalars(statement)).unique().all()
    assert [user.id for user in users] == [1, 2, 3]


async def test_nested_selectinload_is_three_statements(db: LessonDatabase) -> None:
    async with db.Session() as session:
        with expect_queries(3):
            users = (
                await session.scalars(
                    select(User)
                    .where(User.id.in_([1, 2]))
                    .options(selectinload(User.posts).selectinload(Post.comments))
                )
            ).all()
    assert all(post.comments is not None for user in users for post in user.posts)


async def test_raiseload_names_the_relationship(db: LessonDatabase) -> None:
    async with db.Session() as session:
        user = await session.scalar(select(User).where(User.id == 1).options(raiseload("*")))
        with pytest.raises(InvalidRequestError, match=r"'User\.posts' is not available due to lazy='raise'"):
            await user.awaitable_attrs.posts
