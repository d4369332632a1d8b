"""Practice for lesson 04: load a few users with their posts in exactly two statements (no N+1)."""

from __future__ import annotations

import gc
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, inspect, select
from sqlalchemy.exc import InvalidRequestError, MissingGreenlet, StatementError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import contains_eager, joinedload, selectinload, subqueryload

from lessons.database import LessonDatabase
from lessons.exercises.framework import Exercise, Incorrect, count_statements, register, show
from lessons.models import Post, User
from lessons.traps import forget_tracebacks

#: Out of order on purpose, and with a user who has written nothing yet (the seed's newest 20 have no posts).
USER_IDS = [12, 3, 57, 190]
#: The one of them with no posts: an inner join to posts loses it.
NO_POSTS = 190


async def users_with_posts(session: AsyncSession, user_ids: list[int]) -> list[User]:
    statement = select(User).where(User.id.in_(user_ids)).order_by(User.id).options(selectinload(User.posts))
    return list((await session.scalars(statement)).all())


async def _right_execute_then_scalars(session: AsyncSession, user_ids: list[int]) -> list[User]:
    result = await session.execute(
        select(User).options(selectinload(User.posts)).filter(User.id.in_(user_ids)).order_by(User.id.asc())
    )
    return [user for user in result.scalars()]


async def _right_subqueryload(session: AsyncSession, user_ids: list[int]) -> Sequence[User]:
    # An older strategy, also two statements: the second repeats the first as a subquery.
    statement = select(User).where(User.id.in_(user_ids)).order_by(User.id).options(subqueryload(User.posts))
    return (await session.scalars(statement)).all()


async def _wrong_awaitable_attrs_loop(session: AsyncSession, user_ids: list[int]) -> list[User]:
    users = (await session.scalars(select(User).where(User.id.in_(user_ids)).order_by(User.id))).all()
    for user in users:
        await user.awaitable_attrs.posts
    return list(users)


async def _wrong_posts_never_loaded(session: AsyncSession, user_ids: list[int]) -> list[User]:
    return list((await session.scalars(select(User).where(User.id.in_(user_ids)).order_by(User.id))).all())


async def _wrong_lazy_read_in_a_loop(session: AsyncSession, user_ids: list[int]) -> list[User]:
    users = (await session.scalars(select(User).where(User.id.in_(user_ids)).order_by(User.id))).all()
    sum(len(user.posts) for user in users)  # the Eloquent habit: a plain read that would lazy load
    return list(users)


async def _wrong_joinedload(session: AsyncSession, user_ids: list[int]) -> list[User]:
    statement = select(User).where(User.id.in_(user_ids)).order_by(User.id).options(joinedload(User.posts))
    return list((await session.scalars(statement)).unique().all())


async def _wrong_filters_in_python(session: AsyncSession, user_ids: list[int]) -> list[User]:
    users = (await session.scalars(select(User).order_by(User.id).options(selectinload(User.posts)))).all()
    return [user for user in users if user.id in user_ids]


async def _wrong_unordered(session: AsyncSession, user_ids: list[int]) -> list[User]:
    users = (await session.scalars(select(User).where(User.id.in_(user_ids)).options(selectinload(User.posts)))).all()
    by_id = {user.id: user for user in users}
    return [by_id[user_id] for user_id in user_ids if user_id in by_id]


async def _right_sorted_in_python(session: AsyncSession, user_ids: list[int]) -> list[User]:
    users = await session.scalars(select(User).filter(User.id.in_(set(user_ids))).options(selectinload(User.posts)))
    return sorted(users, key=lambda user: user.id)


async def _right_in_a_subquery(session: AsyncSession, user_ids: list[int]) -> list[User]:
    wanted = select(User.id).where(User.id.in_(user_ids)).scalar_subquery()
    statement = select(User).where(User.id.in_(wanted)).order_by(User.id).options(selectinload(User.posts))
    return list(await session.scalars(statement))


async def _wrong_inner_join_drops_users_without_posts(session: AsyncSession, user_ids: list[int]) -> list[User]:
    statement = (
        select(User)
        .join(User.posts)
        .where(User.id.in_(user_ids))
        .order_by(User.id, Post.id)
        .options(contains_eager(User.posts))
    )
    return list((await session.scalars(statement)).unique().all())


async def _wrong_loads_only_published_posts(session: AsyncSession, user_ids: list[int]) -> list[User]:
    statement = (
        select(User)
        .where(User.id.in_(user_ids))
        .order_by(User.id)
        .options(selectinload(User.posts.and_(Post.published)))
    )
    return list((await session.scalars(statement)).all())


def _release(error: BaseException) -> None:
    # A failed lazy load leaves an un-awaited coroutine in the error's frames; free it now, quietly, so its
    # "never awaited" warning does not surface later in some unrelated cell.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        forget_tracebacks(error)
        gc.collect()


@contextmanager
def _users_loaded() -> Iterator[list[int]]:
    """The id of every User the ORM builds from a row inside the block (the identity map is weak: it forgets)."""
    loaded: list[int] = []

    def on_load(user: User, context: Any) -> None:
        loaded.append(user.id)

    event.listen(User, "load", on_load)
    try:
        yield loaded
    finally:
        event.remove(User, "load", on_load)


