"""Practice for lesson 00: count the active users, letting the database do the counting."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from lessons.core.models import User
from lessons.exercises.differential import Differential, Run, observe
from lessons.exercises.framework import register
from lessons.exercises.worlds import World


async def count_active_users(session: AsyncSession) -> int:
    return await session.scalar(select(func.count()).select_from(User).where(User.is_active))


@register
class CountActiveUsers(Differential):
    id = "00.count_active_users"
    title = "Count the active users"
    hints = [
        "Eloquent's User::where('is_active', true)->count() becomes one SELECT count(*) … WHERE … statement.",
        "select(func.count()).select_from(User).where(User.is_active), then await session.scalar(...) it.",
    ]
    reference = count_active_users
    databases = 3

    def world(self, seed: int) -> World:
        world = super().world(seed)
        if seed == self.seeds()[-1]:  # the last database has no users at all: the count is 0, never None
            world.rows = {table: [] for table in world.rows}
        return world

    def observe(self, value: Any) -> Any:
        # MariaDB's SUM() is a DECIMAL: a whole one is the number the task asks for.
        if isinstance(value, Decimal) and value == value.to_integral_value():
            value = int(value)
        return observe(value)

    def properties(self, reference: Run, answer: Run, world: World) -> str | None:
        for fetched in answer.fetched:
            for number, rows in enumerate(fetched.per_statement, 1):
                if rows > 1:
                    return (
                        f"the number is right, but statement {number} of yours sent {rows} rows back to Python to be "
                        "counted there; let the database count with func.count(), so one row comes back"
                    )
        return None
