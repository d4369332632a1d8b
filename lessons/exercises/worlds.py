"""Generated databases for the checkers: the blog's tables filled from a seed, with the edges a lesson's example lacks.

A checker never judges an answer on the lesson's seeded example alone: it builds a :class:`World` from a seed
(a different one per database of the check), loads it into its own database, and runs the reference and the answer
on identical copies. Every world has namesakes, a user with no posts, comments, profile or roles, an inactive user,
a user of unknown age, Unicode and quote characters, a name at its column's limit, ids that start at a random
offset with gaps, and its own clock time (never the lesson's, never the real one).

>>> world = blog_world(7)
>>> sorted(world.rows)
['comments', 'posts', 'profiles', 'roles', 'user_roles', 'users']
>>> names = [user["name"] for user in world.rows["users"]]
>>> len(names) > len(set(names))                       # namesakes
True
>>> world.now.tzinfo is not None and world.now.year >= 2030
True
>>> blog_world(7).rows == world.rows                   # the same seed, the same world
True
"""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Table, func, insert, inspect, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from lessons.core.database import LessonDatabase
from lessons.core.models import Base

#: The tables of the blog, parents first: the order rows are inserted in (and deleted in reverse).
BLOG_TABLES = ["roles", "users", "profiles", "posts", "comments", "user_roles"]

_FIRST = ["Ada", "Grace", "Linus", "Zoë", "Łukasz", "Ngozi", "李", "Søren", "O'Brien", "Ana María", "Taylor", "Chidi"]
_LAST = ["Lovelace", "Hopper", "Ångström", "Müller", "D'Arcy", "Nakamura", "García", "Smith", "Okafor", "Dubois"]
_WORDS = [
    "async", "session", "query", "index", "café", "naïve", "join", "cursor", "eager", "lazy", "commit", "rollback",
    "Ünïcödé", "50%", "under_score", "back\\slash", "quote's", "emoji 🐘", "SQL", "sqlalchemy",
]
#: Names that contain one another ("editor" in "senior editor"): a LIKE '%name%' look-up picks the wrong one.
ROLE_NAMES = ["admin", "sysadmin", "editor", "senior editor", "author", "moderator", "reviewer"]


@dataclass
class World:
    """One generated database: ``rows`` per table (explicit ids), its clock time ``now`` and its ``rng``.

    ``rng`` goes on from where the rows left it: a checker picks its arguments from it, so the arguments too
    depend on the seed.

    >>> world = blog_world(1)
    >>> user = world.add("users", name="Checker", email="checker@check.invalid")
    >>> user["id"] == max(world.ids("users"))
    True
    """

    seed: int
    now: datetime
    rng: random.Random
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def ids(self, table: str) -> list[int]:
        """The ids of ``table``'s rows, in insertion order."""
        return [row["id"] for row in self.rows.get(table, [])]

    def where(self, table: str, **values: Any) -> list[dict[str, Any]]:
        """``table``'s rows whose columns equal ``values``."""
        return [row for row in self.rows[table] if all(row.get(k) == v for k, v in values.items())]

    def pick(self, table: str, **values: Any) -> dict[str, Any]:
        """One row of ``table`` matching ``values``, chosen by the world's ``rng``."""
        candidates = self.where(table, **values)
        if not candidates:
            raise LookupError(f"no row of {table} with {values}")
        return self.rng.choice(candidates)

    def missing_id(self, table: str) -> int:
        """An id that no row of ``table`` has (inside the range of its ids, where there is a gap)."""
        taken = set(self.ids(table))
        return next(number for number in range(min(taken, default=1) + 1, 10**9) if number not in taken)

    def add(self, table: str, **values: Any) -> dict[str, Any]:
        """Append a row to ``table`` (id: the next free one unless given; timestamps: ``now`` unless given)."""
        row = {"id": max(self.ids(table), default=0) + 1} if table != "user_roles" else {}
        if table in {"users", "profiles", "posts", "comments"}:
            row |= {"created_at": self.now - timedelta(days=1), "updated_at": self.now - timedelta(days=1)}
        row |= _DEFAULTS.get(table, {}) | values
        self.rows.setdefault(table, []).append(row)
        return row

    def moment(self, days: int = 400) -> datetime:
        """A time in the ``days`` before ``now``, to the second."""
        return self.now - timedelta(seconds=self.rng.randint(1, days * 86_400))


