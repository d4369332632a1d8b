"""The SQL lens: see what SQLAlchemy sends to the database, count it, and read query plans.

- :func:`show_sql` prints every statement run inside it, with its parameters (what *ran*).
- :func:`count_queries` counts them; :func:`expect_queries` fails when the count is wrong
  (Django's ``assertNumQueries``, for SQLAlchemy).
- :func:`to_sql` compiles a statement with its values inlined (Eloquent's ``toSql()``, what it *would* run).
- :func:`explain` shows the query plan on the current backend.

>>> from sqlalchemy import select
>>> from lessons.core.models import User
>>> print(to_sql(select(User.name).where(User.id == 5), dialect="sqlite"))
SELECT users.name
FROM users
WHERE users.id = 5
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.engine.interfaces import ExecuteStyle
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.compiler import SQLCompiler

#: Strings longer than this are shortened in printed parameters, to keep the log readable.
MAX_VALUE_LENGTH = 40
#: How many rows of an executemany are printed.
MAX_MANY_ROWS = 3
#: Printed SQL and parameter lines are wrapped to this many characters, so the browser never wraps them again
#: where it likes (in the middle of a name). Measured in JupyterLab 4 (13 px monospace, 7.8 px a character): a
#: 1280-pixel-wide window with the file browser open has an output area of 840 px, 107 characters; 88 still fit
#: at 110 % zoom, or in a window of about 1,130 px (850 with the file browser closed).
SQL_WIDTH = 88
#: Continuation lines of a wrapped line are indented by this much more than the line they continue.
CONTINUATION = "    "


# --------------------------------------------------------------------------------------------------------------
# Recording what runs
# --------------------------------------------------------------------------------------------------------------


def format_value(value: Any) -> str:
    """One parameter value, short and the same on every run.

    >>> format_value("x" * 50)
    "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…'"
    >>> from datetime import datetime, timezone
    >>> format_value(datetime(2025, 1, 15, 9, 0, tzinfo=timezone.utc))
    "'2025-01-15 09:00:00+00:00'"
    """
    if isinstance(value, str):
        if len(value) > MAX_VALUE_LENGTH:
            value = value[: MAX_VALUE_LENGTH - 1] + "…"
        return repr(value)
    if isinstance(value, datetime | date):
        return repr(value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat())
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return "(" + ", ".join(format_value(item) for item in value) + ("," if len(value) == 1 else "") + ")"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key!r}: {format_value(item)}" for key, item in value.items()) + "}"
    return repr(value)


def format_parameters(parameters: Any, executemany: bool) -> str | None:
    """The parameter line printed under a statement, or ``None`` when it has none.

    An executemany's rows follow its row count on one line when they fit in :data:`SQL_WIDTH`, else one row a line:

    >>> print(format_parameters([("Ada", "ada@example.com")] * 2, executemany=True))
    [2 rows] ('Ada', 'ada@example.com'), ('Ada', 'ada@example.com')
    >>> print(format_parameters([("Ada Lovelace", "ada.lovelace@example.com", "user", 36)] * 5, executemany=True))
    [5 rows]
        ('Ada Lovelace', 'ada.lovelace@example.com', 'user', 36),
        ('Ada Lovelace', 'ada.lovelace@example.com', 'user', 36),
        ('Ada Lovelace', 'ada.lovelace@example.com', 'user', 36),
        … 2 more
    """
    if executemany:
        rows = list(parameters)
        shown = [format_value(row) for row in rows[:MAX_MANY_ROWS]]
        more = [f"… {len(rows) - MAX_MANY_ROWS} more"] if len(rows) > MAX_MANY_ROWS else []
        line = f"[{len(rows)} rows] " + ", ".join(shown + more)
        if len(line) <= SQL_WIDTH:
            return line
        return f"[{len(rows)} rows]\n" + ",\n".join(CONTINUATION + item for item in shown + more)
    if not parameters:
        return None
    return f"[parameters] {format_value(parameters)}"


def tidy(sql: str) -> str:
    """SQL text without the trailing spaces SQLAlchemy leaves before each line break.

    >>> tidy("SELECT 1 \\nFROM t ")
    'SELECT 1\\nFROM t'
    """
    return "\n".join(line.rstrip() for line in sql.strip().splitlines())


# Break before these words (outside quotes): the clauses SQLAlchemy leaves on one line. ON comes second: a join
# keeps its condition beside it when the line allows.
_BREAK_BEFORE = re.compile(
    r" (?=(?:AND|OR|VALUES|RETURNING|SET|(?:LEFT |RIGHT |FULL |INNER |CROSS )?(?:OUTER )?JOIN"
    r"|SELECT|FROM|WHERE|GROUP BY|HAVING|ORDER BY|LIMIT|OFFSET|UNION|WHEN|THEN|ELSE)\b)"
)
_BREAK_BEFORE_TOO = re.compile(r" (?=ON\b)")


def _spaces_outside_quotes(line: str) -> list[tuple[int, int]]:
    """Each space outside a quoted string or identifier, ranked as a place to break: 0 after a comma or before
    a clause keyword, 1 before ``ON``, 2 any other space (a break of last resort)."""
    found, quote = [], ""
    for index, char in enumerate(line):
        if quote:
            if char == quote:
                quote = ""  # a doubled quote ('it''s') closes and reopens: the state stays right
        elif char in "'\"`":
            quote = char
        elif char == " " and index > 0 and line[index - 1] != " ":
            if line[index - 1] == "," or _BREAK_BEFORE.match(line, index):
                rank = 0
            else:
                rank = 1 if _BREAK_BEFORE_TOO.match(line, index) else 2
            found.append((index, rank))
    return found


def _wrap_line(line: str, width: int) -> list[str]:
    if len(line) <= width:
        return [line]
    lead = line[: len(line) - len(line.lstrip(" "))]
    indent = lead + CONTINUATION
    spaces = _spaces_outside_quotes(line)
    lines: list[str] = []
    start, prefix = len(lead), lead
    while len(prefix) + len(line) - start > width:
        room = start + width - len(prefix)
        fits = [(index, rank) for index, rank in spaces if start < index <= room]
        best = [index for index, rank in fits if rank == min(rank for _index, rank in fits)] if fits else []
        if best:
            cut = best[-1]
        else:  # one word longer than the line (a long string): break at the first space after it
            later = [index for index, _rank in spaces if index > start]
            if not later:
                break
            cut = later[0]
        lines.append(prefix + line[start:cut])
        start, prefix = cut + 1, indent
    lines.append(prefix + line[start:])
    return lines


def wrap_sql(text: str, width: int = SQL_WIDTH) -> str:
    """Wrap every line longer than ``width`` after a comma or before a clause keyword, never inside a quoted
    string or a name, continuation lines indented: the same text in every window, readable in each.

    >>> sql = "INSERT INTO users (name, email, age, role) VALUES ('Lovelace, Ada', 'ada@example.com', 36, 'user')"
    >>> print(wrap_sql(sql, width=60))
    INSERT INTO users (name, email, age, role)
        VALUES ('Lovelace, Ada', 'ada@example.com', 36, 'user')
    """
    return "\n".join(part for line in text.split("\n") for part in _wrap_line(line, width))


def _stable(text: str) -> str:
    """Database names as the same text on every run (:func:`lessons.core.pristine.stable_names`)."""
    from lessons.core.pristine import stable_names

    return stable_names(text)


class _Oid(int):
    """A PostgreSQL object id among a catalog query's parameters: printed as ``<oid>``."""

    def __repr__(self) -> str:
        return "<oid>"


