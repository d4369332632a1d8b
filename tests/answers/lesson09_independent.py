"""Answers to lesson 09's practice (09.unpublish_old_posts), written from the task statement alone.

Spec: unpublish every published post created before ``before`` in ONE bulk ``UPDATE``; return how many were
unpublished; ``updated_at`` is ``lessons.core.clock.now()``; posts already in the session show the change without a new
query (neither expired nor stale); don't commit.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from lessons.core import clock
from lessons.core.models import Post
from tests.answers import right, wrong


@right("09.unpublish_old_posts")
async def unpublish_bulk_update(session: AsyncSession, before: datetime) -> int:
    result = await session.execute(update(Post).where(Post.published, Post.created_at < before).values(published=False))
    return result.rowcount


@right("09.unpublish_old_posts")
async def unpublish_explicit_clock_fetch(session: AsyncSession, before: datetime) -> int:
    # updated_at set explicitly from the course clock; the session synchronised by re-selecting the matched ids.
    statement = (
        update(Post)
        .where(Post.published.is_(True), Post.created_at < before)
        .values(published=False, updated_at=clock.now())
        .execution_options(synchronize_session="fetch")
    )
    return (await session.execute(statement)).rowcount


@right("09.unpublish_old_posts")
async def unpublish_count_then_update(session: AsyncSession, before: datetime) -> int:
    # A COUNT first (a SELECT, not an UPDATE), then the one bulk UPDATE, evaluated in Python on loaded objects.
    old = (Post.published == True) & (Post.created_at < before)  # noqa: E712
    count = await session.scalar(select(func.count()).select_from(Post).where(old))
    await session.execute(
        update(Post).where(old).values(published=False).execution_options(synchronize_session="evaluate")
    )
    return int(count or 0)


# One UPDATE per post, where the statement asks for one bulk UPDATE.
@wrong("09.unpublish_old_posts", "loops over objects: one UPDATE per post")
async def unpublish_in_a_loop(session: AsyncSession, before: datetime) -> int:
    posts = (await session.scalars(select(Post).where(Post.published, Post.created_at < before))).all()
    for post in posts:
        post.published = False
    await session.flush()
    return len(posts)


# updated_at from the wall clock: the course's clock is frozen, so the stamp differs from clock.now().
@wrong("09.unpublish_old_posts", "wall-clock datetime.now() instead of lessons.core.clock.now()")
async def unpublish_wall_clock(session: AsyncSession, before: datetime) -> int:
    result = await session.execute(
        update(Post)
        .where(Post.published, Post.created_at < before)
        .values(published=False, updated_at=datetime.now(timezone.utc))
    )
    return result.rowcount


# The database's clock: neither the course clock nor necessarily timezone-aware.
@wrong("09.unpublish_old_posts", "database clock func.now() for updated_at")
async def unpublish_database_clock(session: AsyncSession, before: datetime) -> int:
    result = await session.execute(
        update(Post).where(Post.published, Post.created_at < before).values(published=False, updated_at=func.now())
    )
    return result.rowcount


# Loaded posts keep published=True: the session is not synchronised.
@wrong("09.unpublish_old_posts", "synchronize_session=False: loaded posts stale")
async def unpublish_stale_session(session: AsyncSession, before: datetime) -> int:
    result = await session.execute(
        update(Post)
        .where(Post.published, Post.created_at < before)
        .values(published=False)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


# Commits, where the caller does: the caller can no longer roll the change back.
@wrong("09.unpublish_old_posts", "commits")
async def unpublish_and_commit(session: AsyncSession, before: datetime) -> int:
    result = await session.execute(update(Post).where(Post.published, Post.created_at < before).values(published=False))
    await session.commit()
    return result.rowcount


# No published filter: drafts are rewritten too (their updated_at moves) and counted.
@wrong("09.unpublish_old_posts", "also touches drafts")
async def unpublish_drafts_too(session: AsyncSession, before: datetime) -> int:
    result = await session.execute(update(Post).where(Post.created_at < before).values(published=False))
    return result.rowcount


# Off by one at the boundary: a post created exactly at `before` is not "before" it.
@wrong("09.unpublish_old_posts", "<= before: includes the boundary")
async def unpublish_inclusive(session: AsyncSession, before: datetime) -> int:
    result = await session.execute(
        update(Post).where(Post.published, Post.created_at <= before).values(published=False)
    )
    return result.rowcount


# Wrong return type: the CursorResult, not an int.
@wrong("09.unpublish_old_posts", "returns the result object, not the count")
async def unpublish_returns_result(session: AsyncSession, before: datetime):
    return await session.execute(update(Post).where(Post.published, Post.created_at < before).values(published=False))


# Raw SQL: the session's objects are not synchronised and updated_at is not stamped.
@wrong("09.unpublish_old_posts", "text() UPDATE: no sync, no updated_at")
async def unpublish_text(session: AsyncSession, before: datetime) -> int:
    result = await session.execute(
        text("UPDATE posts SET published = :no WHERE published = :yes AND created_at < :before"),
        {"no": False, "yes": True, "before": before},
    )
    return result.rowcount


# Expires everything afterwards: the statement asks that loaded posts show the change without a new query.
@wrong("09.unpublish_old_posts", "expires the session's objects")
async def unpublish_then_expire(session: AsyncSession, before: datetime) -> int:
    result = await session.execute(update(Post).where(Post.published, Post.created_at < before).values(published=False))
    session.expire_all()
    return result.rowcount


# Counts the posts still published afterwards, not the ones unpublished.
@wrong("09.unpublish_old_posts", "returns the wrong count (posts left published)")
async def unpublish_counts_the_rest(session: AsyncSession, before: datetime) -> int:
    await session.execute(update(Post).where(Post.published, Post.created_at < before).values(published=False))
    return int(await session.scalar(select(func.count()).select_from(Post).where(Post.published)) or 0)
