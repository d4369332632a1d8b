"""Practice for lessons 13a–13c, one task each.

- ``13.users_older_than`` (13a): raw SQL with a bound parameter that returns real ``User`` objects.
- ``13.set_editor_font`` (13b): change a key inside a nested JSON document so that the change is saved.
- ``13.stamp_updates`` (13c): a mapper event that stamps ``updated_at`` on every ORM update.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import JSON, MetaData, String, event, inspect, select, text, update
from sqlalchemy.engine import Engine, Row
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.mutable import MutableDict
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.context import FromStatement
from sqlalchemy.sql.elements import TextClause
from sqlalchemy.sql.selectable import TextualSelect

from lessons import clock
from lessons.database import LessonDatabase
from lessons.exercises.framework import Exercise, Incorrect, committed, count_statements, describe, register
from lessons.models import User
from lessons.types import UTCDateTime

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


# --------------------------------------------------------------------------------------------------------------
# 13b: a change inside a nested JSON document, saved
# --------------------------------------------------------------------------------------------------------------


class _PracticeBase(DeclarativeBase):
    metadata = MetaData()  # the checker's own table, never the blog's


class _Account(_PracticeBase):
    """An account like lesson 13b's, with preferences in a ``MutableDict`` JSON column."""

    __tablename__ = "practice_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    preferences: Mapped[dict[str, Any]] = mapped_column(MutableDict.as_mutable(JSON), default=dict)


#: What the checker's account holds before the answer runs, and the font it asks for.
PREFERENCES: dict[str, Any] = {"theme": "dark", "editor": {"font": "mono", "size": 14}}
FONT = "serif"


async def set_editor_font(session: AsyncSession, account: Any, font: str) -> None:
    account.preferences["editor"]["font"] = font
    flag_modified(account, "preferences")  # the inner dict is a plain dict: tell the session
    await session.commit()


async def _right_new_inner_dict(session: AsyncSession, account: Any, font: str) -> None:
    # Assigning a top-level key is a change MutableDict sees.
    account.preferences["editor"] = {**account.preferences["editor"], "font": font}
    await session.commit()


async def _right_new_document(session: AsyncSession, account: Any, font: str) -> None:
    preferences = copy.deepcopy(dict(account.preferences))  # a copy: the old value stays as it was
    preferences["editor"]["font"] = font
    account.preferences = preferences
    await session.commit()


async def _wrong_nested_only(session: AsyncSession, account: Any, font: str) -> None:
    account.preferences["editor"]["font"] = font
    await session.commit()


async def _wrong_reassigned_after_the_change(session: AsyncSession, account: Any, font: str) -> None:
    # The old value *is* the changed dict, so old and new compare equal: nothing to write.
    account.preferences["editor"]["font"] = font
    account.preferences = dict(account.preferences)
    await session.commit()


async def _wrong_inner_dict_replaced(session: AsyncSession, account: Any, font: str) -> None:
    account.preferences["editor"] = {"font": font}  # drops the other editor settings
    await session.commit()


async def _wrong_never_committed(session: AsyncSession, account: Any, font: str) -> None:
    account.preferences["editor"]["font"] = font
    flag_modified(account, "preferences")


async def _wrong_flushed_not_committed(session: AsyncSession, account: Any, font: str) -> None:
    # The UPDATE is sent, but in a transaction that ends in a rollback when the session closes.
    account.preferences["editor"]["font"] = font
    flag_modified(account, "preferences")
    await session.flush()


