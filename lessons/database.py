"""Engines, sessions, the FastAPI ``get_db`` dependency, and a fresh seeded database for each lesson.

Every lesson starts the same way::

    from lessons.database import fresh_database
    db = await fresh_database("02-crud")
    async with db.Session() as session:
        ...

``db.engine`` is an :class:`~sqlalchemy.ext.asyncio.AsyncEngine`, ``db.Session`` an ``async_sessionmaker``.
The database is a private copy of the pristine seeded one: change anything, then call
``await fresh_database("02-crud")`` (or ``await db.reset()``) to start over. The pristine database is
never written by a lesson.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import os
import re
import shutil
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from lessons.errors import ConfigurationError
from lessons.settings import DATA_DIR, get_settings, mask, parse_database_url

SQLITE_BUSY_TIMEOUT_MS = 5_000


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
    through a ``connect`` listener on ``engine.sync_engine``. Extra keyword arguments go to
    :func:`~sqlalchemy.ext.asyncio.create_async_engine` (``echo=True``, ``poolclass=NullPool`` …).

    >>> engine = create_engine("sqlite+aiosqlite:///.data/example.sqlite3")
    >>> engine.dialect.name
    'sqlite'
    """
    if url is None:
        url = get_settings().url
    elif isinstance(url, str):
        url = parse_database_url(url)
    engine = create_async_engine(url, **kwargs)
    if url.get_backend_name() == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_on_connect)
    return engine


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """The session factory: ``expire_on_commit=False`` so objects stay readable after ``commit()``.

    (Under asyncio an expired attribute cannot be reloaded implicitly: reading it would raise.)

    >>> Session = create_sessionmaker(create_engine("sqlite+aiosqlite:///.data/example.sqlite3"))
    >>> Session.kw["expire_on_commit"]
    False
    """
    return async_sessionmaker(engine, expire_on_commit=False)


_app_engine: AsyncEngine | None = None
_app_sessionmaker: async_sessionmaker[AsyncSession] | None = None


def app_sessionmaker() -> async_sessionmaker[AsyncSession]:
    """The application's session factory, bound to ``DATABASE_URL`` and created on first use."""
    global _app_engine, _app_sessionmaker
    if _app_sessionmaker is None:
        _app_engine = create_engine()
        _app_sessionmaker = create_sessionmaker(_app_engine)
    return _app_sessionmaker


async def get_db() -> AsyncIterator[AsyncSession]:
    """FastAPI dependency: one session per request, closed when the response is sent.

    >>> from typing import Annotated
    >>> from fastapi import Depends
    >>> SessionDep = Annotated[AsyncSession, Depends(get_db)]
    """
    async with app_sessionmaker()() as session:
        yield session


# --------------------------------------------------------------------------------------------------------------
# A fresh, seeded database per lesson
# --------------------------------------------------------------------------------------------------------------


@dataclass
class LessonDatabase:
    """A lesson's private, seeded database: ``.engine``, ``.Session`` and ``await .reset()``."""

    name: str
    size: str
    url: URL
    engine: AsyncEngine
    Session: async_sessionmaker[AsyncSession]

    @property
    def backend(self) -> str:
        """``sqlite``, ``postgresql`` or ``mysql``."""
        return self.url.get_backend_name()

    async def reset(self) -> LessonDatabase:
        """Throw away every change: the same as calling ``fresh_database`` again with the same name."""
        return await fresh_database(self.name, self._base_url, size=self.size, make_current=_current is self)

    async def dispose(self) -> None:
        """Close the engine's connections (the database itself stays until the next reset)."""
        await self.engine.dispose()

    async def drop(self) -> None:
        """Close the connections and delete this lesson's database altogether."""
        await self.engine.dispose()
        for key, db in list(_open.items()):
            if db is self:
                del _open[key]
        if self.backend == "sqlite":
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{sqlite_path(self.url)}{suffix}").unlink(missing_ok=True)
            return
        quote = '"' if self.backend == "postgresql" else "`"
        force = " WITH (FORCE)" if self.backend == "postgresql" else ""
        async with server_connection(self._base_url or self.url) as conn:
            await conn.execute(text(f"DROP DATABASE IF EXISTS {quote}{self.url.database}{quote}{force}"))

    def __repr__(self) -> str:
        return f"LessonDatabase(name={self.name!r}, backend={self.backend!r}, size={self.size!r})"

    _base_url: URL | None = None


_open: dict[tuple[str, str], LessonDatabase] = {}
_current: LessonDatabase | None = None


def current() -> LessonDatabase:
    """The database the last :func:`fresh_database` call returned (what ``explain``/``frame`` use by default)."""
    if _current is None:
        raise RuntimeError("no lesson database yet: run `db = await fresh_database('<lesson>')` first")
    return _current


def _safe_name(name: str) -> str:
    cleaned = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    if not cleaned:
        raise ValueError(f"a lesson database needs a name with letters or digits, not {name!r}")
    if len(cleaned) > 40:
        cleaned = cleaned[:31] + "_" + hashlib.sha1(cleaned.encode()).hexdigest()[:8]
    return cleaned


