"""Judging by difference from the reference: run both on identical generated databases, compare what is observable.

An exercise declares its contract (:class:`Differential`): how a database is generated (:meth:`~Differential.world`),
which calls are made on it (:meth:`~Differential.calls`), what of a call is observable (:meth:`~Differential.observe`:
the return value by default, types included) and which columns the task leaves free. The framework then, for each
of at least two generated databases with their own clock times:

1. loads the world, runs the reference, and records every call's result and every table afterwards;
2. loads the same world again, runs the answer the same way, and records the same;
3. reports the first thing that differs in one sentence, with the seed that reproduces it.

After each run it also checks what the answer left behind: a connection checked out of the pool, a task still
running, a session that can no longer be used, writes it did not commit. The extra properties a task promises (a
bound on statements, rows fetched) are checked by :meth:`~Differential.properties` on the measured run.

>>> from lessons.exercises.differential import compare
>>> compare([1, 2], [1, 2]) is None
True
>>> compare([1, 2], [2, 1])
'the same items in another order: item 1 is 2, where the reference has 1'
>>> compare([1, 2], [1, 3])
'item 2: you returned 3; the reference returns 2'
>>> compare(3, 3.0)
'you returned 3.0 (a float); the reference returns 3 (an int)'
"""

from __future__ import annotations

import asyncio
import gc
import os
import warnings
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import MetaData, Select, Table, inspect, select
from sqlalchemy.exc import PendingRollbackError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import Mapper

from lessons.core import clock
from lessons.core.database import LessonDatabase, fresh_database
from lessons.core.models import Base
from lessons.core.settings import get_settings
from lessons.exercises import listeners, worlds
from lessons.exercises.framework import (
    Exercise,
    Incorrect,
    RowsFetched,
    _this_check,
    count_rows_fetched,
    count_statements,
    describe,
    raised_by_answer,
    show,
)
from lessons.exercises.worlds import World

# --------------------------------------------------------------------------------------------------------------
# What a call returned, made comparable
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entity:
    """An ORM object as observed: its class and the column values it had loaded (no lazy load ever runs)."""

    kind: str
    values: tuple[tuple[str, Any], ...]

    def __repr__(self) -> str:
        shown = ", ".join(f"{key}={value!r}" for key, value in self.values if key in ("id", "name", "title"))
        return f"{self.kind}({shown})"


@dataclass(frozen=True)
class Raised:
    """A call that raised: only the error's class is compared (messages differ between drivers)."""

    error: str
    message: str = field(default="", compare=False)

    def __repr__(self) -> str:
        return f"raised {self.error}"


#: What a learner most often needs to hear about an error their code raised.
EXPLAIN = {
    "MissingGreenlet": (
        "your code read a relationship or attribute that was not loaded, which cannot load implicitly under "
        "asyncio: load it first (selectinload(...), or await obj.awaitable_attrs.name)"
    ),
    "PendingRollbackError": "an earlier statement failed and the session was never rolled back",
    "IntegrityError": "the database refused a row (a unique key, a foreign key or NOT NULL)",
    "DetachedInstanceError": "an object was read after its session closed, with attributes not loaded",
}


def raised(error: BaseException) -> Raised:
    """The :class:`Raised` of ``error``; a lazy load's wrapped ``MissingGreenlet`` counts as ``MissingGreenlet``."""
    inner = getattr(error, "orig", None)
    if type(inner).__name__ == "MissingGreenlet":
        error = inner
    return Raised(type(error).__name__, describe(error))


def entity(obj: Any) -> Entity | None:
    """``obj`` as an :class:`Entity` when it is an ORM object, else ``None``. Reads only what is loaded."""
    try:
        state = inspect(obj)
    except Exception:
        return None
    mapper = getattr(state, "mapper", None)
    if not isinstance(mapper, Mapper) or state is obj:
        return None
    loaded = state.dict
    values = tuple(
        (attr.key, observe(loaded[attr.key])) for attr in mapper.column_attrs if attr.key in loaded
    )
    return Entity(type(obj).__name__, values)