_DEFAULTS: dict[str, dict[str, Any]] = {
    "users": {"age": None, "role": "user", "is_active": True, "email_verified_at": None, "password_hash": ""},
    "profiles": {"bio": "", "website": None},
    "posts": {"content": "", "published": False},
}


def blog_world(seed: int, users: int | None = None) -> World:
    """The blog filled from ``seed``: 3 to 30 users (``users`` to choose), their posts, comments, profiles and roles.

    >>> world = blog_world(3, users=5)
    >>> len(world.rows["users"]) >= 5
    True
    """
    rng = random.Random(seed)
    start = datetime(2030, 1, 1, tzinfo=timezone.utc)
    now = start + timedelta(days=rng.randint(0, 3650), seconds=rng.randint(0, 86_399))
    world = World(seed=seed, now=now, rng=rng, rows={table: [] for table in BLOG_TABLES})
    count = users if users is not None else rng.choice([3, 4, 6, 12, 30])

    next_id = rng.randint(1, 40)
    rest = ROLE_NAMES[2:]
    names = ["sysadmin", "admin", *rng.sample(rest, rng.randint(1, len(rest)))]  # "sysadmin" has the lower id
    for role in names:
        world.rows["roles"].append({"id": next_id, "name": role})
        next_id += rng.randint(1, 3)

    user_id = rng.randint(1, 500)
    names = [f"{rng.choice(_FIRST)} {rng.choice(_LAST)}" for _ in range(count)]
    names[-1] = names[0]  # namesakes, always
    if count > 3:
        names[1] = ("Zoë " + "x" * 100)[:100]  # a name at String(100)'s limit
    for number, name in enumerate(names):
        created = world.moment()
        world.rows["users"].append({
            "id": user_id,
            "name": name,
            "email": f"u{user_id}.{number}@example.test",
            "age": None if number == 2 else rng.choice([0, 17, 18, 30, 42, 65, 99, rng.randint(18, 90)]),
            "role": rng.choice(["user", "user", "admin", "editor"]),
            "is_active": number != 1 and rng.random() > 0.2,
            "email_verified_at": None if rng.random() < 0.4 else created + timedelta(hours=rng.randint(1, 48)),
            "password_hash": "",
            "created_at": created,
            "updated_at": created + timedelta(seconds=rng.choice([0, 0, rng.randint(1, 10**6)])),
        })
        user_id += rng.choice([1, 1, 2, 7])

    # The first user has no posts, comments, profile or roles; everyone else may have any of them.
    lonely, others = world.rows["users"][0], world.rows["users"][1:]
    lonely["is_active"] = True
    role_ids = world.ids("roles")
    for user in others:
        for role_id in rng.sample(role_ids, rng.randint(0, len(role_ids))):
            world.rows["user_roles"].append({"user_id": user["id"], "role_id": role_id})
        if rng.random() < 0.6:
            world.add(
                "profiles", user_id=user["id"], bio=_sentence(rng, 0, 12), website=rng.choice([None, "https://x.test"]),
                created_at=user["created_at"], updated_at=user["created_at"],
            )
    post_id = rng.randint(1, 900)
    for user in others:
        for _ in range(rng.choice([0, 1, 1, 2, 3, 5])):
            created = world.moment()
            world.rows["posts"].append({
                "id": post_id, "title": _sentence(rng, 1, 6)[:200], "content": _sentence(rng, 0, 30),
                "published": rng.random() < 0.6, "user_id": user["id"],
                "created_at": created, "updated_at": created,
            })
            post_id += rng.choice([1, 1, 3])
    commenters = others or [lonely]
    comment_id = rng.randint(1, 2000)
    for post in world.rows["posts"]:
        for _ in range(rng.choice([0, 0, 1, 2, 4])):
            created = max(post["created_at"], world.moment())
            world.rows["comments"].append({
                "id": comment_id, "body": _sentence(rng, 1, 15), "post_id": post["id"],
                "user_id": rng.choice(commenters)["id"], "created_at": created, "updated_at": created,
            })
            comment_id += 1
    return world


def _sentence(rng: random.Random, low: int, high: int) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(rng.randint(low, high)))


# --------------------------------------------------------------------------------------------------------------
# Loading a world into a database, and reading a database back
# --------------------------------------------------------------------------------------------------------------


