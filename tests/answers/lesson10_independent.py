"""Answers to lesson 10's practice (10.load_author), written from the task statement alone.

Spec: ``load_author(Session, user_id)`` opens a session of its own, closes it before returning, and returns the user
with their posts loaded (readable after the session closed; an empty list for a user with none); at most two
statements.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import contains_eager, joinedload, selectinload, with_loader_criteria
from sqlalchemy.orm.attributes import set_committed_value

from lessons.core.models import Post, User
from tests.answers import right, wrong

Factory = async_sessionmaker[AsyncSession]


@right("10.load_author")
async def load_with_selectinload(Session: Factory, user_id: int) -> User:
    async with Session() as session:
        return await session.scalar(select(User).where(User.id == user_id).options(selectinload(User.posts)))


@right("10.load_author")
async def load_with_joinedload(Session: Factory, user_id: int) -> User:
    # One statement: a LEFT OUTER JOIN; unique() folds the repeated user rows.
    async with Session() as session:
        result = await session.scalars(select(User).where(User.id == user_id).options(joinedload(User.posts)))
        return result.unique().one()


@right("10.load_author")
async def load_with_awaitable_attrs(Session: Factory, user_id: int) -> User:
    # get(), then the lazy load awaited while the session is still open: two statements.
    async with Session() as session:
        user = await session.get(User, user_id)
        await user.awaitable_attrs.posts
        return user


@right("10.load_author")
async def load_by_hand(Session: Factory, user_id: int) -> User:
    # Two explicit SELECTs; the list set as the loaded value of the relationship.
    async with Session() as session:
        user = await session.get(User, user_id)
        posts = (await session.scalars(select(Post).where(Post.user_id == user_id).order_by(Post.id))).all()
        set_committed_value(user, "posts", list(posts))
        return user


# Posts never loaded: reading user.posts after the session closed raises (lazy load without a session).
@wrong("10.load_author", "does not load the posts")
async def load_user_only(Session: Factory, user_id: int) -> User:
    async with Session() as session:
        return await session.get(User, user_id)


# Posts loaded, but the session is never closed: its connection stays checked out.
_left_open: list[AsyncSession] = []


@wrong("10.load_author", "never closes its session")
async def load_unclosed(Session: Factory, user_id: int) -> User:
    session = Session()
    _left_open.append(session)
    return await session.scalar(select(User).where(User.id == user_id).options(selectinload(User.posts)))


# One SELECT per post: more than two statements for an author with posts.
@wrong("10.load_author", "N+1: a SELECT per post")
async def load_post_by_post(Session: Factory, user_id: int) -> User:
    async with Session() as session:
        user = await session.get(User, user_id)
        ids = (await session.scalars(select(Post.id).where(Post.user_id == user_id).order_by(Post.id))).all()
        posts = [await session.get(Post, post_id) for post_id in ids]
        set_committed_value(user, "posts", posts)
        return user


# Wrong type: the posts, not the user.
@wrong("10.load_author", "returns the posts, not the user")
async def load_posts_only(Session: Factory, user_id: int) -> list[Post]:
    async with Session() as session:
        return list((await session.scalars(select(Post).where(Post.user_id == user_id))).all())


# Ignores user_id: always the author with the most posts (the seeded example's answer).
@wrong("10.load_author", "ignores user_id: always the top author")
async def load_top_author(Session: Factory, user_id: int) -> User:
    async with Session() as session:
        top = (
            select(Post.user_id).group_by(Post.user_id).order_by(func.count().desc(), Post.user_id).limit(1)
        ).scalar_subquery()
        return await session.scalar(select(User).where(User.id == top).options(selectinload(User.posts)))


# Builds its own AsyncSession (default expire_on_commit=True) instead of using the factory, and commits: the commit
# expires the user, which nothing can reload after the session closed.
@wrong("10.load_author", "own AsyncSession with expire_on_commit, then commit: returns an expired user")
async def load_then_commit(Session: Factory, user_id: int) -> User:
    async with AsyncSession(Session.kw["bind"]) as session:
        user = await session.scalar(select(User).where(User.id == user_id).options(selectinload(User.posts)))
        await session.commit()
        return user


# Inner join: a user who wrote nothing is not found (None instead of the user with an empty list).
@wrong("10.load_author", "inner join loses users with no posts")
async def load_inner_join(Session: Factory, user_id: int) -> User | None:
    async with Session() as session:
        statement = select(User).join(User.posts).where(User.id == user_id).options(contains_eager(User.posts))
        return (await session.scalars(statement)).unique().one_or_none()


# Only the published posts: the statement asks for every one of them.
@wrong("10.load_author", "loads only the published posts")
async def load_published_only(Session: Factory, user_id: int) -> User:
    async with Session() as session:
        statement = (
            select(User)
            .where(User.id == user_id)
            .options(selectinload(User.posts), with_loader_criteria(Post, Post.published))
        )
        return await session.scalar(statement)


# Caps the list at ten posts, as a page would: the top author has more.
@wrong("10.load_author", "caps the posts at ten")
async def load_first_ten(Session: Factory, user_id: int) -> User:
    async with Session() as session:
        user = await session.get(User, user_id)
        posts = (await session.scalars(select(Post).where(Post.user_id == user_id).order_by(Post.id).limit(10))).all()
        set_committed_value(user, "posts", list(posts))
        return user


# Wrong type: a Row holding the user, not the user.
@wrong("10.load_author", "returns a Row, not a User")
async def load_row(Session: Factory, user_id: int):
    async with Session() as session:
        result = await session.execute(select(User).where(User.id == user_id).options(selectinload(User.posts)))
        return result.first()