#: PostgreSQL numbers the objects users create from here on (``FirstNormalObjectId``); lower ones are built in.
FIRST_USER_OID = 16384


def _hide_oids(parameters: Any) -> Any:
    """A catalog query's parameters with the ids of user objects (tables, indexes) as ``<oid>``.

    SQLAlchemy's PostgreSQL reflection (``checkfirst=True``, ``inspect()``) passes a table's OID, which differs in
    every database the seed is built in (each namespace has its own): the number is not the lesson.

    >>> _hide_oids(("public", "u", "x", 58415, 1))
    ('public', 'u', 'x', <oid>, 1)
    """
    if isinstance(parameters, bool):
        return parameters
    if isinstance(parameters, int) and parameters >= FIRST_USER_OID:
        return _Oid(parameters)
    if isinstance(parameters, list | tuple):
        return type(parameters)(_hide_oids(item) for item in parameters)
    if isinstance(parameters, dict):
        return {key: _hide_oids(item) for key, item in parameters.items()}
    return parameters


@dataclass
class Statement:
    """One statement sent to the database: its SQL text, its parameters and whether it was an executemany."""

    sql: str
    parameters: Any
    executemany: bool = False

    def __str__(self) -> str:
        """The statement as printed: SQL and parameter line wrapped to :data:`SQL_WIDTH`."""
        parameters = _hide_oids(self.parameters) if "pg_catalog." in self.sql else self.parameters
        line = format_parameters(parameters, self.executemany)
        return _stable(wrap_sql(self.sql if line is None else f"{self.sql}\n{line}"))


