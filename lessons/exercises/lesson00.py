"""Practice for lesson 00: count the active users, letting the database do the counting."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from lessons.database import LessonDatabase
from lessons.exercises.framework import Exercise, Incorrect, register
from lessons.models import User
from lessons.sql import count_queries


async def count_active_users(session: AsyncSession) -> int:
    return await session.scalar(select(func.count()).select_from(User).where(User.is_active))


async def _right_count_of_ids(session: AsyncSession) -> int:
    return await session.scalar(select(func.count(User.id)).where(User.is_active == true()))


async def _wrong_counts_everyone(session: AsyncSession) -> int:
    return await session.scalar(select(func.count()).select_from(User))


async def _wrong_counts_in_python(session: AsyncSession) -> int:
    return len((await session.scalars(select(User).where(User.is_active))).all())


async def _wrong_counts_inactive(session: AsyncSession) -> int:
    return await session.scalar(select(func.count()).select_from(User).where(User.is_active.is_(False)))


@register
class CountActiveUsers(Exercise):
    id = "00.count_active_users"
    title = "Count the active users"
    hints = [
        "Eloquent's User::where('is_active', true)->count() becomes one SELECT count(*) … WHERE … statement.",
        "select(func.count()).select_from(User).where(User.is_active), then await session.scalar(...) it.",
    ]
    reference = count_active_users
    right_answers = [count_active_users, _right_count_of_ids]
    wrong_answers = [_wrong_counts_everyone, _wrong_counts_in_python, _wrong_counts_inactive]

    async def judge(self, answer: Any, db: LessonDatabase) -> str:
        async with db.Session() as session:
            expected = await session.scalar(select(func.count()).select_from(User).where(User.is_active))
            total = await session.scalar(select(func.count()).select_from(User))
        async with db.Session() as session:
            with count_queries() as queries:
                got = await self.call(answer, session)
        if got is None:
            raise Incorrect("your function returned None; return the number (an int).")
        if got == total and total != expected:
            raise Incorrect(f"you returned {got}, the number of *all* users; keep only those with is_active.")
        if got != expected:
            raise Incorrect(f"you returned {got!r}, but {expected} users are active.")
        sql = " ".join(statement.sql.lower() for statement in queries.statements)
        if "count(" not in sql:
            raise Incorrect(
                f"the number is right, but you loaded {expected} rows to count them in Python; "
                "let the database count with func.count()."
            )
        return f"{got} active users, counted by the database in {queries.count} statement."
