"""Known answers the checkers' authors wrote (moved from lessons/exercises/), with their verdicts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, desc, func, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from lessons.core.models import Post
from tests.answers import right, wrong

Key = tuple[datetime, int]


def _newest_first(statement: Select[Any], size: int) -> Select[Any]:
    return statement.order_by(Post.created_at.desc(), Post.id.desc()).limit(size)


@right("06.next_page")
async def next_page(session: AsyncSession, after: Key | None, size: int) -> list[Post]:
    statement = select(Post).order_by(Post.created_at.desc(), Post.id.desc()).limit(size)
    if after is not None:
        statement = statement.where(tuple_(Post.created_at, Post.id) < after)
    return list(await session.scalars(statement))


@right("06.next_page")
async def right_spelled_out(session: AsyncSession, after: Key | None, size: int) -> Sequence[Post]:
    # The same condition without row values: an earlier moment, or the same moment and a lower id.
    statement = select(Post)
    if after:
        created_at, post_id = after
        statement = statement.where(
            or_(Post.created_at < created_at, and_(Post.created_at == created_at, Post.id < post_id))
        )
    result = await session.execute(statement.order_by(desc(Post.created_at), desc(Post.id)).limit(size))
    return result.scalars().all()


@right("06.next_page")
async def right_sliced_and_negated(session: AsyncSession, after: Key | None, size: int) -> list[Post]:
    statement = select(Post).order_by(Post.created_at.desc()).order_by(Post.id.desc())
    if after is not None:
        statement = statement.filter(~(tuple_(Post.created_at, Post.id) >= tuple_(*after)))
    return list((await session.scalars(statement.slice(0, size))).all())


@right("06.next_page")
async def right_two_conditions(session: AsyncSession, after: Key | None, size: int) -> list[Post]:
    statement = select(Post)
    if after is not None:
        created_at, post_id = after
        statement = statement.where(Post.created_at <= created_at).where(
            or_(Post.created_at < created_at, Post.id < post_id)
        )
    rows = await session.execute(_newest_first(statement, size))
    return [post for (post,) in rows]


@wrong("06.next_page", "at or before the moment")
async def wrong_at_or_before_the_moment(session: AsyncSession, after: Key | None, size: int) -> list[Post]:
    # "Not the key itself" instead of "after the key": the posts of the same moment with higher ids come back.
    statement = _newest_first(select(Post), size)
    if after is not None:
        statement = statement.where(Post.created_at <= after[0], Post.id != after[1])
    return list(await session.scalars(statement))


@wrong("06.next_page", "fetches everything after the key")
async def wrong_fetches_everything_after_the_key(session: AsyncSession, after: Key | None, size: int) -> list[Post]:
    statement = select(Post).order_by(Post.created_at.desc(), Post.id.desc())
    if after is not None:
        statement = statement.where(tuple_(Post.created_at, Post.id) < after)
    return list((await session.scalars(statement)).all()[:size])


@wrong("06.next_page", "created at only")
async def wrong_created_at_only(session: AsyncSession, after: Key | None, size: int) -> list[Post]:
    statement = _newest_first(select(Post), size)
    if after is not None:
        statement = statement.where(Post.created_at < after[0])
    return list(await session.scalars(statement))


@wrong("06.next_page", "includes the key")
async def wrong_includes_the_key(session: AsyncSession, after: Key | None, size: int) -> list[Post]:
    statement = _newest_first(select(Post), size)
    if after is not None:
        statement = statement.where(tuple_(Post.created_at, Post.id) <= after)
    return list(await session.scalars(statement))


@wrong("06.next_page", "comparison direction")
async def wrong_comparison_direction(session: AsyncSession, after: Key | None, size: int) -> list[Post]:
    # The oldest-first comparison kept while the order was flipped: it walks back to the newest posts.
    statement = _newest_first(select(Post), size)
    if after is not None:
        statement = statement.where(tuple_(Post.created_at, Post.id) > after)
    return list(await session.scalars(statement))


@wrong("06.next_page", "ties ascending")
async def wrong_ties_ascending(session: AsyncSession, after: Key | None, size: int) -> list[Post]:
    # Only created_at flipped to DESC: within a moment the ids run upwards, against the < comparison.
    statement = select(Post).order_by(Post.created_at.desc(), Post.id).limit(size)
    if after is not None:
        statement = statement.where(tuple_(Post.created_at, Post.id) < after)
    return list(await session.scalars(statement))


@wrong("06.next_page", "slices in python")
async def wrong_slices_in_python(session: AsyncSession, after: Key | None, size: int) -> list[Post]:
    posts = (await session.scalars(select(Post).order_by(Post.created_at.desc(), Post.id.desc()))).all()
    if after is not None:
        posts = [post for post in posts if (post.created_at, post.id) < after]
    return list(posts[:size])


@wrong("06.next_page", "counts then offsets")
async def wrong_counts_then_offsets(session: AsyncSession, after: Key | None, size: int) -> list[Post]:
    # OFFSET in disguise: count the rows before the key, then skip that many.
    skip = 0
    if after is not None:
        skip = await session.scalar(
            select(func.count()).select_from(Post).where(tuple_(Post.created_at, Post.id) >= after)
        )
    return list(await session.scalars(_newest_first(select(Post), size).offset(skip)))

