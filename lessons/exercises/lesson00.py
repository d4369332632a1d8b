"""Practice for lesson 00: count the active users, letting the database do the counting."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, literal_column, select, text, true
from sqlalchemy.ext.asyncio import AsyncSession

from lessons.database import LessonDatabase
from lessons.exercises.framework import (
    Exercise,
    Incorrect,
    committed,
    count_rows_fetched,
    count_statements,
    register,
    show,
    statements,
    unique_email,
    with_extra_rows,
)
from lessons.models import User


async def count_active_users(session: AsyncSession) -> int:
    return await session.scalar(select(func.count()).select_from(User).where(User.is_active))


async def _right_count_of_ids(session: AsyncSession) -> int:
    return await session.scalar(select(func.count(User.id)).where(User.is_active == true()))


async def _right_sum_of_case(session: AsyncSession) -> int:
    return await session.scalar(select(func.sum(case((User.is_active, 1), else_=0))))


async def _right_count_of_a_subquery(session: AsyncSession) -> int:
    active = select(User.id).where(User.is_active).subquery()
    return await session.scalar(select(func.count()).select_from(active))


async def _right_raw_sql(session: AsyncSession) -> int:
    result = await session.execute(text("SELECT count(*) FROM users WHERE is_active = :yes"), {"yes": True})
    return result.scalar_one()


async def _right_two_counts_subtracted(session: AsyncSession) -> int:
    everyone = await session.scalar(select(func.count(literal_column("*"))).select_from(User))
    inactive = await session.scalar(select(func.count()).select_from(User).where(User.is_active.is_(False)))
    return everyone - inactive


async def _wrong_counts_everyone(session: AsyncSession) -> int:
    return await session.scalar(select(func.count()).select_from(User))


async def _wrong_counts_in_python(session: AsyncSession) -> int:
    return len((await session.scalars(select(User).where(User.is_active))).all())


async def _wrong_counts_inactive(session: AsyncSession) -> int:
    return await session.scalar(select(func.count()).select_from(User).where(User.is_active.is_(False)))


async def _wrong_loads_the_inactive_and_subtracts(session: AsyncSession) -> int:
    everyone = await session.scalar(select(func.count()).select_from(User))
    inactive = (await session.scalars(select(User.id).where(User.is_active.is_(False)))).all()
    return everyone - len(inactive)


async def _wrong_filters_in_python(session: AsyncSession) -> int:
    flags = (await session.scalars(select(User.is_active))).all()
    return sum(1 for flag in flags if flag)


async def _wrong_remembers_the_seeded_number(session: AsyncSession) -> int:
    return 179


async def _wrong_returns_the_row(session: AsyncSession) -> Any:
    return (await session.execute(select(func.count()).select_from(User).where(User.is_active))).one()


def _is_whole_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, Decimal) and value == value.to_integral_value()  # SUM() on MariaDB is a DECIMAL


@register
class CountActiveUsers(Exercise):
    id = "00.count_active_users"
    title = "Count the active users"
    hints = [
        "Eloquent's User::where('is_active', true)->count() becomes one SELECT count(*) … WHERE … statement.",
        "select(func.count()).select_from(User).where(User.is_active), then await session.scalar(...) it.",
    ]
    reference = count_active_users
    right_answers = [
        count_active_users,
        _right_count_of_ids,
        _right_sum_of_case,
        _right_count_of_a_subquery,
        _right_raw_sql,
        _right_two_counts_subtracted,
    ]
    wrong_answers = [
        _wrong_counts_everyone,
        _wrong_counts_in_python,
        _wrong_counts_inactive,
        _wrong_loads_the_inactive_and_subtracts,
        _wrong_filters_in_python,
        _wrong_remembers_the_seeded_number,
        _wrong_returns_the_row,
    ]

    async def judge(self, answer: Any, db: LessonDatabase) -> str:
        # Users of the checker's own on top of the seed: a number remembered from the lesson is off by one.
        await with_extra_rows(
            db,
            User(name="Checker Active", email=unique_email(), is_active=True),
            User(name="Checker Inactive", email=unique_email(), is_active=False),
            User(name="Checker Inactive", email=unique_email(), is_active=False),
        )
        expected = (await committed(db, select(func.count()).select_from(User).where(User.is_active)))[0][0]
        total = (await committed(db, select(func.count()).select_from(User)))[0][0]
        async with db.Session() as session:
            with count_statements() as queries, count_rows_fetched() as fetched:
                got = await self.call(answer, session)
        if got is None:
            raise Incorrect("your function returned None; return the number (an int).")
        if not _is_whole_number(got):
            raise Incorrect(f"your function returned {show(got)} (a {type(got).__name__}); return the number, an int.")
        if got != expected:
            if got == total:
                raise Incorrect(f"you returned {got}, the number of *all* {total} users; keep those with is_active.")
            if got == total - expected:
                raise Incorrect(f"you returned {got}, the number of *inactive* users; {expected} users are active.")
            raise Incorrect(f"you returned {got}, but {expected} users are active (the checker added 1 active user).")
        for number, rows in enumerate(fetched.per_statement, 1):
            if rows > 1:
                raise Incorrect(
                    f"the number is right, but statement {number} of yours sent {rows} rows back to Python to be "
                    "counted there; let the database count with func.count(), so one row comes back."
                )
        return f"{int(got)} active users, counted by the database in {statements(queries.count)}."
