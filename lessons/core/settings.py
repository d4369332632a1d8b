"""Where the course's database lives, read from the environment or a ``.env`` file.

Like Laravel's ``config/database.php`` reading ``DB_CONNECTION`` from ``.env``, but one URL says it all::

    DATABASE_URL=sqlite+aiosqlite:///.data/course.sqlite3          # the default
    DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/test
    DATABASE_URL=mysql+aiomysql://root@127.0.0.1:3306/test

Three more settings matter when the course is shared:

    COURSE_DATA_DIR=~/course-data    # where generated databases and locks go (default: .data in the repository)
    COURSE_NAMESPACE=alice           # your prefix on a shared database server (default: your JupyterHub
                                     # user name, else your login name)
    COURSE_CONNECT_TIMEOUT=30        # seconds to wait for a distant database server to answer (default: 10)

>>> from lessons.core.settings import get_settings
>>> get_settings().backend in {"sqlite", "postgresql", "mysql"}
True
"""

from __future__ import annotations

import getpass
import hashlib
import os
import re
from functools import lru_cache
from pathlib import Path

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from lessons.core.errors import ConfigurationError

#: The repository root: ``.env`` and the git-ignored ``.data/`` folder live here.
ROOT = Path(__file__).resolve().parents[2]
#: The default folder for generated databases (the pristine seed and each lesson's copy) and locks. Never
#: committed. ``COURSE_DATA_DIR`` moves it (a read-only checkout, a shared installation).
DATA_DIR = ROOT / ".data"

DEFAULT_URL = f"sqlite+aiosqlite:///{DATA_DIR / 'course.sqlite3'}"

#: A namespace is part of a database name on a server: short, lower case, letters, digits and ``_``.
NAMESPACE_MAX_LENGTH = 16
#: How long the course waits for a database server to answer before it says so (``COURSE_CONNECT_TIMEOUT``).
CONNECT_TIMEOUT_SECONDS = 10

#: The async drivers the course is tested with, by backend.
SUPPORTED_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "mysql": "mysql+aiomysql",
}


class Settings(BaseSettings):
    """The course's settings. ``DATABASE_URL`` comes from the environment, then ``.env``, then the default."""

    model_config = SettingsConfigDict(env_file=ROOT / ".env", env_file_encoding="utf-8", extra="ignore")

    #: Empty means the built-in SQLite file in the data folder (see :attr:`database_url`).
    DATABASE_URL: str = ""
    COURSE_DATA_DIR: Path = DATA_DIR
    COURSE_NAMESPACE: str | None = None
    #: Seconds to wait for a database server to answer before saying so (``lessons.core.connections``).
    COURSE_CONNECT_TIMEOUT: float = Field(default=CONNECT_TIMEOUT_SECONDS, gt=0, le=600)

    @property
    def data_dir(self) -> Path:
        """Where generated databases and locks live (``COURSE_DATA_DIR``; relative paths from the repository)."""
        path = self.COURSE_DATA_DIR.expanduser()
        return path if path.is_absolute() else ROOT / path

    @property
    def database_url(self) -> str:
        """``DATABASE_URL`` as given, or the built-in SQLite file in the data folder."""
        return self.DATABASE_URL or f"sqlite+aiosqlite:///{self.data_dir / 'course.sqlite3'}"

    @property
    def url(self) -> URL:
        """The parsed, checked URL (relative SQLite paths are taken from the repository root)."""
        return parse_database_url(self.database_url)

    @property
    def namespace(self) -> str:
        """This learner's prefix for databases on a shared server.

        ``COURSE_NAMESPACE``, else ``JUPYTERHUB_USER`` (on a JupyterHub, where every container's login is the same
        ``jovyan``), else the login name.
        """
        if self.COURSE_NAMESPACE is not None:
            cleaned = clean_namespace(self.COURSE_NAMESPACE)
            if not cleaned:
                raise ConfigurationError(
                    f"COURSE_NAMESPACE {self.COURSE_NAMESPACE!r} has no letters or digits; use a short name "
                    "such as 'alice'."
                )
            return cleaned
        hub_user = os.environ.get("JUPYTERHUB_USER")  # JupyterHub names the learner in every server it starts
        if hub_user and clean_namespace(hub_user):
            return clean_namespace(hub_user)
        return clean_namespace(login_name()) or "learner"

    @property
    def backend(self) -> str:
        """``sqlite``, ``postgresql`` or ``mysql`` (MariaDB speaks the MySQL dialect)."""
        return self.url.get_backend_name()


