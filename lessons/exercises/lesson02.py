"""Practice for lesson 02: create a user, committed, and survive a taken email with the session still usable."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from lessons.core.database import LessonDatabase
from lessons.core.models import User
from lessons.exercises.differential import Call, Differential, Entity, Run, observe
from lessons.exercises.framework import register
from lessons.exercises.worlds import World


async def create_user(session: AsyncSession, name: str, email: str) -> User | None:
    user = User(name=name, email=email)
    session.add(user)
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        return None
    return user


@register
class CreateUser(Differential):
    id = "02.create_user"
    title = "Create a user; a taken email returns None"
    hints = [
        "session.add(user), then await session.commit(); the UNIQUE constraint on users.email raises "
        "IntegrityError on a duplicate.",
        "Catch sqlalchemy.exc.IntegrityError around the commit, `await session.rollback()` inside the except "
        "block, then return None. Without the rollback the next statement raises PendingRollbackError.",
    ]
    reference = create_user
    # A refused INSERT uses up an id on PostgreSQL and MariaDB, a look-up first does not: ids are not compared.
    free_columns = {"users": {"id"}}

    def calls(self, world: World) -> list[Call]:
        taken = world.pick("users")
        name = world.rng.choice([row["name"] for row in world.rows["users"]])  # a namesake: names are not unique
        return [
            Call((name, f"New.{world.seed}@Example.test"), about="a new email, a name already used"),
            Call(("Somebody Else", taken["email"]), about="a taken email"),
            Call(("Zoë O'Brien", f"zoë.{world.seed}@example.test"), about="then another new one"),
        ]

    def observe(self, value: Any) -> Any:
        seen = observe(value)
        if isinstance(seen, Entity):  # the id depends on the backend's sequence (see free_columns)
            return Entity(seen.kind, tuple(item for item in seen.values if item[0] != "id"))
        return seen

    async def run(self, function: Callable[..., Any], db: LessonDatabase, world: World, run: Run, answer: bool) -> None:
        # "The checker calls your function three times on one session": the second call must leave it usable.
        await self.run_on_one_session(function, db, world, run, answer)
