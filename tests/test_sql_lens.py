"""The SQL lens: deterministic output, exact counts, and failures that list the statements."""

from __future__ import annotations

import contextlib
import io

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lessons.core.models import Post, User
from lessons.lens.sql import (
    SQL_WIDTH,
    Statement,
    count_queries,
    expect_queries,
    explain,
    show_sql,
    summarize,
    to_sql,
    wrap_sql,
)
from lessons.lens.traps import show_error


async def capture_show_sql(db) -> str:
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
            "SELECT users.id, users.name, users.email, users.age, users.role, users.is_active,\n"
            "    users.email_verified_at, users.password_hash, users.created_at, users.updated_at\n"
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


# Wrapping: the lens prints lines of at most SQL_WIDTH characters, broken where a reader expects a break, so the
# browser never breaks them itself in the middle of a name (users.password_|hash).


def longest(text: str) -> int:
    return max(len(line) for line in text.splitlines())


def test_a_long_select_list_wraps_after_commas_with_continuations_indented() -> None:
    statement = select(User).where(User.id == 3)
    printed = to_sql(statement, "sqlite")
    assert printed == (
        "SELECT users.id, users.name, users.email, users.age, users.role, users.is_active,\n"
        "    users.email_verified_at, users.password_hash, users.created_at, users.updated_at\n"
        "FROM users\n"
        "WHERE users.id = 3"
    )
    # Unwrapped, it is the SQL SQLAlchemy compiles: nothing added or lost but the line breaks.
    assert " ".join(printed.split()) == " ".join(str(statement.compile()).replace(":id_1", "3").split())


def test_every_name_stays_whole() -> None:
    columns = ", ".join(f"posts_1.column_number_{n}" for n in range(12))
    wrapped = wrap_sql(f"SELECT {columns} FROM posts AS posts_1")
    assert longest(wrapped) <= SQL_WIDTH
    words = wrapped.replace(",", " ").split()
    assert [word for word in words if word.startswith("posts_1.")] == [f"posts_1.column_number_{n}" for n in range(12)]
    assert all(line.startswith("    ") for line in wrapped.splitlines()[1:])


def test_a_comma_inside_a_string_literal_is_never_a_break() -> None:
    literal = "'Lovelace, Ada, Countess of Lovelace, mathematician, writer, and the first programmer'"
    sql = f"INSERT INTO users (name, email, age, role) VALUES ({literal}, 'ada@example.com', 36, 'user')"
    wrapped = wrap_sql(sql)
    assert any(literal in line for line in wrapped.splitlines()), wrapped
    assert wrapped.splitlines()[0] == "INSERT INTO users (name, email, age, role)"
    # Quoted identifiers and doubled quotes too.
    wrapped = wrap_sql("SELECT 'it''s, a, b' AS \"a, b\", " + ", ".join(f"column_{n}" for n in range(20)))
    assert "'it''s, a, b' AS \"a, b\"," in wrapped.splitlines()[0]


def test_lesson_02s_insert_keeps_its_column_list_on_the_first_line() -> None:
    # site/check.py looks for this prefix on lesson 02's page.
    statement = Statement(
        "INSERT INTO users (name, email, age, role, is_active, email_verified_at, password_hash, created_at, "
        "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        ("Ada Lovelace", "ada@example.com", 36, "user", 1, None, "", "2025-01-15 09:00:00.000000",
         "2025-01-15 09:00:00.000000"),
    )
    assert str(statement) == (
        "INSERT INTO users (name, email, age, role, is_active, email_verified_at, password_hash,\n"
        "    created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)\n"
        "[parameters] ('Ada Lovelace', 'ada@example.com', 36, 'user', 1, None, '',\n"
        "    '2025-01-15 09:00:00.000000', '2025-01-15 09:00:00.000000')"
    )


