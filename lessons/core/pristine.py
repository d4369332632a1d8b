"""The pristine seeded database, and each process's private copies of it.

The whole life of the database every lesson starts from, in one place:

1. **build** it once per schema and seed (:func:`ensure_pristine`), under a lock, so two processes, two
   checkouts or two learners never build the same one at once;
2. **verify** it before copying: an SQLite file must still match the checksum recorded when it was built
   (a damaged file is rebuilt, never copied into a lesson);
3. **copy** it for a lesson (:func:`copy_pristine`): a file copy on SQLite, ``CREATE DATABASE … TEMPLATE`` on
   PostgreSQL, table by table on MariaDB. Each copy belongs to one process (one kernel) and one namespace
   (one learner), so two kernels on the same lesson, or two learners on one server, never share rows;
4. **remove** copies when their process ends: at exit it drops its own; a process killed before it could is
   found later (:func:`remove_abandoned_copies`), as each process holds a lock file while it lives, so a copy
   whose owner's lock is free is safe to delete.

Names, for a lesson ``02-crud`` in namespace ``alice``, process 4242::

    SQLite      .data/course-seed_default_<fingerprint>.sqlite3       (pristine, read-only, with a .sha256)
                .data/course-alice-02_crud-p4242x1a2b.sqlite3         (the lesson's copy)
    servers     test_alice_seed_default_<fingerprint>                 (pristine)
                test_alice_02_crud_p4242x1a2b                         (the lesson's copy)

>>> pristine_url(parse_database_url("sqlite+aiosqlite:///.data/course.sqlite3"), "default").database[-8:]
'.sqlite3'
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import hashlib
import os
import re
import secrets
import shutil
import sqlite3
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path, PurePath
from typing import IO

from sqlalchemy import text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from lessons.core import locks
from lessons.core.connections import create_engine, server_connection
from lessons.core.errors import ConfigurationError
from lessons.core.models import Base
from lessons.core.seed import SIZES, fingerprint, seed_database
from lessons.core.settings import get_settings, mask

#: PostgreSQL's and MariaDB's longest database name.
MAX_NAME_LENGTH = 63
#: How a process marks the copies it owns: ``p<pid>x<4 random hex digits>``.
_TOKEN = re.compile(r"p\d+x[0-9a-f]{4}")


# --------------------------------------------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------------------------------------------


def safe_name(name: str) -> str:
    """A lesson name as it can stand in a database or file name.

    >>> safe_name("02-crud")
    '02_crud'
    """
    cleaned = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    if not cleaned:
        raise ValueError(f"a lesson database needs a name with letters or digits, not {name!r}")
    if len(cleaned) > 40:
        cleaned = cleaned[:31] + "_" + hashlib.sha1(cleaned.encode()).hexdigest()[:8]
    return cleaned


def sqlite_path(url: URL) -> Path:
    """The file behind an SQLite URL."""
    return Path(url.database or "")


def _server_name(*parts: str) -> str:
    name = "_".join(parts)
    if len(name) <= MAX_NAME_LENGTH:
        return name
    digest = hashlib.sha1(name.encode()).hexdigest()[:8]
    head = "_".join(parts[:-1])[: MAX_NAME_LENGTH - len(parts[-1]) - len(digest) - 2]
    return f"{head}_{digest}_{parts[-1]}"


def derived_url(base: URL, *parts: str) -> URL:
    """A sibling of ``base``: ``course.sqlite3`` → ``course-<parts>.sqlite3``; ``test`` → ``test_<parts>``.

    >>> derived_url(parse_database_url("postgresql+asyncpg://db/test"), "alice", "02_crud").database
    'test_alice_02_crud'
    """
    if base.get_backend_name() == "sqlite":
        path = sqlite_path(base)
        return base.set(database=str(path.with_name(f"{path.stem}-{'-'.join(parts)}{path.suffix or '.sqlite3'}")))
    return base.set(database=_server_name(base.database or "", *parts))


def pristine_url(base: URL, size: str) -> URL:
    """Where the pristine ``size`` database for ``base`` lives (its name changes when the schema or seed does).

    An SQLite file is shared by everyone using the same data folder (it is read-only); on a server each
    namespace has its own, so a learner never waits for, or drops, another learner's.
    """
    seed_part = f"seed_{size}_{fingerprint(size)}"
    if base.get_backend_name() == "sqlite":
        return derived_url(base, seed_part)
    return derived_url(base, get_settings().namespace, seed_part)


def stable_names(text: str) -> str:
    """``text`` with the run-dependent parts of server database names replaced: the same on every run.

    A lesson's copy is named after the learner's namespace and the kernel's process (``test_alice_01_models_
    p4242x1a2b``); MariaDB prints that name in some statements (``DESCRIBE `…`.`users```) and errors. The SQL lens
    and :func:`lessons.lens.traps.show_error` print it as ``test_<you>_01_models_<kernel>``, so a recorded output is
    the same for every learner and run.

    >>> from lessons.core.settings import get_settings
    >>> stable_names(f"DESCRIBE `test_{get_settings().namespace}_01_models_p4242x1a2b`.`users`")
    'DESCRIBE `test_<you>_01_models_<kernel>`.`users`'
    """
    namespace = get_settings().namespace
    if f"_{namespace}_" in text:
        text = re.sub(rf"(?<=[A-Za-z0-9])_{re.escape(namespace)}_(?=[a-z0-9])", "_<you>_", text)
    return re.sub(rf"(?<=[a-z0-9])_{_TOKEN.pattern}\b", "_<kernel>", text)


def copy_url(base: URL, lesson: str) -> URL:
    """The URL of this process's private copy for ``lesson``, in this learner's namespace."""
    return derived_url(base, get_settings().namespace, safe_name(lesson), owner_token())


# --------------------------------------------------------------------------------------------------------------
# Who owns a copy: one lock file per living process
# --------------------------------------------------------------------------------------------------------------

_owner: tuple[int, str, IO[str]] | None = None
#: The copies this process made on servers, by server URL: dropped when it exits, or else marked by its lock file.
_server_copies: dict[str, set[str]] = {}
#: How long an exiting process may spend dropping its server copies before leaving them to the next one.
EXIT_DROP_SECONDS = 10


def data_folder(*parts: str) -> Path:
    """A folder inside the course's data folder (``COURSE_DATA_DIR``), created if needed.

    A folder that cannot be written is one sentence saying what to set, not a ``PermissionError``.
    """
    folder = get_settings().data_dir.joinpath(*parts)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".probe-{os.getpid()}"
        probe.touch()
        probe.unlink()
    except OSError as error:
        raise ConfigurationError(
            f"the course cannot write to its data folder {folder} ({error.strerror or error}); set "
            "COURSE_DATA_DIR (in the environment or in .env) to a folder you can write, e.g. ~/course-data."
        ) from None
    return folder


def owner_token() -> str:
    """This process's mark in the names of its copies, held by a lock file for as long as the process lives.

    >>> bool(_TOKEN.fullmatch(owner_token()))
    True
    """
    global _owner
    pid = os.getpid()
    if _owner is None or _owner[0] != pid:  # first use, or a forked child
        token = f"p{pid}x{secrets.token_hex(2)}"
        handle = open(data_folder("owners") / f"{token}.lock", "a")  # noqa: SIM115 - held for the process's life
        if not locks.try_lock(handle):  # a token is new for each process: nobody else can hold its file
            handle.close()
            raise RuntimeError(f"the owner lock {handle.name} is held by another process")
        _owner = (pid, token, handle)
        atexit.register(_release_owner, pid)
    return _owner[1]


def current_owner_token() -> str | None:
    """This process's token if it has made a copy (a forked child has none of its own yet)."""
    return _owner[1] if _owner is not None and _owner[0] == os.getpid() else None