@dataclass
class QueryCounter:
    """What :func:`count_queries` collects: ``.count`` and the ``.statements`` themselves."""

    statements: list[Statement] = field(default_factory=list)

    @property
    def count(self) -> int:
        """How many statements ran (an executemany counts as one round trip)."""
        return len(self.statements)

    def __repr__(self) -> str:
        return f"QueryCounter(count={self.count})"


@contextmanager
def _listening(
    on_statement: Any, on_transaction: Any = None
) -> Iterator[None]:
    def before_cursor_execute(conn, cursor, statement, parameters, context, executemany):
        # An "insertmanyvalues" batch (many rows in one INSERT … VALUES (…), (…)) is flagged executemany,
        # but it is one execute() with one flat tuple of parameters.
        if context is not None and context.execute_style is ExecuteStyle.INSERTMANYVALUES:
            executemany = False
        on_statement(Statement(tidy(statement), parameters, executemany))

    hooks: list[tuple[str, Any]] = [("before_cursor_execute", before_cursor_execute)]
    if on_transaction is not None:
        hooks += [
            ("begin", lambda conn: on_transaction("BEGIN (implicit)")),
            ("commit", lambda conn: on_transaction("COMMIT")),
            ("rollback", lambda conn: on_transaction("ROLLBACK")),
        ]
    # Listening on the Engine class also reaches every AsyncEngine's sync_engine, old or new.
    for name, hook in hooks:
        event.listen(Engine, name, hook)
    try:
        yield
    finally:
        for name, hook in hooks:
            event.remove(Engine, name, hook)


@contextmanager
def show_sql(parameters: bool = True, limit: int | None = 30, transactions: bool = True) -> Iterator[QueryCounter]:
    """Print every statement executed inside the block, with its parameters; no timestamps, no timings.

    ``limit`` caps how many statements are printed (the rest are counted in one closing line);
    ``transactions=False`` leaves out ``BEGIN``/``COMMIT``/``ROLLBACK``. The block yields a
    :class:`QueryCounter` too.

    Lines longer than :data:`SQL_WIDTH` are wrapped after a comma or before a clause (:func:`wrap_sql`).

    >>> with show_sql():                                   # doctest: +SKIP
    ...     user = await session.get(User, 1)
    BEGIN (implicit)
    SELECT users.id, users.name, users.email, users.age, users.role, users.is_active,
        users.email_verified_at, users.password_hash, users.created_at, users.updated_at
    FROM users
    WHERE users.id = ?
    [parameters] (1,)
    """
    counter = QueryCounter()
    hidden = 0

    def emit(text: str) -> None:
        nonlocal hidden
        if limit is not None and counter.count > limit:
            hidden += 1
            return
        print(text)

    def on_statement(statement: Statement) -> None:
        counter.statements.append(statement)
        emit(str(statement) if parameters else _stable(wrap_sql(statement.sql)))

    def on_transaction(word: str) -> None:
        if limit is not None and counter.count > limit:
            return
        print(word)

    with _listening(on_statement, on_transaction if transactions else None):
        try:
            yield counter
        finally:
            if hidden:
                print(f"… {hidden} more statements not shown ({counter.count} in all)")


@contextmanager
def count_queries() -> Iterator[QueryCounter]:
    """Count the statements executed inside the block (printing nothing).

    >>> with count_queries() as queries:                   # doctest: +SKIP
    ...     await session.scalars(select(User))
    >>> queries.count                                      # doctest: +SKIP
    1
    """
    counter = QueryCounter()
    with _listening(counter.statements.append):
        yield counter


