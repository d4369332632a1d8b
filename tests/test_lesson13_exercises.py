"""Lesson 13's checkers say what is really wrong: a flushed but uncommitted change is 'never committed', a
listener that stamps with SQL's now() is judged by the row, not by a lazy load that crashes the checker, and a
listener an answer leaves on the course's models is named and removed (one on every Session is the learner's)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from lessons import exercises
from lessons.core import clock
from lessons.core.models import Post, TimestampMixin, User


async def test_a_flushed_but_uncommitted_font_is_told_to_commit() -> None:
    async def flushed_only(session: AsyncSession, account: Any, font: str) -> None:
        account.preferences["editor"]["font"] = font
        flag_modified(account, "preferences")
        await session.flush()

    result = await exercises.get("13.set_editor_font").check(flushed_only)
    assert result.status == "failed"
    assert "never committed" in result.message
    assert "flag_modified" not in result.message  # the answer did call it: that is not the mistake


async def test_a_sql_now_stamp_is_judged_by_the_row() -> None:
    def sql_now(model: Any) -> None:
        @event.listens_for(model, "before_update")
        def stamp(mapper: Any, connection: Any, target: Any) -> None:
            target.updated_at = func.now()  # expired after the flush: reading it in memory would lazy-load

    result = await exercises.get("13.stamp_updates").check(sql_now)
    assert "could not read your result" not in result.message
    assert "MissingGreenlet" not in result.message


async def test_a_listener_left_on_a_course_model_is_named_and_removed() -> None:
    """It would stamp every later Post update in the kernel: once, it made a wrong answer to 03.move_post pass."""

    def on_post(model: Any) -> None:
        @event.listens_for(Post, "before_update")  # not the model it was handed
        def stamp(mapper: Any, connection: Any, target: Any) -> None:
            target.updated_at = clock.now()

        listened.append(stamp)

    listened: list[Any] = []
    result = await exercises.get("13.stamp_updates").check(on_post)
    assert (result.status, result.message.split(",")[0]) == (
        "failed", "your function registered a before_update listener on Post"
    )
    assert listened and not any(event.contains(Post, "before_update", stamp) for stamp in listened)

    async def wall_clock(session: AsyncSession, post_id: int, new_author_id: int) -> Post:
        post = await session.get(Post, post_id)
        post.user_id, post.updated_at = new_author_id, datetime.now(timezone.utc)
        await session.commit()
        return post

    moved = await exercises.get("03.move_post").check(wall_clock)
    assert moved.status == "failed" and "Post.updated_at" in moved.message, moved.message


async def test_instance_and_attribute_listeners_left_on_course_models_are_removed() -> None:
    def on_load(target: Any, context: Any) -> None:
        pass

    def on_set(target: Any, value: Any, old: Any, initiator: Any) -> None:
        pass

    async def counts_and_listens(session: AsyncSession) -> int:
        event.listen(User, "load", on_load)
        event.listen(User.name, "set", on_set)
        return await session.scalar(select(func.count()).select_from(User).where(User.is_active))

    result = await exercises.get("00.count_active_users").check(counts_and_listens)
    assert result.status == "failed"
    assert result.message.startswith("your function registered a load listener on User,"), result.message
    assert not event.contains(User, "load", on_load)
    assert not event.contains(User.name, "set", on_set)


async def test_a_listener_held_on_the_course_mixin_is_removed_everywhere() -> None:
    """``propagate=True`` on ``TimestampMixin`` reaches every course model, and every model mapped on it later."""

    def on_mixin(model: Any) -> None:
        event.listen(TimestampMixin, "before_update", stamp, propagate=True)

    def stamp(mapper: Any, connection: Any, target: Any) -> None:
        target.updated_at = clock.now()

    result = await exercises.get("13.stamp_updates").check(on_mixin)
    assert result.message.startswith(
        "your function registered a before_update listener on TimestampMixin (every model mapped on it),"
    ), result.message
    assert not event.contains(TimestampMixin, "before_update", stamp)
    assert not any(event.contains(model, "before_update", stamp) for model in (Post, User))


async def test_a_session_wide_listener_is_the_learners_to_keep() -> None:
    """Tasks ask for them (an audit log, a global scope): one registered once must be there for the next run."""

    def stamp_once(model: Any) -> None:
        if not registered:
            registered.append(model)

            @event.listens_for(Session, "before_flush")
            def stamp(session: Any, flush_context: Any, instances: Any) -> None:
                for obj in session.dirty:
                    if type(obj).__name__ == "Note" and session.is_modified(obj):
                        obj.updated_at = clock.now()

            registered.append(stamp)

    registered: list[Any] = []
    try:
        result = await exercises.get("13.stamp_updates").check(stamp_once)
        assert event.contains(Session, "before_flush", registered[1])
    finally:
        event.remove(Session, "before_flush", registered[1])
    assert result.status == "passed", result.message


async def test_a_listener_registered_before_the_check_is_the_learners_and_stays() -> None:
    def stamp(mapper: Any, connection: Any, target: Any) -> None:
        pass

    def right(model: Any) -> None:
        event.listen(model, "before_update", lambda mapper, connection, target: setattr(target, "updated_at",
                                                                                        clock.now()))

    event.listen(Post, "before_update", stamp)  # a lesson cell's, before the practice
    try:
        result = await exercises.get("13.stamp_updates").check(right)
        assert result.status == "passed", result.message
        assert event.contains(Post, "before_update", stamp)
    finally:
        event.remove(Post, "before_update", stamp)