def _release_owner(pid: int) -> None:
    """At exit: drop this process's server copies, and forget its lock file when nothing of it is left.

    If a copy cannot be dropped now (the server is gone, a transaction still holds it, or on Windows a connection
    still holds an SQLite file open, which Windows will not delete), the lock file stays behind, released: the
    next process in this data folder sees the owner has ended and removes the copy.
    """
    if _owner is None or _owner[0] != pid or os.getpid() != pid:
        return
    _, token, handle = _owner
    files_gone = _remove_own_sqlite_copies(token)
    servers_gone = not _server_copies or _drop_server_copies_now()
    locks.unlock(handle)
    handle.close()  # before deleting it: Windows deletes no file that is open
    if files_gone and servers_gone:
        with contextlib.suppress(OSError):  # another process claiming it at this moment holds it open
            Path(handle.name).unlink(missing_ok=True)


def _remove_own_sqlite_copies(token: str) -> bool:
    """Delete this process's SQLite copies beside the configured database file; True when none is left."""
    try:
        base = get_settings().url
    except Exception:  # at exit, never fail: the next process cleans up
        return True
    if base.get_backend_name() != "sqlite":
        return True
    left = False
    for owner, path in _abandoned_sqlite_files(base):
        if owner == token:
            try:
                path.unlink(missing_ok=True)
            except OSError:  # Windows: a connection still has it open
                left = True
    return not left


