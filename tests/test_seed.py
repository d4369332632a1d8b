"""The seed is deterministic, and the seeding command fails with one clear sentence."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys

import pytest

from lessons.database import create_engine
from lessons.seed import generate, seed_database
from lessons.settings import ROOT


def test_generating_twice_gives_identical_rows() -> None:
    assert generate("default") == generate("default")


async def test_seeding_twice_gives_identical_databases(tmp_path) -> None:
    dumps = []
    for name in ("one", "two"):
        path = tmp_path / f"{name}.sqlite3"
        engine = create_engine(f"sqlite+aiosqlite:///{path}")
        await seed_database(engine)
        await engine.dispose()
        with sqlite3.connect(path) as conn:
            dumps.append("\n".join(conn.iterdump()))
        conn.close()
    assert dumps[0] == dumps[1]


def test_seed_has_users_without_posts_for_outer_join_lessons() -> None:
    data = generate("default")
    authors = {post["user_id"] for post in data["posts"]}
    assert len({user["id"] for user in data["users"]} - authors) >= 20


def run_seed(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, **env}
    return subprocess.run(
        [sys.executable, "-m", "lessons.seed", *args], capture_output=True, text=True, cwd=ROOT, env=environment
    )


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        (["--size", "huge"], {}, "unknown --size 'huge'; use one of default, large."),
        (["--url", "not a url"], {}, "is not a database URL"),
        (["--url", "postgres://localhost/test"], {}, "names driver 'postgres'"),
        ([], {"DATABASE_URL": "mysql://root@127.0.0.1/test"}, "names driver 'mysql'"),
        (
            ["--url", "postgresql+asyncpg://app:s3cret@127.0.0.1:1/test"],
            {},
            "cannot reach the database at postgresql+asyncpg://app:***@127.0.0.1:1/test",
        ),
    ],
)
def test_bad_configuration_gets_one_clear_sentence(args: list[str], env: dict[str, str], expected: str) -> None:
    result = run_seed(*args, **env)
    assert result.returncode == 2
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert "s3cret" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
