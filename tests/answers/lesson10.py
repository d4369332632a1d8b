"""Known answers the checkers' authors wrote (moved from lessons/exercises/), with their verdicts."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from lessons.core.models import Post, User
from tests.answers import right, wrong


@right("10.load_author")
async def load_author(Session: async_sessionmaker[AsyncSession], user_id: int) -> User:
    async with Session() as session:
        statement = select(User).where(User.id == user_id).options(selectinload(User.posts))
        return await session.scalar(statement)


@right("10.load_author")
async def right_joined_and_unique(Session: async_sessionmaker[AsyncSession], user_id: int) -> User:
    async with Session() as session:
        result = await session.execute(select(User).options(joinedload(User.posts)).where(User.id == user_id))
        return result.unique().scalar_one()


@right("10.load_author")
async def right_awaited_before_closing(Session: async_sessionmaker[AsyncSession], user_id: int) -> User:
    async with Session() as session:
        user = await session.get(User, user_id)
        await user.awaitable_attrs.posts
    return user


@right("10.load_author")
async def right_outer_join_contains_eager(Session: async_sessionmaker[AsyncSession], user_id: int) -> User:
    # One statement: the LEFT JOIN keeps a user with no posts; contains_eager fills user.posts from it.
    statement = (
        select(User).outerjoin(User.posts).options(contains_eager(User.posts)).where(User.id == user_id)
    )
    async with Session() as session:
        return (await session.execute(statement)).unique().scalar_one()


@wrong("10.load_author", "inner join")
async def wrong_inner_join(Session: async_sessionmaker[AsyncSession], user_id: int) -> User | None:
    # An inner join has no row for a user without posts: that user comes back as None.
    statement = select(User).join(User.posts).options(contains_eager(User.posts)).where(User.id == user_id)
    async with Session() as session:
        return (await session.execute(statement)).unique().scalar_one_or_none()


@wrong("10.load_author", "posts never loaded")
async def wrong_posts_never_loaded(Session: async_sessionmaker[AsyncSession], user_id: int) -> User:
    async with Session() as session:
        return await session.get(User, user_id)


@wrong("10.load_author", "session left open")
async def wrong_session_left_open(Session: async_sessionmaker[AsyncSession], user_id: int) -> User:
    session = Session()
    return await session.scalar(select(User).where(User.id == user_id).options(selectinload(User.posts)))


@wrong("10.load_author", "joined without unique")
async def wrong_joined_without_unique(Session: async_sessionmaker[AsyncSession], user_id: int) -> User:
    async with Session() as session:
        result = await session.scalars(select(User).where(User.id == user_id).options(joinedload(User.posts)))
        return result.one()


@wrong("10.load_author", "one query per post")
async def wrong_one_query_per_post(Session: async_sessionmaker[AsyncSession], user_id: int) -> User:
    async with Session() as session:
        user = await session.get(User, user_id)
        ids = (await session.scalars(select(Post.id).where(Post.user_id == user_id))).all()
        for post_id in ids:
            await session.get(Post, post_id)
        await user.awaitable_attrs.posts
    return user

