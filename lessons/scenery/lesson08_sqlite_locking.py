"""Engines on a SQLite file that begin their transactions another way, or wait another time for the write lock.

Python's ``sqlite3`` driver (and aiosqlite on top of it) sends ``BEGIN`` only before ``INSERT``, ``UPDATE`` and
``DELETE``, never before a ``SELECT`` or a ``SAVEPOINT``. Lesson 08a shows what that does to a savepoint, and the
recipe SQLAlchemy's documentation gives ("Transactions with SQLite and the sqlite3 driver",
https://docs.sqlalchemy.org/en/21/dialects/sqlite.html#sqlite-transactions): switch the driver's own ``BEGIN`` off in
a ``"connect"`` event and send one from SQLAlchemy's ``"begin"`` event. :func:`sqlite_engine` is that recipe, plus the
busy timeout, for lesson 08b; the checker of lesson 08a's task runs on ``sqlite_engine(url, begin="BEGIN")``::

    sqlite_engine(db.url, begin="BEGIN")            # every transaction really begins, reads included
    sqlite_engine(db.url, begin="BEGIN IMMEDIATE")  # and takes the write lock at once: SQLite's FOR UPDATE
    sqlite_engine(db.url, busy_timeout_ms=200)      # a writer waits 200 ms for the lock, not the course's 5 s

>>> import tempfile
>>> from sqlalchemy import text
>>> async def busy_timeout(folder: str) -> int:
...     engine = sqlite_engine(f"sqlite+aiosqlite:///{folder}/example.sqlite3", busy_timeout_ms=200)
...     async with engine.connect() as conn:
...         milliseconds = await conn.scalar(text("PRAGMA busy_timeout"))
...     await engine.dispose()
...     return milliseconds
>>> with tempfile.TemporaryDirectory() as folder:
...     asyncio.run(busy_timeout(folder))
200

A savepoint before any write, then a rollback: with the driver's default the released savepoint has committed its
row; with ``begin="BEGIN"`` the rollback takes it back:

>>> from lessons.core.connections import create_engine
>>> async def rows_after_rollback(engine) -> int:
...     async with engine.connect() as conn:
...         await conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS t (n INTEGER)")
...         await conn.commit()
...         async with conn.begin_nested():
...             await conn.exec_driver_sql("INSERT INTO t VALUES (1)")
...         await conn.rollback()
...         rows = await conn.scalar(text("SELECT count(*) FROM t"))
...     await engine.dispose()
...     return rows
>>> with tempfile.TemporaryDirectory() as folder:
...     a, b = (f"sqlite+aiosqlite:///{folder}/{name}.sqlite3" for name in "ab")
...     default = asyncio.run(rows_after_rollback(create_engine(a)))
...     recipe = asyncio.run(rows_after_rollback(sqlite_engine(b, begin="BEGIN")))
>>> default, recipe
(1, 0)
"""

from __future__ import annotations

import asyncio  # noqa: F401  (the docstring's example runs with it)
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine

from lessons.core.connections import create_engine


def sqlite_engine(url: str | URL, *, begin: str | None = None, busy_timeout_ms: int | None = None) -> AsyncEngine:
    """An engine on the SQLite database ``url``, set up as the course's
    (:func:`lessons.core.connections.create_engine`).

    ``begin``: the statement SQLAlchemy sends when a transaction starts (``"BEGIN"``, ``"BEGIN IMMEDIATE"``), with
    the driver's own ``BEGIN`` switched off. ``busy_timeout_ms``: how long a writer waits for the lock. SQLite only.
    """
    engine = create_engine(url)
    if engine.dialect.name != "sqlite":
        raise ValueError(f"sqlite_engine needs a SQLite database, not {engine.dialect.name}")

    @event.listens_for(engine.sync_engine, "connect")
    def configure(dbapi_connection: Any, connection_record: Any) -> None:
        if begin:
            dbapi_connection.isolation_level = None  # the driver sends no BEGIN of its own …
        if busy_timeout_ms is not None:  # after the course's own listener, so this value wins
            cursor = dbapi_connection.cursor()
            cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
            cursor.close()

    if begin:

        @event.listens_for(engine.sync_engine, "begin")
        def send_begin(conn: Any) -> None:
            conn.exec_driver_sql(begin)  # … so SQLAlchemy sends ours when a transaction starts

    return engine
