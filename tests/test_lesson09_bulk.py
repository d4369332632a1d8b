"""Lesson 09's claims about bulk inserts, on every backend: statement counts, rows written, the benchmark's table."""

from __future__ import annotations

from bench.bulk_insert import BenchBase, Measured, empty, make_rows, report, ways
from lessons.core.database import LessonDatabase
from lessons.lens.sql import count_queries

ROWS = 50


async def test_each_way_inserts_every_row_with_the_statements_the_lesson_shows(db: LessonDatabase) -> None:
    async with db.engine.begin() as conn:
        await conn.run_sync(BenchBase.metadata.create_all)
    sent = {}
    for name, way in ways(db, make_rows(ROWS)).items():
        with count_queries() as queries:
            await way()
        sent[name] = queries.count
        assert await empty(db) == ROWS, name
    assert sent["async Core insert()"] == 1
    assert sent["async ORM bulk insert"] == 1
    if db.backend == "sqlite":
        # No sentinel for matching RETURNING rows to objects on SQLite: one INSERT … RETURNING per object.
        assert sent["async add_all + commit"] == ROWS
        assert sent["raw driver (floor)"] == 0  # sqlite3 directly: SQLAlchemy never sees it
    else:
        assert sent["async add_all + commit"] == 1  # batched INSERT … VALUES (…), (…) RETURNING
        assert sent["raw driver (floor)"] == 1


def test_the_report_states_the_ratio_and_the_verdict() -> None:
    results = [
        Measured("raw driver (floor)", [0.2], 0),
        Measured("async Core insert()", [0.26], 1),
        Measured("async ORM bulk insert", [0.5], 1),
        Measured("async add_all + commit", [9.0], 100),
    ]
    text = report("sqlite", 100, 3, results)
    assert "1.3×" in text and "45.0×" in text
    assert "at 1.30 × the floor: target ≤ 1.5 ×, met." in text

