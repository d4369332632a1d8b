"""Practice for lesson 09: unpublish old posts with one bulk UPDATE that keeps the session in step."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import inspect, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from lessons.core.database import LessonDatabase
from lessons.core.models import Post
from lessons.exercises.differential import Call, Differential, Note, Run, compare_tables, snapshot
from lessons.exercises.framework import register
from lessons.exercises.worlds import World


async def unpublish_old_posts(session: AsyncSession, before: datetime) -> int:
    result = await session.execute(
        update(Post).where(Post.published, Post.created_at < before).values(published=False)
    )
    return result.rowcount


def _held(post: Post) -> Any:
    """A post the caller's session held, as the caller sees it after the call, without a query."""
    state = inspect(post)
    expired = sorted({"published", "updated_at"} & state.expired_attributes)
    if expired:
        return Note(f"post {state.identity[0]} with {' and '.join(expired)} expired")
    return (state.dict["published"], state.dict["updated_at"])


@register
class UnpublishOldPosts(Differential):
    id = "09.unpublish_old_posts"
    title = "Unpublish old posts in one bulk UPDATE"
    hints = [
        "Eloquent's Post::where(...)->where(...)->update([...]) is update(Post).where(...).values(...), "
        "sent with await session.execute(...). Let the model stamp updated_at.",
        "update(Post).where(Post.published, Post.created_at < before).values(published=False); "
        "the result's .rowcount is the number of rows the UPDATE matched.",
    ]
    reference = unpublish_old_posts

    def world(self, seed: int) -> World:
        world = super().world(seed)
        before = world.now - timedelta(days=world.rng.randint(20, 300), seconds=world.rng.randint(0, 86_399))
        author = world.rows["users"][1]["id"]
        # On the boundary: a post created exactly at `before` stays, one a second earlier goes; an old draft and
        # an old published post the caller's session will hold.
        for title, published, created in [
            ("On the cut-off", True, before), ("Just before", True, before - timedelta(seconds=1)),
            ("An old draft", False, before - timedelta(days=9)), ("Long ago", True, before - timedelta(days=99)),
        ]:
            world.add("posts", title=title, user_id=author, published=published, created_at=created,
                      updated_at=created)
        return world

    def calls(self, world: World) -> list[Call]:
        before = world.where("posts", title="On the cut-off")[0]["created_at"]
        later = world.now - timedelta(days=1)
        return [
            Call((before,), f"call 1, before={before:%Y-%m-%d %H:%M:%S}",
                 "a post exactly on the cut-off and one a second before it"),
            Call((before,), "call 2, the same cut-off again", "the same cut-off again (nothing left to unpublish)"),
            Call((later,), f"call 3, before={later:%Y-%m-%d %H:%M:%S}", "a later cut-off"),
        ]

    async def run(self, function: Callable[..., Any], db: LessonDatabase, world: World, run: Run, answer: bool) -> None:
        # The caller holds a few posts in its session, calls the function, looks at them, then commits.
        watched = [world.where("posts", title=title)[0]["id"] for title in ("Just before", "On the cut-off",
                                                                              "An old draft", "Long ago")]
        for call in self.calls(world):
            label = call.named(self.function_name())
            run.abouts.append(call.about)
            async with db.Session() as session:
                held = list(await session.scalars(select(Post).where(Post.id.in_(watched)).order_by(Post.id)))
                await self.one_call(function, session, call.args, label, run, answer)
                run.extra.setdefault("held", []).append([_held(post) for post in held])
                inside = await self.inspect_session(session, run, label)
                async with db.engine.connect() as conn:
                    outside = await snapshot(conn)
                run.extra.setdefault("committed", []).append(inside is not None and not compare_tables(outside, inside))
                run.extra.setdefault("ids", []).append([inspect(post).identity[0] for post in held])
                try:
                    await session.commit()  # the caller's commit
                except Exception:
                    await session.rollback()

    def properties(self, reference: Run, answer: Run, world: World) -> str | None:
        for number, sql in enumerate(answer.sql):
            updates = [text for text in sql if text.lstrip().upper().startswith("UPDATE")]
            if len(updates) > 1 or any(re.search(r"^\[\d+ rows\]", text, re.MULTILINE) for text in updates):
                return (
                    f"call {number + 1}: you changed the posts one object at a time, so the flush sent an UPDATE "
                    "per row: send one bulk UPDATE instead, update(Post).where(...).values(...)"
                )
        for number, (theirs, mine) in enumerate(zip(reference.extra["committed"], answer.extra["committed"],
                                                    strict=True)):
            if mine and not theirs:
                return (
                    f"call {number + 1}: before the caller committed, a second connection already saw your changes: "
                    "your function committed. Leave the commit to the caller, so its work and yours succeed or fail "
                    "together"
                )
        for number, (theirs, mine) in enumerate(zip(reference.extra["held"], answer.extra["held"], strict=True)):
            for post_id, want, got in zip(answer.extra["ids"][number], theirs, mine, strict=True):
                if got == want:
                    continue
                where = f"call {number + 1}: post {post_id}, which the caller's session already held,"
                if isinstance(got, Note):
                    return (
                        f"{where} has {got.text.partition(' with ')[2]} after your UPDATE: reading it needs a new "
                        "query (under asyncio, an attribute access raises MissingGreenlet). Keep the default "
                        "synchronize_session, don't expire the objects, and leave updated_at to the model's onupdate"
                    )
                return (
                    f"{where} shows published={got[0]!r}, updated_at={got[1]:%Y-%m-%d %H:%M:%S} after your UPDATE; "
                    f"the reference's shows published={want[0]!r}, updated_at={want[1]:%Y-%m-%d %H:%M:%S}: keep the "
                    "default synchronize_session, which updates the objects the session holds"
                )
        return None
