"""How many rows a query reads, and how many survive its WHERE: counted by SQLite itself, not timed.

A query plan says *how* SQLite walks a table (``SCAN`` or ``SEARCH``); :func:`rows_read` says *how far*. It runs the
statement once with two counting SQL functions added to its WHERE clause: one before every other condition (SQLite
evaluates it for each row or index entry it visits) and one after them (evaluated only for the rows that pass). The
counts hold on any machine, unlike a timing. The plan must not change because of the counters: if it does,
:func:`rows_read` raises instead of counting a different query.

>>> await rows_read(select(Post).order_by(Post.id).offset(100).limit(20), on=db)   # doctest: +SKIP
RowsRead(read=120, kept=120)
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func
from sqlalchemy.ext.asyncio import AsyncEngine

from lessons.lens.sql import explain

_names = itertools.count(1)


@dataclass(frozen=True)
class RowsRead:
    """``read``: rows (or index entries) SQLite visited; ``kept``: those that passed every WHERE condition."""

    read: int
    kept: int


async def rows_read(statement: Select[Any], on: Any) -> RowsRead:
    """Run ``statement`` once on ``on`` (a LessonDatabase or AsyncEngine, SQLite only) and count what it read.

    The counters take the statement's first selected column, so they run once per row of its table (a statement
    over a single table is what this is for).
    """
    engine: AsyncEngine = getattr(on, "engine", on)
    if engine.dialect.name != "sqlite":
        raise ValueError(f"rows_read counts with SQLite functions; this engine is {engine.dialect.name}")
    number = next(_names)
    counts = {"read": 0, "kept": 0}

    def counter(which: str):
        def count(_value: Any) -> int:
            counts[which] += 1
            return 1

        return count

    column = statement.selected_columns[0]
    first = getattr(func, f"course_rows_read_{number}")(column)
    last = getattr(func, f"course_rows_kept_{number}")(column)
    counted = statement.where(last)
    # The "read" counter must come before the statement's own conditions, since SQLite stops evaluating an AND at
    # its first false term; but Select.where() can only append, and SQLAlchemy has no public way to prepend. So this
    # sets the tuple Select.where() itself appends to (Select._where_criteria, internal) on the copy .where() made,
    # then checks through the public Select.whereclause that the counters stand first and last: if a later
    # SQLAlchemy renames that attribute, this raises instead of counting without the "read" counter.
    counted._where_criteria = (first, *statement._where_criteria, last)
    terms = getattr(counted.whereclause, "clauses", ())
    if len(terms) < 2 or terms[0] is not first or terms[-1] is not last:
        raise RuntimeError("could not put the counters first and last in the WHERE clause (Select internals changed?)")
    async with engine.connect() as conn:
        raw = await conn.get_raw_connection()
        await raw.driver_connection.create_function(f"course_rows_read_{number}", 1, counter("read"))
        await raw.driver_connection.create_function(f"course_rows_kept_{number}", 1, counter("kept"))
        plain, probed = await explain(statement, on=conn), await explain(counted, on=conn)
        if plain.lines != probed.lines:
            raise RuntimeError(f"counting changed the plan:\n{plain}\nbecame\n{probed}")
        await conn.execute(counted)
    return RowsRead(**counts)