async def fresh_database(
    name: str, url: str | URL | None = None, *, size: str = "default", make_current: bool = True
) -> LessonDatabase:
    """A fresh copy of the seeded database, private to ``name``; calling it again discards every change.

    ``url`` defaults to ``DATABASE_URL``. On SQLite the lesson gets a copy of the pristine seeded file;
    on PostgreSQL and MariaDB a database of its own, created from the pristine seeded one. ``size`` is
    ``"default"`` (200 users, 1,000 posts) or ``"large"`` (10,000 users, 100,000 posts; built on first use).
    ``make_current=False`` leaves :func:`current` alone (the exercise checkers use their own databases).

    >>> db = await fresh_database("00-setup")          # doctest: +SKIP
    >>> async with db.Session() as session:            # doctest: +SKIP
    ...     print(await session.scalar(select(func.count()).select_from(User)))
    200
    """
    from lessons import seed  # seed imports this module

    global _current
    if size not in seed.SIZES:
        raise ConfigurationError(f"unknown seed size {size!r}; use one of {', '.join(seed.SIZES)}.")
    base = get_settings().url if url is None else (parse_database_url(url) if isinstance(url, str) else url)
    key = (base.render_as_string(hide_password=False), _safe_name(name))
    previous = _open.pop(key, None)
    if previous is not None:
        await previous.engine.dispose()

    pristine = await seed.ensure_pristine(base, size)
    lesson_url = await _copy_database(pristine, base, _safe_name(name))
    engine = create_engine(lesson_url)
    db = LessonDatabase(name=name, size=size, url=lesson_url, engine=engine, Session=create_sessionmaker(engine))
    db._base_url = base
    _open[key] = db
    if make_current:
        _current = db
    return db


def sqlite_path(url: URL) -> Path:
    """The file behind an SQLite URL."""
    return Path(url.database or "")


def derived_url(base: URL, suffix: str) -> URL:
    """A sibling of ``base``: ``course.sqlite3`` → ``course-<suffix>.sqlite3``; ``test`` → ``test_<suffix>``."""
    if base.get_backend_name() == "sqlite":
        path = sqlite_path(base)
        return base.set(database=str(path.with_name(f"{path.stem}-{suffix}{path.suffix or '.sqlite3'}")))
    return base.set(database=f"{base.database}_{suffix}")


async def _copy_database(pristine: URL, base: URL, name: str) -> URL:
    target = derived_url(base, f"lesson_{name}")
    backend = base.get_backend_name()
    if backend == "sqlite":
        source, destination = sqlite_path(pristine), sqlite_path(target)
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{destination}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(source, destination)
        return target
    if backend == "postgresql":
        async with server_connection(base) as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
            for attempt in range(20):
                try:
                    await conn.execute(
                        text(f'CREATE DATABASE "{target.database}" TEMPLATE "{pristine.database}"')
                    )
                    break
                except DBAPIError as error:  # the template is briefly in use by a concurrent copy
                    if "being accessed by other users" not in str(error) or attempt == 19:
                        raise
                    await asyncio.sleep(0.1)
        return target
    # MariaDB/MySQL: no templates, so copy table by table on the server. Each table is created from the
    # pristine database's own DDL (SHOW CREATE TABLE), not from the models: an Index a lesson attached to a
    # shared model in this process must not leak into every later copy.
    from lessons.models import Base

    async with server_connection(base) as conn:
        await conn.execute(text(f"DROP DATABASE IF EXISTS `{target.database}`"))
        await conn.execute(text(f"CREATE DATABASE `{target.database}` CHARACTER SET utf8mb4"))
        ddl = [
            (await conn.execute(text(f"SHOW CREATE TABLE `{pristine.database}`.`{table.name}`"))).one()[1]
            for table in Base.metadata.sorted_tables
        ]
    engine = create_engine(target)
    try:
        async with engine.begin() as conn:
            for table, create in zip(Base.metadata.sorted_tables, ddl, strict=True):
                await conn.exec_driver_sql(create)
                await conn.execute(
                    text(f"INSERT INTO `{table.name}` SELECT * FROM `{pristine.database}`.`{table.name}`")
                )
    finally:
        await engine.dispose()
    return target


@asynccontextmanager
async def server_connection(url: URL) -> AsyncIterator[Any]:
    """An AUTOCOMMIT connection to the server's maintenance database, for CREATE/DROP DATABASE."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        try:
            conn = await engine.connect()
        except (OSError, OperationalError, DBAPIError) as error:
            raise unreachable(url, error) from None
        try:
            yield conn
        finally:
            await conn.close()
    finally:
        await engine.dispose()


def unreachable(url: URL, error: BaseException) -> ConfigurationError:
    """The one-sentence error for a server the course cannot reach."""
    reason = str(getattr(error, "orig", None) or error).splitlines()[0]
    return ConfigurationError(
        f"cannot reach the database at {mask(url)} ({reason}); start the server or fix DATABASE_URL, "
        "or unset DATABASE_URL to use the built-in SQLite database."
    )


@asynccontextmanager
async def file_lock(key: str) -> AsyncIterator[None]:
    """An inter-process lock, so two test workers never build the same pristine database at once."""
    lock_dir = DATA_DIR / "locks"
    lock_dir.mkdir(parents=True, exist_ok=True)
    handle = open(lock_dir / f"{_safe_name(key)}.lock", "w")  # noqa: SIM115 - held across awaits
    try:
        await asyncio.to_thread(fcntl.flock, handle, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


def sqlite_is_database(path: Path) -> bool:
    """True when ``path`` is a complete SQLite file (it has the seed's tables)."""
    if not path.exists():
        return False
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            return conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'users'").fetchone()[0] == 1
    except sqlite3.DatabaseError:
        return False


def replace_file(source: Path, destination: Path) -> None:
    """Move a finished file into place atomically."""
    os.replace(source, destination)
