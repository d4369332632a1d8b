"""Deterministic seed data for the blog: the rows every lesson starts from, and how they are inserted.

The same Faker version, seed and clock give the same bytes of content on every build (Laravel's
factories and seeders, made repeatable). The command, :mod:`lessons.tooling.seed`, builds the pristine database
from them (see :mod:`lessons.core.pristine`)::

    python -m lessons.tooling.seed                  # the default database: 200 users, 1,000 posts, 5,000 comments
    python -m lessons.tooling.seed --size large     # 10,000 users, 100,000 posts, for the performance lessons
    python -m lessons.tooling.seed --url postgresql+asyncpg://postgres@127.0.0.1:5432/test

>>> data = generate("default")
>>> {table: len(rows) for table, rows in data.items()}["users"]
200
"""

from __future__ import annotations

import hashlib
import random
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from lessons.core.models import Base


@dataclass(frozen=True)
class SeedSize:
    users: int
    posts: int
    comments: int
    #: The newest users have written nothing yet (for outer joins and "users without posts").
    users_without_posts: int


SIZES = {
    "default": SeedSize(users=200, posts=1_000, comments=5_000, users_without_posts=20),
    "large": SeedSize(users=10_000, posts=100_000, comments=100_000, users_without_posts=500),
}

ROLES = ("admin", "editor", "author")
SEED = 20250115
#: Every seeded row was written between these two moments (the lesson clock starts at the second).
START = datetime(2023, 1, 1, tzinfo=timezone.utc)
END = datetime(2025, 1, 1, tzinfo=timezone.utc)
#: Every seeded user's password is "password", as in Laravel's UserFactory.
PASSWORD_HASH = "pbkdf2_sha256$1000$course$" + hashlib.pbkdf2_hmac("sha256", b"password", b"course", 1000).hex()
_SOURCES = ("models.py", "types.py", "seed.py")


def fingerprint(size: str) -> str:
    """A short hash of the schema and seed code: a pristine database built from other code is rebuilt."""
    digest = hashlib.sha256(size.encode())
    for name in _SOURCES:
        digest.update((Path(__file__).parent / name).read_bytes())
    return digest.hexdigest()[:10]


