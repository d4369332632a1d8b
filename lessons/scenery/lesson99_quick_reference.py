"""The quick reference's tables: each row an Eloquent call beside the SQLAlchemy code that does the same, run for real.

A row is an ``async def name(session)`` registered on a section of a :class:`Rows` registry: its docstring is the
Eloquent call, its body the SQLAlchemy code (the course's rows are in
:mod:`lessons.scenery.lesson99_eloquent_equivalents`).
:meth:`QuickReference.show` resets the lesson's database (so every table starts from the seed), runs the section's
rows in order, one session each, under the SQL lens (:func:`lessons.lens.sql.show_sql`), and draws an HTML table of the
Eloquent call, the SQLAlchemy code, the SQL it sent and what it returned. A row that raises fails the cell, unless
it names the error it demonstrates (``raises=``), so the reference cannot drift from what SQLAlchemy really does.

>>> rows = Rows()
>>> reading = rows.section("Reading")
>>> @reading.row("Find by primary key")
... async def find(session):
...     '''User::find(1);'''
...     return await session.get(User, 1)
>>> [(entry.eloquent, entry.code) for entry in rows.entries("Reading")]
[('User::find(1);', 'return await session.get(User, 1)')]
>>> reference = QuickReference(db, rows)                # doctest: +SKIP
>>> await reference.show("Reading")                     # doctest: +SKIP
<IPython.core.display.HTML object>
>>> print(reference.summary())                          # doctest: +SKIP
1 operations in 1 sections, every one executed: True
"""

from __future__ import annotations

import ast
import html
import inspect
import textwrap
from collections.abc import Awaitable, Callable
from contextlib import redirect_stdout
from dataclasses import dataclass, field
from io import StringIO
from typing import Any

from IPython.display import HTML
from pydantic import BaseModel

from lessons.core.database import LessonDatabase
from lessons.lens.sql import show_sql
from lessons.lens.traps import describe

Row = Callable[[Any], Awaitable[Any]]

#: The table's columns, in order.
COLUMNS = ("Operation", "Eloquent", "SQLAlchemy", "SQL it ran", "Returned")
_LEFT = ' style="text-align:left;vertical-align:top"'


@dataclass
class Entry:
    """One row: what it does, the Eloquent call, the function that runs it, and what running it showed."""

    section: str
    operation: str
    eloquent: str
    run: Row
    #: Show ``BEGIN (implicit)``/``COMMIT``/``ROLLBACK`` (for rows that write).
    transactions: bool = False
    #: The error this row demonstrates; any other error fails the table.
    raises: type[Exception] | None = None
    #: Helper functions whose source is shown above the row's code (a local scope, say).
    uses: list[Callable[..., Any]] = field(default_factory=list)
    sql: str = ""
    returned: str = ""

    @property
    def code(self) -> str:
        """The SQLAlchemy column: the helpers' source, then the row's body."""
        return "\n\n".join([*(inspect.getsource(use).strip() for use in self.uses), code_of(self.run)])


def code_of(function: Callable[..., Any]) -> str:
    """The source of a function after its ``def`` line and docstring.

    >>> def find(session):
    ...     '''User::find(1);'''
    ...     return session.get("User", 1)
    >>> print(code_of(find))
    return session.get("User", 1)
    """
    source = textwrap.dedent(inspect.getsource(function))
    definition = ast.parse(source).body[0]
    first = definition.body[0]
    start = first.end_lineno if ast.get_docstring(definition) is not None else first.lineno - 1
    return textwrap.dedent("\n".join(source.splitlines()[start:])).strip()


