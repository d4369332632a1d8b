"""What SQLite itself runs, next to what SQLAlchemy logs.

SQLAlchemy's log (``echo=True``, or the course's ``show_sql()``) writes ``BEGIN (implicit)`` when its transaction
begins, and sends nothing for it: Python's ``sqlite3`` driver (under aiosqlite) decides by itself whether to send
a ``BEGIN``. SQLite's trace callback (``sqlite3.Connection.set_trace_callback``) sees every statement that reaches
the database, the driver's own included. :func:`trace_statements` turns it on for every new connection of an
engine, through SQLAlchemy's documented ``run_async()`` for awaitable driver methods.

>>> engine = create_engine("sqlite+aiosqlite:///lesson.db")  # doctest: +SKIP
>>> received = trace_statements(engine)  # doctest: +SKIP
>>> async with AsyncSession(engine) as session:  # doctest: +SKIP
...     async with session.begin_nested():
...         session.add(User(name="Ghost", email="ghost@example.com"))
>>> received  # doctest: +SKIP
['SAVEPOINT sa_savepoint_1', 'INSERT INTO users (…) VALUES (…)', 'RELEASE SAVEPOINT sa_savepoint_1']
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine


def trace_statements(engine: AsyncEngine) -> list[str]:
    """Record what SQLite runs on each connection ``engine`` opens from now on; returns the list it fills.

    Only new connections are traced: call it on a fresh engine, before its first use. SQLite only.
    """
    if engine.dialect.name != "sqlite":
        raise ValueError(f"trace_statements needs a SQLite engine, not {engine.dialect.name}")
    received: list[str] = []

    @event.listens_for(engine.sync_engine, "connect")
    def trace(dbapi_connection: Any, connection_record: Any) -> None:
        dbapi_connection.run_async(lambda connection: connection.set_trace_callback(received.append))

    return received
