"""Engines, and connections to a database server, with one clear sentence when they cannot be had.

``create_engine`` is SQLAlchemy's ``create_async_engine`` set up the way the course expects; ``server_connection``
opens the AUTOCOMMIT connection that ``CREATE DATABASE`` and ``DROP DATABASE`` need. Every failure to connect
becomes a :class:`~lessons.core.errors.ConfigurationError` that says what happened and what to do, within
:func:`connect_timeout` seconds even when a server accepts the connection and never answers.

>>> engine = create_engine("sqlite+aiosqlite:///.data/example.sqlite3")
>>> engine.dialect.name
'sqlite'
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from lessons.core.errors import ConfigurationError
from lessons.core.settings import get_settings, mask, parse_database_url

SQLITE_BUSY_TIMEOUT_MS = 5_000
#: The name of each driver's own connect timeout, by backend (each stops a silent server on its own too).
_TIMEOUT_ARGUMENT = {"postgresql": "timeout", "mysql": "connect_timeout"}


def connect_timeout() -> float:
    """Seconds to wait for a database server: ``COURSE_CONNECT_TIMEOUT``, else 10
    (:data:`lessons.core.settings.CONNECT_TIMEOUT_SECONDS`).

    >>> connect_timeout() == get_settings().COURSE_CONNECT_TIMEOUT > 0
    True
    """
    return get_settings().COURSE_CONNECT_TIMEOUT


def _sqlite_on_connect(dbapi_connection: Any, connection_record: Any) -> None:
    # SQLite leaves foreign keys OFF unless every connection turns them on (ERRATA 11).
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def create_engine(url: str | URL | None = None, **kwargs: Any) -> AsyncEngine:
    """An :class:`AsyncEngine` for ``url`` (default: ``DATABASE_URL``), set up the way the course expects.

    On SQLite every new connection runs ``PRAGMA foreign_keys=ON``, WAL journaling and a busy timeout,
    through a ``connect`` listener on ``engine.sync_engine``. On a server, connecting gives up after
    :func:`connect_timeout` seconds. Extra keyword arguments go to
    :func:`~sqlalchemy.ext.asyncio.create_async_engine` (``echo=True``, ``poolclass=NullPool`` …).

    >>> engine = create_engine("sqlite+aiosqlite:///.data/example.sqlite3")
    >>> engine.dialect.name
    'sqlite'
    """
    if url is None:
        url = get_settings().url
    elif isinstance(url, str):
        url = parse_database_url(url)
    backend = url.get_backend_name()
    if backend in _TIMEOUT_ARGUMENT:
        timeout = {_TIMEOUT_ARGUMENT[backend]: connect_timeout()}
        kwargs["connect_args"] = {**timeout, **kwargs.get("connect_args", {})}
    engine = create_async_engine(url, **kwargs)
    if backend == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_on_connect)
    return engine


async def connect(engine: AsyncEngine, source: str = "DATABASE_URL") -> AsyncConnection:
    """``await engine.connect()``, bounded in time; a failure is one :class:`ConfigurationError` sentence."""
    try:
        return await asyncio.wait_for(engine.connect(), connect_timeout())
    except (TimeoutError, OSError, DBAPIError) as error:
        raise connection_error(engine.url, error, source) from None


@asynccontextmanager
async def server_connection(url: URL, source: str = "DATABASE_URL") -> AsyncIterator[AsyncConnection]:
    """An AUTOCOMMIT connection to the server's database named in ``url``, for CREATE/DROP DATABASE."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        conn = await connect(engine, source)
        try:
            yield conn
        finally:
            await conn.close()
    finally:
        await engine.dispose()


def _reason(error: BaseException) -> str:
    orig = getattr(error, "orig", None)
    cause = orig if isinstance(orig, BaseException) else error
    args = getattr(cause, "args", ())
    if len(args) == 2 and isinstance(args[0], int) and isinstance(args[1], str):  # MySQL's (number, message)
        return args[1]
    lines = str(cause).strip().splitlines()
    return lines[0] if lines else type(cause).__name__


def _error_code(error: BaseException) -> tuple[str, int | str | None]:
    """The driver's class name and error code (MySQL's number, PostgreSQL's SQLSTATE) behind ``error``."""
    orig = getattr(error, "orig", None) or error
    inner = getattr(orig, "__cause__", None) or orig  # SQLAlchemy's adapted asyncpg errors keep the original here
    args = getattr(orig, "args", ())
    code: int | str | None = args[0] if args and isinstance(args[0], int) else getattr(inner, "sqlstate", None)
    return type(inner).__name__, code


#: PostgreSQL SQLSTATEs and MySQL error numbers for a refused login, and for a database that does not exist.
_LOGIN_REFUSED = {"28P01", "28000", 1044, 1045, 1698}
_NO_SUCH_DATABASE = {"3D000", 1049}


def connection_error(url: URL, error: BaseException, source: str = "DATABASE_URL") -> ConfigurationError:
    """The one sentence for a failed connection: no answer, login refused, no such database, or unreachable.

    >>> from sqlalchemy.engine import make_url
    >>> print(connection_error(make_url("postgresql+asyncpg://app:pw@db/blog"), TimeoutError()))
    the database server at postgresql+asyncpg://app:***@db/blog did not answer within ... s; ...
    """
    where = mask(url)
    if isinstance(error, (asyncio.TimeoutError, TimeoutError)):
        return ConfigurationError(
            f"the database server at {where} did not answer within {connect_timeout():g} s; check that the "
            f"host and port in {source} belong to a running database server."
        )
    _, code = _error_code(error)
    if code in _LOGIN_REFUSED:
        return ConfigurationError(
            f"the database server at {where} refused the login ({_reason(error)}); check the user name and "
            f"password in {source}."
        )
    if code in _NO_SUCH_DATABASE:
        return ConfigurationError(
            f"the database {url.database!r} does not exist on the server at {where}; create it, or name one "
            f"that exists in {source}."
        )
    return ConfigurationError(
        f"cannot reach the database at {where} ({_reason(error)}); start the server or fix {source}, "
        "or unset DATABASE_URL to use the built-in SQLite database."
    )


#: The name earlier versions used: still importable.
unreachable = connection_error
