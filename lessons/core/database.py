"""Sessions, the FastAPI ``get_db`` dependency, and a fresh seeded database for each lesson.

Every lesson starts the same way::

    from lessons.core.database import fresh_database
    db = await fresh_database("02-crud")
    async with db.Session() as session:
        ...

``db.engine`` is an :class:`~sqlalchemy.ext.asyncio.AsyncEngine`, ``db.Session`` an ``async_sessionmaker``.
The database is a private copy of the pristine seeded one, for this kernel alone: change anything, then call
``await fresh_database("02-crud")`` (or ``await db.reset()``) to start over. Another kernel on the same lesson,
or another learner on the same server, has a copy of its own; the pristine database is never written by a
lesson (:mod:`lessons.core.pristine` builds, verifies, copies and cleans up).
"""

from __future__ import annotations

import atexit
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from lessons.core import pristine
from lessons.core.connections import connection_error as unreachable
from lessons.core.connections import create_engine, server_connection
from lessons.core.errors import ConfigurationError
from lessons.core.pristine import derived_url, sqlite_path
from lessons.core.settings import get_settings, parse_database_url

__all__ = [
    "LessonDatabase",
    "app_sessionmaker",
    "create_engine",
    "create_sessionmaker",
    "current",
    "derived_url",
    "fresh_database",
    "get_db",
    "server_connection",
    "sqlite_path",
    "unreachable",
]


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
        async with server_connection(self._base_url or self.url) as conn:
            await pristine.drop_database(conn, self.url.database or "")

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


#: Base URLs whose abandoned copies this process has already looked for.
_cleaned: set[str] = set()


async def fresh_database(
    name: str, url: str | URL | None = None, *, size: str = "default", make_current: bool = True
) -> LessonDatabase:
    """A fresh copy of the seeded database, private to ``name`` in this process; calling it again discards every change.

    ``url`` defaults to ``DATABASE_URL``. On SQLite the lesson gets a copy of the pristine seeded file;
    on PostgreSQL and MariaDB a database of its own, created from the pristine seeded one. Two kernels on
    the same lesson get two copies; so do two learners on one server (``COURSE_NAMESPACE``). Copies of
    ended processes are removed on the first call. ``size`` is ``"default"`` (200 users, 1,000 posts) or
    ``"large"`` (10,000 users, 100,000 posts; built on first use, about 15 s). ``make_current=False`` leaves
    :func:`current` alone (the exercise checkers use their own databases).

    >>> db = await fresh_database("00-setup")          # doctest: +SKIP
    >>> async with db.Session() as session:            # doctest: +SKIP
    ...     print(await session.scalar(select(func.count()).select_from(User)))
    200
    """
    global _current
    if size not in pristine.SIZES:
        raise ConfigurationError(f"unknown seed size {size!r}; use one of {', '.join(pristine.SIZES)}.")
    base = get_settings().url if url is None else (parse_database_url(url) if isinstance(url, str) else url)
    key = (base.render_as_string(hide_password=False), pristine.safe_name(name))
    previous = _open.pop(key, None)
    if previous is not None:
        await previous.engine.dispose()
    try:
        if key[0] not in _cleaned:
            _cleaned.add(key[0])
            await pristine.remove_abandoned_copies(base)
        source = await pristine.ensure_pristine(base, size)
        lesson_url = await pristine.copy_pristine(source, base, name)
    except PermissionError as error:
        raise ConfigurationError(
            f"permission denied writing {error.filename or 'a database file'}; set COURSE_DATA_DIR (in the "
            "environment or .env) to a folder you can write."
        ) from None
    engine = create_engine(lesson_url)
    db = LessonDatabase(name=name, size=size, url=lesson_url, engine=engine, Session=create_sessionmaker(engine))
    db._base_url = base
    _open[key] = db
    if make_current:
        _current = db
    return db


@atexit.register
def _remove_own_sqlite_copies() -> None:
    """When the kernel ends, its SQLite copies go with it (server copies go at the next process's start)."""
    mine = pristine.current_owner_token()
    for db in list(_open.values()):
        if db.backend == "sqlite" and mine is not None and sqlite_path(db.url).stem.endswith(mine):
            for suffix in ("", "-wal", "-shm", "-journal"):
                with contextlib.suppress(OSError):  # Windows: still open; the next process removes it
                    Path(f"{sqlite_path(db.url)}{suffix}").unlink(missing_ok=True)