def _drop_server_copies_now() -> bool:
    async def drop_all() -> None:
        for base, names in _server_copies.items():
            async with server_connection(make_url(base)) as conn:
                if conn.dialect.name == "mysql":  # wait seconds, not a year, for a lock the dying process holds
                    await conn.execute(text("SET SESSION lock_wait_timeout = 5"))
                for name in sorted(names):
                    await drop_database(conn, name)

    try:
        asyncio.run(asyncio.wait_for(drop_all(), EXIT_DROP_SECONDS))
    except Exception:  # best effort at exit: whatever is left, the next process removes
        return False
    return True


@contextlib.contextmanager
def _claim_if_abandoned(token: str) -> Iterator[bool]:
    """True (holding the owner's lock) when the process behind ``token`` has ended; False when it lives.

    A token with no lock file in this data folder is another machine's or another checkout's: not ours to judge.
    """
    path = get_settings().data_dir / "owners" / f"{token}.lock"
    try:
        handle = open(path)  # noqa: SIM115 - closed below
    except OSError:
        yield False
        return
    try:
        if not locks.try_lock(handle):
            yield False
            return
        yield True
    finally:
        handle.close()
    with contextlib.suppress(OSError):  # after closing it (Windows deletes no open file); another may claim it now
        path.unlink(missing_ok=True)


# --------------------------------------------------------------------------------------------------------------
# Locks
# --------------------------------------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def file_lock(key: str) -> AsyncIterator[None]:
    """An inter-process lock in the data folder, so two processes never build the same pristine file at once."""
    handle = open(data_folder("locks") / f"{safe_name(key)}.lock", "a")  # noqa: SIM115 - held across awaits
    try:
        await asyncio.to_thread(locks.lock, handle)
        try:
            yield
        finally:
            locks.unlock(handle)
    finally:
        handle.close()


@contextlib.asynccontextmanager
async def server_lock(conn: AsyncConnection, key: str) -> AsyncIterator[None]:
    """A lock on the database server itself: two checkouts (or machines) seeding one server take turns."""
    name = "course_" + hashlib.sha1(key.encode()).hexdigest()[:32]
    if conn.dialect.name == "postgresql":
        await conn.execute(text("SELECT pg_advisory_lock(hashtext(:name))"), {"name": name})
        try:
            yield
        finally:
            await conn.execute(text("SELECT pg_advisory_unlock(hashtext(:name))"), {"name": name})
        return
    if await conn.scalar(text("SELECT GET_LOCK(:name, 600)"), {"name": name}) != 1:
        raise ConfigurationError(f"another process held the seeding lock on {mask(conn.engine.url)} for 10 minutes.")
    try:
        yield
    finally:
        await conn.scalar(text("SELECT RELEASE_LOCK(:name)"), {"name": name})


# --------------------------------------------------------------------------------------------------------------
# Build and verify
# --------------------------------------------------------------------------------------------------------------

#: SQLite files this process has verified, with the (inode, mtime, size) they had then.
_verified: dict[Path, tuple[int, int, int]] = {}


def _checksum_file(path: Path) -> Path:
    return path.with_name(f"{path.name}.sha256")


