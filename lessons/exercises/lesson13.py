"""Practice for lessons 13a–13c, one task each, judged against the reference on generated databases.

- ``13.users_older_than`` (13a): raw SQL with a bound parameter that returns real ``User`` objects.
- ``13.set_editor_font`` (13b): change a key inside a nested JSON document so that the change is saved.
- ``13.stamp_updates`` (13c): a mapper event that stamps ``updated_at`` on every ORM update.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import JSON, Column, Integer, MetaData, String, Table, event, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.mutable import MutableDict
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.context import FromStatement
from sqlalchemy.sql.elements import TextClause
from sqlalchemy.sql.selectable import TextualSelect

from lessons.core import clock
from lessons.core.database import LessonDatabase
from lessons.core.models import User
from lessons.core.types import UTCDateTime
from lessons.exercises.differential import Call, Differential, Run, Tables, at_most, observe
from lessons.exercises.differential import Note as Said
from lessons.exercises.framework import register
from lessons.exercises.worlds import World


async def users_older_than(session: AsyncSession, age: int) -> Sequence[User]:
    statement = select(User).from_statement(text("SELECT * FROM users WHERE age > :age ORDER BY id"))
    return (await session.scalars(statement, {"age": age})).all()


@register
class UsersFromRawSql(Differential):
    id = "13.users_older_than"
    title = "Raw SQL that returns User objects"
    hints = [
        "text('SELECT * FROM users WHERE age > :age ORDER BY id') is the SQL; :age is a bound parameter whose "
        "value you pass separately. A text() alone gives rows; select(User).from_statement(...) gives Users.",
        "statement = select(User).from_statement(text(...)); then "
        "(await session.scalars(statement, {'age': age})).all().",
    ]
    reference = users_older_than

    def calls(self, world: World) -> list[Call]:
        ages = sorted({row["age"] for row in world.rows["users"] if row["age"] is not None})
        return [
            Call((world.rng.choice(ages),), about="an age some users have exactly"),
            Call((ages[-1],), about="an age nobody is older than"),
            Call((world.rng.randint(0, 60),), about="users of unknown age"),
        ]

    def observe(self, value: Any) -> Any:
        return observe(list(value) if isinstance(value, list | tuple) else value)  # any sequence will do

    async def run(self, function: Callable[..., Any], db: LessonDatabase, world: World, run: Run, answer: bool) -> None:
        async def watched(session: AsyncSession, age: int) -> Any:
            with _raw_sql_seen() as seen:
                try:
                    outcome = function(session, age)
                    return await outcome if inspect.isawaitable(outcome) else outcome
                finally:
                    run.extra.setdefault("sent", []).append((age, seen))

        await super().run(watched, db, world, run, answer)

    def properties(self, reference: Run, answer: Run, world: World) -> str | None:
        # "runs that SQL with age as a bound parameter … in one statement"
        found = at_most(1, answer.statements)
        if found:
            return f"{found} (one SELECT)"
        for (label, _), (age, seen) in zip(answer.results, answer.extra["sent"], strict=True):
            for sql, parameters, raw in seen:
                if not raw:
                    return (
                        f"{label}: right users, but the statement was built by select(), not run from the report's "
                        f"SQL:\n{sql}\nRun the given SQL with text(...) inside select(User).from_statement(...)."
                    )
                if age not in _values(parameters):
                    return (
                        f"{label}: the age is not among the statement's bound parameters ({parameters!r}); it was "
                        f"written into the SQL text:\n{sql}\nPass it as a bound parameter (:age in the text, the "
                        "value beside it), so user input can never change the SQL."
                    )
        return None


@contextmanager
def _raw_sql_seen() -> Iterator[list[tuple[str, Any, bool]]]:
    """Every statement sent: its SQL, its parameters, and whether it ran from SQL text (``text()``, a driver string)."""
    seen: list[tuple[str, Any, bool]] = []

    def hook(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        compiled = getattr(context, "compiled", None)
        element = getattr(compiled, "statement", None)
        if isinstance(element, FromStatement):
            element = element.element
        seen.append((statement, parameters, compiled is None or isinstance(element, TextClause | TextualSelect)))

    event.listen(Engine, "before_cursor_execute", hook)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", hook)


def _values(parameters: Any) -> list[Any]:
    return list(parameters.values()) if isinstance(parameters, dict) else list(parameters or ())


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


#: What the notebook's account holds (the checker's accounts hold more, and other fonts).
PREFERENCES: dict[str, Any] = {"theme": "dark", "editor": {"font": "mono", "size": 14}}
_FONTS = ["serif", "mono", "Fira Code", "Ünïcödé Sans", "O'Brien Mono", "🐘 Elephant", "x" * 80]


async def set_editor_font(session: AsyncSession, account: Any, font: str) -> None:
    account.preferences["editor"]["font"] = font
    flag_modified(account, "preferences")  # the inner dict is a plain dict: tell the session
    await session.commit()


@register
class SetEditorFont(Differential):
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
    extra_tables = [_Account.__table__]

    def world(self, seed: int) -> World:
        world = super().world(seed)
        rng = world.rng
        for number in range(rng.randint(2, 5)):
            editor = {"font": rng.choice(_FONTS), "size": rng.choice([0, 9, 14, 72])}
            if rng.random() < 0.5:
                editor |= {"ligatures": rng.random() < 0.5, "keymap": {"save": "ctrl+s", "quit": None}}
            extra = {"notifications": {"email": rng.random() < 0.5, "digest": "weekly"}} if number % 2 else {}
            world.add("practice_accounts", preferences={"theme": rng.choice(["dark", "light", "sépia"]),
                                                        "editor": editor, **extra})
        return world

    def calls(self, world: World) -> list[Call]:
        accounts = world.rows["practice_accounts"]
        first, other = world.rng.sample(accounts, 2)
        # Neither font the first account gets is the one it had: an answer that saves nothing must leave a trace.
        fonts = world.rng.sample([font for font in _FONTS if font != first["preferences"]["editor"]["font"]], 2)

        def call(account: dict[str, Any], font: str, about: str) -> Call:
            return Call((account["id"], font), f"set_editor_font(session, account {account['id']}, {font!r})", about)

        return [
            call(first, fonts[0], "an account with other settings beside the font"),
            call(other, other["preferences"]["editor"]["font"], "the font it has already"),
            call(first, fonts[1], "the same account a second time"),
        ]

    def observe(self, value: Any) -> Any:
        return None  # the task asks for the saved row, not a return value

    async def run(self, function: Callable[..., Any], db: LessonDatabase, world: World, run: Run, answer: bool) -> None:
        async def on_a_loaded_account(session: AsyncSession, account_id: int, font: str) -> Any:
            outcome = function(session, await session.get(_Account, account_id), font)
            return await outcome if inspect.isawaitable(outcome) else outcome

        await super().run(on_a_loaded_account, db, world, run, answer)


# --------------------------------------------------------------------------------------------------------------
# 13c: a mapper event that stamps updated_at
# --------------------------------------------------------------------------------------------------------------

_NOTES = Table(
    "practice_notes", MetaData(),
    Column("id", Integer, primary_key=True), Column("title", String(100)), Column("updated_at", UTCDateTime),
)


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


#: How near a stamp must be to the check's clock, or to the real time (the task allows either).
TOLERANCE = timedelta(minutes=2)


@register
class StampUpdates(Differential):
    id = "13.stamp_updates"
    title = "Stamp updated_at on every ORM update"
    hints = [
        "Inside stamp_updates, register a listener on model for the mapper event that runs during the flush, "
        "just before the row's UPDATE: @event.listens_for(model, 'before_update').",
        "The listener is a plain def (SQLAlchemy calls it without await) taking (mapper, connection, target); "
        "set target.updated_at = clock.now(), a timezone-aware time (or datetime.now(timezone.utc)).",
    ]
    reference = stamp_updates
    extra_tables = [_NOTES]

    def world(self, seed: int) -> World:
        world = super().world(seed)
        for number in range(world.rng.randint(4, 7)):
            stamp = None if number == 1 else world.moment()
            world.add("practice_notes", title=world.rng.choice(["Draft", "Ünïcödé", "O'Brien", "x" * 100]),
                      updated_at=stamp)
        return world

    def calls(self, world: World) -> list[Call]:
        notes = world.ids("practice_notes")
        first, unstamped, *others = notes
        return [
            Call(("retitle", [first]), f"changing the title of note {first}, then commit", "one note changed"),
            Call(("retitle", [unstamped]), f"changing note {unstamped}, stamped never before", "a note never stamped"),
            Call(("retitle", others[:2]), f"changing notes {others[:2]} in one commit", "two notes in one flush"),
            Call(("load", [others[-1]]), f"loading note {others[-1]} and committing no change", "no change at all"),
            Call(("retitle", [first]), f"changing note {first} again", "the same note twice"),
        ]

    async def run(self, function: Callable[..., Any], db: LessonDatabase, world: World, run: Run, answer: bool) -> None:
        model = _fresh_note_model()

        async def install(session: AsyncSession) -> None:
            outcome = function(model)
            if inspect.isawaitable(outcome):  # an async def stamp_updates still registers its listener
                await outcome

        async def step(session: AsyncSession, what: str, ids: list[int]) -> None:
            for number in ids:
                note = await session.get(model, number)
                if what == "retitle":
                    note.title = f"Edited: {note.title}"[:100]  # a real change, even at the column's limit
            await session.commit()

        # Registered at app start, a day before the updates: a time taken then is not "now" when they happen.
        async with db.Session() as session:
            with clock.frozen(world.now - timedelta(days=1)):
                await self.one_call(install, session, (), "stamp_updates(Note)", run, answer)
        run.abouts.append("")
        await super().run(step, db, world, run, answer)

    def observe(self, value: Any) -> Any:
        return None  # what counts is the rows afterwards

    def observe_tables(self, tables: Tables, world: World) -> Tables:
        def now_or_not(value: Any) -> Any:
            if not isinstance(value, datetime):
                return value
            aware = value if value.tzinfo else value.replace(tzinfo=timezone.utc)  # read back without its type
            if any(abs(aware - moment) <= TOLERANCE for moment in (world.now, datetime.now(timezone.utc))):
                return Said("the current time")
            return value

        return {name: [{key: now_or_not(value) for key, value in row.items()} for row in rows]
                for name, rows in tables.items()}

    def properties(self, reference: Run, answer: Run, world: World) -> str | None:
        # "in the same UPDATE": as many UPDATE statements as the reference sends, one per changed row.
        for (label, _), want, have in zip(answer.results, reference.sql, answer.sql, strict=True):
            updates = [sql for sql in have if sql.lstrip().upper().startswith("UPDATE")]
            if len(updates) > sum(sql.lstrip().upper().startswith("UPDATE") for sql in want):
                listing = "\n".join(f"{number}. {sql}" for number, sql in enumerate(updates, 1))
                return (
                    f"{label} sent {len(updates)} UPDATE statements:\n{listing}\nSet target.updated_at in a "
                    "before_update listener instead, so the stamp travels in the row's own UPDATE."
                )
        return None
