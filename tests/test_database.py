"""What every lesson relies on from ``lessons.core.database``: fresh, private, resettable, seeded databases."""

from __future__ import annotations

import hashlib
import os
from datetime import timezone

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from lessons.core.database import fresh_database, sqlite_path
from lessons.core.models import Post, User
from lessons.core.pristine import ensure_pristine
from lessons.core.seed import SIZES


async def count(db, model) -> int:
    async with db.Session() as session:
        return await session.scalar(select(func.count()).select_from(model))


async def test_fresh_database_is_seeded(db) -> None:
    assert await count(db, User) == SIZES["default"].users
    assert await count(db, Post) == SIZES["default"].posts


async def test_unknown_user_id_is_refused_on_every_backend(db) -> None:
    # ERRATA 11: without PRAGMA foreign_keys=ON, SQLite would accept this row.
    async with db.Session() as session:
        session.add(Post(title="Orphan", content="", user_id=999_999))
        with pytest.raises(IntegrityError):
            await session.commit()
        await session.rollback()
    assert await count(db, Post) == SIZES["default"].posts


async def test_lessons_are_isolated_and_the_pristine_database_is_never_written(course_url: str) -> None:
    pid = os.getpid()
    first = await fresh_database(f"isolation-a-{pid}", course_url, make_current=False)
    second = await fresh_database(f"isolation-b-{pid}", course_url, make_current=False)
    pristine = await ensure_pristine(first._base_url)
    before = hashlib.sha256(sqlite_path(pristine).read_bytes()).hexdigest() if first.backend == "sqlite" else None
    try:
        async with first.Session() as session:
            await session.execute(text("DELETE FROM comments"))
            await session.execute(text("DELETE FROM posts"))
            await session.commit()
        assert await count(first, Post) == 0
        assert await count(second, Post) == SIZES["default"].posts
        again = await fresh_database(f"isolation-c-{pid}", course_url, make_current=False)
        assert await count(again, Post) == SIZES["default"].posts
        await again.drop()
        if before is not None:
            assert hashlib.sha256(sqlite_path(pristine).read_bytes()).hexdigest() == before
    finally:
        await first.drop()
        await second.drop()


async def test_calling_fresh_database_again_discards_changes(course_url: str) -> None:
    name = f"reset-{os.getpid()}"
    db = await fresh_database(name, course_url, make_current=False)
    async with db.Session() as session:
        (await session.get(User, 1)).name = "Changed"
        await session.commit()
    db = await db.reset()
    try:
        async with db.Session() as session:
            assert (await session.get(User, 1)).name != "Changed"
    finally:
        await db.drop()


async def test_timestamps_are_aware_and_both_set_on_insert(db) -> None:
    async with db.Session() as session:
        user = User(name="Ada", email="ada@example.org")
        session.add(user)
        await session.commit()
        user_id = user.id
    async with db.Session() as session:
        stored = await session.get(User, user_id)
        assert stored.created_at.tzinfo is timezone.utc
        assert stored.created_at == stored.updated_at
        seeded = await session.get(User, 1)
        assert seeded.created_at.tzinfo is timezone.utc


async def test_naive_datetimes_are_refused(db) -> None:
    from datetime import datetime

    async with db.Session() as session:
        session.add(User(name="Naive", email="naive@example.org", email_verified_at=datetime(2025, 1, 1)))
        with pytest.raises(Exception, match="naive datetime"):
            await session.commit()


def test_default_url_is_sqlite_in_a_git_ignored_folder() -> None:
    from lessons.core.settings import DEFAULT_URL, ROOT, parse_database_url

    url = parse_database_url(DEFAULT_URL)
    assert url.drivername == "sqlite+aiosqlite"
    assert url.database.startswith(str(ROOT / ".data"))
    assert ".data/" in (ROOT / ".gitignore").read_text()