def observe(value: Any) -> Any:
    """A value made comparable: ORM objects become :class:`Entity`, rows and sequences stay typed, nothing lazy runs.

    >>> observe([1, ("a", None)])
    [1, ('a', None)]
    """
    if value is None or isinstance(value, bool | int | float | str | bytes | Decimal | datetime):
        return value
    found = entity(value)
    if found is not None:
        return found
    if isinstance(value, dict):
        return {key: observe(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [observe(item) for item in value]
        return type(value)(items) if not hasattr(value, "_fields") else tuple(items)
    if type(value).__name__ == "Row":
        return _RowValue(tuple(observe(item) for item in value))
    if hasattr(value, "__next__") or hasattr(value, "__anext__"):
        return _Opaque(type(value).__name__)
    if hasattr(value, "model_dump"):  # a Pydantic model: its class and its fields
        return (type(value).__name__, observe(value.model_dump()))
    return _Opaque(type(value).__name__)


@dataclass(frozen=True)
class Note:
    """An observation in words, for what a plain value cannot say (``observe`` returns it instead of the value).

    >>> compare(1, Note("the post, with its old author still loaded"))
    'you returned the post, with its old author still loaded; the reference returns 1'
    """

    text: str

    def __repr__(self) -> str:
        return self.text


@dataclass(frozen=True)
class _RowValue:
    values: tuple[Any, ...]

    def __repr__(self) -> str:
        return f"Row{self.values!r}"


@dataclass(frozen=True)
class _Opaque:
    kind: str

    def __repr__(self) -> str:
        return f"a {self.kind} object"


def _kind(value: Any) -> str:
    if isinstance(value, Note):
        return "note"
    if isinstance(value, Entity):
        return value.kind
    if isinstance(value, _RowValue):
        return "Row"
    if isinstance(value, _Opaque):
        return value.kind
    return type(value).__name__


def _brief_item(value: Any) -> str:
    """An item of a returned sequence, short: an ORM object (or a pair starting with one) by its class and id."""
    values = list(value.values()) if isinstance(value, dict) else list(value) if isinstance(value, tuple) else []
    head = values[0] if values and isinstance(values[0], Entity) else value
    if isinstance(head, Entity):
        key = dict(head.values).get("id")
        return f"{head.kind}(id={key!r})" if key is not None else repr(head)
    return _show(value)


def _show(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    return show(value)


def _article(name: str) -> str:
    return f"an {name}" if name[:1].lower() in "aeio" else f"a {name}"


def compare(expected: Any, got: Any, where: str = "", *, ordered: bool = True) -> str | None:
    """The first difference between two observed values, in a sentence; ``None`` when they are equal.

    Types are compared (an ``int`` is not a ``Decimal``, a list is not a tuple; a ``Row`` counts as a tuple), so is
    the order of a sequence unless ``ordered`` is False, which applies to the top level only: ``[old, new]`` pairs
    inside an unordered list keep their order.

    >>> compare({"a": 1}, {"a": 2})
    "['a']: you returned 2; the reference returns 1"
    >>> compare([1, 2, 2], [2, 1, 2], ordered=False) is None
    True
    """
    prefix = f"{where}: " if where else ""
    if isinstance(got, Note) or isinstance(expected, Note):
        if got == expected:
            return None
        return f"{prefix}you returned {_show(got)}; the reference returns {_show(expected)}"
    if _kind(expected) != _kind(got) and {_kind(expected), _kind(got)} != {"tuple", "Row"}:  # a Row is a tuple
        return (
            f"{prefix}you returned {_show(got)} ({_article(_kind(got))}); the reference returns "
            f"{_show(expected)} ({_article(_kind(expected))})"
        )
    if isinstance(expected, list | tuple | _RowValue):
        exp = list(expected.values if isinstance(expected, _RowValue) else expected)
        act = list(got.values if isinstance(got, _RowValue) else got)
        if not ordered:
            exp, act = sorted(exp, key=repr), sorted(act, key=repr)
        if len(exp) != len(act):
            missing = [item for item in exp if item not in act]
            extra = [item for item in act if item not in exp]
            detail = (
                f"; {_brief_item(missing[0])} is missing" if missing
                else f"; {_brief_item(extra[0])} should not be there" if extra
                else " (some of them twice)" if len(act) > len(exp) else ""
            )
            return f"{prefix}you returned {len(act)} items, the reference {len(exp)}{detail}"
        for number, (left, right) in enumerate(zip(exp, act, strict=True)):
            found = compare(left, right, f"{where}[{number}]" if where else f"item {number + 1}")
            if found:
                if not ordered or compare(exp, act, ordered=False) is not None:
                    return found
                position = next(n for n, (a, b) in enumerate(zip(exp, act, strict=True)) if a != b)
                return (
                    f"{prefix}the same items in another order: item {position + 1} is {_brief_item(act[position])}, "
                    f"where the reference has {_brief_item(exp[position])}"
                )
        return None
    if isinstance(expected, dict):
        if set(expected) != set(got):
            return f"{prefix}you returned the keys {sorted(got, key=repr)}, the reference {sorted(expected, key=repr)}"
        for key in expected:
            found = compare(expected[key], got[key], f"{where}[{key!r}]")
            if found:
                return found
        return None
    if isinstance(expected, Entity):
        mine, theirs = dict(got.values), dict(expected.values)
        unloaded = sorted(set(theirs) - set(mine))
        if unloaded:
            return (
                f"{prefix}your {got.kind} {got!r} has {', '.join(unloaded)} unloaded (expired after a commit, or "
                "never loaded): a caller reading it after the session closes gets an error"
            )
        for key, value in theirs.items():
            found = compare(value, mine[key], f"{where} {got.kind}.{key}".strip())
            if found:
                return found
        return None
    if expected != got:
        naive = isinstance(got, datetime) and isinstance(expected, datetime) and got.tzinfo is None
        why = " (a naive datetime, with no time zone)" if naive and expected.tzinfo is not None else ""
        return f"{prefix}you returned {_show(got)}{why}; the reference returns {_show(expected)}"
    return None


# --------------------------------------------------------------------------------------------------------------
# The database afterwards
# --------------------------------------------------------------------------------------------------------------

Tables = dict[str, list[dict[str, Any]]]


#: Tables reflected once per database and schema: reflecting is the slow part of a snapshot.
_reflected: dict[tuple[str, str], Table] = {}
#: On SQLite, tables reflected by their ``CREATE TABLE`` text (which SQLite rewrites on every ``ALTER TABLE``): a
#: table whose text is unchanged has the same columns and primary key, so it is not reflected again.
_reflected_sqlite: dict[tuple[str, str, str], Table] = {}


async def _tables(connection: AsyncConnection, only: Sequence[str] | None) -> list[Table]:
    """The tables a snapshot reads, reflected (once per definition, see :data:`_reflected_sqlite`)."""
    url = connection.engine.url.render_as_string(hide_password=False)
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        found = await worlds.sqlite_fetch(
            connection,
            "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite~_%' ESCAPE '~'",
        )
        definitions = {name: sql for name, sql in found}
    else:
        names = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
        definitions = {name: "" for name in names if not name.startswith("sqlite_")}
    names = sorted(  # (no FTS5 shadow tables)
        name for name in definitions if "_fts" not in name and (only is None or name in only)
    )
    cache: dict[Any, Table] = _reflected_sqlite if sqlite else _reflected
    keys = {name: (url, name, definitions[name]) if sqlite else (url, name) for name in names}
    missing = [name for name in names if keys[name] not in cache]
    metadata = MetaData()
    if missing:
        await connection.run_sync(lambda sync: metadata.reflect(sync, only=missing))
        for name in missing:
            if sqlite or (  # on a server, only the blog's unchanged tables are kept
                name in worlds.BLOG_TABLES
                and set(metadata.tables[name].c.keys()) == set(Base.metadata.tables[name].c.keys())
            ):
                cache[keys[name]] = metadata.tables[name]
    return [cache[keys[name]] if keys[name] in cache else metadata.tables[name] for name in names]


def _everything_in(table: Table) -> Select[Any]:
    return select(table).order_by(*(list(table.primary_key.columns) or list(table.columns)))


#: On SQLite, per reflected table and dialect: its ``SELECT`` as SQL text, its columns' keys and result processors.
_sqlite_reads: dict[tuple[Table, Any], tuple[str, list[str], list[Any]]] = {}


def _sqlite_read(table: Table, dialect: Any) -> tuple[str, list[str], list[Any]]:
    if (table, dialect) not in _sqlite_reads:
        columns = list(table.columns)
        _sqlite_reads[(table, dialect)] = (
            str(_everything_in(table).compile(dialect=dialect)),
            [column.key for column in columns],
            [column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns],
        )
    return _sqlite_reads[(table, dialect)]


async def _read_sqlite(connection: AsyncConnection, chosen: list[Table]) -> Tables:
    """Each table's ``_everything_in(table)`` rows as ``connection.execute`` returns them, all in one call to the
    driver's thread.

    ``connection.execute`` makes four calls per table (a cursor, execute, fetch, close), each a hand-over to
    aiosqlite's thread, which is most of what a snapshot costs. The rows go through the same result processors of
    the same types.
    """
    reads = [_sqlite_read(table, connection.dialect) for table in chosen]
    results = await worlds.sqlite_fetch(connection, [sql for sql, _keys, _processors in reads])
    tables: Tables = {}
    for table, (_sql, keys, processors), rows in zip(chosen, reads, results, strict=True):
        read = list(zip(keys, processors, strict=True))
        tables[table.name] = [
            {key: value if process is None else process(value) for (key, process), value in zip(read, row, strict=True)}
            for row in rows
        ]
    return tables


async def snapshot(conn: AsyncConnection | AsyncSession, only: Sequence[str] | None = None) -> Tables:
    """Every table's rows (every column, reflected), ordered by primary key: what a database holds.

    ``only`` names the tables to read (a task that leaves an answer's own tables free).
    """
    connection = conn if isinstance(conn, AsyncConnection) else await conn.connection()
    if connection.dialect.name == "sqlite":
        return await _read_sqlite(connection, await _tables(connection, only))
    tables: Tables = {}
    for table in await _tables(connection, only):
        rows = (await connection.execute(_everything_in(table))).mappings().all()
        tables[table.name] = [dict(row) for row in rows]
    return tables


def forget_reflected_tables() -> None:
    """Reflect again at the next snapshot (after a run changed a table's columns)."""
    _reflected.clear()
    _reflected_sqlite.clear()
    _sqlite_reads.clear()


def _key(row: dict[str, Any], free: set[str]) -> tuple[Any, ...]:
    return tuple((key, repr(value)) for key, value in sorted(row.items()) if key not in free)


def _brief(key: tuple[Any, ...], limit: int = 4) -> str:
    """A row of :func:`_key` in a few words: its first non-empty columns, timestamps left out."""
    shown = [f"{column}={value}" for column, value in key if value not in ("None", "''") and not column.endswith("_at")]
    return ", ".join(shown[:limit]) + (", …" if len(shown) > limit else "")


def compare_tables(expected: Tables, got: Tables, free: dict[str, set[str]] | None = None) -> str | None:
    """The first table that differs, in a sentence: rows missing, rows extra, or columns changed.

    ``free`` names, per table, the columns the task leaves free (generated ids, timestamps); rows are then matched
    on the other columns.

    >>> compare_tables({"users": [{"id": 1, "name": "Ada"}]}, {"users": [{"id": 1, "name": "Bob"}]})
    "1 row of users differs from the reference's: id 1 has name 'Bob', the reference 'Ada'"
    """
    free = free or {}
    for name in sorted(set(expected) | set(got)):
        if name not in got:
            return f"the table {name} is missing"
        if name not in expected:
            return f"you created a table the task did not ask for: {name}"
        left, right = expected[name], got[name]
        ignored = free.get(name, set())
        if "id" not in ignored and all("id" in row for row in left + right):
            found = _by_id(name, left, right, ignored)
        else:
            found = _as_bags(name, left, right, ignored)
        if found:
            return found
    return None


def _by_id(name: str, left: list[dict[str, Any]], right: list[dict[str, Any]], ignored: set[str]) -> str | None:
    mine, theirs = {row["id"]: row for row in right}, {row["id"]: row for row in left}
    missing, extra = sorted(set(theirs) - set(mine)), sorted(set(mine) - set(theirs))
    if missing:
        verb = "is" if len(missing) == 1 else "are"
        return f"{_rows(len(missing))} of {name} {verb} gone that the reference keeps (id {show(missing)})"
    if extra:
        return f"you added {_rows(len(extra))} to {name} that the reference does not (id {show(extra)})"
    changed: dict[str, list[int]] = {}
    for key, row in theirs.items():
        for column, value in row.items():
            if column not in ignored and mine[key].get(column) != value:
                changed.setdefault(column, []).append(key)
    if not changed:
        return None
    column, ids = next(iter(changed.items()))
    example = ids[0]
    differs = "differs" if len(ids) == 1 else "differ"
    return (
        f"{_rows(len(ids))} of {name} {differs} from the reference's: id {example} has {column} "
        f"{_show(mine[example][column])}, the reference {_show(theirs[example][column])}"
        + (f" (and {len(ids) - 1} more rows)" if len(ids) > 1 else "")
    )


def _as_bags(name: str, left: list[dict[str, Any]], right: list[dict[str, Any]], ignored: set[str]) -> str | None:
    theirs, mine = sorted(_key(row, ignored) for row in left), sorted(_key(row, ignored) for row in right)
    if theirs == mine:
        return None
    missing = [row for row in theirs if row not in mine]
    if missing:
        return f"{name} lacks a row the reference has ({_brief(missing[0])})"
    extra = [row for row in mine if row not in theirs]
    return f"{name} has a row the reference does not ({_brief(extra[0]) if extra else 'a duplicate'})"


def _rows(count: int) -> str:
    return "1 row" if count == 1 else f"{count} rows"


# --------------------------------------------------------------------------------------------------------------
# One run (reference or answer) on one world
# --------------------------------------------------------------------------------------------------------------


@dataclass
class Run:
    """What one run showed: each call's observed result, the tables afterwards, and what the run cost."""

    results: list[tuple[str, Any]] = field(default_factory=list)
    tables: Tables = field(default_factory=dict)
    #: What each call tried (:attr:`Call.about`).
    abouts: list[str] = field(default_factory=list)
    #: The calls whose session held writes never committed when it closed.
    uncommitted: list[str] = field(default_factory=list)
    statements: list[int] = field(default_factory=list)
    fetched: list[RowsFetched] = field(default_factory=list)
    sql: list[list[str]] = field(default_factory=list)
    problem: str | None = None
    #: What a contract's own :meth:`Differential.run` observed beyond the calls' results, per name (one item a
    #: call), for its :meth:`Differential.properties` to compare.
    extra: dict[str, list[Any]] = field(default_factory=dict)
    #: What a contract's own :meth:`Differential.run` measured, for its :meth:`Differential.properties`.
    facts: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Call:
    """One call of the function: its arguments after the session, and how the message names it."""

    args: tuple[Any, ...] = ()
    label: str = ""
    #: What this input tries, for the success message (e.g. "a user with no roles").
    about: str = ""

    def named(self, function: str) -> str:
        return self.label or f"{function}({', '.join(['session', *map(repr, self.args)])})"


#: The checkers' database of this process, per server: every run reloads it (:func:`worlds.load`).
_check_databases: dict[str, LessonDatabase] = {}


class Differential(Exercise):
    """An exercise judged against its reference on generated databases (see the module's docstring)."""

    #: How many generated databases a check uses (each its own seed and clock time).
    databases: ClassVar[int] = 2
    #: Per table, the columns the task leaves free (e.g. {"users": {"id", "created_at", "updated_at"}}).
    free_columns: ClassVar[dict[str, set[str]]] = {}
    #: Whether the order of a returned sequence matters (the task says how to order it).
    ordered: ClassVar[bool] = True
    #: Extra tables the exercise's world loads and compares (beyond the blog's).
    extra_tables: ClassVar[list[Any]] = []
    #: The tables compared afterwards (None: every table); the others are the answer's own business.
    compared_tables: ClassVar[list[str] | None] = None
    #: Every run reloads the database, schema included: one database per process serves every check.
    keeps_database: ClassVar[bool] = True

    # ---- the contract: override what the task needs ------------------------------------------------------------

    def world(self, seed: int) -> World:
        """The generated database for ``seed`` (default: :func:`worlds.blog_world`)."""
        return worlds.blog_world(seed)

    def calls(self, world: World) -> list[Call]:
        """The calls to make on ``world``, in order; each gets a fresh session. Default: one call, no arguments."""
        return [Call()]

    def observe(self, value: Any) -> Any:
        """What of a returned value is compared (default: all of it, types included)."""
        return observe(value)

    def differs(self, expected: Any, got: Any) -> str | None:
        """How one call's observed result differs from the reference's, in a sentence (default: :func:`compare`)."""
        return compare(expected, got, ordered=self.ordered)

    def observe_tables(self, tables: Tables, world: World) -> Tables:
        """What of the tables afterwards is compared (default: all of it; e.g. a stamp of "now" made comparable)."""
        return tables

    def properties(self, reference: Run, answer: Run, world: World) -> str | None:
        """Extra promises of the task, checked on the answer's run (a bound on statements …): a reason, or None."""
        return None

    def passed(self, runs: list[Run]) -> str:
        """The message of a passed check: what was compared, and the cases the calls tried."""
        calls = sum(len(run.results) for run in runs)
        tried = list(dict.fromkeys(about for run in runs for about in run.abouts if about))
        cases = f", among them {', '.join(tried[:-1])}{' and ' if len(tried) > 1 else ''}{tried[-1]}" if tried else ""
        return (
            f"the same results as the reference on {len(runs)} generated databases ({calls} calls{cases}), and the "
            "same tables afterwards."
        )

    async def run(self, function: Callable[..., Any], db: LessonDatabase, world: World, run: Run, answer: bool) -> None:
        """Make every call of :meth:`calls`, each in a session of its own, recording into ``run``."""
        for call in self.calls(world):
            label = call.named(self.function_name())
            run.abouts.append(call.about)
            async with db.Session() as session:
                await self.one_call(function, session, call.args, label, run, answer)
                inside = await self.inspect_session(session, run, label)
            self.note_leaks(db, run, label)
            await self.note_uncommitted(db, inside, run, label)

    async def run_on_one_session(
        self, function: Callable[..., Any], db: LessonDatabase, world: World, run: Run, answer: bool
    ) -> None:
        """Like :meth:`run`, but every call shares one session: for tasks that promise the session stays usable."""
        async with db.Session() as session:
            for call in self.calls(world):
                label = call.named(self.function_name())
                run.abouts.append(call.about)
                await self.one_call(function, session, call.args, label, run, answer)
            inside = await self.inspect_session(session, run, "your last call")
        self.note_leaks(db, run, "your last call")
        await self.note_uncommitted(db, inside, run, "your last call")

    async def one_call(
        self, function: Callable[..., Any], session: AsyncSession, args: tuple[Any, ...], label: str, run: Run,
        answer: bool,
    ) -> None:
        """Await one call on ``session`` and record its observed result, statements and rows fetched."""
        with count_statements() as queries, count_rows_fetched() as fetched:
            try:
                value = await (self.call(function, session, *args) if answer else function(session, *args))
            except Incorrect:
                raise
            except Exception as error:
                if answer and not raised_by_answer(error):
                    raise
                value = raised(error)
        run.results.append((label, value if isinstance(value, Raised) else self.observe(value)))
        run.statements.append(queries.count)
        run.fetched.append(fetched)
        run.sql.append([str(statement) for statement in queries.statements])

    async def inspect_session(self, session: AsyncSession, run: Run, label: str) -> Tables | None:
        """The tables as ``session`` sees them after a call (its pending changes flushed); notes an unusable one."""
        try:
            await session.flush()  # what the call added but never flushed counts as written, not committed
            return await snapshot(session, self.compared_tables)
        except PendingRollbackError:
            run.problem = run.problem or (
                f"{label} left its session unusable (an error inside a transaction, never rolled back): the "
                "caller's next statement raises PendingRollbackError"
            )
        except Exception:
            return None
        return None

    def note_leaks(self, db: LessonDatabase, run: Run, label: str) -> None:
        """Once the call's session closed, no connection may still be checked out of the pool."""
        if db.engine.pool.checkedout():
            run.problem = run.problem or (
                f"{label} left a database connection checked out: a session or connection it opened and never "
                "closed (use `async with`)"
            )

    async def note_uncommitted(self, db: LessonDatabase, inside: Tables | None, run: Run, label: str) -> None:
        """Compare what the call's session saw with what a new connection sees once it closed."""
        if inside is None:
            return
        async with db.engine.connect() as conn:
            outside = await snapshot(conn, self.compared_tables)
        if compare_tables(outside, inside, self.free_columns):
            run.uncommitted.append(label)

    # ---- the machinery ------------------------------------------------------------------------------------------

    async def database(self) -> LessonDatabase:
        key = get_settings().url.render_as_string(hide_password=False)
        db = _check_databases.get(key)
        if db is None:
            db = await fresh_database(f"check-{os.getpid()}", make_current=False)
            _check_databases[key] = db
        if self.extra_tables:  # another exercise's run dropped them, as tables its own models lack
            async with db.engine.begin() as conn:
                await conn.run_sync(lambda sync: [table.create(sync, checkfirst=True) for table in self.extra_tables])
        return db

    def function_name(self) -> str:
        return getattr(self.reference, "__name__", "your function")

    def seeds(self) -> list[int]:
        """The seeds of this check's databases: fixed per exercise, so a message is the same on every run."""
        base = zlib.crc32(self.id.encode()) % 100_000
        return [base + number for number in range(self.databases)]

    async def _one_run(self, function: Any, db: LessonDatabase, world: World, answer: bool) -> Run:
        await worlds.load(db, world, self.extra_tables)
        run = Run()
        state = _this_check()
        tasks_before = len(state.tasks) if state is not None else 0
        registered = listeners.census() if answer else {}
        try:
            with clock.frozen(world.now), warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                await self.run(function, db, world, run, answer)
                if answer:  # a coroutine never awaited warns when it is collected: here, inside the check
                    gc.collect(0)  # (dropped, it goes at once; the youngest generation catches the rest, cheaply)
        finally:  # a listener left on a course model would go on running in the learner's kernel, and later checks
            left = listeners.remove_added(registered) if answer else []
        if left:
            run.problem = run.problem or (
                f"your function registered {left[0]}, which would have gone on running for the rest of your "
                "notebook (the check removed it): register listeners only on what the task hands you"
            )
        if answer and not any(isinstance(result, Raised) for _, result in run.results):
            # (a failed lazy load leaves the driver's coroutine behind: that one is not the learner's)
            for warning in caught:
                if "was never awaited" in str(warning.message):
                    run.problem = run.problem or (
                        f"{warning.message}: put `await` in front of that call (a function SQLAlchemy calls for "
                        "you, such as an event listener, must be a plain def)"
                    )
        if answer:
            await asyncio.sleep(0)
            if state is not None and any(not task.done() for task in state.tasks[tasks_before:]):
                run.problem = run.problem or "your function left a task running after it returned"
        async with db.engine.connect() as conn:
            run.tables = self.observe_tables(await snapshot(conn, self.compared_tables), world)
        return run

    async def judge(self, answer: Any, db: LessonDatabase) -> str:
        runs = []
        for number, seed in enumerate(self.seeds(), 1):
            world = self.world(seed)
            where = f" [generated database {number} of {self.databases}, seed {seed}]"
            try:
                expected = await self._reference_run(db, seed)
            except Exception as error:
                raise RuntimeError(f"the reference failed: {describe(error)}{where}") from error
            got = await self._one_run(answer, db, world, answer=True)
            found = self._difference(expected, got, world)
            if found:
                raise Incorrect(found + where)
            runs.append(got)
        return self.passed(runs)

    async def _reference_run(self, db: LessonDatabase, seed: int) -> Run:
        """The reference's run on the world of ``seed``: made now, or reused inside :func:`reusing_reference_runs`."""
        reference = getattr(self.reference, "__func__", self.reference)
        if _reference_runs is None:
            return await self._one_run(reference, db, self.world(seed), answer=False)
        key = (self.id, seed, db.url.render_as_string(hide_password=False))
        if key not in _reference_runs:
            _reference_runs[key] = await self._one_run(reference, db, self.world(seed), answer=False)
        return _reference_runs[key]

    def _difference(self, expected: Run, got: Run, world: World) -> str | None:
        tables = compare_tables(expected.tables, got.tables, self.free_columns)
        # (a contract's own run may stop at an answer's first failure: the results are compared up to it)
        pairs = list(zip(expected.results, got.results, strict=False))
        for (label, want), (_, have) in pairs:
            if isinstance(have, Raised) and not isinstance(want, Raised):
                why = EXPLAIN.get(have.error)
                if why and have.error != "IntegrityError":
                    return f"{label}: your code raised {have.error} ({why})"
                return f"{label}: your code raised {have.message or have.error}" + (f" ({why})" if why else "")
        if got.problem:
            return got.problem
        if got.uncommitted and not expected.uncommitted:
            return f"{got.uncommitted[0]}: your changes were never committed, so they are gone when the session closes"
        for (label, want), (_, have) in pairs:
            found = self.differs(want, have)
            if found:
                return f"{label}: {found}"
        if len(got.results) < len(expected.results):
            return f"{expected.results[len(got.results)][0]}: never happened (your run stopped before it)"
        if tables:
            return f"after your calls, {tables}"
        return self.properties(expected, got, world)


# --------------------------------------------------------------------------------------------------------------
# Reference runs reused, for the test suite's hundreds of known answers
# --------------------------------------------------------------------------------------------------------------

#: The reference's runs by exercise, seed and check database, inside :func:`reusing_reference_runs` (else None).
_reference_runs: dict[tuple[str, int, str], Run] | None = None


@contextmanager
def reusing_reference_runs(runs: dict[tuple[str, int, str], Run]) -> Iterator[None]:
    """Inside it, the reference runs once per exercise, seed and check database (kept in ``runs``); later checks
    reuse that run.

    A reference run depends on nothing else (the world is generated from the seed and loaded afresh before each
    run, the clock is frozen at the world's time), so reusing it changes no verdict and no message, and a check
    costs its answer's runs alone. ``tests/test_answers.py`` judges its hundreds of known answers this way and
    proves the premise for every exercise: two reference runs on the same world are equal. A learner's ``check()``
    never reuses: it runs the reference every time.
    """
    global _reference_runs
    previous, _reference_runs = _reference_runs, runs
    try:
        yield
    finally:
        _reference_runs = previous


def at_most(limit: int, counts: Sequence[int], what: str = "statements") -> str | None:
    """A reason when a call ran more than ``limit`` statements, else None.

    >>> at_most(2, [1, 2]) is None, at_most(2, [1, 5])
    (True, 'call 2 ran 5 statements; the task allows at most 2')
    """
    for number, count in enumerate(counts, 1):
        if count > limit:
            return f"call {number} ran {count} {what}; the task allows at most {limit}"
    return None

