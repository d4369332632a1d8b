"""Lesson 10's claims, on every backend: a session shared by concurrent coroutines fails, or mixes their work."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select
from sqlalchemy.exc import InvalidRequestError

from lessons.core.database import LessonDatabase
from lessons.core.models import Post


async def test_a_shared_session_refuses_while_provisioning(db: LessonDatabase) -> None:
    await db.engine.dispose()  # an empty pool: the first caller must wait for a new connection
    shared = db.Session()
    try:
        outcomes = await asyncio.gather(*(shared.get(Post, n) for n in range(1, 6)), return_exceptions=True)
    finally:
        await shared.close()
    errors = [outcome for outcome in outcomes if isinstance(outcome, Exception)]
    assert len(errors) == 4
    assert all(isinstance(error, InvalidRequestError) for error in errors)
    assert "provisioning a new connection" in str(errors[0])


async def test_a_shared_session_commits_another_callers_pending_row(db: LessonDatabase) -> None:
    shared = db.Session()
    added, committed = asyncio.Event(), asyncio.Event()

    async def caller_a() -> None:
        shared.add(Post(title="A's draft", user_id=1))
        added.set()
        await committed.wait()  # A's slow work; then A changes its mind
        await shared.rollback()

    async def caller_b() -> None:
        await added.wait()
        shared.add(Post(title="B's post", user_id=2))
        await shared.commit()
        committed.set()

    try:
        await asyncio.gather(caller_a(), caller_b())
    finally:
        await shared.close()
    async with db.Session() as session:
        titles = (await session.scalars(select(Post.title).where(Post.title.in_(["A's draft", "B's post"])))).all()
        assert sorted(titles) == ["A's draft", "B's post"]
        assert await session.scalar(select(func.count()).select_from(Post)) == 1002
