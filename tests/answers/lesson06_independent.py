"""Answers to lesson 06's practice (06.next_page), written from the task statement alone (not from the checker).

Spec: ``next_page(session, after, size)`` returns the ``size`` posts that follow the key ``after`` (the last post's
``(created_at, id)`` on the previous page, ``None`` for the first page), newest first, as ``Post`` objects, in one
``SELECT`` that sends back only that page's rows (no count, no OFFSET); posts may share a ``created_at``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, bindparam, func, or_, select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from lessons.core import clock
from lessons.core.models import Post
from lessons.core.types import UTCDateTime
from tests.answers import right, wrong

Key = tuple[datetime, int] | None


@right("06.next_page")
async def next_page_row_value(session: AsyncSession, after: Key, size: int) -> list[Post]:
    statement = select(Post).order_by(Post.created_at.desc(), Post.id.desc()).limit(size)
    if after is not None:
        statement = statement.where(tuple_(Post.created_at, Post.id) < after)
    return list(await session.scalars(statement))


@right("06.next_page")
async def next_page_expanded_or(session: AsyncSession, after: Key, size: int) -> list[Post]:
    # The row-value comparison spelled out, as in MySQL manuals: (a < x) OR (a = x AND id < y).
    statement = select(Post)
    if after is not None:
        created_at, post_id = after
        statement = statement.where(
            or_(Post.created_at < created_at, and_(Post.created_at == created_at, Post.id < post_id))
        )
    result = await session.execute(statement.order_by(Post.created_at.desc(), Post.id.desc()).limit(size))
    return list(result.scalars().all())


@right("06.next_page")
async def next_page_text_sql(session: AsyncSession, after: Key, size: int) -> list[Post]:
    # Raw SQL with bound parameters, typed so the datetime is stored-format aware on every backend.
    if after is None:
        sql = text("SELECT * FROM posts ORDER BY created_at DESC, id DESC LIMIT :size")
        params: dict[str, object] = {"size": size}
    else:
        sql = text(
            "SELECT * FROM posts WHERE created_at < :at OR (created_at = :at AND id < :id) "
            "ORDER BY created_at DESC, id DESC LIMIT :size"
        ).bindparams(bindparam("at", type_=UTCDateTime()))
        params = {"at": after[0], "id": after[1], "size": size}
    return list(await session.scalars(select(Post).from_statement(sql), params))


# Differs on page 2 and later: OFFSET is forbidden by the statement (it reads every row before the page), and it
# needs a COUNT to find the offset.
@wrong("06.next_page", "uses a count and OFFSET instead of the key")
async def next_page_offset(session: AsyncSession, after: Key, size: int) -> list[Post]:
    offset = 0
    if after is not None:
        newer = select(func.count()).select_from(Post).where(tuple_(Post.created_at, Post.id) >= after)
        offset = await session.scalar(newer) or 0
    statement = select(Post).order_by(Post.created_at.desc(), Post.id.desc()).offset(offset).limit(size)
    return list(await session.scalars(statement))


# Differs on every page: oldest first.
@wrong("06.next_page", "oldest-first order")
async def next_page_oldest_first(session: AsyncSession, after: Key, size: int) -> list[Post]:
    statement = select(Post).order_by(Post.created_at, Post.id).limit(size)
    if after is not None:
        statement = statement.where(tuple_(Post.created_at, Post.id) > after)
    return list(await session.scalars(statement))


# Differs when a page ends inside a group of posts sharing a created_at: the rest of the group is skipped.
@wrong("06.next_page", "keys on created_at alone: skips ties")
async def next_page_created_at_only(session: AsyncSession, after: Key, size: int) -> list[Post]:
    statement = select(Post).order_by(Post.created_at.desc(), Post.id.desc()).limit(size)
    if after is not None:
        statement = statement.where(Post.created_at < after[0])
    return list(await session.scalars(statement))


# Differs when an older post has a higher id than a newer one: AND of both columns is not the row comparison.
@wrong("06.next_page", "AND of both key columns instead of a row-value comparison")
async def next_page_and_of_columns(session: AsyncSession, after: Key, size: int) -> list[Post]:
    statement = select(Post).order_by(Post.created_at.desc(), Post.id.desc()).limit(size)
    if after is not None:
        statement = statement.where(Post.created_at <= after[0], Post.id < after[1])
    return list(await session.scalars(statement))


# Differs on ties: with no id tie-break, posts sharing a created_at come in any order, so the key (created_at, id)
# of the last row does not split the group where the page did.
@wrong("06.next_page", "no tie-break in the ORDER BY")
async def next_page_no_tiebreak(session: AsyncSession, after: Key, size: int) -> list[Post]:
    statement = select(Post).order_by(Post.created_at.desc()).limit(size)
    if after is not None:
        statement = statement.where(tuple_(Post.created_at, Post.id) < after)
    return list(await session.scalars(statement))


# Differs on ties: the tie-break runs ascending while the key compares descending.
@wrong("06.next_page", "tie-break direction disagrees with the key")
async def next_page_tiebreak_ascending(session: AsyncSession, after: Key, size: int) -> list[Post]:
    statement = select(Post).order_by(Post.created_at.desc(), Post.id.asc()).limit(size)
    if after is not None:
        statement = statement.where(tuple_(Post.created_at, Post.id) < after)
    return list(await session.scalars(statement))


# Same pages, but every call reads the whole posts table (the statement bounds the rows sent back).
@wrong("06.next_page", "loads the whole table and slices in Python")
async def next_page_in_python(session: AsyncSession, after: Key, size: int) -> list[Post]:
    posts = (await session.scalars(select(Post).order_by(Post.created_at.desc(), Post.id.desc()))).all()
    if after is not None:
        posts = [post for post in posts if (post.created_at, post.id) < after]
    return list(posts[:size])


# Differs on every page: one post too many.
@wrong("06.next_page", "off by one: size + 1 posts")
async def next_page_one_too_many(session: AsyncSession, after: Key, size: int) -> list[Post]:
    statement = select(Post).order_by(Post.created_at.desc(), Post.id.desc()).limit(size + 1)
    if after is not None:
        statement = statement.where(tuple_(Post.created_at, Post.id) < after)
    return list(await session.scalars(statement))


# Differs in type: Row objects (id, title, created_at), not Post objects.
@wrong("06.next_page", "returns Rows, not Post objects")
async def next_page_rows(session: AsyncSession, after: Key, size: int) -> list:
    statement = (
        select(Post.id, Post.title, Post.created_at).order_by(Post.created_at.desc(), Post.id.desc()).limit(size)
    )
    if after is not None:
        statement = statement.where(tuple_(Post.created_at, Post.id) < after)
    return list((await session.execute(statement)).all())


# Differs on the first page when a post is stamped at the clock's now (or later): the first page is keyed on
# (now, 0) and the strict comparison leaves those posts out.
@wrong("06.next_page", "first page keyed on the clock's now: misses posts stamped now or later")
async def next_page_from_now(session: AsyncSession, after: Key, size: int) -> list[Post]:
    key = after if after is not None else (clock.now(), 0)
    statement = (
        select(Post)
        .where(tuple_(Post.created_at, Post.id) < key)
        .order_by(Post.created_at.desc(), Post.id.desc())
        .limit(size)
    )
    return list(await session.scalars(statement))


# Differs in type: a one-shot ScalarResult, not a list (len() fails, a second pass is empty).
@wrong("06.next_page", "returns a one-shot result, not a list")
async def next_page_result(session: AsyncSession, after: Key, size: int):
    statement = select(Post).order_by(Post.created_at.desc(), Post.id.desc()).limit(size)
    if after is not None:
        statement = statement.where(tuple_(Post.created_at, Post.id) < after)
    return await session.scalars(statement)
