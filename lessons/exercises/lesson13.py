"""Practice for lesson 13: raw SQL with a bound parameter that returns real ``User`` objects."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, inspect, select, text
from sqlalchemy.engine import Engine, Row
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.context import FromStatement
from sqlalchemy.sql.elements import TextClause
from sqlalchemy.sql.selectable import TextualSelect

from lessons.database import LessonDatabase
from lessons.exercises.framework import Exercise, Incorrect, count_statements, register
from lessons.models import User

#: The age the checker asks for: an unusual number, so it is easy to spot if it is pasted into the SQL text.
AGE = 61


async def users_older_than(session: AsyncSession, age: int) -> Sequence[User]:
    statement = select(User).from_statement(text("SELECT * FROM users WHERE age > :age ORDER BY id"))
    return (await session.scalars(statement, {"age": age})).all()


async def _right_bindparams(session: AsyncSession, age: int) -> list[User]:
    raw = text("SELECT users.* FROM users WHERE users.age > :minimum ORDER BY users.id").bindparams(minimum=age)
    result = await session.execute(select(User).from_statement(raw))
    return list(result.scalars())


async def _right_every_column_named(session: AsyncSession, age: int) -> list[User]:
    columns = ", ".join(column.name for column in User.__table__.columns)
    raw = text(f"SELECT {columns} FROM users WHERE age > :age ORDER BY id")  # column names only, never values
    return list((await session.scalars(select(User).from_statement(raw), {"age": age})).all())


async def _right_textual_select(session: AsyncSession, age: int) -> list[User]:
    # text().columns(...) says which columns the SQL returns; from_statement maps them onto User.
    raw = text("SELECT * FROM users WHERE age > :age ORDER BY id").columns(*User.__table__.columns)
    rows = await session.execute(select(User).from_statement(raw), {"age": age})
    return [user for (user,) in rows]


async def _wrong_orm_query(session: AsyncSession, age: int) -> Sequence[User]:
    # Right rows, but the task is to run the legacy report's SQL as it is written.
    return (await session.scalars(select(User).where(User.age > age).order_by(User.id))).all()


async def _wrong_at_least(session: AsyncSession, age: int) -> Sequence[User]:
    raw = text("SELECT * FROM users WHERE age >= :age ORDER BY id")
    return (await session.scalars(select(User).from_statement(raw), {"age": age})).all()


async def _wrong_columns_then_scalars(session: AsyncSession, age: int) -> Sequence[Any]:
    raw = text("SELECT * FROM users WHERE age > :age ORDER BY id").columns(User.id, User.name, User.email)
    return (await session.scalars(raw, {"age": age})).all()


async def _wrong_plain_rows(session: AsyncSession, age: int) -> Sequence[Any]:
    return (await session.execute(text("SELECT * FROM users WHERE age > :age ORDER BY id"), {"age": age})).all()


async def _wrong_value_in_the_text(session: AsyncSession, age: int) -> Sequence[User]:
    raw = text(f"SELECT * FROM users WHERE age > {age} ORDER BY id")
    return (await session.scalars(select(User).from_statement(raw))).all()


async def _wrong_some_columns(session: AsyncSession, age: int) -> Sequence[User]:
    raw = text("SELECT id, name, email FROM users WHERE age > :age ORDER BY id")
    return (await session.scalars(select(User).from_statement(raw), {"age": age})).all()


@register
class UsersFromRawSql(Exercise):
    id = "13.users_older_than"
    title = "Raw SQL that returns User objects"
    hints = [
        "text('SELECT * FROM users WHERE age > :age ORDER BY id') is the SQL; :age is a bound parameter whose "
        "value you pass separately. A text() alone gives rows; select(User).from_statement(...) gives Users.",
        "statement = select(User).from_statement(text(...)); then "
        "(await session.scalars(statement, {'age': age})).all().",
    ]
    reference = users_older_than
    right_answers = [users_older_than, _right_bindparams, _right_every_column_named, _right_textual_select]
    wrong_answers = [
        _wrong_columns_then_scalars,
        _wrong_plain_rows,
        _wrong_value_in_the_text,
        _wrong_some_columns,
        _wrong_orm_query,
        _wrong_at_least,
    ]

    async def judge(self, answer: Any, db: LessonDatabase) -> str:
        # A user of exactly AGE (not older: left out) and one with no age at all, on top of the seed.
        async with db.Session() as session:
            exactly = User(name="Exactly Sixty-One", email="exactly61@example.net", age=AGE)
            session.add_all([exactly, User(name="Ageless", email="ageless@example.net", age=None)])
            await session.commit()
            exactly_id = exactly.id
        async with db.Session() as session:
            expected = list((await session.scalars(select(User.id).where(User.age > AGE).order_by(User.id))).all())
        async with db.Session() as session:
            with count_statements() as queries, _raw_sql_seen() as raw:
                got = await self.call(answer, session, AGE)
            if got is None:
                raise Incorrect("your function returned None; return the list of User objects.")
            if isinstance(got, str | bytes | dict | User) or not isinstance(got, Iterable):
                raise Incorrect(f"your function returned {_short(got)}; return a list of User objects.")
            got = list(got)
            if got and isinstance(got[0], int):
                raise Incorrect(
                    "you returned plain ids (ints), not User objects: .columns(...) then .scalars() keeps the first "
                    "column only. Wrap the text in select(User).from_statement(...)."
                )
            if got and isinstance(got[0], Row):
                raise Incorrect(
                    "you returned Row tuples, not User objects: wrap the text in select(User).from_statement(...) "
                    "and read it with .scalars()."
                )
            if any(not isinstance(item, User) for item in got):
                kind = next(type(item).__name__ for item in got if not isinstance(item, User))
                raise Incorrect(f"your list holds {kind} values; return User objects.")
            ids = [user.id for user in got]
            if exactly_id in ids:
                raise Incorrect(
                    f"you returned user {exactly_id}, who is exactly {AGE}, not older: the SQL says age > :age."
                )
            if ids != expected:
                raise Incorrect(
                    f"you returned {len(ids)} users (first ids {ids[:3]}); {len(expected)} users are older than "
                    f"{AGE} (first ids {expected[:3]}), ordered by id."
                )
            columns = {attribute.key for attribute in inspect(User).column_attrs}
            unloaded = sorted(columns & inspect(got[0]).unloaded) if got else []
            if unloaded:
                raise Incorrect(
                    f"your SELECT left out {', '.join(unloaded)}: those attributes are not loaded, and reading one "
                    "raises under asyncio. Select every column (SELECT * or users.*)."
                )
        if queries.count != 1:
            listing = "\n".join(f"{number}. {s.sql}" for number, s in enumerate(queries.statements, 1))
            raise Incorrect(f"your function sent {queries.count} statements; one SELECT is enough:\n{listing}")
        statement = queries.statements[0]
        if not raw:
            raise Incorrect(
                f"right users, but the statement was built by SQLAlchemy's select(), not run from the report's SQL:\n"
                f"{statement.sql}\nRun the given SQL with text(...) inside select(User).from_statement(...)."
            )
        if AGE not in _values(statement.parameters):
            raise Incorrect(
                f"the number {AGE} is not among the statement's bound parameters ({statement.parameters!r}); it "
                f"was written into the SQL text:\n{statement.sql}\nPass it as a bound parameter (:age in the text, "
                "the value beside it), so user input can never change the SQL."
            )
        return f"{len(got)} User objects from one raw SELECT, with the age as a bound parameter."


@contextmanager
def _raw_sql_seen() -> Iterator[list[str]]:
    """Collect the statements run from SQL text (``text()``, ``from_statement(text())``, ``exec_driver_sql``)."""
    seen: list[str] = []

    def hook(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        compiled = getattr(context, "compiled", None)
        if compiled is None:  # exec_driver_sql: the driver got the string as written
            seen.append(statement)
            return
        element = compiled.statement
        if isinstance(element, FromStatement):
            element = element.element
        if isinstance(element, TextClause | TextualSelect):
            seen.append(statement)

    event.listen(Engine, "before_cursor_execute", hook)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", hook)


def _short(value: Any) -> str:
    shown = repr(value)
    return f"a {type(value).__name__}, {shown[:80]}{'…' if len(shown) > 80 else ''}"


def _values(parameters: Any) -> list[Any]:
    if isinstance(parameters, dict):
        return list(parameters.values())
    return list(parameters or ())
