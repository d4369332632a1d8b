"""lessons.lens.rows_read: SQLite counts the rows a query visits and keeps, and the count agrees with the plan."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select, text, tuple_

from lessons.core.database import LessonDatabase, fresh_database
from lessons.core.models import Post
from lessons.core.settings import DEFAULT_URL as SQLITE_URL
from lessons.lens.rows_read import RowsRead, rows_read


@pytest.fixture
async def sqlite_db() -> AsyncIterator[LessonDatabase]:
    # SQLite only (the counters are SQLite functions): not in the backend matrix.
    db = await fresh_database(f"test-rows-read-{os.getpid()}", SQLITE_URL, make_current=False)
    yield db
    await db.drop()


async def test_offset_reads_every_row_before_its_page(sqlite_db: LessonDatabase) -> None:
    # 1,000 posts; no index on created_at: the whole table is read, and everything passes the (empty) WHERE.
    statement = select(Post).order_by(Post.created_at, Post.id).offset(500).limit(20)
    assert await rows_read(statement, on=sqlite_db) == RowsRead(read=1000, kept=1000)
    # By primary key the table is walked in order and stops after the page.
    assert await rows_read(select(Post).order_by(Post.id).offset(500).limit(20), on=sqlite_db) == RowsRead(520, 520)


async def test_keyset_filters_before_it_sorts_and_searches_with_an_index(sqlite_db: LessonDatabase) -> None:
    async with sqlite_db.engine.connect() as conn:
        key = tuple((await conn.execute(select(Post.created_at, Post.id).order_by(Post.created_at, Post.id)
                                        .offset(899).limit(1))).one())
    keyset = select(Post).where(tuple_(Post.created_at, Post.id) > key).order_by(Post.created_at, Post.id).limit(20)
    without_index = await rows_read(keyset, on=sqlite_db)
    assert without_index == RowsRead(read=1000, kept=100)
    async with sqlite_db.engine.begin() as conn:
        await conn.execute(text("CREATE INDEX ix_posts_created_at_id ON posts (created_at, id)"))
    with_index = await rows_read(keyset, on=sqlite_db)
    assert with_index.kept == 20 and 20 <= with_index.read <= 22


async def test_other_backends_are_refused() -> None:
    pytest.importorskip("asyncpg")
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    with pytest.raises(ValueError, match="SQLite"):
        await rows_read(select(Post), on=engine)
