"""Practice for lesson 09: unpublish old posts with one bulk UPDATE that keeps the session in step."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import and_, func, inspect, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from lessons import clock
from lessons.database import LessonDatabase
from lessons.exercises.framework import Exercise, Incorrect, committed, count_statements, register
from lessons.models import Post

#: The cut-off the checker passes: about a quarter of the seeded posts are older.
BEFORE = datetime(2024, 1, 1, tzinfo=timezone.utc)


async def unpublish_old_posts(session: AsyncSession, before: datetime) -> int:
    result = await session.execute(
        update(Post).where(Post.published, Post.created_at < before).values(published=False)
    )
    return result.rowcount


async def _right_explicit_stamp(session: AsyncSession, before: datetime) -> int:
    statement = (
        update(Post)
        .where(Post.created_at < before, Post.published == true())
        .values(published=False, updated_at=clock.now())
    )
    return (await session.execute(statement)).rowcount


async def _right_fetch(session: AsyncSession, before: datetime) -> int:
    result = await session.execute(
        update(Post).where(Post.published.is_(True)).where(Post.created_at < before).values(published=False),
        execution_options={"synchronize_session": "fetch"},
    )
    return result.rowcount


async def _right_not_on_or_after(session: AsyncSession, before: datetime) -> int:
    # "not on or after" is "before"; the count read back from the same transaction, which sees its own UPDATE.
    old = and_(Post.published == True, ~(Post.created_at >= before))  # noqa: E712
    candidates = await session.scalar(select(func.count()).select_from(Post).where(old))
    statement = update(Post).where(old).values(published=False).execution_options(synchronize_session="evaluate")
    await session.execute(statement)
    return candidates


async def _wrong_commits(session: AsyncSession, before: datetime) -> int:
    result = await session.execute(
        update(Post).where(Post.published.is_(True)).where(Post.created_at < before).values(published=False),
        execution_options={"synchronize_session": "fetch"},
    )
    await session.commit()  # the caller's transaction is not this function's to end
    return result.rowcount


async def _wrong_on_or_before(session: AsyncSession, before: datetime) -> int:
    result = await session.execute(
        update(Post).where(Post.published, Post.created_at <= before).values(published=False)
    )
    return result.rowcount


async def _wrong_loads_and_loops(session: AsyncSession, before: datetime) -> int:
    posts = (await session.scalars(select(Post).where(Post.published, Post.created_at < before))).all()
    for post in posts:
        post.published = False
    await session.flush()
    return len(posts)


async def _wrong_without_synchronizing(session: AsyncSession, before: datetime) -> int:
    result = await session.execute(
        update(Post).where(Post.published, Post.created_at < before).values(published=False),
        execution_options={"synchronize_session": False},
    )
    return result.rowcount


async def _wrong_expires_instead(session: AsyncSession, before: datetime) -> int:
    # Stale objects avoided by expiring them: the next read of post.published needs a new query (and raises
    # MissingGreenlet under asyncio when it is an attribute access).
    result = await session.execute(
        update(Post).where(Post.published, Post.created_at < before).values(published=False),
        execution_options={"synchronize_session": False},
    )
    session.expire_all()
    return result.rowcount


async def _wrong_database_clock(session: AsyncSession, before: datetime) -> int:
    result = await session.execute(
        update(Post).where(Post.published, Post.created_at < before).values(published=False, updated_at=func.now())
    )
    return result.rowcount


async def _wrong_forgets_published(session: AsyncSession, before: datetime) -> int:
    result = await session.execute(update(Post).where(Post.created_at < before).values(published=False))
    return result.rowcount


@register
class UnpublishOldPosts(Exercise):
    id = "09.unpublish_old_posts"
    title = "Unpublish old posts in one bulk UPDATE"
    hints = [
        "Eloquent's Post::where(...)->where(...)->update([...]) is update(Post).where(...).values(...), "
        "sent with await session.execute(...). Let the model stamp updated_at.",
        "update(Post).where(Post.published, Post.created_at < before).values(published=False); "
        "the result's .rowcount is the number of rows the UPDATE matched.",
    ]
    reference = unpublish_old_posts
    right_answers = [unpublish_old_posts, _right_explicit_stamp, _right_fetch, _right_not_on_or_after]
    wrong_answers = [
        _wrong_loads_and_loops,
        _wrong_without_synchronizing,
        _wrong_expires_instead,
        _wrong_database_clock,
        _wrong_forgets_published,
        _wrong_commits,
        _wrong_on_or_before,
    ]

    async def judge(self, answer: Any, db: LessonDatabase) -> str:
        # Rows of the checker's own on the boundary: one published post created exactly at `before` (not before
        # it: it stays published), and one a second earlier (it goes).
        async with db.Session() as session:
            on_the_cutoff = Post(user_id=1, title="On the cut-off", content="", published=True, created_at=BEFORE)
            just_before = Post(
                user_id=1, title="Just before", content="", published=True, created_at=BEFORE - timedelta(seconds=1)
            )
            session.add_all([on_the_cutoff, just_before])
            await session.commit()
            boundary_id = on_the_cutoff.id
        async with db.Session() as session:
            published = dict((await session.execute(select(Post.id, Post.published))).all())
            targets = set(
                (await session.scalars(select(Post.id).where(Post.published, Post.created_at < BEFORE))).all()
            )
            already_off = set(
                (await session.scalars(select(Post.id).where(~Post.published, Post.created_at < BEFORE))).all()
            )
        # Two posts the session already holds when the answer runs: they must show the change.
        watched_ids = sorted(targets)[:2]
        async with db.Session() as session:
            watched = (await session.scalars(select(Post).where(Post.id.in_(watched_ids)))).all()
            started = clock.now()
            with count_statements() as queries:
                got = await self.call(answer, session, BEFORE)
            finished = clock.now()
            updates = [s for s in queries.statements if s.sql.lstrip().upper().startswith("UPDATE")]
            if not updates:
                raise Incorrect("no UPDATE ran: send one with await session.execute(update(Post).where(...)...).")
            if any(statement.executemany for statement in updates) or len(updates) > 1:
                rows = sum(len(s.parameters) if s.executemany else 1 for s in updates)
                raise Incorrect(
                    f"you changed the posts one object at a time: the flush sent an UPDATE for each of {rows} rows. "
                    "Send one bulk UPDATE instead: update(Post).where(...).values(...)."
                )
            for post in watched:
                state = inspect(post)
                if "published" in state.expired_attributes:
                    raise Incorrect(
                        f"post {state.identity[0]} was already loaded in the session, and after your UPDATE its "
                        "published is expired: reading it needs a new query (under asyncio, an attribute access raises "
                        "MissingGreenlet). Leave synchronize_session at its default, which sets the new value on "
                        "the loaded objects, and don't expire them."
                    )
                if "updated_at" in state.expired_attributes:
                    raise Incorrect(
                        "after your UPDATE, updated_at of the posts the session holds is expired (reading it raises "
                        "under asyncio): you set it to a database-side value such as func.now(). Leave it to the "
                        "model's onupdate, which uses the application clock."
                    )
                if post.published:
                    raise Incorrect(
                        f"post {post.id} was already loaded in the session and still says published=True after your "
                        "UPDATE: don't turn synchronize_session off; the default keeps loaded objects in step."
                    )
            # Not committed yet: a second connection must still see every post as it was.
            seen = dict(await committed(db, select(Post.id, Post.published).where(Post.id.in_(targets))))
            already = sorted(post_id for post_id, value in seen.items() if not value)
            if already:
                raise Incorrect(
                    f"before the caller committed, a second connection already saw {len(already)} posts "
                    f"unpublished (e.g. post {already[0]}): your function committed. Leave the commit to the "
                    "caller, so its work and yours succeed or fail together."
                )
            await session.commit()
        async with db.Session() as session:
            after = dict((await session.execute(select(Post.id, Post.published))).all())
            stamped = dict(
                (await session.execute(select(Post.id, Post.updated_at).where(Post.id.in_(targets)))).all()
            )
            touched_off = (
                await session.scalar(
                    select(func.count())
                    .select_from(Post)
                    .where(Post.id.in_(already_off), Post.updated_at >= started)
                )
                if already_off
                else 0
            )
        still_on = sorted(post_id for post_id in targets if after[post_id])
        if still_on:
            raise Incorrect(f"{len(still_on)} old published posts are still published (e.g. post {still_on[0]}).")
        if after[boundary_id] != published[boundary_id]:
            raise Incorrect(
                f"post {boundary_id}, created exactly at {BEFORE:%Y-%m-%d %H:%M} UTC (on the cut-off, not before it), "
                "was unpublished: compare with created_at < before, not <=."
            )
        changed_wrongly = sorted(
            post_id for post_id, value in after.items() if post_id not in targets and value != published[post_id]
        )
        if changed_wrongly:
            raise Incorrect(
                f"you also changed {len(changed_wrongly)} posts that are not older than {BEFORE:%Y-%m-%d} "
                f"(e.g. post {changed_wrongly[0]}); keep only posts created before `before`."
            )
        if touched_off:
            raise Incorrect(
                f"you also updated {touched_off} old posts that were already unpublished: add Post.published to the "
                "WHERE, so they keep their updated_at and your count is right."
            )
        off_clock = [post_id for post_id, stamp in stamped.items() if not started <= stamp <= finished]
        if off_clock:
            raise Incorrect(
                f"updated_at of post {off_clock[0]} is {stamped[off_clock[0]]:%Y-%m-%d %H:%M}, not the application "
                "clock's time: leave updated_at to the model's onupdate (or set it to clock.now())."
            )
        if got != len(targets):
            raise Incorrect(f"your function returned {got!r}, but it unpublished {len(targets)} posts.")
        return f"{len(targets)} posts unpublished by one UPDATE; the posts the session held are in step."
