"""Practice for lesson 10: hand back an author whose posts can still be read after the session has closed."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from lessons.core.database import LessonDatabase
from lessons.core.models import User
from lessons.exercises.differential import Call, Differential, Note, Run, at_most, observe
from lessons.exercises.framework import register
from lessons.exercises.worlds import World


async def load_author(Session: async_sessionmaker[AsyncSession], user_id: int) -> User:
    async with Session() as session:
        statement = select(User).where(User.id == user_id).options(selectinload(User.posts))
        return await session.scalar(statement)


class _TrackingSessionmaker(async_sessionmaker[AsyncSession]):
    """A session factory that keeps every session it makes, so the checker can find (and close) a forgotten one."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.made: list[AsyncSession] = []

    def __call__(self, **local_kw: Any) -> AsyncSession:
        session = super().__call__(**local_kw)
        self.made.append(session)
        return session


@register
class LoadAuthor(Differential):
    id = "10.load_author"
    title = "Hand back an author whose posts survive the session"
    hints = [
        "Open the session with `async with Session() as session:` so it is closed when you return. Whatever "
        "you will read afterwards must be loaded before the block ends: a closed session cannot lazy-load.",
        "select(User).where(User.id == user_id).options(selectinload(User.posts)), awaited with "
        "session.scalar(...) inside the async with block: two statements, and user.posts is loaded.",
    ]
    reference = load_author

    def world(self, seed: int) -> World:
        world = super().world(seed)
        # More posts than a page (or a LIMIT 10) holds, drafts among them.
        busy = world.rows["users"][-1]["id"]
        for number in range(12):
            world.add("posts", title=f"post {number}", user_id=busy, published=number % 3 == 0)
        return world

    def calls(self, world: World) -> list[Call]:
        counts = Counter(post["user_id"] for post in world.rows["posts"])
        most = min(counts, key=lambda user: (-counts[user], user))
        others = [user for user in world.ids("users") if user != most and counts[user]]
        return [
            Call((most,), f"load_author(Session, {most})", "the author with the most posts"),
            Call((world.ids("users")[0],), f"load_author(Session, {world.ids('users')[0]})", "a user with no posts"),
            *[Call((user,), f"load_author(Session, {user})", "another author") for user in others[:1]],
        ]

    async def run(self, function: Callable[..., Any], db: LessonDatabase, world: World, run: Run, answer: bool) -> None:
        for call in self.calls(world):
            Session = _TrackingSessionmaker(db.engine, expire_on_commit=False)
            run.abouts.append(call.about)
            try:
                await self.one_call(function, Session, call.args, call.label, run, answer)
                left_open = [session for session in Session.made if session.in_transaction()]
            finally:
                for session in Session.made:
                    await session.close()
            if left_open and answer:
                run.problem = run.problem or (
                    f"{call.label}: your session was still open when the function returned, and nobody would ever "
                    "close it (its connection stays checked out of the pool). Open it with "
                    "`async with Session() as session:`"
                )

    def observe(self, value: Any) -> Any:
        # "with their posts loaded": read afterwards, with no session; any order of the posts will do
        if isinstance(value, User):
            state = inspect(value)
            posts = state.dict.get("posts")
            if state.expired_attributes and state.identity:
                return Note(
                    f"user {state.identity[0]} expired (a commit expired it, and nothing can reload it once the "
                    "session is closed)"
                )
            if posts is None:
                return Note(f"{observe(value)!r} without its posts loaded")
            return {"user": observe(value), "posts": sorted(observe(list(posts)), key=repr)}
        return observe(value)

    def properties(self, reference: Run, answer: Run, world: World) -> str | None:
        found = at_most(2, answer.statements)
        return found and f"{found}: the user, then all their posts in one IN (…) query (selectinload)"