async def sqlite_fetch(connection: AsyncConnection, statement: str | list[str]) -> Any:
    """The rows aiosqlite's driver returns for ``statement`` (for a list, each one's, all in one hand-over to its
    thread), its errors wrapped as ``connection.execute`` wraps them (``OperationalError (wrapping …)``).

    Through ``connection.execute`` a statement is four hand-overs to aiosqlite's thread (a cursor, execute, fetch,
    close): most of what reloading a world and reading the tables back cost a check. The driver's statements join
    ``connection``'s transaction, as ``connection.execute``'s do (sqlite3 begins one before the first DML).
    """
    driver = (await connection.get_raw_connection()).driver_connection
    try:
        if isinstance(statement, str):
            return await driver.execute_fetchall(statement)
        if hasattr(driver, "_execute"):
            # aiosqlite runs a function in its thread with Connection._execute, as its own methods do (and
            # SQLAlchemy's adapter uses its internals too): one hand-over for every statement.
            def fetch_all() -> list[list[Any]]:
                return [driver._conn.execute(sql).fetchall() for sql in statement]

            return await driver._execute(fetch_all)
        return [await driver.execute_fetchall(sql) for sql in statement]  # (another aiosqlite: one call each)
    except sqlite3.Error as error:
        shown = statement if isinstance(statement, str) else "; ".join(statement)
        raise DBAPIError.instance(shown, None, error, sqlite3.Error, dialect=connection.dialect) from None


async def load(db: LessonDatabase, world: World, tables: Iterable[Table] = ()) -> None:
    """Replace every row of the blog's tables (and ``tables``) with ``world``'s, ids and id counters included.

    After it, a row the answer inserts gets the same id it would get in the reference's run.
    """
    metadata_tables = [Base.metadata.tables[name] for name in BLOG_TABLES] + list(tables)
    async with db.engine.begin() as conn:
        if db.backend == "sqlite":
            existing = await _reset_sqlite(conn, metadata_tables)
            present = [table for table in metadata_tables if table.name in existing]
        else:
            await _drop_what_a_run_added(conn, db.backend, metadata_tables)
            existing = set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))
            present = [table for table in metadata_tables if table.name in existing]
            await _empty(conn, db.backend, present)
        for table in present:
            rows = world.rows.get(table.name, [])
            if rows:
                await conn.execute(insert(table), rows)
        if db.backend == "postgresql":
            for table in present:
                if "id" in table.c and table.c.id.autoincrement in (True, "auto") and table.c.id.primary_key:
                    await conn.execute(
                        select(func.setval(func.pg_get_serial_sequence(table.name, "id"),
                                           func.coalesce(select(func.max(table.c.id)).scalar_subquery(), 0) + 1,
                                           False))
                    )


async def _reset_sqlite(conn: AsyncConnection, known: list[Table]) -> set[str]:
    """On SQLite: undo the schema a previous run added (tables, an FTS index too, indexes, triggers, views, columns
    the models lack), then empty the ``known`` tables and the id counters. Returns the tables left.

    The reference's ``CREATE INDEX`` must not be there when the answer runs: every run starts from the same schema.
    It talks to the driver itself (:func:`sqlite_fetch`): a check loads a world for every run.
    """
    quote = conn.dialect.identifier_preparer.quote
    by_name = {table.name: table for table in known}
    schema = "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE sql IS NOT NULL"
    found = await sqlite_fetch(conn, schema)
    # A virtual table (FTS5) first: its shadow tables go with it, and dropped before it they would break it.
    virtual = [
        name for kind, name, _table, sql in found if kind == "table" and sql.upper().startswith("CREATE VIRTUAL TABLE")
    ]
    for name in virtual:
        await sqlite_fetch(conn, f"DROP TABLE IF EXISTS {quote(name)}")
    if virtual:
        found = await sqlite_fetch(conn, schema)
    for kind, name, _table, _sql in found:
        if kind in ("trigger", "view"):
            await sqlite_fetch(conn, f"DROP {kind.upper()} IF EXISTS {quote(name)}")
    tables = {name for kind, name, _table, _sql in found if kind == "table" and not name.startswith("sqlite_")}
    extra = tables - set(by_name)
    if extra:  # children first: a run's tables may reference each other, and SQLite enforces foreign keys on a DROP
        ordered = await conn.run_sync(lambda sync: inspect(sync).get_sorted_table_and_fkc_names())
        for name in reversed([name for name, _ in ordered if name in extra]):
            await sqlite_fetch(conn, f"DROP TABLE IF EXISTS {quote(name)}")
    known_indexes = {ix.name for table in known for ix in table.indexes} | {
        constraint.name for table in known for constraint in table.constraints
    }
    for kind, name, table, _sql in found:  # (before the columns: SQLite drops no column an index uses)
        if kind == "index" and table in by_name and name not in known_indexes:
            await sqlite_fetch(conn, f"DROP INDEX {quote(name)}")
    columns = "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table'"
    for table, column in await sqlite_fetch(conn, columns):
        if table in by_name and column not in by_name[table].c:
            await sqlite_fetch(conn, f"ALTER TABLE {quote(table)} DROP COLUMN {quote(column)}")
    left = tables - extra
    for table in reversed(known):
        if table.name in left:
            await sqlite_fetch(conn, f"DELETE FROM {quote(table.name)}")
    if any(name == "sqlite_sequence" for _kind, name, _table, _sql in found):
        await sqlite_fetch(conn, "DELETE FROM sqlite_sequence")
    return left


