"""Answers to lesson 04's practice, written from the task statement alone (not from the checker).

04.users_with_posts: the ``User`` objects whose id is in ``user_ids``, in id order, each with its ``posts`` loaded,
in **exactly 2 statements**, filtered in SQL (the database sends back only those users).
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload, subqueryload
from sqlalchemy.orm.attributes import set_committed_value

from lessons.core.models import Post, User
from tests.answers import right, wrong

# --------------------------------------------------------------------------------------------------------------
# Right
# --------------------------------------------------------------------------------------------------------------


@right("04.users_with_posts")
async def selectinload_posts(session: AsyncSession, user_ids: list[int]) -> list[User]:
    statement = select(User).where(User.id.in_(user_ids)).order_by(User.id).options(selectinload(User.posts))
    return list((await session.scalars(statement)).all())


@right("04.users_with_posts")
async def subqueryload_posts(session: AsyncSession, user_ids: list[int]) -> list[User]:
    statement = select(User).where(User.id.in_(user_ids)).order_by(User.id).options(subqueryload(User.posts))
    return list((await session.scalars(statement)).all())


@right("04.users_with_posts")
async def two_queries_stitched_by_hand(session: AsyncSession, user_ids: list[int]) -> list[User]:
    users = list((await session.scalars(select(User).where(User.id.in_(user_ids)).order_by(User.id))).all())
    posts = await session.scalars(select(Post).where(Post.user_id.in_([user.id for user in users])).order_by(Post.id))
    by_user: dict[int, list[Post]] = defaultdict(list)
    for post in posts:
        by_user[post.user_id].append(post)
    for user in users:
        set_committed_value(user, "posts", by_user[user.id])
    return users


@right("04.users_with_posts")
async def get_style_loader_on_a_filtered_select(session: AsyncSession, user_ids: list[int]) -> list[User]:
    # Ids as a set first (duplicates in the input change nothing), the loader given through the statement.
    wanted = sorted(set(user_ids))
    result = await session.execute(select(User).filter(User.id.in_(wanted)).options(selectinload(User.posts)))
    return sorted(result.scalars().all(), key=lambda user: user.id)


@right("04.users_with_posts")
async def posts_and_the_profile_too(session: AsyncSession, user_ids: list[int]) -> list[User]:
    # The statement asks for posts loaded in exactly 2 statements; it does not forbid loading more in them. The
    # profile rides along in the first statement (a LEFT OUTER JOIN, one row per user), so still 2 statements.
    statement = (
        select(User)
        .where(User.id.in_(user_ids))
        .order_by(User.id)
        .options(selectinload(User.posts), joinedload(User.profile))
    )
    return list((await session.scalars(statement)).all())


# --------------------------------------------------------------------------------------------------------------
# Wrong (each names the input on which it differs)
# --------------------------------------------------------------------------------------------------------------


# 1 + N statements.
@wrong("04.users_with_posts", "N+1: awaitable_attrs in a loop")
async def awaitable_attrs_loop(session: AsyncSession, user_ids: list[int]) -> list[User]:
    users = list((await session.scalars(select(User).where(User.id.in_(user_ids)).order_by(User.id))).all())
    for user in users:
        await user.awaitable_attrs.posts
    return users


# One statement, not exactly two.
@wrong("04.users_with_posts", "joinedload: 1 statement where the task says exactly 2")
async def joinedload_posts(session: AsyncSession, user_ids: list[int]) -> list[User]:
    statement = select(User).where(User.id.in_(user_ids)).order_by(User.id).options(joinedload(User.posts))
    return list((await session.scalars(statement)).unique().all())


# The database sends back all 200 users (and all their posts); Python keeps the asked ones.
@wrong("04.users_with_posts", "filters in Python: every user is sent back")
async def filters_in_python(session: AsyncSession, user_ids: list[int]) -> list[User]:
    users = (await session.scalars(select(User).order_by(User.id).options(selectinload(User.posts)))).all()
    wanted = set(user_ids)
    return [user for user in users if user.id in wanted]


# [5, 3] gives users 5 then 3: input order, not id order.
@wrong("04.users_with_posts", "keeps the input order instead of id order")
async def input_order(session: AsyncSession, user_ids: list[int]) -> list[User]:
    users = (await session.scalars(select(User).where(User.id.in_(user_ids)).options(selectinload(User.posts)))).all()
    by_id = {user.id: user for user in users}
    return [by_id[user_id] for user_id in user_ids if user_id in by_id]


# Rows (one-element named tuples), not User objects.
@wrong("04.users_with_posts", "returns Rows instead of User objects")
async def returns_rows(session: AsyncSession, user_ids: list[int]) -> list[User]:
    statement = select(User).where(User.id.in_(user_ids)).order_by(User.id).options(selectinload(User.posts))
    return list((await session.execute(statement)).all())


# posts never loaded: reading user.posts raises (1 statement).
@wrong("04.users_with_posts", "no loader: posts not loaded")
async def posts_not_loaded(session: AsyncSession, user_ids: list[int]) -> list[User]:
    return list((await session.scalars(select(User).where(User.id.in_(user_ids)).order_by(User.id))).all())


# A user with no posts in user_ids is dropped by the inner join.
@wrong("04.users_with_posts", "inner join on posts: users with no posts are dropped")
async def inner_join_drops_postless(session: AsyncSession, user_ids: list[int]) -> list[User]:
    statement = (
        select(User)
        .join(User.posts)
        .where(User.id.in_(user_ids))
        .distinct()
        .order_by(User.id)
        .options(selectinload(User.posts))
    )
    return list((await session.scalars(statement)).all())


# 3 statements: the comments too.
@wrong("04.users_with_posts", "also loads every post's comments: 3 statements")
async def loads_comments_too(session: AsyncSession, user_ids: list[int]) -> list[User]:
    statement = (
        select(User)
        .where(User.id.in_(user_ids))
        .order_by(User.id)
        .options(selectinload(User.posts).selectinload(Post.comments))
    )
    return list((await session.scalars(statement)).all())


# 11 ids: only the first 10 users come back.
@wrong("04.users_with_posts", "a remembered page size: at most 10 users")
async def capped_at_ten(session: AsyncSession, user_ids: list[int]) -> list[User]:
    statement = select(User).where(User.id.in_(user_ids)).order_by(User.id).limit(10).options(selectinload(User.posts))
    return list((await session.scalars(statement)).all())


# A ScalarResult (iterable once), not a list.
@wrong("04.users_with_posts", "returns the ScalarResult instead of a list")
async def returns_scalar_result(session: AsyncSession, user_ids: list[int]) -> list[User]:
    statement = select(User).where(User.id.in_(user_ids)).order_by(User.id).options(selectinload(User.posts))
    return await session.scalars(statement)


# Posts stitched by hand, but only the published ones: a user's drafts are missing from user.posts.
@wrong("04.users_with_posts", "loads only published posts into posts")
async def only_published_posts(session: AsyncSession, user_ids: list[int]) -> list[User]:
    users = list((await session.scalars(select(User).where(User.id.in_(user_ids)).order_by(User.id))).all())
    posts = await session.scalars(select(Post).where(Post.user_id.in_(user_ids), Post.published).order_by(Post.id))
    by_user: dict[int, list[Post]] = defaultdict(list)
    for post in posts:
        by_user[post.user_id].append(post)
    for user in users:
        set_committed_value(user, "posts", by_user[user.id])
    return users