@contextmanager
def expect_queries(expected: int) -> Iterator[QueryCounter]:
    """Fail with :class:`AssertionError`, listing every statement, unless exactly ``expected`` ran.

    >>> with expect_queries(2):                            # doctest: +SKIP
    ...     users = (await session.scalars(select(User).options(selectinload(User.posts)))).all()
    """
    with count_queries() as counter:
        yield counter
    if counter.count != expected:
        listing = "\n".join(f"{number}. {statement}" for number, statement in enumerate(counter.statements, 1))
        raise AssertionError(
            f"expected {expected} statements, {counter.count} ran: {summarize(counter.statements)}\n{listing}"
        )


_TABLE = re.compile(r"^(?:SELECT\b.*?\bFROM|INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+([^\s(,]+)", re.I | re.DOTALL)


def summarize(statements: Sequence[Statement]) -> str:
    """The statements on one line, by kind and table, repeats folded (``×3``): the shape of an N+1 at a glance.

    The first line of :func:`expect_queries`' message, so it still says what ran where only that line is shown.

    >>> ran = [Statement("SELECT users.id FROM users", ()), Statement("SELECT posts.id FROM posts", (1,)),
    ...        Statement("SELECT posts.id FROM posts", (2,)), Statement("DELETE FROM posts WHERE id = ?", (3,))]
    >>> summarize(ran)
    'SELECT … FROM users, SELECT … FROM posts ×2, DELETE FROM posts'
    """
    kinds: list[list[Any]] = []
    for statement in statements:
        match = _TABLE.match(statement.sql)
        if match is None:
            kind = statement.sql.split("\n", 1)[0][:40]
        else:
            verb = statement.sql.split(None, 1)[0].upper()
            prefix = {"SELECT": "SELECT … FROM", "INSERT": "INSERT INTO", "DELETE": "DELETE FROM"}.get(verb, verb)
            kind = f"{prefix} {match.group(1)}"
        if kinds and kinds[-1][0] == kind:
            kinds[-1][1] += 1
        else:
            kinds.append([kind, 1])
    return ", ".join(kind if times == 1 else f"{kind} ×{times}" for kind, times in kinds) or "nothing"


# --------------------------------------------------------------------------------------------------------------
# What a statement compiles to
# --------------------------------------------------------------------------------------------------------------


def dialect_named(name: str | None = None) -> Dialect:
    """A dialect object by name (``sqlite``, ``postgresql``, ``mysql``, ``mariadb``); default: the lesson's."""
    if name is None:
        name = _current_backend()
    if name == "sqlite":
        from sqlalchemy.dialects import sqlite

        return sqlite.dialect()
    if name == "postgresql":
        from sqlalchemy.dialects import postgresql

        # "named" parameters: format-style ones would print every literal % doubled (LIKE '%%ann%%').
        return postgresql.dialect(paramstyle="named")
    if name in {"mysql", "mariadb"}:
        from sqlalchemy.dialects import mysql

        return mysql.dialect(is_mariadb=name == "mariadb", paramstyle="named")
    raise ValueError(f"unknown dialect {name!r}; use sqlite, postgresql, mysql or mariadb")


def _current_backend() -> str:
    from lessons.core import database
    from lessons.core.settings import get_settings

    try:
        return database.current().backend
    except RuntimeError:
        return get_settings().backend


def to_sql(statement: ClauseElement, dialect: str | Dialect | None = None) -> str:
    """The SQL a statement compiles to, with its values inlined (Eloquent's ``toSql()``, plus bindings).

    For reading only: values are inlined for display, long lines wrapped (:func:`wrap_sql`). What really runs
    keeps them as bound parameters.

    >>> from sqlalchemy import select
    >>> from lessons.core.models import Post
    >>> print(to_sql(select(Post.id).where(Post.title.like("%SQL%")).limit(3), "postgresql"))
    SELECT posts.id
    FROM posts
    WHERE posts.title LIKE '%SQL%'
     LIMIT 3
    """
    if not isinstance(dialect, Dialect):
        dialect = dialect_named(dialect)
    try:
        return wrap_sql(tidy(str(statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))))
    except Exception:  # a value with no literal form (bytes, JSON …): show the placeholders and the values
        compiled = statement.compile(dialect=dialect)
        return wrap_sql(f"{tidy(str(compiled))}\n[parameters] {format_value(compiled.params)}")


# --------------------------------------------------------------------------------------------------------------
# Query plans
# --------------------------------------------------------------------------------------------------------------