def test_an_executemany_parameter_line_wraps_between_values() -> None:
    rows = [(f"User number {n}, the {n}th", f"user{n}@example.com", n) for n in range(5)]
    printed = str(Statement("INSERT INTO users (name, email, age) VALUES (?, ?, ?)", rows, executemany=True))
    assert printed.splitlines() == [
        "INSERT INTO users (name, email, age) VALUES (?, ?, ?)",
        "[5 rows]",
        "    ('User number 0, the 0th', 'user0@example.com', 0),",
        "    ('User number 1, the 1th', 'user1@example.com', 1),",
        "    ('User number 2, the 2th', 'user2@example.com', 2),",
        "    … 2 more",
    ]
    # A row longer than the line wraps inside itself, indented once more; a short list stays on one line.
    rows = [("Bulk 1", "bulk1@example.com", "user", 1, "", "2025-01-15 09:00:00.000000", "2025-01-15 09:00:00.000000")]
    assert str(Statement("INSERT INTO users VALUES (?)", rows * 2, executemany=True)).splitlines()[1:] == [
        "[2 rows]",
        "    ('Bulk 1', 'bulk1@example.com', 'user', 1, '', '2025-01-15 09:00:00.000000',",
        "        '2025-01-15 09:00:00.000000'),",
        "    ('Bulk 1', 'bulk1@example.com', 'user', 1, '', '2025-01-15 09:00:00.000000',",
        "        '2025-01-15 09:00:00.000000')",
    ]
    assert str(Statement("DELETE FROM t WHERE id = ?", [(1,), (2,)], executemany=True)) == (
        "DELETE FROM t WHERE id = ?\n[2 rows] (1,), (2,)"
    )


def test_clauses_left_on_one_line_break_before_their_keyword() -> None:
    sql = ("SELECT posts.id FROM posts WHERE posts.published = 1 AND posts.user_id = 3 "
           "AND posts.title LIKE '%a AND b%' ORDER BY posts.id")
    wrapped = wrap_sql(sql, width=60)
    assert wrapped.splitlines() == [
        "SELECT posts.id FROM posts WHERE posts.published = 1",
        "    AND posts.user_id = 3 AND posts.title LIKE '%a AND b%'",
        "    ORDER BY posts.id",
    ]


def test_a_line_that_fits_is_left_alone() -> None:
    assert wrap_sql("SELECT 1\n LIMIT 3 OFFSET 0") == "SELECT 1\n LIMIT 3 OFFSET 0"


async def test_expect_queries_lists_wrapped_statements(db) -> None:
    async with db.Session() as session:
        with pytest.raises(AssertionError) as failure, expect_queries(0):
            await session.get(User, 1)
    message = str(failure.value)
    assert longest(message.split("\n", 1)[1]) <= SQL_WIDTH
    assert "users.password_hash" in message


async def test_show_sql_without_parameters_wraps_too(db, capsys) -> None:
    async with db.Session() as session:
        with show_sql(parameters=False, transactions=False):
            await session.get(User, 1)
    printed = capsys.readouterr().out
    assert longest(printed) <= SQL_WIDTH and "users.password_hash" in printed


def test_a_join_keeps_its_condition_beside_it() -> None:
    statement = select(User.name, Post.title).join(User.posts).join(Post.comments)
    assert to_sql(statement, "sqlite").splitlines() == [
        "SELECT users.name, posts.title",
        "FROM users JOIN posts ON users.id = posts.user_id",
        "    JOIN comments ON posts.id = comments.post_id",
    ]


def test_a_lesson_databases_name_prints_the_same_for_every_learner_and_kernel(capsys) -> None:
    """MariaDB names the lesson's copy in DESCRIBE and in errors; its namespace and process part must not show."""
    from lessons.core.pristine import copy_url
    from lessons.core.settings import parse_database_url
    from lessons.lens.sql import Statement

    name = copy_url(parse_database_url("mysql+aiomysql://root@127.0.0.1:3306/test"), "01-models").database
    assert str(Statement(f"DESCRIBE `{name}`.`users`", ())) == "DESCRIBE `test_<you>_01_models_<kernel>`.`users`"
    with show_error(expected=RuntimeError):
        raise RuntimeError(f"(pymysql.err.ProgrammingError) Table '{name}.nope' doesn't exist")
    assert capsys.readouterr().out == "RuntimeError: Table 'test_<you>_01_models_<kernel>.nope' doesn't exist\n"
