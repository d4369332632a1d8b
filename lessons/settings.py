"""Where the course's database lives, read from the environment or a ``.env`` file.

Like Laravel's ``config/database.php`` reading ``DB_CONNECTION`` from ``.env``, but one URL says it all::

    DATABASE_URL=sqlite+aiosqlite:///.data/course.sqlite3          # the default
    DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/test
    DATABASE_URL=mysql+aiomysql://root@127.0.0.1:3306/test

>>> from lessons.settings import get_settings
>>> get_settings().backend in {"sqlite", "postgresql", "mysql"}
True
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from lessons.errors import ConfigurationError

#: The repository root: ``.env`` and the git-ignored ``.data/`` folder live here.
ROOT = Path(__file__).resolve().parent.parent
#: Generated databases (the pristine seed and each lesson's copy). Never committed.
DATA_DIR = ROOT / ".data"

DEFAULT_URL = f"sqlite+aiosqlite:///{DATA_DIR / 'course.sqlite3'}"

#: The async drivers the course is tested with, by backend.
SUPPORTED_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "mysql": "mysql+aiomysql",
}


class Settings(BaseSettings):
    """The course's settings. ``DATABASE_URL`` comes from the environment, then ``.env``, then the default."""

    model_config = SettingsConfigDict(env_file=ROOT / ".env", env_file_encoding="utf-8", extra="ignore")

    DATABASE_URL: str = DEFAULT_URL

    @property
    def url(self) -> URL:
        """The parsed, checked URL (relative SQLite paths are taken from the repository root)."""
        return parse_database_url(self.DATABASE_URL)

    @property
    def backend(self) -> str:
        """``sqlite``, ``postgresql`` or ``mysql`` (MariaDB speaks the MySQL dialect)."""
        return self.url.get_backend_name()


def mask(url: URL | str) -> str:
    """The URL as text with any password hidden, safe to print.

    >>> mask("postgresql+asyncpg://app:secret@db/blog")
    'postgresql+asyncpg://app:***@db/blog'
    """
    if isinstance(url, str):
        try:
            url = make_url(url)
        except ArgumentError:
            return "<not a URL>"
    return url.render_as_string(hide_password=True)


def parse_database_url(text: str) -> URL:
    """Parse and check a database URL, or raise :class:`ConfigurationError` with one sentence saying what to do.

    >>> parse_database_url("sqlite+aiosqlite:///.data/x.sqlite3").get_backend_name()
    'sqlite'
    >>> parse_database_url("postgres://localhost/db")
    Traceback (most recent call last):
    ...
    lessons.errors.ConfigurationError: DATABASE_URL 'postgres://localhost/db' names driver 'postgres', ...
    """
    try:
        url = make_url(text)
    except ArgumentError:
        raise ConfigurationError(
            f"DATABASE_URL {text!r} is not a database URL; use one like "
            "'sqlite+aiosqlite:///.data/course.sqlite3' or 'postgresql+asyncpg://user@host:5432/db'."
        ) from None
    expected = SUPPORTED_DRIVERS.get(url.get_backend_name())
    if expected is None or url.drivername != expected:
        raise ConfigurationError(
            f"DATABASE_URL {mask(url)!r} names driver {url.drivername!r}, which this course does not use; "
            f"use one of {', '.join(sorted(SUPPORTED_DRIVERS.values()))}."
        )
    if url.get_backend_name() == "sqlite":
        database = url.database or ""
        if database in {"", ":memory:"}:
            raise ConfigurationError(
                f"DATABASE_URL {mask(url)!r} is an in-memory SQLite database; the course needs a file, "
                "for example 'sqlite+aiosqlite:///.data/course.sqlite3'."
            )
        path = Path(database)
        if not path.is_absolute():
            url = url.set(database=str(ROOT / path))
    elif not url.database:
        raise ConfigurationError(
            f"DATABASE_URL {mask(url)!r} names no database; add one after the host, as in '.../test'."
        )
    return url


@lru_cache
def get_settings() -> Settings:
    """The settings, read once per process (FastAPI-style cached dependency)."""
    return Settings()