class Explain(Executable, ClauseElement):
    """``EXPLAIN`` (``EXPLAIN QUERY PLAN`` on SQLite) in front of any statement, with its parameters bound."""

    inherit_cache = False

    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement


_plans = itertools.count(1)


@compiles(Explain)
def _compile_explain(element: Explain, compiler: SQLCompiler, **kw: Any) -> str:
    if compiler.dialect.name == "sqlite":
        # The driver caches prepared statements by their text, and a cached EXPLAIN keeps showing the plan
        # from before an index was created or dropped. A numbered comment makes every EXPLAIN a new statement.
        return f"EXPLAIN QUERY PLAN {compiler.process(element.statement, **kw)} /* plan {next(_plans)} */"
    if compiler.dialect.name == "postgresql":
        # Without costs: the estimates (cost=…, rows=…, width=…) follow the table statistics, which autovacuum's
        # ANALYZE refreshes whenever it likes; the plan's shape (Index Scan, Seq Scan, Sort) is the lesson.
        return "EXPLAIN (COSTS OFF) " + compiler.process(element.statement, **kw)
    return "EXPLAIN " + compiler.process(element.statement, **kw)


@dataclass
class QueryPlan:
    """A query plan: print it, or test it with ``"USING INDEX" in plan``."""

    backend: str
    lines: Sequence[str]

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def __contains__(self, fragment: str) -> bool:
        return fragment in self.text

    def __repr__(self) -> str:
        return self.text


def _sqlite_tree(rows: Sequence[Sequence[Any]]) -> list[str]:
    # Rows are (id, parent, notused, detail); draw them the way the sqlite3 shell does.
    children: dict[int, list[tuple[int, str]]] = {}
    for node_id, parent, _notused, detail in rows:
        children.setdefault(parent, []).append((node_id, detail))
    lines = ["QUERY PLAN"]

    def walk(parent: int, indent: str) -> None:
        kids = children.get(parent, [])
        for index, (node_id, detail) in enumerate(kids):
            last = index == len(kids) - 1
            lines.append(f"{indent}{'`--' if last else '|--'}{detail}")
            walk(node_id, indent + ("   " if last else "|  "))

    walk(0, "")
    return lines


async def explain(statement: ClauseElement, on: Any = None) -> QueryPlan:
    """The query plan for ``statement`` on the lesson's database (or ``on``: a database, engine, or session).

    SQLite: ``EXPLAIN QUERY PLAN`` drawn as a tree; PostgreSQL: ``EXPLAIN (COSTS OFF)``; MariaDB: ``EXPLAIN`` as
    a table (without its estimated ``rows``). Only what stays the same from run to run is shown: the plan's shape,
    not the planner's estimates.

    >>> await explain(select(Post).where(Post.user_id == 3))   # doctest: +SKIP
    QUERY PLAN
    `--SEARCH posts USING INDEX ix_posts_user_id (user_id=?)
    """
    from lessons.core import database

    target = database.current() if on is None else on
    if isinstance(target, database.LessonDatabase):
        target = target.engine
    if isinstance(target, AsyncSession):
        backend = target.get_bind().dialect.name
        result = await target.execute(Explain(statement))
    elif isinstance(target, AsyncConnection):
        backend = target.dialect.name
        result = await target.execute(Explain(statement))
    elif isinstance(target, AsyncEngine):
        backend = target.dialect.name
        async with target.connect() as conn:
            result = await conn.execute(Explain(statement))
    else:
        raise TypeError(f"explain() runs on a LessonDatabase, AsyncEngine, AsyncSession or AsyncConnection, "
                        f"not {type(target).__name__}")
    rows = result.all()
    if backend == "sqlite":
        return QueryPlan(backend, _sqlite_tree(rows))
    if backend == "postgresql":
        return QueryPlan(backend, [row[0] for row in rows])
    keys = list(result.keys())
    # Not "rows": MariaDB's estimate comes from InnoDB's sampled statistics (100000 on one run, 97927 on the next);
    # the access type (ALL, ref, range) and the key it uses are the plan.
    wanted = [key for key in ("table", "type", "possible_keys", "key", "Extra") if key in keys]
    lines = [" | ".join(wanted)]
    for row in rows:
        mapping = dict(zip(keys, row, strict=True))
        lines.append(" | ".join(str(mapping[key]) for key in wanted))
    return QueryPlan(backend, lines)
