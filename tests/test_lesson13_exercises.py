"""Lesson 13's checkers say what is really wrong: a flushed but uncommitted change is 'never committed', and a
listener that stamps with SQL's now() is judged by the row, not by a lazy load that crashes the checker."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import flag_modified

from lessons import exercises


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
