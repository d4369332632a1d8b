"""lesson08a_sqlite_trace: SQLAlchemy's 'BEGIN (implicit)' is not a statement; what the driver sends depends on it."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from lessons.scenery.lesson08a_sqlite_trace import trace_statements


async def _savepoint_then_rollback(engine) -> None:
    async with engine.begin() as conn:
        await conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS ghosts (x INTEGER)")
    async with AsyncSession(engine) as session:
        async with session.begin_nested():
            await session.execute(text("INSERT INTO ghosts VALUES (1)"))
        await session.rollback()


async def test_the_driver_sends_no_begin_before_a_savepoint(tmp_path: Path) -> None:
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'trace.db'}")
    received = trace_statements(engine)
    await _savepoint_then_rollback(engine)
    await engine.dispose()
    savepoint = ["SAVEPOINT sa_savepoint_1", "INSERT INTO ghosts VALUES (1)", "RELEASE SAVEPOINT sa_savepoint_1"]
    assert received[-3:] == savepoint
    assert not any(statement.startswith(("BEGIN", "ROLLBACK")) for statement in received)


async def test_with_the_begin_hook_sqlite_receives_begin_and_rollback(tmp_path: Path) -> None:
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'trace.db'}")

    @event.listens_for(engine.sync_engine, "connect")
    def no_driver_begin(dbapi_connection, connection_record) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(engine.sync_engine, "begin")
    def send_begin(conn) -> None:
        conn.exec_driver_sql("BEGIN")

    received = trace_statements(engine)
    await _savepoint_then_rollback(engine)
    async with engine.connect() as conn:
        assert await conn.scalar(text("SELECT count(*) FROM ghosts")) == 0  # the rollback took the savepoint's row
    await engine.dispose()
    assert "BEGIN" in received
    assert received.index("BEGIN") < received.index("SAVEPOINT sa_savepoint_1")
    assert "ROLLBACK" in received


def test_other_backends_are_refused() -> None:
    pytest.importorskip("asyncpg")
    engine = create_async_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    with pytest.raises(ValueError, match="SQLite"):
        trace_statements(engine)
