"""Answers to lessons 13a-13c's practice (13.users_older_than, 13.set_editor_font, 13.stamp_updates), written from
the task statements alone (not from the checkers).

13.users_older_than: run ``SELECT * FROM users WHERE age > :age ORDER BY id`` with ``age`` bound, return ``User``
objects with every column loaded, in one statement.
13.set_editor_font: set ``account.preferences["editor"]["font"]`` (a ``MutableDict`` JSON column) and save it,
keeping every other setting; the checker reads the row from another connection.
13.stamp_updates: from then on, every ORM update of a ``model`` object sets ``updated_at`` to the current,
timezone-aware time, in the same ``UPDATE``.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Integer, bindparam, event, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from lessons.core import clock
from lessons.core.models import Post, User
from tests.answers import right, wrong

SQL = "SELECT * FROM users WHERE age > :age ORDER BY id"


# ------------------------------------------------------------------------------------------ 13.users_older_than
@right("13.users_older_than")
async def older_from_statement(session: AsyncSession, age: int) -> Sequence[User]:
    return (await session.scalars(select(User).from_statement(text(SQL)), {"age": age})).all()


@right("13.users_older_than")
async def older_typed_columns(session: AsyncSession, age: int) -> list[User]:
    # The text's result columns declared from the table, the parameter bound in the construct itself.
    statement = text(SQL).bindparams(age=age).columns(*User.__table__.c)
    return list((await session.execute(select(User).from_statement(statement))).scalars())


@right("13.users_older_than")
async def older_typed_parameter(session: AsyncSession, age: int) -> list[User]:
    statement = text(SQL).bindparams(bindparam("age", type_=Integer))
    result = await session.execute(select(User).from_statement(statement), {"age": age})
    return [user for (user,) in result]


# Injection-prone: the value pasted into the SQL (and not a bound parameter, which is the task).
@wrong("13.users_older_than", "f-string SQL, not a bound parameter")
async def older_f_string(session: AsyncSession, age: int) -> Sequence[User]:
    sql = text(f"SELECT * FROM users WHERE age > {age} ORDER BY id")
    return (await session.scalars(select(User).from_statement(sql))).all()


# Wrong type: Rows, not User objects.
@wrong("13.users_older_than", "returns Rows, not User objects")
async def older_rows(session: AsyncSession, age: int) -> Sequence[Any]:
    return (await session.execute(text(SQL), {"age": age})).all()


# Wrong type: dicts.
@wrong("13.users_older_than", "returns dicts, not User objects")
async def older_dicts(session: AsyncSession, age: int) -> list[dict[str, Any]]:
    return [dict(row) for row in (await session.execute(text(SQL), {"age": age})).mappings()]


# Off by one: a user exactly `age` years old is not older than `age`.
@wrong("13.users_older_than", ">= instead of >")
async def older_or_equal(session: AsyncSession, age: int) -> Sequence[User]:
    sql = text("SELECT * FROM users WHERE age >= :age ORDER BY id")
    return (await session.scalars(select(User).from_statement(sql), {"age": age})).all()


# No ORDER BY: the order is whatever the database likes.
@wrong("13.users_older_than", "drops the ORDER BY")
async def older_unordered(session: AsyncSession, age: int) -> Sequence[User]:
    sql = text("SELECT * FROM users WHERE age > :age ORDER BY name DESC")
    return (await session.scalars(select(User).from_statement(sql), {"age": age})).all()


# Only two columns selected: every other attribute is unloaded, and cannot load after the session closes.
@wrong("13.users_older_than", "selects some columns only: objects half loaded")
async def older_two_columns(session: AsyncSession, age: int) -> Sequence[User]:
    sql = text("SELECT id, name FROM users WHERE age > :age ORDER BY id")
    return (await session.scalars(select(User).from_statement(sql), {"age": age})).all()


# N+1: the ids by SQL, then one SELECT per user.
@wrong("13.users_older_than", "N+1: a SELECT per user")
async def older_one_by_one(session: AsyncSession, age: int) -> list[User]:
    ids = (await session.scalars(text("SELECT id FROM users WHERE age > :age ORDER BY id"), {"age": age})).all()
    return [await session.get(User, user_id) for user_id in ids]


# Works for the lesson's example only.
@wrong("13.users_older_than", "hard-coded age")
async def older_than_thirty(session: AsyncSession, age: int) -> Sequence[User]:
    return (await session.scalars(select(User).from_statement(text(SQL)), {"age": 30})).all()


# Wrong type: a one-shot ScalarResult, not a sequence (len() fails; a second pass is empty).
@wrong("13.users_older_than", "returns a one-shot result, not a sequence")
async def older_result(session: AsyncSession, age: int):
    return await session.scalars(select(User).from_statement(text(SQL)), {"age": age})


# Not the given SQL: every user loaded, filtered in Python.
@wrong("13.users_older_than", "loads the whole table and filters in Python")
async def older_in_python(session: AsyncSession, age: int) -> list[User]:
    users = (await session.scalars(select(User).order_by(User.id))).all()
    return [user for user in users if user.age is not None and user.age > age]


# ------------------------------------------------------------------------------------------ 13.set_editor_font
@right("13.set_editor_font")
async def font_flag_modified(session: AsyncSession, account: Any, font: str) -> None:
    account.preferences["editor"]["font"] = font
    flag_modified(account, "preferences")
    await session.commit()


@right("13.set_editor_font")
async def font_new_editor_dict(session: AsyncSession, account: Any, font: str) -> None:
    # A new value for the top-level key: MutableDict sees that assignment.
    account.preferences["editor"] = {**account.preferences["editor"], "font": font}
    await session.commit()


@right("13.set_editor_font")
async def font_new_document(session: AsyncSession, account: Any, font: str) -> None:
    # A whole new document assigned to the attribute.
    preferences = copy.deepcopy(dict(account.preferences))
    preferences["editor"]["font"] = font
    account.preferences = preferences
    await session.commit()


# Nested change not tracked: nothing is written.
@wrong("13.set_editor_font", "nested change without flag_modified: nothing saved")
async def font_untracked(session: AsyncSession, account: Any, font: str) -> None:
    account.preferences["editor"]["font"] = font
    await session.commit()


# Flushed, never committed: another connection does not see it.
@wrong("13.set_editor_font", "flushes but never commits")
async def font_no_commit(session: AsyncSession, account: Any, font: str) -> None:
    account.preferences["editor"]["font"] = font
    flag_modified(account, "preferences")
    await session.flush()


# Loses the editor's other settings (size).
@wrong("13.set_editor_font", "replaces the editor dict: loses size")
async def font_replaces_editor(session: AsyncSession, account: Any, font: str) -> None:
    account.preferences["editor"] = {"font": font}
    await session.commit()


# Loses every other setting (theme, size).
@wrong("13.set_editor_font", "replaces the whole document")
async def font_replaces_document(session: AsyncSession, account: Any, font: str) -> None:
    account.preferences = {"editor": {"font": font}}
    await session.commit()


# A new top-level "font" key; the editor's font is unchanged.
@wrong("13.set_editor_font", "sets a top-level key, not the nested one")
async def font_top_level(session: AsyncSession, account: Any, font: str) -> None:
    account.preferences["font"] = font
    await session.commit()


# Changes a deep copy that is never assigned back.
@wrong("13.set_editor_font", "edits a copy, never assigned")
async def font_on_copy(session: AsyncSession, account: Any, font: str) -> None:
    preferences = copy.deepcopy(dict(account.preferences))
    preferences["editor"]["font"] = font
    flag_modified(account, "preferences")
    await session.commit()


# Works for the lesson's example only.
@wrong("13.set_editor_font", "hard-coded font")
async def font_serif(session: AsyncSession, account: Any, font: str) -> None:
    account.preferences["editor"]["font"] = "serif"
    flag_modified(account, "preferences")
    await session.commit()


# Refreshes before committing "to be safe": the refresh throws the change away.
@wrong("13.set_editor_font", "refresh before commit discards the change")
async def font_refresh_first(session: AsyncSession, account: Any, font: str) -> None:
    account.preferences["editor"]["font"] = font
    flag_modified(account, "preferences")
    await session.refresh(account)
    await session.commit()


# Normalises the value: "Fira Code" is saved as "fira code".
@wrong("13.set_editor_font", "lower-cases the font")
async def font_lowercased(session: AsyncSession, account: Any, font: str) -> None:
    account.preferences["editor"]["font"] = font.lower()
    flag_modified(account, "preferences")
    await session.commit()


# SQL by string formatting: a font with a quote (O'Brien Sans) breaks the statement.
@wrong("13.set_editor_font", "UPDATE built by string formatting")
async def font_formatted_sql(session: AsyncSession, account: Any, font: str) -> None:
    preferences = copy.deepcopy(dict(account.preferences))
    preferences["editor"]["font"] = font
    table = type(account).__tablename__
    await session.execute(text(f"UPDATE {table} SET preferences = '{json.dumps(preferences)}' WHERE id = {account.id}"))
    await session.commit()


# Core UPDATE of another column's worth: writes only the font as the whole document.
@wrong("13.set_editor_font", "Core UPDATE with only the editor part")
async def font_core_partial(session: AsyncSession, account: Any, font: str) -> None:
    model = type(account)
    await session.execute(update(model).where(model.id == account.id).values(preferences={"editor": {"font": font}}))
    await session.commit()


# ------------------------------------------------------------------------------------------ 13.stamp_updates
@right("13.stamp_updates")
def stamp_before_update(model) -> None:
    @event.listens_for(model, "before_update")
    def stamp(mapper, connection, target) -> None:
        target.updated_at = clock.now()


@right("13.stamp_updates")
def stamp_with_event_listen(model) -> None:
    def stamp(mapper, connection, target) -> None:
        # The statement asks for "the current, timezone-aware time" and, unlike 09's, does not name lessons.core.clock.
        target.updated_at = datetime.now(timezone.utc)

    event.listen(model, "before_update", stamp, propagate=True)


@right("13.stamp_updates")
def stamp_before_flush(model) -> None:
    # A session-wide hook (every Session, sync ones under AsyncSession too): stamps the model's dirty objects.
    @event.listens_for(Session, "before_flush")
    def stamp(session, flush_context, instances) -> None:
        for obj in session.dirty:
            if isinstance(obj, model) and session.is_modified(obj):
                obj.updated_at = clock.now()


# Inserts only: an update keeps the old updated_at.
@wrong("13.stamp_updates", "before_insert: updates not stamped")
def stamp_on_insert(model) -> None:
    @event.listens_for(model, "before_insert")
    def stamp(mapper, connection, target) -> None:
        target.updated_at = clock.now()


# A second UPDATE after the first, not the same UPDATE.
@wrong("13.stamp_updates", "after_update with a second UPDATE")
def stamp_after_update(model) -> None:
    @event.listens_for(model, "after_update")
    def stamp(mapper, connection, target) -> None:
        connection.execute(update(model).where(model.id == target.id).values(updated_at=clock.now()))


# Naive time (no timezone).
@wrong("13.stamp_updates", "naive datetime")
def stamp_naive(model) -> None:
    @event.listens_for(model, "before_update")
    def stamp(mapper, connection, target) -> None:
        target.updated_at = clock.now().replace(tzinfo=None)


# Ignores the model it receives: listens on the course's Post.
@wrong("13.stamp_updates", "hard-coded model")
def stamp_post_only(model) -> None:
    @event.listens_for(Post, "before_update")
    def stamp(mapper, connection, target) -> None:
        target.updated_at = clock.now()


# once=True: only the first update is stamped.
@wrong("13.stamp_updates", "listener registered once=True: first update only")
def stamp_once(model) -> None:
    @event.listens_for(model, "before_update", once=True)
    def stamp(mapper, connection, target) -> None:
        target.updated_at = clock.now()


# Defined, never registered.
@wrong("13.stamp_updates", "listener never registered")
def stamp_unregistered(model) -> None:
    def stamp(mapper, connection, target) -> None:
        target.updated_at = clock.now()

    model.stamp = stamp


# The time taken once, when stamp_updates() is called: every later update gets that stale moment.
@wrong("13.stamp_updates", "time captured at registration")
def stamp_fixed_time(model) -> None:
    moment = clock.now()

    @event.listens_for(model, "before_update")
    def stamp(mapper, connection, target) -> None:
        target.updated_at = moment


# Too late: after the flush the UPDATE has been sent; the new value stays pending in memory.
@wrong("13.stamp_updates", "after_flush: not in the UPDATE")
def stamp_after_flush(model) -> None:
    @event.listens_for(Session, "after_flush")
    def stamp(session, flush_context) -> None:
        for obj in list(session.identity_map.values()):
            if isinstance(obj, model) and obj in session.dirty:
                obj.updated_at = clock.now()


# A string, not a datetime.
@wrong("13.stamp_updates", "stores an ISO string")
def stamp_string(model) -> None:
    @event.listens_for(model, "before_update")
    def stamp(mapper, connection, target) -> None:
        target.updated_at = clock.now().isoformat()
