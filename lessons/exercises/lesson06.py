"""Practice for lesson 06: keyset pagination, newest first, on ``(created_at, id)`` (Laravel's ``cursorPaginate()``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, desc, func, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from lessons.database import LessonDatabase
from lessons.exercises.framework import (
    Exercise,
    Incorrect,
    as_sequence,
    count_rows_fetched,
    count_statements,
    register,
    show,
    statements,
)
from lessons.models import Post

Key = tuple[datetime, int]


async def next_page(session: AsyncSession, after: Key | None, size: int) -> list[Post]:
    statement = select(Post).order_by(Post.created_at.desc(), Post.id.desc()).limit(size)
    if after is not None:
        statement = statement.where(tuple_(Post.created_at, Post.id) < after)
    return list(await session.scalars(statement))


async def _right_spelled_out(session: AsyncSession, after: Key | None, size: int) -> Sequence[Post]:
    # The same condition without row values: an earlier moment, or the same moment and a lower id.
    statement = select(Post)
    if after:
        created_at, post_id = after
        statement = statement.where(
            or_(Post.created_at < created_at, and_(Post.created_at == created_at, Post.id < post_id))
        )
    result = await session.execute(statement.order_by(desc(Post.created_at), desc(Post.id)).limit(size))
    return result.scalars().all()


def _newest_first(statement: Select[Any], size: int) -> Select[Any]:
    return statement.order_by(Post.created_at.desc(), Post.id.desc()).limit(size)


async def _wrong_created_at_only(session: AsyncSession, after: Key | None, size: int) -> list[Post]:
    statement = _newest_first(select(Post), size)
    if after is not None:
        statement = statement.where(Post.created_at < after[0])
    return list(await session.scalars(statement))


async def _wrong_includes_the_key(session: AsyncSession, after: Key | None, size: int) -> list[Post]:
    statement = _newest_first(select(Post), size)
    if after is not None:
        statement = statement.where(tuple_(Post.created_at, Post.id) <= after)
    return list(await session.scalars(statement))


async def _wrong_comparison_direction(session: AsyncSession, after: Key | None, size: int) -> list[Post]:
    # The oldest-first comparison kept while the order was flipped: it walks back to the newest posts.
    statement = _newest_first(select(Post), size)
    if after is not None:
        statement = statement.where(tuple_(Post.created_at, Post.id) > after)
    return list(await session.scalars(statement))


async def _wrong_ties_ascending(session: AsyncSession, after: Key | None, size: int) -> list[Post]:
    # Only created_at flipped to DESC: within a moment the ids run upwards, against the < comparison.
    statement = select(Post).order_by(Post.created_at.desc(), Post.id).limit(size)
    if after is not None:
        statement = statement.where(tuple_(Post.created_at, Post.id) < after)
    return list(await session.scalars(statement))


async def _wrong_slices_in_python(session: AsyncSession, after: Key | None, size: int) -> list[Post]:
    posts = (await session.scalars(select(Post).order_by(Post.created_at.desc(), Post.id.desc()))).all()
    if after is not None:
        posts = [post for post in posts if (post.created_at, post.id) < after]
    return list(posts[:size])


async def _wrong_counts_then_offsets(session: AsyncSession, after: Key | None, size: int) -> list[Post]:
    # OFFSET in disguise: count the rows before the key, then skip that many.
    skip = 0
    if after is not None:
        skip = await session.scalar(
            select(func.count()).select_from(Post).where(tuple_(Post.created_at, Post.id) >= after)
        )
    return list(await session.scalars(_newest_first(select(Post), size).offset(skip)))


async def _right_sliced_and_negated(session: AsyncSession, after: Key | None, size: int) -> list[Post]:
    statement = select(Post).order_by(Post.created_at.desc()).order_by(Post.id.desc())
    if after is not None:
        statement = statement.filter(~(tuple_(Post.created_at, Post.id) >= tuple_(*after)))
    return list((await session.scalars(statement.slice(0, size))).all())


async def _right_two_conditions(session: AsyncSession, after: Key | None, size: int) -> list[Post]:
    statement = select(Post)
    if after is not None:
        created_at, post_id = after
        statement = statement.where(Post.created_at <= created_at).where(
            or_(Post.created_at < created_at, Post.id < post_id)
        )
    rows = await session.execute(_newest_first(statement, size))
    return [post for (post,) in rows]


async def _wrong_at_or_before_the_moment(session: AsyncSession, after: Key | None, size: int) -> list[Post]:
    # "Not the key itself" instead of "after the key": the posts of the same moment with higher ids come back.
    statement = _newest_first(select(Post), size)
    if after is not None:
        statement = statement.where(Post.created_at <= after[0], Post.id != after[1])
    return list(await session.scalars(statement))


async def _wrong_fetches_everything_after_the_key(session: AsyncSession, after: Key | None, size: int) -> list[Post]:
    statement = select(Post).order_by(Post.created_at.desc(), Post.id.desc())
    if after is not None:
        statement = statement.where(tuple_(Post.created_at, Post.id) < after)
    return list((await session.scalars(statement)).all()[:size])


#: How many posts the checker writes at the same moment as an existing one.
TIED_POSTS = 4
PAGE_SIZE = 3


@register
class NextPage(Exercise):
    id = "06.next_page"
    title = "Newest first: the next page after a (created_at, id) key"
    hints = [
        "Newest first means created_at DESC, then id DESC (the id breaks ties). The next page holds the rows that "
        "come *after* the key in that order: an earlier created_at, or the same created_at and a lower id.",
        "tuple_(Post.created_at, Post.id) < after compares both columns at once (a row value); add "
        ".order_by(Post.created_at.desc(), Post.id.desc()).limit(size), and skip the WHERE when after is None.",
    ]
    reference = next_page
    right_answers = [next_page, _right_spelled_out, _right_sliced_and_negated, _right_two_conditions]
    wrong_answers = [
        _wrong_at_or_before_the_moment,
        _wrong_fetches_everything_after_the_key,
        _wrong_created_at_only,
        _wrong_includes_the_key,
        _wrong_comparison_direction,
        _wrong_ties_ascending,
        _wrong_slices_in_python,
        _wrong_counts_then_offsets,
    ]

    async def judge(self, answer: Any, db: LessonDatabase) -> str:
        newest_first = (Post.created_at.desc(), Post.id.desc())
        # Ties on created_at, and ids out of created_at order: new posts written at the moment of an old one.
        async with db.Session() as session:
            keys = (await session.execute(select(Post.created_at, Post.id).order_by(*newest_first))).all()
            tied_at = keys[len(keys) // 2].created_at
            session.add_all(
                Post(title=f"Written at the same moment {n}", user_id=1, created_at=tied_at) for n in range(TIED_POSTS)
            )
            await session.commit()
            rows = await session.execute(select(Post.created_at, Post.id).order_by(*newest_first))
            keys = [(row.created_at, row.id) for row in rows]
        ids = [post_id for _, post_id in keys]
        tied = [post_id for created_at, post_id in keys if created_at == tied_at]
        start = ids.index(tied[0]) - 2
        # The first page, three pages across the tied posts (a page boundary falls among them), and the end.
        cases: list[tuple[Key | None, list[int]]] = [(None, ids[:PAGE_SIZE])]
        for page in range(3):
            first = start + 1 + page * PAGE_SIZE
            cases.append((keys[start + page * PAGE_SIZE], ids[first : first + PAGE_SIZE]))
        cases += [(keys[-3], ids[-2:]), (keys[-1], [])]

        for after, expected in cases:
            async with db.Session() as session:
                with count_statements() as queries, count_rows_fetched() as fetched:
                    got = await self.call(answer, session, after, PAGE_SIZE)
            self._compare(got, expected, after, tied_at)
            if queries.count != 1:
                raise Incorrect(
                    f"the rows are right, but one page took {statements(queries.count)}; keyset pagination is one "
                    "SELECT … WHERE (created_at, id) < key ORDER BY created_at DESC, id DESC LIMIT size: "
                    "no count, no OFFSET."
                )
            if fetched.total > PAGE_SIZE:
                where = "for the first page" if after is None else f"after post {after[1]}"
                raise Incorrect(
                    f"the rows are right, but {where} your SELECT sent {fetched.total} rows back to Python for a page "
                    f"of {PAGE_SIZE}: add .limit(size) so the database stops after one page."
                )
        return (
            f"{len(cases)} pages right, newest first, each one SELECT that sent back only its page, including a page "
            f"boundary among {len(tied)} posts written at the same moment."
        )

    @staticmethod
    def _compare(got: Any, expected: list[int], after: Key | None, tied_at: datetime) -> None:
        got = as_sequence(got, "the page's posts as a list")
        try:
            got_keys = [(post.created_at, post.id) for post in got]
        except AttributeError:
            raise Incorrect(f"you returned {show(got)}; return Post objects (select(Post)), not ids or rows.") from None
        got_ids = [post_id for _, post_id in got_keys]
        if got_ids == expected:
            return
        where = "for the first page (after=None)" if after is None else f"after post {after[1]}"
        if after is not None and after[1] in got_ids:
            raise Incorrect(
                f"{where} your page holds post {after[1]} itself, so it is shown twice; "
                "keep rows strictly after the key: < not <=."
            )
        if after is not None and any(key > after for key in got_keys):
            raise Incorrect(
                f"{where} you returned newer posts {got_ids}; newest first, the next page continues with *older* "
                "posts: (created_at, id) < the key."
            )
        skipped = [post_id for post_id in expected if post_id not in got_ids]
        if after is not None and after[0] == tied_at and skipped:
            raise Incorrect(
                f"{where} you skipped posts {skipped}: they were written at the same moment as post {after[1]}. "
                "created_at alone is not unique; compare (created_at, id) together, e.g. "
                "tuple_(Post.created_at, Post.id) < after."
            )
        missing = f" (missing: {skipped})" if skipped else ""
        raise Incorrect(
            f"{where} with size {PAGE_SIZE} you returned posts {got_ids}, expected {expected}{missing}. Order both "
            "columns newest first (created_at DESC, then id DESC: the id breaks ties), and keep the rows whose "
            "(created_at, id) comes after the key in that order."
        )
