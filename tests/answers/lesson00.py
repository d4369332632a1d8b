"""Known answers the checkers' authors wrote (moved from lessons/exercises/), with their verdicts."""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, func, literal_column, select, text, true
from sqlalchemy.ext.asyncio import AsyncSession

from lessons.core.models import User
from tests.answers import right, wrong


@right("00.count_active_users")
async def count_active_users(session: AsyncSession) -> int:
    return await session.scalar(select(func.count()).select_from(User).where(User.is_active))


@right("00.count_active_users")
async def right_count_of_ids(session: AsyncSession) -> int:
    return await session.scalar(select(func.count(User.id)).where(User.is_active == true()))


@wrong("00.count_active_users", "SUM over no rows is NULL: None, not 0, when nobody is active")
async def wrong_sum_of_case(session: AsyncSession) -> int:
    return await session.scalar(select(func.sum(case((User.is_active, 1), else_=0))))


@right("00.count_active_users")
async def right_count_of_a_subquery(session: AsyncSession) -> int:
    active = select(User.id).where(User.is_active).subquery()
    return await session.scalar(select(func.count()).select_from(active))


@right("00.count_active_users")
async def right_raw_sql(session: AsyncSession) -> int:
    result = await session.execute(text("SELECT count(*) FROM users WHERE is_active = :yes"), {"yes": True})
    return result.scalar_one()


@right("00.count_active_users")
async def right_two_counts_subtracted(session: AsyncSession) -> int:
    everyone = await session.scalar(select(func.count(literal_column("*"))).select_from(User))
    inactive = await session.scalar(select(func.count()).select_from(User).where(User.is_active.is_(False)))
    return everyone - inactive


@wrong("00.count_active_users", "counts everyone")
async def wrong_counts_everyone(session: AsyncSession) -> int:
    return await session.scalar(select(func.count()).select_from(User))


@wrong("00.count_active_users", "counts in python")
async def wrong_counts_in_python(session: AsyncSession) -> int:
    return len((await session.scalars(select(User).where(User.is_active))).all())


@wrong("00.count_active_users", "counts inactive")
async def wrong_counts_inactive(session: AsyncSession) -> int:
    return await session.scalar(select(func.count()).select_from(User).where(User.is_active.is_(False)))


@wrong("00.count_active_users", "loads the inactive and subtracts")
async def wrong_loads_the_inactive_and_subtracts(session: AsyncSession) -> int:
    everyone = await session.scalar(select(func.count()).select_from(User))
    inactive = (await session.scalars(select(User.id).where(User.is_active.is_(False)))).all()
    return everyone - len(inactive)


@wrong("00.count_active_users", "filters in python")
async def wrong_filters_in_python(session: AsyncSession) -> int:
    flags = (await session.scalars(select(User.is_active))).all()
    return sum(1 for flag in flags if flag)


@wrong("00.count_active_users", "remembers the seeded number")
async def wrong_remembers_the_seeded_number(session: AsyncSession) -> int:
    return 179


@wrong("00.count_active_users", "returns the row")
async def wrong_returns_the_row(session: AsyncSession) -> Any:
    return (await session.execute(select(func.count()).select_from(User).where(User.is_active))).one()

