"""``python -m lessons.tooling.seed``: build (or check) the pristine seeded database from a terminal.

The seed's rows are :mod:`lessons.core.seed`'s job and the pristine database's life (built once per schema and
seed, under a lock, copied per kernel) is :mod:`lessons.core.pristine`'s; this is only their command line::

    python -m lessons.tooling.seed                  # the default database: 200 users, 1,000 posts, 5,000 comments
    python -m lessons.tooling.seed --size large     # 10,000 users, 100,000 posts, for the performance lessons
    python -m lessons.tooling.seed --url postgresql+asyncpg://postgres@127.0.0.1:5432/test

It prints the counts per table and whether it built or found the database; a problem is one sentence on stderr
and exit code 2.

>>> main(["--size", "huge"])                                    # doctest: +SKIP
error: unknown --size 'huge'; use one of: default, large.
2
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sqlite3
import sys
import time

from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError

from lessons.core import seed
from lessons.core.connections import connection_error, create_engine
from lessons.core.errors import ConfigurationError
from lessons.core.models import Base
from lessons.core.pristine import prepare_pristine, read_only_uri, sqlite_path
from lessons.core.seed import SIZES
from lessons.core.settings import get_settings, mask, parse_database_url


async def count_rows(url: URL) -> dict[str, int]:
    """Rows per table, read without writing (an SQLite pristine file is opened read-only)."""
    names = [table.name for table in Base.metadata.sorted_tables]
    if url.get_backend_name() == "sqlite":
        with contextlib.closing(sqlite3.connect(f"{read_only_uri(sqlite_path(url))}", uri=True)) as conn:
            return {name: conn.execute(f"SELECT count(*) FROM {name}").fetchone()[0] for name in names}
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return {name: await conn.scalar(text(f"SELECT count(*) FROM {name}")) for name in names}
    finally:
        await engine.dispose()


async def build(url: str | None, size: str) -> None:
    """What the command does: build, check or rebuild the pristine database; print counts and time."""
    source = "DATABASE_URL" if url is None else "--url"
    base = get_settings().url if url is None else parse_database_url(url, source=source)
    started = time.perf_counter()
    try:
        pristine, status = await prepare_pristine(base, size, progress=sys.stderr.isatty(), source=source)
    except (OSError, DBAPIError) as error:
        raise _explain(error, base, source) from None
    elapsed = time.perf_counter() - started
    counts = await count_rows(pristine)
    summary = ", ".join(f"{count:,} {name}" for name, count in counts.items())
    print(f"Seeded {size} database at {mask(pristine)}: {summary} ({status} in {elapsed:.2f} s).")


def _explain(error: BaseException, base: URL, source: str) -> ConfigurationError:
    if isinstance(error, PermissionError):
        return ConfigurationError(
            f"permission denied writing {error.filename or 'the database file'}; set COURSE_DATA_DIR (or "
            f"{source}) to a folder you can write."
        )
    return connection_error(base, error, source)


def main(argv: list[str] | None = None) -> int:
    """``python -m lessons.tooling.seed [--size default|large] [--url URL]``: exit 0, or 2 with a sentence on stderr."""
    parser = argparse.ArgumentParser(prog="python -m lessons.tooling.seed", description=seed.__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="default", help=f"one of: {', '.join(SIZES)} (default: default)")
    parser.add_argument("--url", default=None, help="database URL (default: DATABASE_URL, else the SQLite file)")
    args = parser.parse_args(argv)
    try:
        if args.size not in SIZES:
            raise ConfigurationError(f"unknown --size {args.size!r}; use one of {', '.join(SIZES)}.")
        asyncio.run(build(args.url, args.size))
    except ConfigurationError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: nothing half-built was kept; run the same command again to build it.", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
