"""Practice for lesson 06: keyset pagination, newest first, on ``(created_at, id)`` (Laravel's ``cursorPaginate()``)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from lessons.core.models import Post
from lessons.exercises.differential import Call, Differential, Run, at_most
from lessons.exercises.framework import register
from lessons.exercises.worlds import World

Key = tuple[datetime, int]


async def next_page(session: AsyncSession, after: Key | None, size: int) -> list[Post]:
    statement = select(Post).order_by(Post.created_at.desc(), Post.id.desc()).limit(size)
    if after is not None:
        statement = statement.where(tuple_(Post.created_at, Post.id) < after)
    return list(await session.scalars(statement))


def _label(after: Key | None, size: int) -> str:
    key = "None" if after is None else f"({after[0]:%Y-%m-%d %H:%M:%S}, {after[1]})"
    return f"next_page(session, {key}, {size})"


@register
class NextPage(Differential):
    id = "06.next_page"
    title = "Newest first: the next page after a (created_at, id) key"
    hints = [
        "Newest first means created_at DESC, then id DESC (the id breaks ties). The next page holds the rows that "
        "come *after* the key in that order: an earlier created_at, or the same created_at and a lower id.",
        "tuple_(Post.created_at, Post.id) < after compares both columns at once (a row value); add "
        ".order_by(Post.created_at.desc(), Post.id.desc()).limit(size), and skip the WHERE when after is None.",
    ]
    reference = next_page

    def world(self, seed: int) -> World:
        world = super().world(seed)
        authors = world.ids("users")[1:] or world.ids("users")
        # Posts written at the same moment as an older one (their ids are higher: ids out of created_at order),
        # and posts stamped at the clock's now and a second after it.
        tied_at = world.rng.choice(world.rows["posts"])["created_at"] if world.rows["posts"] else world.moment()
        for number in range(world.rng.randint(3, 5)):
            world.add("posts", title=f"same moment {number}", user_id=world.rng.choice(authors), created_at=tied_at)
        for moment in (world.now, world.now, world.now + timedelta(seconds=1)):
            world.add("posts", title="just now", user_id=world.rng.choice(authors), created_at=moment)
        return world

    def calls(self, world: World) -> list[Call]:
        keys = sorted(((post["created_at"], post["id"]) for post in world.rows["posts"]), reverse=True)
        counts: dict[datetime, int] = {}
        for created_at, _ in keys:
            counts[created_at] = counts.get(created_at, 0) + 1
        tied = [key for key in keys if counts[key[0]] > 2]
        size = world.rng.choice([2, 3, 4])
        middle = keys[len(keys) // 2]
        cases = [
            (None, size, "the first page"),
            (None, 1, "a page of one"),
            (tied[1], size, "a key among posts written at the same moment"),
            (tied[0], 1, "the newest of them"),
            (middle, size, "a key with older posts of higher ids"),
            (keys[-3], size + 2, "a page larger than what is left"),
            (keys[-1], size, "the last post's key"),
        ]
        return [Call((after, size), _label(after, size), about) for after, size, about in cases]

    def properties(self, reference: Run, answer: Run, world: World) -> str | None:
        found = at_most(1, answer.statements)
        if found:
            return f"{found}: keyset pagination is one SELECT … WHERE (created_at, id) < key … LIMIT size (no count)"
        for number, (want, got) in enumerate(zip(reference.fetched, answer.fetched, strict=True), 1):
            if got.total > want.total:
                return (
                    f"call {number}: your SELECT sent {got.total} rows back to Python for a page of {want.total}: "
                    "let the database stop after one page (.limit(size)), and skip with the key, not OFFSET"
                )
        return None