def short(value: Any, width: int = 110) -> str:
    """A returned value in one short line: an error as ``Class: message``, a long list by its size and first item.

    >>> short(list(range(100)))
    '100 items: [0, …]'
    >>> short(KeyError("id"))
    "KeyError: 'id'"

    Text of several lines (SQL that a row compiled) is shown as it prints, not as a repr full of ``\\n``:

    >>> print(short("SELECT users.id\\nFROM users"))
    SELECT users.id
    FROM users
    """
    if isinstance(value, str) and "\n" in value:
        return value
    if isinstance(value, BaseException):
        text = describe(value)
    elif isinstance(value, list | tuple) and len(value) > 1 and len(repr(value)) > width:
        text = f"{len(value)} items: [{short(value[0], 60)}, …]"
    elif isinstance(value, BaseModel):
        fields = sorted(dict(value).items(), key=lambda item: isinstance(item[1], list))
        text = f"{type(value).__name__}(" + ", ".join(f"{k}={short(v, 60)}" for k, v in fields) + ")"
    else:
        text = repr(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def _pre(text: str) -> str:
    return f'<pre style="white-space:pre-wrap;margin:0">{html.escape(text)}</pre>'


def table(entries: list[Entry]) -> HTML:
    """The HTML table of rows that have run."""
    head = "".join(f"<th{_LEFT}>{name}</th>" for name in COLUMNS)
    rows = []
    for e in entries:
        cells = [html.escape(e.operation), _pre(e.eloquent), _pre(e.code), _pre(e.sql), _pre(e.returned)]
        rows.append("<tr>" + "".join(f"<td{_LEFT}>{cell}</td>" for cell in cells) + "</tr>")
    return HTML(f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>")


class Rows:
    """The rows of a reference, by section, in the order they were registered (registering again replaces)."""

    def __init__(self) -> None:
        self.by_key: dict[tuple[str, str], Entry] = {}
        self.setups: dict[str, Callable[[LessonDatabase], Awaitable[None]]] = {}

    def section(self, name: str, setup: Callable[[LessonDatabase], Awaitable[None]] | None = None) -> Section:
        """Rows are registered on a section; ``setup(db)`` runs after the reset, before the section's rows."""
        if setup is not None:
            self.setups[name] = setup
        return Section(self, name)

    def entries(self, section: str | None = None) -> list[Entry]:
        """Every row, or the rows of one section."""
        return [entry for entry in self.by_key.values() if section is None or entry.section == section]

    def sections(self) -> list[str]:
        """The section names, in order."""
        return list(dict.fromkeys(entry.section for entry in self.by_key.values()))


class Section:
    """One table of the reference: register its rows with the :meth:`row` decorator."""

    def __init__(self, rows: Rows, name: str) -> None:
        self.rows = rows
        self.name = name

    def row(self, operation: str, **options: Any) -> Callable[[Row], Row]:
        """Register the decorated ``async def name(session)`` as the row ``operation``; its docstring is the
        Eloquent call. Options: ``transactions=True``, ``raises=ErrorClass``, ``uses=[helper, ...]``."""

        def register(function: Row) -> Row:
            entry = Entry(self.name, operation, inspect.getdoc(function) or "", function, **options)
            self.rows.by_key[self.name, operation] = entry
            return function

        return register


class QuickReference:
    """Draws the tables of ``rows`` on a lesson database; ``.db`` is the database as the last table left it."""

    def __init__(self, db: LessonDatabase, rows: Rows) -> None:
        self.db = db
        self.rows = rows

    async def show(self, section: str) -> HTML:
        """Reset the database, run the section's setup and then every row in order, and draw the table."""
        entries = self.rows.entries(section)
        if not entries:
            raise KeyError(f"no rows in section {section!r}; the sections are {self.rows.sections()}")
        self.db = await self.db.reset()
        setup = self.rows.setups.get(section)
        if setup is not None:
            await setup(self.db)
        for entry in entries:
            await self.run(entry)
        return table(entries)

    async def run(self, entry: Entry) -> None:
        """Run one row in a session of its own, capturing the SQL it sent and what it returned (or raised)."""
        captured = StringIO()
        async with self.db.Session() as session:
            with redirect_stdout(captured), show_sql(transactions=entry.transactions):
                try:
                    value = await entry.run(session)
                except Exception as error:
                    if entry.raises is None or not isinstance(error, entry.raises):
                        raise
                    value = error
        entry.sql = captured.getvalue().strip() or "(no SQL ran)"
        entry.returned = short(value)

    def summary(self) -> str:
        """How many rows, in how many sections, and whether every one has run."""
        entries = self.rows.entries()
        executed = all(entry.returned for entry in entries)
        return f"{len(entries)} operations in {len(self.rows.sections())} sections, every one executed: {executed}"
