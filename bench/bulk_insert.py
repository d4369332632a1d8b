"""Four ways to insert the same rows, measured side by side (lesson 09 at full size).

    python -m bench.bulk_insert                  # 100,000 rows on DATABASE_URL (default: SQLite)
    python -m bench.bulk_insert --rows 20000 --repeat 7

The ways, fastest expected first:

1. the raw driver (the floor): ``sqlite3``'s own ``executemany`` with the list of dicts, no SQLAlchemy
   (on PostgreSQL/MariaDB: the driver's executemany through ``exec_driver_sql``);
2. async Core: ``await conn.execute(insert(table), rows)``;
3. async ORM bulk insert: ``await session.execute(insert(Model), rows)``;
4. async ``session.add_all(objects)`` + ``commit()``.

Every way inserts the same rows into an empty lesson-local table (``l09_subscribers``: a unique email, a name,
an age) and commits. The fast ways run in alternating rounds and keep their best time; ``add_all`` runs once
(it is tens of times slower). As ``timeit`` does, the garbage collector is off while a way runs. The table
prints each way's time, its ratio to the floor and how many statements it sent through SQLAlchemy.

On PostgreSQL and MariaDB the "floor" is the driver's own executemany, which is not always the fastest way
there: SQLAlchemy's Core insert batches rows into multi-row VALUES and can beat it.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sqlite3
import time
from collections.abc import Awaitable, Callable
from contextlib import closing
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import MetaData, String, func, insert, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from lessons.core import clock
from lessons.core.database import LessonDatabase, fresh_database, sqlite_path
from lessons.lens.sql import count_queries

#: The ratio to the floor the recommended path (Core insert) must stay within.
TARGET = 1.5


class BenchBase(DeclarativeBase):
    metadata = MetaData()


class Subscriber(BenchBase):
    __tablename__ = "l09_subscribers"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(255), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    age: Mapped[int | None]


def make_rows(count: int) -> list[dict[str, Any]]:
    """The rows every way inserts: plain dicts, as a CSV reader or a request body would give them."""
    return [{"email": f"reader{n}@example.net", "name": f"Reader {n}", "age": 18 + n % 60} for n in range(count)]


@dataclass
class Measured:
    """One way's runs: every time measured, and the statements its last run sent through SQLAlchemy."""

    name: str
    seconds: list[float] = field(default_factory=list)
    statements: int = 0

    @property
    def best(self) -> float:
        return min(self.seconds)


def ways(db: LessonDatabase, rows: list[dict[str, Any]]) -> dict[str, Callable[[], Awaitable[None]]]:
    """The four ways, each inserting ``rows`` and committing."""
    table = Subscriber.__table__

    async def raw_driver() -> None:
        if db.backend == "sqlite":
            with closing(sqlite3.connect(sqlite_path(db.url))) as raw:
                raw.executemany("INSERT INTO l09_subscribers (email, name, age) VALUES (:email, :name, :age)", rows)
                raw.commit()
            return
        compiled = insert(table).compile(dialect=db.engine.dialect, column_keys=list(rows[0]))
        values = [tuple(row[key] for key in compiled.positiontup) for row in rows]
        async with db.engine.begin() as conn:
            await conn.exec_driver_sql(str(compiled), values)

    async def core_insert() -> None:
        async with db.engine.begin() as conn:
            await conn.execute(insert(table), rows)

    async def orm_bulk_insert() -> None:
        async with db.Session() as session:
            await session.execute(insert(Subscriber), rows)
            await session.commit()

    async def add_all() -> None:
        async with db.Session() as session:
            session.add_all([Subscriber(**row) for row in rows])
            await session.commit()

    return {
        "raw driver (floor)": raw_driver,
        "async Core insert()": core_insert,
        "async ORM bulk insert": orm_bulk_insert,
        "async add_all + commit": add_all,
    }


async def empty(db: LessonDatabase) -> int:
    """Count the rows a way inserted, then delete them for the next way."""
    table = Subscriber.__table__
    async with db.engine.begin() as conn:
        count = await conn.scalar(select(func.count()).select_from(table))
        await conn.execute(table.delete())
    return count


async def measure(rows: int, repeat: int) -> tuple[str, list[Measured]]:
    """Run every way on a fresh database; returns the backend's name and the measurements."""
    clock.freeze()
    db = await fresh_database("bench-bulk-insert", make_current=False)
    try:
        async with db.engine.begin() as conn:
            await conn.run_sync(BenchBase.metadata.create_all)
        data = make_rows(rows)
        candidates = ways(db, data)
        runs = {name: (1 if name.endswith("add_all + commit") else repeat) for name in candidates}
        results = {name: Measured(name) for name in candidates}
        for round_number in range(repeat):
            for name, way in candidates.items():
                if round_number >= runs[name]:
                    continue
                gc.disable()  # as timeit does: a collection landing in one run would blur the comparison
                try:
                    with count_queries() as queries:
                        started = time.perf_counter()
                        await way()
                        elapsed = time.perf_counter() - started
                finally:
                    gc.enable()
                results[name].seconds.append(elapsed)
                results[name].statements = queries.count
                inserted = await empty(db)
                if inserted != rows:
                    raise RuntimeError(f"{name} inserted {inserted:,} rows, not {rows:,}")
        return db.backend, list(results.values())
    finally:
        await db.drop()


def report(backend: str, rows: int, repeat: int, results: list[Measured]) -> str:
    """The table ``main`` prints."""
    floor = results[0].best
    lines = [
        f"Inserting {rows:,} rows on {backend} (best of {repeat}; add_all: one run)",
        f"  {'way':<24}{'seconds':>9}{'× floor':>10}{'statements':>12}",
    ]
    for result in results:
        sent = "—" if result is results[0] and backend == "sqlite" else f"{result.statements:,}"
        lines.append(f"  {result.name:<24}{result.best:>9.3f}{result.best / floor:>9.1f}×{sent:>12}")
    core = results[1].best / floor
    verdict = "met" if core <= TARGET else "MISSED"
    lines.append(f"Recommended path (async Core insert) at {core:.2f} × the floor: target ≤ {TARGET} ×, {verdict}.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bulk_insert", description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="rows each way inserts (default 100,000)")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each fast way; the best counts (default 5)")
    args = parser.parse_args(argv)
    backend, results = asyncio.run(measure(args.rows, args.repeat))
    print(report(backend, args.rows, args.repeat, results))


if __name__ == "__main__":
    main()
