"""The SQL lens: deterministic output, exact counts, and failures that list the statements."""

from __future__ import annotations

import contextlib
import io

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lessons.models import Post, User
from lessons.sql import Statement, count_queries, expect_queries, explain, summarize, to_sql
from lessons.traps import show_error


async def capture_show_sql(db) -> str:
    from lessons.sql import show_sql

    out = io.StringIO()
    async with db.Session() as session:
        with contextlib.redirect_stdout(out), show_sql():
            user = await session.get(User, 3)
            user.name = "Renamed"
            await session.commit()
    return out.getvalue()


async def test_show_sql_prints_the_same_text_on_every_run(db) -> None:
    first = await capture_show_sql(db)
    db = await db.reset()
    second = await capture_show_sql(db)
    assert first == second
    if db.backend == "sqlite":
        assert first == (
            "BEGIN (implicit)\n"
            "SELECT users.id, users.name, users.email, users.age, users.role, users.is_active, "
            "users.email_verified_at, users.password_hash, users.created_at, users.updated_at\n"
            "FROM users\n"
            "WHERE users.id = ?\n"
            "[parameters] (3,)\n"
            "UPDATE users SET name=?, updated_at=? WHERE users.id = ?\n"
            "[parameters] ('Renamed', '2025-01-15 09:00:00.000000', 3)\n"
            "COMMIT\n"
        )


async def test_count_queries_counts_selectinload_as_two(db) -> None:
    async with db.Session() as session:
        with count_queries() as queries:
            users = (await session.scalars(select(User).where(User.id <= 5).options(selectinload(User.posts)))).all()
        assert queries.count == 2
        assert len(users) == 5


async def test_expect_queries_fails_and_lists_the_statements(db) -> None:
    async with db.Session() as session:
        with pytest.raises(AssertionError) as failure, expect_queries(1):
            await session.get(User, 1)
            await session.get(User, 2)
    message = str(failure.value)
    assert message.startswith("expected 1 statements, 2 ran:")
    assert "1. SELECT users.id" in message and "2. SELECT users.id" in message


async def test_expect_queries_names_every_statement_on_its_first_line(db, capsys) -> None:
    # show_error prints only an error's first line (lesson 04's N+1 trap): that line must say what ran.
    async with db.Session() as session:
        with show_error(expected=AssertionError), expect_queries(2):
            users = (await session.scalars(select(User).order_by(User.id).limit(3))).all()
            for user in users:
                await user.awaitable_attrs.posts
    printed = capsys.readouterr().out.strip()
    assert printed == "AssertionError: expected 2 statements, 4 ran: SELECT … FROM users, SELECT … FROM posts ×3"


def test_summarize_folds_repeats_and_names_tables() -> None:
    ran = [Statement("INSERT INTO posts (title) VALUES (?)", ("a",)), Statement("UPDATE posts SET title=?", ("b",)),
           Statement("UPDATE posts SET title=?", ("c",)), Statement("PRAGMA foreign_keys", ())]
    assert summarize(ran) == "INSERT INTO posts, UPDATE posts ×2, PRAGMA foreign_keys"
    assert summarize([]) == "nothing"


async def test_expect_queries_passes_on_the_right_count(db) -> None:
    async with db.Session() as session:
        with expect_queries(1):
            await session.get(User, 1)


def test_to_sql_inlines_values_per_dialect() -> None:
    statement = select(Post.id).where(Post.user_id == 7, Post.title.like("%SQL%")).limit(3)
    assert to_sql(statement, "sqlite") == (
        "SELECT posts.id\nFROM posts\nWHERE posts.user_id = 7 AND posts.title LIKE '%SQL%'\n LIMIT 3 OFFSET 0"
    )
    assert "LIMIT 3" in to_sql(statement, "postgresql")


async def test_explain_shows_the_index_on_posts_user_id(db) -> None:
    plan = await explain(select(Post).where(Post.user_id == 3), on=db)
    if db.backend == "sqlite":
        assert plan.text == "QUERY PLAN\n`--SEARCH posts USING INDEX ix_posts_user_id (user_id=?)"
    elif db.backend == "mysql":
        assert "ix_posts_user_id" in plan
    else:
        assert plan.lines
