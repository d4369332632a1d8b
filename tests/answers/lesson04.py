"""Known answers the checkers' authors wrote (moved from lessons/exercises/), with their verdicts."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import contains_eager, joinedload, selectinload, subqueryload

from lessons.core.models import Post, User
from tests.answers import right, wrong


@right("04.users_with_posts")
async def users_with_posts(session: AsyncSession, user_ids: list[int]) -> list[User]:
    statement = select(User).where(User.id.in_(user_ids)).order_by(User.id).options(selectinload(User.posts))
    return list((await session.scalars(statement)).all())


@right("04.users_with_posts")
async def right_execute_then_scalars(session: AsyncSession, user_ids: list[int]) -> list[User]:
    result = await session.execute(
        select(User).options(selectinload(User.posts)).filter(User.id.in_(user_ids)).order_by(User.id.asc())
    )
    return [user for user in result.scalars()]


@right("04.users_with_posts")
async def right_subqueryload(session: AsyncSession, user_ids: list[int]) -> Sequence[User]:
    # An older strategy, also two statements: the second repeats the first as a subquery.
    statement = select(User).where(User.id.in_(user_ids)).order_by(User.id).options(subqueryload(User.posts))
    return (await session.scalars(statement)).all()


@right("04.users_with_posts")
async def right_sorted_in_python(session: AsyncSession, user_ids: list[int]) -> list[User]:
    users = await session.scalars(select(User).filter(User.id.in_(set(user_ids))).options(selectinload(User.posts)))
    return sorted(users, key=lambda user: user.id)


@right("04.users_with_posts")
async def right_in_a_subquery(session: AsyncSession, user_ids: list[int]) -> list[User]:
    wanted = select(User.id).where(User.id.in_(user_ids)).scalar_subquery()
    statement = select(User).where(User.id.in_(wanted)).order_by(User.id).options(selectinload(User.posts))
    return list(await session.scalars(statement))


@wrong("04.users_with_posts", "inner join drops users without posts")
async def wrong_inner_join_drops_users_without_posts(session: AsyncSession, user_ids: list[int]) -> list[User]:
    statement = (
        select(User)
        .join(User.posts)
        .where(User.id.in_(user_ids))
        .order_by(User.id, Post.id)
        .options(contains_eager(User.posts))
    )
    return list((await session.scalars(statement)).unique().all())


@wrong("04.users_with_posts", "loads only published posts")
async def wrong_loads_only_published_posts(session: AsyncSession, user_ids: list[int]) -> list[User]:
    statement = (
        select(User)
        .where(User.id.in_(user_ids))
        .order_by(User.id)
        .options(selectinload(User.posts.and_(Post.published)))
    )
    return list((await session.scalars(statement)).all())


@wrong("04.users_with_posts", "awaitable attrs loop")
async def wrong_awaitable_attrs_loop(session: AsyncSession, user_ids: list[int]) -> list[User]:
    users = (await session.scalars(select(User).where(User.id.in_(user_ids)).order_by(User.id))).all()
    for user in users:
        await user.awaitable_attrs.posts
    return list(users)


@wrong("04.users_with_posts", "posts never loaded")
async def wrong_posts_never_loaded(session: AsyncSession, user_ids: list[int]) -> list[User]:
    return list((await session.scalars(select(User).where(User.id.in_(user_ids)).order_by(User.id))).all())


@wrong("04.users_with_posts", "lazy read in a loop")
async def wrong_lazy_read_in_a_loop(session: AsyncSession, user_ids: list[int]) -> list[User]:
    users = (await session.scalars(select(User).where(User.id.in_(user_ids)).order_by(User.id))).all()
    sum(len(user.posts) for user in users)  # the Eloquent habit: a plain read that would lazy load
    return list(users)


@wrong("04.users_with_posts", "joinedload")
async def wrong_joinedload(session: AsyncSession, user_ids: list[int]) -> list[User]:
    statement = select(User).where(User.id.in_(user_ids)).order_by(User.id).options(joinedload(User.posts))
    return list((await session.scalars(statement)).unique().all())


@wrong("04.users_with_posts", "filters in python")
async def wrong_filters_in_python(session: AsyncSession, user_ids: list[int]) -> list[User]:
    users = (await session.scalars(select(User).order_by(User.id).options(selectinload(User.posts)))).all()
    return [user for user in users if user.id in user_ids]


@wrong("04.users_with_posts", "unordered")
async def wrong_unordered(session: AsyncSession, user_ids: list[int]) -> list[User]:
    users = (await session.scalars(select(User).where(User.id.in_(user_ids)).options(selectinload(User.posts)))).all()
    by_id = {user.id: user for user in users}
    return [by_id[user_id] for user_id in user_ids if user_id in by_id]