def _moment(rng: random.Random, after: datetime) -> datetime:
    span = int((END - after).total_seconds() // 60)
    return after + timedelta(minutes=rng.randint(1, max(1, span)))


def generate(size: str = "default") -> dict[str, list[dict[str, Any]]]:
    """Every row of the seed, by table name, in insertion order. Same input, same rows, every time."""
    counts = SIZES[size]
    from faker import Faker  # here, not at the top: ~0.4 s off every kernel that imports the library

    fake = Faker("en_US")
    fake.seed_instance(SEED)
    rng = random.Random(SEED)

    signups = sorted(_moment(rng, START) for _ in range(counts.users))
    users: list[dict[str, Any]] = []
    for user_id, created_at in enumerate(signups, start=1):
        first, last = fake.first_name(), fake.last_name()
        users.append(
            {
                "id": user_id,
                "name": f"{first} {last}",
                "email": f"{first}.{last}.{user_id}@example.com".lower(),
                "age": None if rng.random() < 0.05 else rng.randint(18, 75),
                "role": rng.choices(("user", "editor", "admin"), weights=(85, 10, 5))[0],
                "is_active": rng.random() < 0.9,
                "email_verified_at": created_at + timedelta(hours=1) if rng.random() < 0.75 else None,
                "password_hash": PASSWORD_HASH,
                "created_at": created_at,
                "updated_at": created_at,
            }
        )

    profiles = [
        {
            "user_id": user["id"],
            "bio": fake.sentence(nb_words=10),
            "website": f"https://{fake.domain_name()}" if rng.random() < 0.5 else None,
            "created_at": user["created_at"],
            "updated_at": user["created_at"],
        }
        for user in users
        if rng.random() < 0.75
    ]
    for profile_id, profile in enumerate(profiles, start=1):
        profile["id"] = profile_id

    authors = users[: counts.users - counts.users_without_posts]
    drafts = []
    for _ in range(counts.posts):
        author = rng.choice(authors)
        drafts.append((_moment(rng, author["created_at"]), author["id"]))
    drafts.sort()
    posts = []
    for post_id, (created_at, user_id) in enumerate(drafts, start=1):
        posts.append(
            {
                "id": post_id,
                "title": fake.sentence(nb_words=6).rstrip("."),
                "content": fake.paragraph(nb_sentences=4),
                "published": rng.random() < 0.8,
                "user_id": user_id,
                "created_at": created_at,
                "updated_at": created_at,
            }
        )

    commenters = [user["id"] for user in users if user["is_active"]]
    notes = []
    for _ in range(counts.comments):
        post = rng.choice(posts)
        notes.append((_moment(rng, post["created_at"]), post["id"], rng.choice(commenters)))
    notes.sort()
    comments = [
        {
            "id": comment_id,
            "body": fake.sentence(nb_words=12),
            "post_id": post_id,
            "user_id": user_id,
            "created_at": created_at,
            "updated_at": created_at,
        }
        for comment_id, (created_at, post_id, user_id) in enumerate(notes, start=1)
    ]

    roles = [{"id": role_id, "name": name} for role_id, name in enumerate(ROLES, start=1)]
    role_ids = {name: role_id for role_id, name in enumerate(ROLES, start=1)}
    user_roles = []
    for user in users:
        if user["role"] in role_ids:
            user_roles.append({"user_id": user["id"], "role_id": role_ids[user["role"]]})
        if rng.random() < 0.3:
            user_roles.append({"user_id": user["id"], "role_id": role_ids["author"]})

    return {
        "users": users,
        "profiles": profiles,
        "posts": posts,
        "comments": comments,
        "roles": roles,
        "user_roles": user_roles,
    }


def _chunks(rows: list[dict[str, Any]], size: int) -> Iterable[list[dict[str, Any]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def sqlite_batches(data: dict[str, list[dict[str, Any]]]) -> list[tuple[str, list[tuple[Any, ...]]]]:
    """Each table's INSERT and its rows as tuples of what SQLite stores (UTC text for times, 0/1 for booleans).

    The same text SQLAlchemy's types write, so a database seeded this way is byte-for-byte the one the ORM
    would write; only the per-row work of the generic path is skipped.
    """
    batches = []
    for table in Base.metadata.sorted_tables:
        columns = [column.name for column in table.columns]
        converters = [_SQLITE_CONVERTERS.get(type(column.type).__name__) for column in table.columns]
        placeholders = ", ".join("?" for _ in columns)
        tuples = [
            tuple(
                value if convert is None or value is None else convert(value)
                for value, convert in zip((row.get(name) for name in columns), converters, strict=True)
            )
            for row in data.get(table.name, [])
        ]
        batches.append((f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({placeholders})", tuples))
    return batches


def _utc_text(value: datetime) -> str:
    if value.tzinfo is not timezone.utc:
        value = value.astimezone(timezone.utc)
    return value.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


_SQLITE_CONVERTERS: dict[str, Any] = {"UTCDateTime": _utc_text, "Boolean": int}


async def insert_rows(
    conn: AsyncConnection, data: dict[str, list[dict[str, Any]]], progress: bool = False
) -> dict[str, int]:
    """Insert the seed's rows in foreign-key order, one executemany per table; returns the counts.

    On SQLite the rows go to the driver as ready tuples (``exec_driver_sql``), which is as fast as the driver
    itself; on PostgreSQL and MariaDB through Core ``insert()``, whose drivers batch them.
    """
    from tqdm import tqdm  # here: only a seed shows progress

    counts = {table: len(rows) for table, rows in data.items()}
    total = sum(counts.values())
    with tqdm(total=total, unit="rows", disable=not progress, file=sys.stderr, desc="seeding") as bar:
        if conn.dialect.name == "sqlite":
            for sql, tuples in sqlite_batches(data):
                for start in range(0, len(tuples), 20_000):
                    await conn.exec_driver_sql(sql, tuples[start : start + 20_000])
                    bar.update(len(tuples[start : start + 20_000]))
            return counts
        for table in Base.metadata.sorted_tables:
            for chunk in _chunks(data.get(table.name, []), 20_000):
                await conn.execute(insert(table), chunk)
                bar.update(len(chunk))
    return counts


async def seed_database(engine: AsyncEngine, size: str = "default", progress: bool = False) -> dict[str, int]:
    """Create every table on ``engine`` and fill it with the ``size`` seed in one transaction.

    >>> counts = await seed_database(create_engine("sqlite+aiosqlite:///.data/scratch.sqlite3"))  # doctest: +SKIP
    """
    data = generate(size)
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
        counts = await insert_rows(conn, data, progress=progress)
        if engine.dialect.name == "postgresql":
            # Rows were inserted with explicit ids: move each id sequence past them.
            for table in Base.metadata.sorted_tables:
                if "id" in table.c and table.c.id.autoincrement is not False and table.name != "user_roles":
                    await conn.execute(
                        text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                             f"(SELECT coalesce(max(id), 0) + 1 FROM {table.name}), false)")
                    )
    return counts
