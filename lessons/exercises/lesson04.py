"""Practice for lesson 04: load users with their posts in exactly two statements (no N+1, no lazy load)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from lessons.core.models import User
from lessons.exercises.differential import Call, Differential, Note, Run, observe
from lessons.exercises.framework import register
from lessons.exercises.worlds import World, blog_world


async def users_with_posts(session: AsyncSession, user_ids: list[int]) -> list[User]:
    statement = select(User).where(User.id.in_(user_ids)).order_by(User.id).options(selectinload(User.posts))
    return list((await session.scalars(statement)).all())


@register
class UsersWithPosts(Differential):
    id = "04.users_with_posts"
    title = "Users with their posts, in two statements"
    hints = [
        "Eloquent's User::with('posts')->whereIn('id', $ids)->orderBy('id')->get() runs two queries: "
        "the users, then every post of those users with one WHERE user_id IN (…). SQLAlchemy has a loader for that.",
        "select(User).where(User.id.in_(user_ids)).order_by(User.id).options(selectinload(User.posts)), "
        "then (await session.scalars(statement)).all().",
    ]
    reference = users_with_posts

    def world(self, seed: int) -> World:
        return blog_world(seed, users=12 + seed % 20)  # more users than a page of 10

    def calls(self, world: World) -> list[Call]:
        users = world.ids("users")
        some = world.rng.sample(users, min(len(users), world.rng.randint(2, 6)))
        lonely = users[0]  # no posts: an inner join to posts would drop them
        return [
            Call((sorted(some, reverse=True),), about="ids in reverse order"),
            Call(([lonely, world.missing_id("users"), users[-1]],), about="a user with no posts and an unknown id"),
            Call((list(users),), about=f"all {len(users)} users"),
        ]

    def observe(self, value: Any) -> Any:
        # "each with its posts loaded": the caller reads user.posts after the session closed
        if isinstance(value, list):
            seen = []
            for user in value:
                posts = inspect(user).dict.get("posts") if isinstance(user, User) else None
                if isinstance(user, User) and posts is None:
                    seen.append(Note(f"{observe(user)!r} without its posts loaded"))
                else:
                    seen.append({"user": observe(user), "posts": observe(list(posts or []))})
            return seen
        return observe(value)

    def properties(self, reference: Run, answer: Run, world: World) -> str | None:
        for number, (want, got) in enumerate(zip(reference.statements, answer.statements, strict=True), 1):
            if got != want:
                return (
                    f"call {number} ran {got} statements; the task asks for exactly {want}: the users, then all "
                    "their posts in one IN (…) query (selectinload)"
                )
        for number, (want, got) in enumerate(zip(reference.fetched, answer.fetched, strict=True), 1):
            if got.total > want.total:
                return (
                    f"call {number} fetched {got.total} rows where {want.total} are needed: filter the users in SQL "
                    "(WHERE id IN …), so the database sends back only those users"
                )
        return None
