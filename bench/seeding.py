"""Measure the spine's speed targets (``make bench``).

1. Seeding the default database through async SQLAlchemy (``lessons.core.seed.insert_rows``: one executemany per
   table on the async connection) against the floor: raw ``sqlite3.executemany`` inserting the same rows in
   one transaction. Target: at most 1.5 × the floor.
2. ``fresh_database()`` on SQLite. Target: at most 0.2 s.

Each figure is the best of several runs, measured in the same process on the same rows.
"""

from __future__ import annotations

import asyncio
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy.schema import CreateIndex, CreateTable

from lessons.core import database, pristine, seed
from lessons.core.models import Base
from lessons.lens.sql import dialect_named

REPEAT = 5


def _schema_sql() -> list[str]:
    dialect = dialect_named("sqlite")
    statements = []
    for table in Base.metadata.sorted_tables:
        statements.append(str(CreateTable(table).compile(dialect=dialect)))
        statements.extend(str(CreateIndex(index).compile(dialect=dialect)) for index in table.indexes)
    return statements


def raw_sqlite_floor(path: Path, data: dict[str, list[dict[str, Any]]], convert_untimed: bool = False) -> float:
    """Seconds for raw ``sqlite3.executemany`` of every row, in one transaction (schema created first, untimed).

    The timed part includes turning the rows into tuples of what SQLite stores (an aware datetime is not one),
    with the same conversion the course uses: the least work any code must do to insert these rows.
    ``convert_untimed=True`` converts first and times the executemany calls alone, for reference.
    """
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA journal_mode=WAL")
    for statement in _schema_sql():
        conn.execute(statement)
    conn.commit()
    ready = seed.sqlite_batches(data) if convert_untimed else None
    started = time.perf_counter()
    with conn:
        for sql, rows in ready or seed.sqlite_batches(data):
            conn.executemany(sql, rows)
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


async def course_seeding(path: Path, data: dict[str, list[dict[str, Any]]]) -> float:
    """Seconds for the course's seeding path (async Core insert executemany), schema created first, untimed."""
    engine = database.create_engine(f"sqlite+aiosqlite:///{path}")
    try:
        async with engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
        started = time.perf_counter()
        async with engine.begin() as conn:
            await seed.insert_rows(conn, data)
        return time.perf_counter() - started
    finally:
        await engine.dispose()


async def fresh_database_seconds() -> float:
    best = float("inf")
    for attempt in range(REPEAT):
        started = time.perf_counter()
        db = await database.fresh_database(f"bench-fresh-{attempt}", make_current=False)
        best = min(best, time.perf_counter() - started)
        await db.drop()
    return best


async def main() -> None:
    data = seed.generate("default")
    rows = sum(len(table_rows) for table_rows in data.values())
    await pristine.ensure_pristine(database.get_settings().url)  # so fresh_database times the copy, not the build
    floor, io_only, ours = float("inf"), float("inf"), float("inf")
    with tempfile.TemporaryDirectory() as folder:
        for attempt in range(REPEAT):
            floor = min(floor, raw_sqlite_floor(Path(folder) / f"raw-{attempt}.sqlite3", data))
            io_only = min(io_only, raw_sqlite_floor(Path(folder) / f"io-{attempt}.sqlite3", data, True))
            ours = min(ours, await course_seeding(Path(folder) / f"course-{attempt}.sqlite3", data))
    fresh = await fresh_database_seconds()
    ratio = ours / floor
    print(f"Seeding the default database ({rows:,} rows, best of {REPEAT}):")
    print(f"  raw sqlite3.executemany (floor)   {floor * 1000:8.1f} ms  (rows → tuples, then executemany)")
    print(f"  … of tuples made beforehand       {io_only * 1000:8.1f} ms  (reference: the executemany calls alone)")
    print(f"  core.seed over async SQLAlchemy {ours * 1000:9.1f} ms  = {ratio:.2f} × the floor (target ≤ 1.5 ×)")
    print(f"fresh_database() on SQLite          {fresh * 1000:8.1f} ms  (target ≤ 200 ms)")
    verdicts = {"seeding ≤ 1.5 × floor": ratio <= 1.5, "fresh_database ≤ 0.2 s": fresh <= 0.2}
    print("Targets: " + ", ".join(f"{name}: {'met' if met else 'MISSED'}" for name, met in verdicts.items()))


if __name__ == "__main__":
    asyncio.run(main())