def file_checksum(path: Path) -> str:
    """The SHA-256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def sqlite_is_intact(path: Path) -> bool:
    """True when ``path`` exists and matches the checksum recorded when it was built.

    A file changed since (a byte flipped, a truncation, another program writing to it) is not intact. The
    check reads the whole file once per process, then again only when its inode, time or size change.
    """
    try:
        stat = path.stat()
        recorded = _checksum_file(path).read_text().strip()
    except OSError:
        return False
    signature = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
    if _verified.get(path) == signature:
        return True
    if file_checksum(path) != recorded:
        return False
    _verified[path] = signature
    return True


async def ensure_pristine(base: URL, size: str = "default", progress: bool | None = None) -> URL:
    """The URL of the pristine seeded database for ``base`` and ``size``, building (or rebuilding) it if needed."""
    url, _ = await prepare_pristine(base, size, progress)
    return url


async def prepare_pristine(
    base: URL, size: str = "default", progress: bool | None = None, source: str = "DATABASE_URL"
) -> tuple[URL, str]:
    """:func:`ensure_pristine`, also saying what it did: ``"ready"``, ``"built"`` or ``"rebuilt (…)"``.

    ``source`` names where ``base`` came from, for error messages (``DATABASE_URL`` or ``--url``).
    """
    if size not in SIZES:
        raise ConfigurationError(f"unknown seed size {size!r}; use one of {', '.join(SIZES)}.")
    if progress is None:
        progress = size == "large" and sys.stderr.isatty()
    pristine = pristine_url(base, size)
    if base.get_backend_name() == "sqlite":
        path = sqlite_path(pristine)
        if sqlite_is_intact(path):  # the common case: no lock needed to read a verified, read-only file
            return pristine, "ready"
        async with file_lock(f"{path}"):
            if sqlite_is_intact(path):
                return pristine, "ready"
            status = "rebuilt (the file was damaged)" if path.exists() else "built"
            await _build_sqlite(pristine, size, progress)
            for stale in path.parent.glob(f"{path.stem.rsplit('_', 1)[0]}_*"):
                if not stale.name.startswith(path.name):
                    remove_read_only(stale)
            return pristine, status
    async with server_connection(base, source) as conn, server_lock(conn, f"{mask(base)} {pristine.database}"):
        if await _server_database_complete(conn, pristine):
            return pristine, "ready"
        await _build_server(conn, pristine, size, progress)
        return pristine, "built"


async def _build_sqlite(pristine: URL, size: str, progress: bool) -> None:
    path = sqlite_path(pristine)
    path.parent.mkdir(parents=True, exist_ok=True)
    building = path.with_name(f"{path.name}.building-{os.getpid()}")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{building}{suffix}").unlink(missing_ok=True)
    checksum = _checksum_file(building)
    try:
        engine = create_engine(pristine.set(database=str(building)))
        try:
            await seed_database(engine, size, progress=progress)
        finally:
            await engine.dispose()
        # One self-contained file (no -wal beside it), so a lesson's copy is a plain file copy.
        with contextlib.closing(sqlite3.connect(building)) as conn:
            conn.execute("PRAGMA journal_mode=DELETE")
        building.chmod(0o444)  # read-only: lessons copy it, nothing writes it
        checksum.write_text(file_checksum(building) + "\n")
        os.replace(checksum, _checksum_file(path))
        if path.exists():  # a damaged one: Windows replaces no read-only file
            path.chmod(0o644)
        os.replace(building, path)
    finally:  # interrupted (Ctrl-C) or failed: nothing half-built stays behind
        for leftover in (building, Path(f"{building}-wal"), Path(f"{building}-shm"), checksum):
            remove_read_only(leftover)


def remove_read_only(path: Path) -> None:
    """Delete a file even when it is read-only, as the pristine file is (Windows deletes no read-only file).

    >>> remove_read_only(Path("no-such-file.sqlite3"))
    """
    if not path.is_symlink():  # a link (a hub learner's, to the shared seed): the link goes, its target stays as is
        with contextlib.suppress(FileNotFoundError):
            path.chmod(0o644)
    path.unlink(missing_ok=True)


async def _server_database_names(conn: AsyncConnection, prefix: str) -> list[str]:
    """Every database on the server whose name starts with ``prefix``."""
    pattern = prefix.replace("\\", "\\\\").replace("_", "\\_").replace("%", "\\%") + "%"
    if conn.dialect.name == "postgresql":
        query = "SELECT datname FROM pg_database WHERE datname LIKE :p"
    else:
        query = "SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE :p"
    return [name for name in (await conn.scalars(text(query), {"p": pattern})).all() if name.startswith(prefix)]


async def _server_database_complete(conn: AsyncConnection, pristine: URL) -> bool:
    if conn.dialect.name == "postgresql":
        found = await conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": pristine.database})
        return found is not None
    found = await conn.scalar(
        text("SELECT 1 FROM information_schema.tables WHERE table_schema = :n AND table_name = '_seed_complete'"),
        {"n": pristine.database},
    )
    return found is not None


def _quote(conn: AsyncConnection, name: str) -> str:
    return f'"{name}"' if conn.dialect.name == "postgresql" else f"`{name}`"


async def drop_database(conn: AsyncConnection, name: str) -> None:
    """``DROP DATABASE IF EXISTS`` (ending its sessions first on PostgreSQL)."""
    force = " WITH (FORCE)" if conn.dialect.name == "postgresql" else ""
    await conn.execute(text(f"DROP DATABASE IF EXISTS {_quote(conn, name)}{force}"))


async def _build_server(conn: AsyncConnection, pristine: URL, size: str, progress: bool) -> None:
    postgres = conn.dialect.name == "postgresql"
    database = pristine.database or ""
    building = pristine.set(database=f"{database}_building") if postgres else pristine
    for stale in await _server_database_names(conn, database.rsplit("_", 1)[0] + "_"):
        await drop_database(conn, stale)  # older schemas of this namespace, and a build that was interrupted
    charset = "" if postgres else " CHARACTER SET utf8mb4"
    await conn.execute(text(f"CREATE DATABASE {_quote(conn, building.database or '')}{charset}"))
    if postgres:
        await _owner_only(conn, building.database or "")
    engine = create_engine(building)
    try:
        await seed_database(engine, size, progress=progress)
        if not postgres:
            async with engine.begin() as seeded:
                await seeded.execute(text("CREATE TABLE _seed_complete (done INTEGER)"))
    finally:
        await engine.dispose()
    if postgres:
        await conn.execute(text(f'ALTER DATABASE "{building.database}" RENAME TO "{database}"'))


# --------------------------------------------------------------------------------------------------------------
# Copy, and remove what ended processes left
# --------------------------------------------------------------------------------------------------------------


async def copy_pristine(pristine: URL, base: URL, lesson: str) -> URL:
    """A private copy of ``pristine`` for ``lesson`` in this process and namespace; replaces an earlier one."""
    target = copy_url(base, lesson)
    backend = base.get_backend_name()
    if backend == "sqlite":
        destination = sqlite_path(target)
        for suffix in ("", "-wal", "-shm", "-journal"):
            _remove_earlier_copy(Path(f"{destination}{suffix}"))
        shutil.copyfile(sqlite_path(pristine), destination)
        return target
    _server_copies.setdefault(base.render_as_string(hide_password=False), set()).add(target.database or "")
    async with server_connection(base) as conn:
        await drop_database(conn, target.database or "")
        if backend == "postgresql":
            await _create_from_template(conn, target.database or "", pristine.database or "")
            await _owner_only(conn, target.database or "")
            return target
        # MariaDB has no templates: each table is created from the pristine database's own DDL (SHOW CREATE
        # TABLE), not from the models, so an Index a lesson attached to a shared model does not leak into copies.
        await conn.execute(text(f"CREATE DATABASE `{target.database}` CHARACTER SET utf8mb4"))
        tables = Base.metadata.sorted_tables
        ddl = [
            (await conn.execute(text(f"SHOW CREATE TABLE `{pristine.database}`.`{table.name}`"))).one()[1]
            for table in tables
        ]
    engine = create_engine(target)
    try:
        async with engine.begin() as conn:
            for table, create in zip(tables, ddl, strict=True):
                await conn.exec_driver_sql(create)
                source = f"`{pristine.database}`.`{table.name}`"
                await conn.execute(text(f"INSERT INTO `{table.name}` SELECT * FROM {source}"))
    finally:
        await engine.dispose()
    return target


def _remove_earlier_copy(path: Path) -> None:
    """Delete this process's earlier copy of a lesson's file; on Windows, say so when a connection still holds it."""
    try:
        path.unlink(missing_ok=True)
    except PermissionError:
        if os.name != "nt":  # a folder that cannot be written: fresh_database says what to set
            raise
        raise ConfigurationError(
            f"{path.name} is still open (an engine or session from before this reset), and Windows deletes no "
            "open file: close it (await session.close(), await engine.dispose()) or restart the kernel."
        ) from None


async def _owner_only(conn: AsyncConnection, name: str) -> None:
    """PostgreSQL: only the database's owner (the learner's role on a hub) and superusers may connect to it.

    Every new database grants ``CONNECT`` and ``TEMPORARY`` to ``PUBLIC`` (PostgreSQL's docs, "Privileges"):
    without this, any role on the server could open a learner's copy. (MariaDB: the hub grants each learner's
    account its own name pattern only.)
    """
    await conn.execute(text(f'REVOKE CONNECT, TEMPORARY ON DATABASE "{name}" FROM PUBLIC'))


async def _create_from_template(conn: AsyncConnection, target: str, template: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            await conn.execute(text(f'CREATE DATABASE "{target}" TEMPLATE "{template}"'))
            return
        except DBAPIError as error:  # the template is briefly in use (another copy connecting to it)
            if "being accessed by other users" not in str(error) or time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.05)


def _abandoned_sqlite_files(base: URL) -> Iterator[tuple[str, Path]]:
    path = sqlite_path(base)
    prefix = f"{path.stem}-{get_settings().namespace}-"
    for candidate in path.parent.glob(f"{prefix}*"):
        match = re.search(rf"-({_TOKEN.pattern})\{path.suffix or '.sqlite3'}(-wal|-shm|-journal)?$", candidate.name)
        if match:
            yield match.group(1), candidate


async def remove_abandoned_copies(base: URL) -> list[str]:
    """Delete the copies, in this namespace, of processes that have ended; returns what was removed.

    Runs once per process, on its first :func:`~lessons.core.database.fresh_database`. A living process's copies,
    and copies made from another data folder (another checkout, another machine), are never touched.
    """
    removed: list[str] = []
    if base.get_backend_name() == "sqlite":
        by_owner: dict[str, list[Path]] = {}
        for token, path in _abandoned_sqlite_files(base):
            by_owner.setdefault(token, []).append(path)
        for token, paths in by_owner.items():
            with _claim_if_abandoned(token) as ended:
                if ended:
                    for path in paths:
                        path.unlink(missing_ok=True)
                        removed.append(path.name)
        return removed
    prefix = f"{base.database}_{get_settings().namespace}_"
    async with server_connection(base) as conn:
        by_owner_db: dict[str, list[str]] = {}
        for name in await _server_database_names(conn, prefix):
            match = re.search(rf"_({_TOKEN.pattern})$", name)
            if match:
                by_owner_db.setdefault(match.group(1), []).append(name)
        for token, names in by_owner_db.items():
            with _claim_if_abandoned(token) as ended:
                if ended:
                    for name in names:
                        await drop_database(conn, name)
                        removed.append(name)
    return removed


def read_only_uri(path: Path | PurePath) -> str:
    """An SQLite URI opening ``path`` read-only, right on Windows too (``file:///C:/…``, ``%`` and ``#`` escaped).

    >>> from pathlib import PurePosixPath, PureWindowsPath
    >>> read_only_uri(PureWindowsPath(r"C:\\Users\\Ana Lee\\.data\\course #1.sqlite3"))
    'file:///C:/Users/Ana%20Lee/.data/course%20%231.sqlite3?mode=ro'
    >>> read_only_uri(PurePosixPath("/home/ana/.data/course.sqlite3"))
    'file:///home/ana/.data/course.sqlite3?mode=ro'
    """
    absolute = path if path.is_absolute() else Path(path).resolve()
    return f"{absolute.as_uri()}?mode=ro"