@register
class UsersWithPosts(Exercise):
    id = "04.users_with_posts"
    title = "Load these users with their posts in exactly 2 statements"
    hints = [
        "Eloquent's User::with('posts')->whereIn('id', $ids)->orderBy('id')->get() runs two queries: "
        "the users, then every post of those users with one WHERE user_id IN (…). SQLAlchemy has a loader for that.",
        "select(User).where(User.id.in_(user_ids)).order_by(User.id).options(selectinload(User.posts)), "
        "then (await session.scalars(statement)).all().",
    ]
    reference = users_with_posts
    right_answers = [
        users_with_posts,
        _right_execute_then_scalars,
        _right_subqueryload,
        _right_sorted_in_python,
        _right_in_a_subquery,
    ]
    wrong_answers = [
        _wrong_inner_join_drops_users_without_posts,
        _wrong_loads_only_published_posts,
        _wrong_awaitable_attrs_loop,
        _wrong_posts_never_loaded,
        _wrong_lazy_read_in_a_loop,
        _wrong_joinedload,
        _wrong_filters_in_python,
        _wrong_unordered,
    ]

    async def judge(self, answer: Any, db: LessonDatabase) -> str:
        async with db.Session() as session:
            rows = (await session.execute(select(Post.user_id, Post.id).where(Post.user_id.in_(USER_IDS)))).all()
        expected = {user_id: sorted(post_id for owner, post_id in rows if owner == user_id) for user_id in USER_IDS}

        async with db.Session() as session:
            with count_statements() as queries, _users_loaded() as loaded:
                try:
                    got = await self.call(answer, session, list(USER_IDS))
                except (MissingGreenlet, StatementError) as error:
                    # aiosqlite and aiomysql raise it wrapped in StatementError, asyncpg as it is.
                    if not isinstance(error, MissingGreenlet) and not isinstance(error.orig, MissingGreenlet):
                        raise
                    _release(error)
                    raise Incorrect(
                        "your code read a relationship that was not loaded (user.posts): under asyncio that raises "
                        "MissingGreenlet (wrapped in StatementError on SQLite and MariaDB) instead of running a query. "
                        "Load the posts in the same query with .options(selectinload(User.posts))."
                    ) from None
                except InvalidRequestError as error:
                    if "unique()" not in str(error):
                        raise
                    raise Incorrect(
                        "joinedload on a collection needs .unique() on the result, and it loads everything in ONE "
                        "statement; this task asks for the two-statement loader, selectinload(User.posts)."
                    ) from None
            self._check_users(got, len(set(loaded)))
            self._check_posts(got, expected)
        return self._check_statements(queries.count, sum(len(posts) for posts in expected.values()))

    @staticmethod
    def _check_users(got: Any, loaded_users: int) -> None:
        if got is None:
            raise Incorrect("your function returned None; return the list of User objects.")
        if not isinstance(got, Sequence) or isinstance(got, str):
            raise Incorrect(f"return a list of User objects (`.all()` on the scalars), not a {type(got).__name__}.")
        strangers = [type(item).__name__ for item in got if not isinstance(item, User)]
        if strangers:
            raise Incorrect(
                f"return User objects, not {strangers[0]}: use session.scalars(...) (or .scalars() on the result)."
            )
        ids = [user.id for user in got]
        if missing := sorted(set(USER_IDS) - set(ids)):
            raise Incorrect(
                f"asked for users {USER_IDS}, you returned users {show(ids)}: user {missing[0]} is missing"
                + (" (it has no posts)" if missing[0] == NO_POSTS else "")
                + "."
            )
        if sorted(ids) != sorted(USER_IDS):
            raise Incorrect(
                f"asked for users {USER_IDS}, you returned {len(ids)} users {show(ids)}: "
                "keep only those ids with .where(User.id.in_(user_ids))."
            )
        if loaded_users > len(USER_IDS):
            raise Incorrect(
                f"the right users came back, but your code loaded {loaded_users} users to keep "
                f"{len(USER_IDS)}: filter in SQL with .where(User.id.in_(user_ids)), not in Python."
            )
        if ids != sorted(ids):
            raise Incorrect(f"the users came back in the order {ids}; return them in id order: .order_by(User.id).")

    @staticmethod
    def _check_posts(got: Sequence[User], expected: dict[int, list[int]]) -> None:
        for user in got:
            if "posts" in inspect(user).unloaded:
                raise Incorrect(
                    f"user {user.id}'s posts were not loaded: reading user.posts later would raise under asyncio. "
                    "Load them in the same query with .options(selectinload(User.posts))."
                )
            post_ids = [post.id for post in user.posts]
            if sorted(post_ids) != expected[user.id]:
                missing = sorted(set(expected[user.id]) - set(post_ids))
                extra = sorted(set(post_ids) - set(expected[user.id]))
                difference = f"without post {missing[0]}" if missing else f"with post {extra[0]}, not theirs"
                raise Incorrect(
                    f"user {user.id} has {len(expected[user.id])} posts in the database; the user you returned has "
                    f"{len(post_ids)}, {difference}."
                )

    @staticmethod
    def _check_statements(count: int, posts: int) -> str:
        users = len(USER_IDS)
        if count == 1 + users:
            raise Incorrect(
                f"right users and posts, but in {count} statements: one more for each of the {users} users. That is "
                "the N+1 problem. Load every user's posts at once with .options(selectinload(User.posts))."
            )
        if count == 1:
            raise Incorrect(
                "right users and posts in ONE statement. That is no N+1 either, but this task asks for "
                "the two-statement loader, Eloquent's with(): selectinload(User.posts)."
            )
        if count != 2:
            raise Incorrect(f"right users and posts, but in {count} statements; load them in exactly 2.")
        return f"{users} users and their {posts} posts in 2 statements: the users, then all their posts."
