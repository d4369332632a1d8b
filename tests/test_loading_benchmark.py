"""lesson04_loading_benchmark and lesson04_loader_default_models: what lesson 04 measures and shows, on every
backend."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import select
from sqlalchemy.exc import InvalidRequestError
from sqlalchemy.orm import selectinload

from lessons.core.database import LessonDatabase
from lessons.lens.sql import expect_queries
from lessons.scenery.lesson04_loader_default_models import Author, Book, add_authors_and_books
from lessons.scenery.lesson04_loading_benchmark import (
    BENCH_USERS,
    POSTS_PER_USER,
    build_bench_database,
    measure_loading,
)

# build_bench_database copies the database DATABASE_URL names, as in the lesson: run each test once per backend.
pytestmark = pytest.mark.usefixtures("database_url_env")


async def test_the_bench_has_ten_posts_per_user_and_the_statements_do_not_depend_on_the_machine(
    db: LessonDatabase,
) -> None:
    bench = await build_bench_database(f"test-bench-{os.getpid()}")
    try:
        results = await measure_loading({"with": bench}, sizes=(10, 600))
    finally:
        await bench.drop()
    statements = results.pivot(index="users", columns="strategy", values="statements")
    assert statements.loc[10].to_dict() == {"awaitable_attrs loop": 11, "joinedload": 1, "selectinload": 2}
    assert statements.loc[600].to_dict() == {"awaitable_attrs loop": 601, "joinedload": 1, "selectinload": 3}
    assert (results["posts"] == results["users"] * POSTS_PER_USER).all()
    assert (results["seconds"] > 0).all() and (results["cpu"] >= 0).all()
    assert BENCH_USERS == 1000


async def test_dropping_the_user_id_index_works_except_on_mariadb(db: LessonDatabase) -> None:
    name = f"test-bench-unindexed-{os.getpid()}"
    if db.backend == "mysql":
        with pytest.raises(Exception, match="foreign key"):
            await build_bench_database(name, index=False)
        return
    bench = await build_bench_database(name, index=False)
    await bench.drop()


async def test_loader_defaults_in_the_model(db: LessonDatabase) -> None:
    await add_authors_and_books(db)
    async with db.Session() as session:
        with expect_queries(2):  # Book.author is lazy="selectin"
            books = (await session.scalars(select(Book).order_by(Book.id))).all()
        assert [book.author.name for book in books] == ["Ada Lovelace", "Ada Lovelace", "Grace Hopper"]
        ada = await session.scalar(select(Author).where(Author.name == "Ada Lovelace"))
        with pytest.raises(InvalidRequestError, match="lazy='raise'"):
            await ada.awaitable_attrs.books
        ada = await session.scalar(select(Author).where(Author.id == ada.id).options(selectinload(Author.books)))
        assert [book.title for book in ada.books] == ["Notes on the Engine", "Sketch of the Engine"]
