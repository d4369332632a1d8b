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
'the same items in another order: you returned [2, 1]; the reference returns [1, 2]'
>>> compare([1, 2], [1, 3])
'item 2: you returned 3; the reference returns 2'
>>> compare(3, 3.0)
'you returned 3.0 (a float); the reference returns 3 (an int)'
"""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import MetaData, inspect, select
from sqlalchemy.exc import PendingRollbackError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import Mapper

from lessons import clock
from lessons.database import LessonDatabase
from lessons.exercises import worlds
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

    def __repr__(self) -> str:
        return f"raised {self.error}"


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
    if isinstance(value, Entity):
        return value.kind
    if isinstance(value, _RowValue):
        return "Row"
    if isinstance(value, _Opaque):
        return value.kind
    return type(value).__name__


def _article(name: str) -> str:
    return f"an {name}" if name[:1].lower() in "aeiou" else f"a {name}"


def compare(expected: Any, got: Any, where: str = "", *, ordered: bool = True) -> str | None:
    """The first difference between two observed values, in a sentence; ``None`` when they are equal.

    Types are compared (an ``int`` is not a ``Decimal``, a ``Row`` is not a tuple, a list is not a tuple), so are
    the orders of sequences unless ``ordered`` is False.

    >>> compare({"a": 1}, {"a": 2})
    "['a']: you returned 2; the reference returns 1"
    >>> compare([1, 2, 2], [2, 1, 2], ordered=False) is None
    True
    """
    prefix = f"{where}: " if where else ""
    if _kind(expected) != _kind(got):
        return (
            f"{prefix}you returned {show(got)} ({_article(_kind(got))}); the reference returns "
            f"{show(expected)} ({_article(_kind(expected))})"
        )
    if isinstance(expected, list | tuple | _RowValue):
        exp = list(expected.values if isinstance(expected, _RowValue) else expected)
        act = list(got.values if isinstance(got, _RowValue) else got)
        if not ordered:
            exp, act = sorted(exp, key=repr), sorted(act, key=repr)
        if len(exp) != len(act):
            return f"{prefix}you returned {len(act)} items ({show(act)}); the reference returns {len(exp)} ({show(exp)})"
        for number, (left, right) in enumerate(zip(exp, act, strict=True)):
            found = compare(left, right, f"{where}item {number + 1}" if not where else f"{where}[{number}]")
            if found:
                if not ordered or sorted(map(repr, exp)) != sorted(map(repr, act)):
                    return found
                return f"{prefix}the same items in another order: you returned {show(act)}; the reference returns {show(exp)}"
        return None
    if isinstance(expected, dict):
        if set(expected) != set(got):
            return f"{prefix}you returned the keys {sorted(got, key=repr)}, the reference {sorted(expected, key=repr)}"
        for key in expected:
            found = compare(expected[key], got[key], f"{where}[{key!r}]", ordered=ordered)
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
            found = compare(value, mine[key], f"{where}{got.kind}.{key}".lstrip(": "), ordered=ordered)
            if found:
                return f"{prefix}{found}" if prefix else found
        return None
    if expected != got:
        return f"{prefix}you returned {show(got)}; the reference returns {show(expected)}"
    return None


# --------------------------------------------------------------------------------------------------------------
# The database afterwards
# --------------------------------------------------------------------------------------------------------------

Tables = dict[str, list[dict[str, Any]]]


async def snapshot(conn: AsyncConnection | AsyncSession) -> Tables:
    """Every table's rows (every column, reflected), ordered by primary key: what a database holds."""
    connection = conn if isinstance(conn, AsyncConnection) else await conn.connection()
    metadata = MetaData()
    await connection.run_sync(lambda sync: metadata.reflect(sync))
    tables: Tables = {}
    for name, table in sorted(metadata.tables.items()):
        if name.startswith("sqlite_") or "_fts" in name:  # SQLite's own and FTS5's shadow tables
            continue
        order = list(table.primary_key.columns) or list(table.columns)
        rows = (await connection.execute(select(table).order_by(*order))).mappings().all()
        tables[name] = [dict(row) for row in rows]
    return tables


def _key(row: dict[str, Any], free: set[str]) -> tuple[Any, ...]:
    return tuple((key, repr(value)) for key, value in sorted(row.items()) if key not in free)


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
        f"{show(mine[example][column])}, the reference {show(theirs[example][column])}"
        + (f" (and {len(ids) - 1} more rows)" if len(ids) > 1 else "")
    )


def _as_bags(name: str, left: list[dict[str, Any]], right: list[dict[str, Any]], ignored: set[str]) -> str | None:
    theirs, mine = sorted(_key(row, ignored) for row in left), sorted(_key(row, ignored) for row in right)
    if theirs == mine:
        return None
    missing = [row for row in theirs if row not in mine]
    if missing:
        return f"{name} lacks a row the reference has: {dict(missing[0])}"
    extra = [row for row in mine if row not in theirs]
    return f"{name} has a row the reference does not: {dict(extra[0]) if extra else 'a duplicate'}"


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
    #: The tables as the answer's own session saw them before it closed (to tell "not committed" apart).
    inside: Tables | None = None
    statements: list[int] = field(default_factory=list)
    fetched: list[RowsFetched] = field(default_factory=list)
    sql: list[list[str]] = field(default_factory=list)
    problem: str | None = None