@register
class SetEditorFont(Exercise):
    id = "13.set_editor_font"
    title = "Save a change inside a nested JSON document"
    hints = [
        "MutableDict sees a key of the top-level dict being set; account.preferences['editor'] is a plain dict, "
        "so a change inside it marks nothing dirty and commit() writes nothing.",
        "Change the font, then flag_modified(account, 'preferences') (from sqlalchemy.orm.attributes), then "
        "await session.commit(). Or set the top-level key to a new dict: "
        "account.preferences['editor'] = {**account.preferences['editor'], 'font': font}.",
    ]
    reference = set_editor_font
    right_answers = [set_editor_font, _right_new_inner_dict, _right_new_document]
    wrong_answers = [
        _wrong_nested_only,
        _wrong_reassigned_after_the_change,
        _wrong_inner_dict_replaced,
        _wrong_never_committed,
        _wrong_flushed_not_committed,
    ]

    async def judge(self, answer: Any, db: LessonDatabase) -> str:
        async with db.engine.begin() as conn:
            await conn.run_sync(_PracticeBase.metadata.create_all)
        async with db.Session() as session:
            session.add(_Account(id=1, preferences=copy.deepcopy(PREFERENCES)))
            await session.commit()
        expected = copy.deepcopy(PREFERENCES)
        expected["editor"]["font"] = FONT
        async with db.Session() as session:
            account = await session.get(_Account, 1)
            with count_statements() as sent:
                await self.call(answer, session, account, FONT)
            in_memory = dict(account.preferences) if account is not None else None
            unsaved = account in session.dirty or bool(session.new)
        saved = (await committed(db, select(_Account.preferences).where(_Account.id == 1)))[0][0]
        if saved == expected:
            return f"the database now holds {saved!r}: the nested change was saved, and nothing else was lost."
        if saved == PREFERENCES:
            if unsaved:
                raise Incorrect(
                    "the session knew about the change, but it was never committed: end with await session.commit()."
                )
            if any(statement.sql.lstrip().startswith("UPDATE") for statement in sent.statements):
                raise Incorrect(
                    "your UPDATE was sent (a flush), but its transaction was never committed, so it was rolled back "
                    "when the session closed: end with await session.commit()."
                )
            if in_memory == expected:
                raise Incorrect(
                    f"your account shows the new font in memory, but the database still says {saved!r}: the session "
                    "never saw a change to write. A key inside the inner dict is not tracked (and an old value that "
                    "was changed in place compares equal to the new one): call flag_modified(account, "
                    "'preferences'), or set the top-level key to a new dict."
                )
            raise Incorrect(f"the database still says {saved!r}; set preferences['editor']['font'] to {FONT!r}.")
        lost = _lost_keys(PREFERENCES, saved)
        if lost:
            raise Incorrect(
                f"the database now says {saved!r}: {', '.join(lost)} went missing. Change the font and keep every "
                "other setting."
            )
        raise Incorrect(f"the database now says {saved!r}; expected {expected!r}.")


def _lost_keys(before: dict[str, Any], after: Any, path: str = "") -> list[str]:
    """The keys of ``before`` (nested ones as ``editor.size``) that ``after`` no longer has."""
    if not isinstance(after, dict):
        return [path or "the whole document"]
    lost = []
    for key, value in before.items():
        name = f"{path}.{key}" if path else key
        if key not in after:
            lost.append(name)
        elif isinstance(value, dict):
            lost += _lost_keys(value, after[key], name)
    return lost


# --------------------------------------------------------------------------------------------------------------
# 13c: a mapper event that stamps updated_at
# --------------------------------------------------------------------------------------------------------------

#: The stamp of the checker's note before the update: a time no right answer writes.
LONG_AGO = datetime(2020, 1, 1, tzinfo=timezone.utc)
#: How close a stamp must be to the current time (the frozen clock's or the real one).
TOLERANCE = timedelta(minutes=1)


def _fresh_note_model() -> Any:
    """A ``Note`` model in a registry of its own: the answer's listeners go away with it after the check."""

    class NotesBase(DeclarativeBase):
        metadata = MetaData()

    class Note(NotesBase):
        __tablename__ = "practice_notes"

        id: Mapped[int] = mapped_column(primary_key=True)
        title: Mapped[str] = mapped_column(String(100))
        updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    return Note


def stamp_updates(model: Any) -> None:
    @event.listens_for(model, "before_update")
    def stamp(mapper: Any, connection: Any, target: Any) -> None:
        target.updated_at = clock.now()


def _right_listen_with_real_time(model: Any) -> None:
    def touch(mapper: Any, connection: Any, target: Any) -> None:
        target.updated_at = datetime.now(timezone.utc)

    event.listen(model, "before_update", touch)


def _right_setattr_utc(model: Any) -> None:
    event.listen(model, "before_update", lambda mapper, connection, target: setattr(target, "updated_at", clock.now()))


def _wrong_before_insert(model: Any) -> None:
    @event.listens_for(model, "before_insert")
    def stamp(mapper: Any, connection: Any, target: Any) -> None:
        target.updated_at = clock.now()


def _wrong_naive_time(model: Any) -> None:
    @event.listens_for(model, "before_update")
    def stamp(mapper: Any, connection: Any, target: Any) -> None:
        target.updated_at = clock.now().replace(tzinfo=None)  # what datetime.utcnow() returns


def _wrong_async_listener(model: Any) -> None:
    @event.listens_for(model, "before_update")
    async def stamp(mapper: Any, connection: Any, target: Any) -> None:  # called, never awaited
        target.updated_at = clock.now()


