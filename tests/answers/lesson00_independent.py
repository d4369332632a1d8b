"""Answers to lesson 00's practice, written from the task statement alone (not from the checker).

00.count_active_users: "returns how many users have `is_active` set, **counted by the database**".
"""

from __future__ import annotations

from sqlalchemy import Integer, case, cast, distinct, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from lessons.core.models import Post, User
from tests.answers import right, wrong

# --------------------------------------------------------------------------------------------------------------
# Right
# --------------------------------------------------------------------------------------------------------------


@right("00.count_active_users")
async def count_star_where_active(session: AsyncSession) -> int:
    return await session.scalar(select(func.count()).select_from(User).where(User.is_active.is_(True)))


@right("00.count_active_users")
async def count_ids_of_a_subquery(session: AsyncSession) -> int:
    active = select(User.id).where(User.is_active).subquery()
    return await session.scalar(select(func.count(active.c.id)))


@right("00.count_active_users")
async def raw_sql_with_a_bound_flag(session: AsyncSession) -> int:
    result = await session.execute(text("SELECT COUNT(*) FROM users WHERE is_active = :flag"), {"flag": True})
    return int(result.scalar_one())


@right("00.count_active_users")
async def sum_of_a_case_with_coalesce(session: AsyncSession) -> int:
    # SUM of no rows is NULL: coalesce makes an empty table 0.
    total = func.coalesce(func.sum(case((User.is_active, 1), else_=0)), 0)
    return int(await session.scalar(select(total)))


# --------------------------------------------------------------------------------------------------------------
# Wrong (each names the input on which it differs)
# --------------------------------------------------------------------------------------------------------------


# Differs on the seed itself: 200, not the active ones.
@wrong("00.count_active_users", "counts every user, active or not")
async def counts_everyone(session: AsyncSession) -> int:
    return await session.scalar(select(func.count()).select_from(User))


# Right number, but the database sends every active user over and Python counts them.
@wrong("00.count_active_users", "counts in Python, not in the database")
async def counts_in_python(session: AsyncSession) -> int:
    return len((await session.scalars(select(User).where(User.is_active))).all())


# Differs as soon as any user is (de)activated or added.
@wrong("00.count_active_users", "a remembered number from the lesson's seed")
async def remembered_number(session: AsyncSession) -> int:
    return 180


# A Row, not an int (Row == (180,), never == 180).
@wrong("00.count_active_users", "returns a Row instead of an int")
async def returns_a_row(session: AsyncSession) -> int:
    return (await session.execute(select(func.count()).select_from(User).where(User.is_active))).one()


# Differs on the seed: the inactive ones.
@wrong("00.count_active_users", "negated condition: counts the inactive users")
async def counts_inactive(session: AsyncSession) -> int:
    return await session.scalar(select(func.count()).select_from(User).where(User.is_active.is_(False)))


# On an empty users table SUM is NULL: returns None instead of 0.
@wrong("00.count_active_users", "SUM without COALESCE: None on an empty table")
async def sum_without_coalesce(session: AsyncSession) -> int:
    return await session.scalar(select(func.sum(cast(User.is_active, Integer))))


# Two active users sharing a name count once.
@wrong("00.count_active_users", "counts distinct names: namesakes count once")
async def counts_distinct_names(session: AsyncSession) -> int:
    return await session.scalar(select(func.count(distinct(User.name))).where(User.is_active))


# A join multiplies: an active user with 5 posts counts 5 times, one with none not at all.
@wrong("00.count_active_users", "counts rows of a join with posts")
async def counts_join_rows(session: AsyncSession) -> int:
    return await session.scalar(select(func.count()).select_from(User).join(Post).where(User.is_active))


# Active AND verified: drops active users whose email_verified_at is NULL.
@wrong("00.count_active_users", "confuses active with verified (also requires email_verified_at)")
async def counts_verified_active(session: AsyncSession) -> int:
    statement = select(func.count()).select_from(User).where(User.is_active, User.email_verified_at.is_not(None))
    return await session.scalar(statement)


# A str, not an int: "180" != 180.
@wrong("00.count_active_users", "returns the count as a string")
async def returns_a_string(session: AsyncSession) -> int:
    return str(await session.scalar(select(func.count()).select_from(User).where(User.is_active)))
