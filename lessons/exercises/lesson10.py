"""Practice for lesson 10: hand back an author whose posts can still be read after the session has closed."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import contains_eager, joinedload, selectinload
from sqlalchemy.orm.exc import DetachedInstanceError

from lessons.database import LessonDatabase
from lessons.exercises.framework import Exercise, Incorrect, count_statements, register, statements
from lessons.models import Post, User


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


async def _right_outer_join_contains_eager(Session: async_sessionmaker[AsyncSession], user_id: int) -> User:
    # One statement: the LEFT JOIN keeps a user with no posts; contains_eager fills user.posts from it.
    statement = (
        select(User).outerjoin(User.posts).options(contains_eager(User.posts)).where(User.id == user_id)
    )
    async with Session() as session:
        return (await session.execute(statement)).unique().scalar_one()


async def _wrong_inner_join(Session: async_sessionmaker[AsyncSession], user_id: int) -> User | None:
    # An inner join has no row for a user without posts: that user comes back as None.
    statement = select(User).join(User.posts).options(contains_eager(User.posts)).where(User.id == user_id)
    async with Session() as session:
        return (await session.execute(statement)).unique().scalar_one_or_none()


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
    right_answers = [
        load_author,
        _right_joined_and_unique,
        _right_awaited_before_closing,
        _right_outer_join_contains_eager,
    ]
    wrong_answers = [
        _wrong_inner_join,
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
            # The checker's own row: a user who has written nothing (user.posts must still be loaded: []).
            idle = User(name="Nobody Writes", email="idle@example.net")
            session.add(idle)
            await session.commit()
            idle_id = idle.id
        message = ""
        for who in (user_id, idle_id):
            async with db.Session() as session:
                expected = (await session.scalars(select(Post.id).where(Post.user_id == who).order_by(Post.id))).all()
            described = f"user {who}" + (" (who has no posts)" if who == idle_id else f" ({len(expected)} posts)")
            got, count = await self._load(answer, db, who, described)
            if sorted(got) != list(expected):
                raise Incorrect(
                    f"for {described}, user.posts holds {len(got)} posts (ids {sorted(got)[:5]}); expected "
                    f"{list(expected)[:5]}{'…' if len(expected) > 5 else ''}."
                )
            if who == user_id:
                message = (
                    f"user {user_id} came back detached with all {len(got)} posts loaded, in {statements(count)}; "
                    f"user {idle_id}, who wrote nothing, came back with an empty list."
                )
        return message

    async def _load(self, answer: Any, db: LessonDatabase, user_id: int, described: str) -> tuple[list[int], int]:
        Session = _TrackingSessionmaker(db.engine, expire_on_commit=False)
        try:
            with count_statements() as queries:
                user = await self.call(answer, Session, user_id)
            left_open = [session for session in Session.made if session.in_transaction()]
        finally:
            for session in Session.made:
                await session.close()
        if left_open:
            raise Incorrect(
                f"asked for {described}, your session was still open when the function returned, and nobody would "
                "ever close it (its connection stays checked out of the pool). Open it with "
                "`async with Session() as session:`."
            )
        if user is None:
            raise Incorrect(f"asked for {described}, your function returned None; return the User object.")
        if not isinstance(user, User):
            raise Incorrect(f"asked for {described}, your function returned a {type(user).__name__}; return the User.")
        if user.id != user_id:
            raise Incorrect(f"you returned user {user.id}, but user {user_id} was asked for.")
        try:
            got = [post.id for post in user.posts]
        except DetachedInstanceError:
            raise Incorrect(
                f"asked for {described}: after your session closed, reading user.posts raised "
                "DetachedInstanceError: the posts were never loaded. Load them with the user, e.g. "
                ".options(selectinload(User.posts))."
            ) from None
        if queries.count > 2:
            listing = "\n".join(f"{n}. {s.sql.splitlines()[0][:100]}" for n, s in enumerate(queries.statements[:5], 1))
            more = "\n…" if queries.count > 5 else ""
            raise Incorrect(
                f"asked for {described}, {statements(queries.count)} ran; one or two are enough "
                f"(selectinload: the user, then all the posts at once):\n{listing}{more}"
            )
        return got, queries.count