def login_name() -> str:
    """The login name, on any platform: ``getpass.getuser()`` reads LOGNAME, USER, LNAME or USERNAME (Windows sets
    USERNAME), then the password database where there is one. Without either, ``uid<n>``, or ``""`` on Windows.

    >>> isinstance(login_name(), str)
    True
    """
    try:
        return getpass.getuser()
    # No name: KeyError for an unknown uid (a container); on Windows, ImportError (no pwd) before 3.13, then OSError.
    except (ImportError, KeyError, OSError):
        getuid = getattr(os, "getuid", None)  # POSIX only
        return f"uid{getuid()}" if getuid is not None else ""


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


def clean_namespace(text: str) -> str:
    """A namespace as it can stand in a database name: lower case, ``[a-z0-9_]``, at most 16 characters.

    A name that is already one is kept. Any other gets a short digest of the original, so two learners whose names
    clean to the same text (``Alice.Smith``, ``alice_smith``) or share a long prefix still get two namespaces.

    >>> clean_namespace("alice"), clean_namespace("Alice.Smith@Example"), clean_namespace("alice.smith@example")
    ('alice', 'alice_smit_ae95', 'alice_smit_fa09')
    """
    cleaned = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    if (cleaned == text and len(cleaned) <= NAMESPACE_MAX_LENGTH) or not cleaned:
        return cleaned
    digest = hashlib.sha256(text.encode()).hexdigest()[:4]
    return f"{cleaned[: NAMESPACE_MAX_LENGTH - 6].strip('_')}_{digest}"


def parse_database_url(text: str, source: str = "DATABASE_URL") -> URL:
    """Parse and check a database URL, or raise :class:`ConfigurationError` with one sentence saying what to do.

    ``source`` names where the URL came from (``DATABASE_URL``, ``--url``), so the message names what to fix.

    >>> parse_database_url("sqlite+aiosqlite:///.data/x.sqlite3").get_backend_name()
    'sqlite'
    >>> parse_database_url("postgres://localhost/db")
    Traceback (most recent call last):
    ...
    lessons.core.errors.ConfigurationError: DATABASE_URL 'postgres://localhost/db' names driver 'postgres', ...
    """
    try:
        url = make_url(text)
    except ArgumentError:
        raise ConfigurationError(
            f"{source} {text!r} is not a database URL; use one like "
            "'sqlite+aiosqlite:///.data/course.sqlite3' or 'postgresql+asyncpg://user@host:5432/db'."
        ) from None
    expected = SUPPORTED_DRIVERS.get(url.get_backend_name())
    if expected is None or url.drivername != expected:
        raise ConfigurationError(
            f"{source} {mask(url)!r} names driver {url.drivername!r}, which this course does not use; "
            f"use one of {', '.join(sorted(SUPPORTED_DRIVERS.values()))}."
        )
    if url.get_backend_name() == "sqlite":
        database = url.database or ""
        if database in {"", ":memory:"}:
            raise ConfigurationError(
                f"{source} {mask(url)!r} is an in-memory SQLite database; the course needs a file, "
                "for example 'sqlite+aiosqlite:///.data/course.sqlite3'."
            )
        path = Path(database)
        if not path.is_absolute():
            url = url.set(database=str(ROOT / path))
    elif not url.database:
        raise ConfigurationError(
            f"{source} {mask(url)!r} names no database; add one after the host, as in '.../test'."
        )
    return url


@lru_cache
def get_settings() -> Settings:
    """The settings, read once per process (FastAPI-style cached dependency); a bad one is one sentence.

    >>> import os
    >>> os.environ["COURSE_CONNECT_TIMEOUT"] = "soon"
    >>> get_settings.cache_clear()
    >>> get_settings()  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    lessons.core.errors.ConfigurationError: COURSE_CONNECT_TIMEOUT='soon' is not valid: Input should be a valid ...
    >>> del os.environ["COURSE_CONNECT_TIMEOUT"]; get_settings.cache_clear()
    """
    try:
        return Settings()
    except ValidationError as error:
        problem = error.errors()[0]
        name = "_".join(str(part) for part in problem["loc"])
        raise ConfigurationError(f"{name}={problem['input']!r} is not valid: {problem['msg']}.") from None
