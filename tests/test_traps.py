"""show_error: prints the error class, insists on the expected one, and keeps warnings inside the cell."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import MissingGreenlet
from sqlalchemy.ext.asyncio import async_sessionmaker

from lessons.core.models import User
from lessons.lens.traps import show_error


def test_prints_class_and_first_line(capsys: pytest.CaptureFixture[str]) -> None:
    with show_error(expected=KeyError):
        {}["missing"]
    assert capsys.readouterr().out == "KeyError: 'missing'\n"


def test_a_different_error_fails_the_cell() -> None:
    with pytest.raises(AssertionError, match="expected KeyError, got ValueError"), show_error(expected=KeyError):
        raise ValueError("nope")


def test_no_error_fails_when_one_was_expected() -> None:
    with pytest.raises(AssertionError, match="nothing was raised"), show_error(expected=KeyError):
        pass


async def test_lazy_load_after_commit_is_caught_by_the_wrapped_class(db, capsys) -> None:
    Session = async_sessionmaker(db.engine)  # expire_on_commit=True, the default
    async with Session() as session:
        user = await session.get(User, 1)
        await session.commit()
        with show_error(expected=MissingGreenlet):
            _ = user.name
    out = capsys.readouterr().out
    # SQLite fails while executing (StatementError wrapping it); asyncpg already when checking out a connection.
    assert out.startswith(("StatementError (wrapping MissingGreenlet): ", "MissingGreenlet: "))
    assert "greenlet_spawn has not been called" in out


async def test_an_unawaited_delete_is_reported_and_deletes_nothing(db, capsys) -> None:
    async with db.Session() as session:
        user = await session.get(User, 5)
        with show_error():
            session.delete(user)  # ERRATA 1: a coroutine, never awaited
        await session.commit()
    async with db.Session() as session:
        assert await session.get(User, 5) is not None
    assert capsys.readouterr().out == "Runtime warning: coroutine 'AsyncSession.delete' was never awaited\n"


def test_a_pymysql_message_keeps_its_brackets() -> None:
    # Only SQLAlchemy's "(module.Class) " prefix is cut; PyMySQL's message is a tuple with ") " inside it.
    from lessons.lens.traps import first_line

    message = "(1452, 'a foreign key constraint fails (`posts`, FOREIGN KEY (`user_id`) REFERENCES `users` (`id`))')"
    assert first_line(Exception(message)) == message
    assert first_line(Exception(f"(pymysql.err.IntegrityError) {message}")) == message
