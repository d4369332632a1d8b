"""Known answers the checkers' authors wrote (moved from lessons/exercises/), with their verdicts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, func, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from lessons.core import clock
from lessons.core.models import Post
from tests.answers import right, wrong


@right("09.unpublish_old_posts")
async def unpublish_old_posts(session: AsyncSession, before: datetime) -> int:
    result = await session.execute(
        update(Post).where(Post.published, Post.created_at < before).values(published=False)
    )
    return result.rowcount


@right("09.unpublish_old_posts")
async def right_explicit_stamp(session: AsyncSession, before: datetime) -> int:
    statement = (
        update(Post)
        .where(Post.created_at < before, Post.published == true())
        .values(published=False, updated_at=clock.now())
    )
    return (await session.execute(statement)).rowcount


@right("09.unpublish_old_posts")
async def right_fetch(session: AsyncSession, before: datetime) -> int:
    result = await session.execute(
        update(Post).where(Post.published.is_(True)).where(Post.created_at < before).values(published=False),
        execution_options={"synchronize_session": "fetch"},
    )
    return result.rowcount


@right("09.unpublish_old_posts")
async def right_not_on_or_after(session: AsyncSession, before: datetime) -> int:
    # "not on or after" is "before"; the count read back from the same transaction, which sees its own UPDATE.
    old = and_(Post.published == True, ~(Post.created_at >= before))  # noqa: E712
    candidates = await session.scalar(select(func.count()).select_from(Post).where(old))
    statement = update(Post).where(old).values(published=False).execution_options(synchronize_session="evaluate")
    await session.execute(statement)
    return candidates


@wrong("09.unpublish_old_posts", "loads and loops")
async def wrong_loads_and_loops(session: AsyncSession, before: datetime) -> int:
    posts = (await session.scalars(select(Post).where(Post.published, Post.created_at < before))).all()
    for post in posts:
        post.published = False
    await session.flush()
    return len(posts)


@wrong("09.unpublish_old_posts", "without synchronizing")
async def wrong_without_synchronizing(session: AsyncSession, before: datetime) -> int:
    result = await session.execute(
        update(Post).where(Post.published, Post.created_at < before).values(published=False),
        execution_options={"synchronize_session": False},
    )
    return result.rowcount


@wrong("09.unpublish_old_posts", "expires instead")
async def wrong_expires_instead(session: AsyncSession, before: datetime) -> int:
    # Stale objects avoided by expiring them: the next read of post.published needs a new query (and raises
    # MissingGreenlet under asyncio when it is an attribute access).
    result = await session.execute(
        update(Post).where(Post.published, Post.created_at < before).values(published=False),
        execution_options={"synchronize_session": False},
    )
    session.expire_all()
    return result.rowcount


@wrong("09.unpublish_old_posts", "database clock")
async def wrong_database_clock(session: AsyncSession, before: datetime) -> int:
    result = await session.execute(
        update(Post).where(Post.published, Post.created_at < before).values(published=False, updated_at=func.now())
    )
    return result.rowcount


@wrong("09.unpublish_old_posts", "forgets published")
async def wrong_forgets_published(session: AsyncSession, before: datetime) -> int:
    result = await session.execute(update(Post).where(Post.created_at < before).values(published=False))
    return result.rowcount


@wrong("09.unpublish_old_posts", "commits")
async def wrong_commits(session: AsyncSession, before: datetime) -> int:
    result = await session.execute(
        update(Post).where(Post.published.is_(True)).where(Post.created_at < before).values(published=False),
        execution_options={"synchronize_session": "fetch"},
    )
    await session.commit()  # the caller's transaction is not this function's to end
    return result.rowcount


@wrong("09.unpublish_old_posts", "on or before")
async def wrong_on_or_before(session: AsyncSession, before: datetime) -> int:
    result = await session.execute(
        update(Post).where(Post.published, Post.created_at <= before).values(published=False)
    )
    return result.rowcount