async def _drop_what_a_run_added(conn: AsyncConnection, backend: str, known: list[Table]) -> None:
    """On a server: undo the schema a previous run added (tables, indexes, triggers, functions, columns the models
    lack), as :func:`_reset_sqlite` does on SQLite."""
    quote = conn.dialect.identifier_preparer.quote
    by_name = {table.name: table for table in known}
    names = await conn.run_sync(lambda sync: inspect(sync).get_table_names())
    triggers = await conn.execute(
        text("SELECT trigger_name, event_object_table FROM information_schema.triggers WHERE trigger_schema = "
             + ("current_schema()" if backend == "postgresql" else "DATABASE()"))
    )
    for trigger, table in triggers.all():
        on = f" ON {quote(table)}" if backend == "postgresql" else ""
        await conn.execute(text(f"DROP TRIGGER IF EXISTS {quote(trigger)}{on}"))
    extra = [name for name in names if name not in by_name]
    if extra and backend == "mysql":
        await conn.execute(text("SET FOREIGN_KEY_CHECKS = 0"))
    for name in extra:
        cascade = " CASCADE" if backend == "postgresql" else ""
        await conn.execute(text(f"DROP TABLE IF EXISTS {quote(name)}{cascade}"))
    if extra and backend == "mysql":
        await conn.execute(text("SET FOREIGN_KEY_CHECKS = 1"))

    # A column a run added to a known table (PostgreSQL's generated tsvector), then a function it created.
    columns = (
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = "
        + ("current_schema()" if backend == "postgresql" else "DATABASE()")
    )
    for table, column in (await conn.execute(text(columns))).all():
        if table in by_name and column not in by_name[table].c:
            await conn.execute(text(f"ALTER TABLE {quote(table)} DROP COLUMN {quote(column)}"))
    if backend == "postgresql":
        functions = await conn.execute(text(
            "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = current_schema() AND p.prokind = 'f' "
            "AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')"
        ))
        for (function,) in functions.all():
            await conn.execute(text(f"DROP FUNCTION IF EXISTS {function} CASCADE"))

    known_indexes = {ix.name for table in known for ix in table.indexes} | {
        constraint.name for table in known for constraint in table.constraints
    }
    if backend == "postgresql":
        query = (  # an index that backs a constraint (an unnamed primary key's "…_pkey") goes with its constraint
            "SELECT tablename, indexname FROM pg_indexes WHERE schemaname = current_schema() "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint)"
        )
    else:
        query = (
            "SELECT DISTINCT table_name, index_name FROM information_schema.statistics WHERE table_schema = DATABASE()"
        )
    for table, index in (await conn.execute(text(query))).all():
        if table in by_name and index not in known_indexes and index != "PRIMARY":
            on = f" ON {quote(table)}" if backend == "mysql" else ""
            await conn.execute(text(f"DROP INDEX {quote(index)}{on}"))


async def _empty(conn: AsyncConnection, backend: str, tables: list[Table]) -> None:
    """On a server: every row of ``tables`` gone, id counters back to the start."""
    if backend == "postgresql":
        names = ", ".join(conn.dialect.identifier_preparer.quote(table.name) for table in tables)
        await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        # A connection the answer left open would hold a metadata lock: fail within seconds instead of hanging.
        await conn.execute(text("SET SESSION lock_wait_timeout = 20"))
        await conn.execute(text("SET FOREIGN_KEY_CHECKS = 0"))
        for table in tables:
            await conn.execute(text(f"TRUNCATE TABLE {conn.dialect.identifier_preparer.quote(table.name)}"))
        await conn.execute(text("SET FOREIGN_KEY_CHECKS = 1"))