@dataclass(frozen=True)
class Call:
    """One call of the function: its arguments after the session, and how the message names it."""

    args: tuple[Any, ...] = ()
    label: str = ""

    def named(self, function: str) -> str:
        return self.label or f"{function}({', '.join(['session', *map(repr, self.args)])})"


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

    def compared_tables(self, tables: Tables) -> Tables:
        """What of the database afterwards is compared (default: every table)."""
        return tables

    def properties(self, reference: Run, answer: Run, world: World) -> str | None:
        """Extra promises of the task, checked on the answer's run (a bound on statements …): a reason, or None."""
        return None

    def passed(self, runs: list[Run]) -> str:
        """The message of a passed check."""
        calls = sum(len(run.results) for run in runs)
        return (
            f"the same results and the same tables as the reference, on {len(runs)} generated databases "
            f"({calls} calls)."
        )

    async def run(self, function: Callable[..., Any], db: LessonDatabase, world: World, run: Run, answer: bool) -> None:
        """Make every call of :meth:`calls`, each in a session of its own, recording into ``run``."""
        for call in self.calls(world):
            async with db.Session() as session:
                with count_statements() as queries, count_rows_fetched() as fetched:
                    try:
                        running = self.call(function, session, *call.args) if answer else function(session, *call.args)
                        value = await running
                    except Incorrect:
                        raise
                    except Exception as error:
                        if answer and not raised_by_answer(error):
                            raise
                        value = Raised(type(error).__name__)
                observed = value if isinstance(value, Raised) else self.observe(value)
                run.results.append((call.named(self.function_name()), observed))
                run.statements.append(queries.count)
                run.fetched.append(fetched)
                run.sql.append([str(statement) for statement in queries.statements])
                if answer:
                    await self._inspect_session(session, run)

    # ---- the machinery ------------------------------------------------------------------------------------------

    def function_name(self) -> str:
        return getattr(self.reference, "__name__", "your function")

    def seeds(self) -> list[int]:
        """The seeds of this check's databases: fixed per exercise, so a message is the same on every run."""
        base = zlib.crc32(self.id.encode()) % 100_000
        return [base + number for number in range(self.databases)]

    async def _inspect_session(self, session: AsyncSession, run: Run) -> None:
        if run.inside is not None or run.problem:
            return
        try:
            run.inside = await snapshot(session)
        except PendingRollbackError:
            run.problem = (
                "your function left its session unusable (an error inside a transaction, never rolled back): the "
                "caller's next statement raises PendingRollbackError"
            )
        except Exception:
            run.inside = None

    async def _one_run(self, function: Any, db: LessonDatabase, world: World, answer: bool) -> Run:
        await worlds.load(db, world, self.extra_tables)
        run = Run()
        state = _this_check()
        tasks_before = len(state.tasks) if state is not None else 0
        with clock.frozen(world.now):
            await self.run(function, db, world, run, answer)
        if answer:
            await asyncio.sleep(0)
            if state is not None and any(not task.done() for task in state.tasks[tasks_before:]):
                run.problem = run.problem or "your function left a task running after it returned"
            if db.engine.pool.checkedout():
                run.problem = run.problem or (
                    "your function left a database connection checked out (a session or connection it opened "
                    "and never closed: use `async with`)"
                )
        async with db.engine.connect() as conn:
            run.tables = self.compared_tables(await snapshot(conn))
        return run

    async def judge(self, answer: Any, db: LessonDatabase) -> str:
        runs = []
        for number, seed in enumerate(self.seeds(), 1):
            world = self.world(seed)
            where = f" [generated database {number} of {self.databases}, seed {seed}]"
            try:
                reference = getattr(self.reference, "__func__", self.reference)
                expected = await self._one_run(reference, db, self.world(seed), answer=False)
            except Exception as error:
                raise RuntimeError(f"the reference failed: {describe(error)}{where}") from error
            got = await self._one_run(answer, db, world, answer=True)
            found = self._difference(expected, got, world)
            if found:
                raise Incorrect(found + where)
            runs.append(got)
        return self.passed(runs)

    def _difference(self, expected: Run, got: Run, world: World) -> str | None:
        for (label, want), (_, have) in zip(expected.results, got.results, strict=True):
            if isinstance(have, Raised) and not isinstance(want, Raised):
                return f"{label}: your code raised {have.error}"
            found = self.differs(want, have)
            if found:
                return f"{label}: {found}"
        if got.problem:
            return got.problem
        found = compare_tables(expected.tables, got.tables, self.free_columns)
        if found:
            if got.inside is not None and compare_tables(expected.tables, got.inside, self.free_columns) is None:
                return "your changes are right, but never committed: the caller's session closes and they are gone"
            return f"after your calls, {found}"
        return self.properties(expected, got, world)


def at_most(limit: int, counts: Sequence[int], what: str = "statements") -> str | None:
    """A reason when a call ran more than ``limit`` statements, else None.

    >>> at_most(2, [1, 2]) is None, at_most(2, [1, 5])
    (True, 'call 2 ran 5 statements; the task allows at most 2')
    """
    for number, count in enumerate(counts, 1):
        if count > limit:
            return f"call {number} ran {count} {what}; the task allows at most {limit}"
    return None

