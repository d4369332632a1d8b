"""Practice for lesson 10: hand back an author whose posts can still be read after the session has closed."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.exc import DetachedInstanceError

from lessons.database import LessonDatabase
from lessons.exercises.framework import Exercise, Incorrect, register
from lessons.models import Post, User
from lessons.sql import count_queries


async def load_author(Session: async_sessionmaker[AsyncSession], user_id: int) -> User:
    async with Session() as session:
        statement = select(User).where(User.id == user_id).options(selectinload(User.posts))
        return await session.scalar(statement)


async def _right_joined_and_unique(Session: async_sessionmaker[AsyncSession], user_id: int) -> User:
    async with Session() as session:
        result = await session.execute(select(User).options(joinedload(User.posts)).where(User.id == user_id))
        return result.unique().scalar_one()


async def _right_awaited_before_closing(Session: async_sessionmaker[AsyncSession], user_id: int) -> User:
    async with Session() as session:
        user = await session.get(User, user_id)
        await user.awaitable_attrs.posts
    return user


async def _wrong_posts_never_loaded(Session: async_sessionmaker[AsyncSession], user_id: int) -> User:
    async with Session() as session:
        return await session.get(User, user_id)


async def _wrong_session_left_open(Session: async_sessionmaker[AsyncSession], user_id: int) -> User:
    session = Session()
    return await session.scalar(select(User).where(User.id == user_id).options(selectinload(User.posts)))


async def _wrong_joined_without_unique(Session: async_sessionmaker[AsyncSession], user_id: int) -> User:
    async with Session() as session:
        result = await session.scalars(select(User).where(User.id == user_id).options(joinedload(User.posts)))
        return result.one()


async def _wrong_one_query_per_post(Session: async_sessionmaker[AsyncSession], user_id: int) -> User:
    async with Session() as session:
        user = await session.get(User, user_id)
        ids = (await session.scalars(select(Post.id).where(Post.user_id == user_id))).all()
        for post_id in ids:
            await session.get(Post, post_id)
        await user.awaitable_attrs.posts
    return user


class _TrackingSessionmaker(async_sessionmaker[AsyncSession]):
    """A session factory that keeps every session it makes, so the checker can find (and close) a forgotten one."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.made: list[AsyncSession] = []

    def __call__(self, **local_kw: Any) -> AsyncSession:
        session = super().__call__(**local_kw)
        self.made.append(session)
        return session


@register
class LoadAuthor(Exercise):
    id = "10.load_author"
    title = "Hand back an author whose posts survive the session"
    hints = [
        "Open the session with `async with Session() as session:` so it is closed when you return. Whatever "
        "you will read afterwards must be loaded before the block ends: a closed session cannot lazy-load.",
        "select(User).where(User.id == user_id).options(selectinload(User.posts)), awaited with "
        "session.scalar(...) inside the async with block: two statements, and user.posts is loaded.",
    ]
    reference = load_author
    right_answers = [load_author, _right_joined_and_unique, _right_awaited_before_closing]
    wrong_answers = [
        _wrong_posts_never_loaded,
        _wrong_session_left_open,
        _wrong_joined_without_unique,
        _wrong_one_query_per_post,
    ]

    async def judge(self, answer: Any, db: LessonDatabase) -> str:
        async with db.Session() as session:
            # The author with the most posts (the lowest id among equals): a collection worth loading.
            user_id = await session.scalar(
                select(Post.user_id).group_by(Post.user_id).order_by(func.count().desc(), Post.user_id).limit(1)
            )
            expected = (await session.scalars(select(Post.id).where(Post.user_id == user_id).order_by(Post.id))).all()
        Session = _TrackingSessionmaker(db.engine, expire_on_commit=False)
        try:
            with count_queries() as queries:
                user = await self.call(answer, Session, user_id)
            left_open = [session for session in Session.made if session.in_transaction()]
        finally:
            for session in Session.made:
                await session.close()
        if left_open:
            raise Incorrect(
                "your session was still open when the function returned, and nobody would ever close it (its "
                "connection stays checked out of the pool). Open it with `async with Session() as session:`."
            )
        if user is None:
            raise Incorrect("your function returned None; return the User object.")
        if not isinstance(user, User):
            raise Incorrect(f"your function returned a {type(user).__name__}; return the User object itself.")
        if user.id != user_id:
            raise Incorrect(f"you returned user {user.id}, but user {user_id} was asked for.")
        try:
            got = [post.id for post in user.posts]
        except DetachedInstanceError:
            raise Incorrect(
                "after your session closed, reading user.posts raised DetachedInstanceError: the posts were never "
                "loaded. Load them with the user, e.g. .options(selectinload(User.posts))."
            ) from None
        if sorted(got) != list(expected):
            raise Incorrect(f"user.posts holds {len(got)} posts, but user {user_id} wrote {len(expected)}.")
        if queries.count > 2:
            raise Incorrect(
                f"right posts, but {queries.count} statements ran; one or two are enough "
                "(selectinload: the user, then all the posts at once)."
            )
        return (
            f"user {user_id} came back detached with all {len(got)} posts loaded, "
            f"in {queries.count} statement{'s' if queries.count > 1 else ''}."
        )