def _wrong_after_update(model: Any) -> None:
    @event.listens_for(model, "after_update")
    def stamp(mapper: Any, connection: Any, target: Any) -> None:  # the UPDATE has been sent already
        target.updated_at = clock.now()


def _wrong_second_update(model: Any) -> None:
    # The stamp is saved, but by an UPDATE of its own: two round trips per save, and the object keeps the old time.
    @event.listens_for(model, "after_update")
    def stamp(mapper: Any, connection: Any, target: Any) -> None:
        table = model.__table__
        connection.execute(update(table).where(table.c.id == target.id).values(updated_at=clock.now()))


@register
class StampUpdates(Exercise):
    id = "13.stamp_updates"
    title = "Stamp updated_at on every ORM update"
    hints = [
        "Inside stamp_updates, register a listener on model for the mapper event that runs during the flush, "
        "just before the row's UPDATE: @event.listens_for(model, 'before_update').",
        "The listener is a plain def (SQLAlchemy calls it without await) taking (mapper, connection, target); "
        "set target.updated_at = clock.now(), a timezone-aware time (or datetime.now(timezone.utc)).",
    ]
    reference = stamp_updates
    right_answers = [stamp_updates, _right_listen_with_real_time, _right_setattr_utc]
    wrong_answers = [
        _wrong_before_insert,
        _wrong_naive_time,
        _wrong_async_listener,
        _wrong_after_update,
        _wrong_second_update,
    ]

    async def judge(self, answer: Any, db: LessonDatabase) -> str:
        note_model = _fresh_note_model()
        async with db.engine.begin() as conn:
            await conn.run_sync(note_model.metadata.create_all)
        async with db.Session() as session:  # added before the answer's listener exists
            session.add(note_model(id=1, title="Draft", updated_at=LONG_AGO))
            await session.commit()
        await self.call(answer, note_model)
        async with db.Session() as session:
            note = await session.get(note_model, 1)
            note.title = "Final"
            try:
                with count_statements() as sent:
                    await session.commit()
            except Exception as error:
                raise Incorrect(_flush_failure(error)) from None
            # Not note.updated_at: after a SQL expression (func.now()) the attribute is expired, and reading it
            # would be a lazy load. The database's value is judged below either way.
            in_memory = inspect(note).attrs.updated_at.loaded_value
        updates = [statement.sql for statement in sent.statements if statement.sql.lstrip().startswith("UPDATE")]
        saved = (await committed(db, select(note_model.updated_at).where(note_model.id == 1)))[0][0]
        if saved == LONG_AGO:
            if in_memory != LONG_AGO:
                raise Incorrect(
                    "your listener set updated_at, but after the row's UPDATE had been sent, so the database kept "
                    "the old time: stamp in before_update, which runs just before the UPDATE."
                )
            raise Incorrect(
                "after an ORM update (title 'Draft' → 'Final', committed) the row's updated_at is unchanged: nothing "
                "stamped it. Listen to 'before_update' on the model, with a plain def listener (SQLAlchemy calls "
                "listeners without await: an async def listener's body never runs)."
            )
        if saved is None:
            raise Incorrect("the update set updated_at to None; set it to the current time.")
        if len(updates) > 1:
            listing = "\n".join(f"{number}. {sql}" for number, sql in enumerate(updates, 1))
            raise Incorrect(
                f"one change of the title sent {len(updates)} UPDATE statements:\n{listing}\nSet target.updated_at "
                "in a before_update listener instead, so the stamp travels in the row's own UPDATE."
            )
        if not any(abs(saved - moment) <= TOLERANCE for moment in (clock.now(), datetime.now(timezone.utc))):
            raise Incorrect(
                f"updated_at became {saved.isoformat()}, which is not now ({clock.now().isoformat()}); stamp "
                "clock.now() or datetime.now(timezone.utc) inside the listener, when it runs."
            )
        return f"the update stamped updated_at = {saved.isoformat()}, timezone-aware, in the same UPDATE."


def _flush_failure(error: BaseException) -> str:
    current: BaseException | None = error
    while current is not None:
        if isinstance(current, ValueError) and "naive datetime" in str(current):
            return (
                "your listener stamped a naive datetime (no time zone; datetime.utcnow() gives one), and the "
                "UTCDateTime column refuses it. Use clock.now() or datetime.now(timezone.utc)."
            )
        current = current.__cause__ or getattr(current, "orig", None)
    return f"committing the update failed: {describe(error)}"
