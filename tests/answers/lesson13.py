"""Known answers the checkers' authors wrote (moved from lessons/exercises/), with their verdicts."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import event, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import flag_modified

from lessons.core import clock
from lessons.core.models import User
from tests.answers import right, wrong


@right("13.users_older_than")
async def users_older_than(session: AsyncSession, age: int) -> Sequence[User]:
    statement = select(User).from_statement(text("SELECT * FROM users WHERE age > :age ORDER BY id"))
    return (await session.scalars(statement, {"age": age})).all()


@right("13.users_older_than")
async def right_bindparams(session: AsyncSession, age: int) -> list[User]:
    raw = text("SELECT users.* FROM users WHERE users.age > :minimum ORDER BY users.id").bindparams(minimum=age)
    result = await session.execute(select(User).from_statement(raw))
    return list(result.scalars())


@right("13.users_older_than")
async def right_every_column_named(session: AsyncSession, age: int) -> list[User]:
    columns = ", ".join(column.name for column in User.__table__.columns)
    raw = text(f"SELECT {columns} FROM users WHERE age > :age ORDER BY id")  # column names only, never values
    return list((await session.scalars(select(User).from_statement(raw), {"age": age})).all())


@right("13.users_older_than")
async def right_textual_select(session: AsyncSession, age: int) -> list[User]:
    # text().columns(...) says which columns the SQL returns; from_statement maps them onto User.
    raw = text("SELECT * FROM users WHERE age > :age ORDER BY id").columns(*User.__table__.columns)
    rows = await session.execute(select(User).from_statement(raw), {"age": age})
    return [user for (user,) in rows]


@wrong("13.users_older_than", "columns then scalars")
async def wrong_columns_then_scalars(session: AsyncSession, age: int) -> Sequence[Any]:
    raw = text("SELECT * FROM users WHERE age > :age ORDER BY id").columns(User.id, User.name, User.email)
    return (await session.scalars(raw, {"age": age})).all()


@wrong("13.users_older_than", "plain rows")
async def wrong_plain_rows(session: AsyncSession, age: int) -> Sequence[Any]:
    return (await session.execute(text("SELECT * FROM users WHERE age > :age ORDER BY id"), {"age": age})).all()


@wrong("13.users_older_than", "value in the text")
async def wrong_value_in_the_text(session: AsyncSession, age: int) -> Sequence[User]:
    raw = text(f"SELECT * FROM users WHERE age > {age} ORDER BY id")
    return (await session.scalars(select(User).from_statement(raw))).all()


@wrong("13.users_older_than", "some columns")
async def wrong_some_columns(session: AsyncSession, age: int) -> Sequence[User]:
    raw = text("SELECT id, name, email FROM users WHERE age > :age ORDER BY id")
    return (await session.scalars(select(User).from_statement(raw), {"age": age})).all()


@wrong("13.users_older_than", "orm query")
async def wrong_orm_query(session: AsyncSession, age: int) -> Sequence[User]:
    # Right rows, but the task is to run the legacy report's SQL as it is written.
    return (await session.scalars(select(User).where(User.age > age).order_by(User.id))).all()


@wrong("13.users_older_than", "at least")
async def wrong_at_least(session: AsyncSession, age: int) -> Sequence[User]:
    raw = text("SELECT * FROM users WHERE age >= :age ORDER BY id")
    return (await session.scalars(select(User).from_statement(raw), {"age": age})).all()


@right("13.set_editor_font")
async def set_editor_font(session: AsyncSession, account: Any, font: str) -> None:
    account.preferences["editor"]["font"] = font
    flag_modified(account, "preferences")  # the inner dict is a plain dict: tell the session
    await session.commit()


@right("13.set_editor_font")
async def right_new_inner_dict(session: AsyncSession, account: Any, font: str) -> None:
    # Assigning a top-level key is a change MutableDict sees.
    account.preferences["editor"] = {**account.preferences["editor"], "font": font}
    await session.commit()


@right("13.set_editor_font")
async def right_new_document(session: AsyncSession, account: Any, font: str) -> None:
    preferences = copy.deepcopy(dict(account.preferences))  # a copy: the old value stays as it was
    preferences["editor"]["font"] = font
    account.preferences = preferences
    await session.commit()


@wrong("13.set_editor_font", "nested only")
async def wrong_nested_only(session: AsyncSession, account: Any, font: str) -> None:
    account.preferences["editor"]["font"] = font
    await session.commit()


@wrong("13.set_editor_font", "reassigned after the change")
async def wrong_reassigned_after_the_change(session: AsyncSession, account: Any, font: str) -> None:
    # The old value *is* the changed dict, so old and new compare equal: nothing to write.
    account.preferences["editor"]["font"] = font
    account.preferences = dict(account.preferences)
    await session.commit()


@wrong("13.set_editor_font", "inner dict replaced")
async def wrong_inner_dict_replaced(session: AsyncSession, account: Any, font: str) -> None:
    account.preferences["editor"] = {"font": font}  # drops the other editor settings
    await session.commit()


@wrong("13.set_editor_font", "never committed")
async def wrong_never_committed(session: AsyncSession, account: Any, font: str) -> None:
    account.preferences["editor"]["font"] = font
    flag_modified(account, "preferences")


@wrong("13.set_editor_font", "flushed not committed")
async def wrong_flushed_not_committed(session: AsyncSession, account: Any, font: str) -> None:
    # The UPDATE is sent, but in a transaction that ends in a rollback when the session closes.
    account.preferences["editor"]["font"] = font
    flag_modified(account, "preferences")
    await session.flush()


@right("13.stamp_updates")
def stamp_updates(model: Any) -> None:
    @event.listens_for(model, "before_update")
    def stamp(mapper: Any, connection: Any, target: Any) -> None:
        target.updated_at = clock.now()


@right("13.stamp_updates")
def right_listen_with_real_time(model: Any) -> None:
    def touch(mapper: Any, connection: Any, target: Any) -> None:
        target.updated_at = datetime.now(timezone.utc)

    event.listen(model, "before_update", touch)


@right("13.stamp_updates")
def right_setattr_utc(model: Any) -> None:
    event.listen(model, "before_update", lambda mapper, connection, target: setattr(target, "updated_at", clock.now()))


@wrong("13.stamp_updates", "before insert")
def wrong_before_insert(model: Any) -> None:
    @event.listens_for(model, "before_insert")
    def stamp(mapper: Any, connection: Any, target: Any) -> None:
        target.updated_at = clock.now()


@wrong("13.stamp_updates", "naive time")
def wrong_naive_time(model: Any) -> None:
    @event.listens_for(model, "before_update")
    def stamp(mapper: Any, connection: Any, target: Any) -> None:
        target.updated_at = clock.now().replace(tzinfo=None)  # what datetime.utcnow() returns


@wrong("13.stamp_updates", "async listener")
def wrong_async_listener(model: Any) -> None:
    @event.listens_for(model, "before_update")
    async def stamp(mapper: Any, connection: Any, target: Any) -> None:  # called, never awaited
        target.updated_at = clock.now()


@wrong("13.stamp_updates", "after update")
def wrong_after_update(model: Any) -> None:
    @event.listens_for(model, "after_update")
    def stamp(mapper: Any, connection: Any, target: Any) -> None:  # the UPDATE has been sent already
        target.updated_at = clock.now()


@wrong("13.stamp_updates", "second update")
def wrong_second_update(model: Any) -> None:
    # The stamp is saved, but by an UPDATE of its own: two round trips per save, and the object keeps the old time.
    @event.listens_for(model, "after_update")
    def stamp(mapper: Any, connection: Any, target: Any) -> None:
        table = model.__table__
        connection.execute(update(table).where(table.c.id == target.id).values(updated_at=clock.now()))

