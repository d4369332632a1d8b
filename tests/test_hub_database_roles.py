"""A database role (an account on MariaDB) per learner: what `make hub` as root gives each learner's server.

With only the learner's own credentials, their kernel creates and opens their own databases, and cannot open or
change another learner's (PostgreSQL: CONNECT revoked from PUBLIC by the course; MariaDB: grants on their own name
pattern only). Runs against the servers of TEST_POSTGRES_URL / TEST_MARIADB_URL; every role and database it makes
is dropped afterwards.
"""

from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from lessons.core.connections import server_connection
from lessons.core.errors import ConfigurationError
from lessons.core.pristine import _owner_only, _server_database_names, drop_database
from lessons.core.settings import parse_database_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "hub"))

import course_hub  # noqa: E402

SERVERS = [
    pytest.param("TEST_POSTGRES_URL", id="postgresql"),
    pytest.param("TEST_MARIADB_URL", id="mariadb"),
]


async def create_database(url, name: str) -> None:
    async with server_connection(url) as conn:
        await conn.execute(text(f"CREATE DATABASE {conn.dialect.identifier_preparer.quote(name)}"))
        if conn.dialect.name == "postgresql":
            await _owner_only(conn, name)


@pytest.mark.parametrize("variable", SERVERS)
async def test_a_learner_s_role_opens_their_databases_only(variable, tmp_path, monkeypatch):
    admin_text = os.environ.get(variable)
    if not admin_text:
        pytest.skip(f"{variable} is not set")
    admin = parse_database_url(admin_text)
    tag = "r" + uuid.uuid4().hex[:4]
    state = tmp_path / "state"
    state.mkdir()
    homes = {name: tmp_path / name for name in (f"{tag}_ada", f"{tag}_bob")}
    for home in homes.values():
        home.mkdir()
    monkeypatch.setenv("HOME", str(homes[f"{tag}_ada"]))  # asyncpg reads ~/.pgpass, as a learner's kernel does
    try:
        urls = {
            name: await course_hub.ensure_database_role(admin_text, name, home, None, state, connections=20)
            for name, home in homes.items()
        }
        ada, bob = (parse_database_url(urls[name]) for name in homes)
        assert ada.username == course_hub.role_name(admin_text, f"{tag}_ada") != admin.username
        assert admin.password is None or admin.password not in urls[f"{tag}_ada"]
        secret_file = homes[f"{tag}_ada"] / (".pgpass" if admin.get_backend_name() == "postgresql" else ".my.cnf")
        assert secret_file.stat().st_mode & 0o777 == 0o600

        bobs = f"{ada.database}_{tag}_bob_seed"
        adas = f"{ada.database}_{tag}_ada_seed"
        await create_database(bob, bobs)  # Bob's own, made with Bob's credentials
        await create_database(ada, adas)  # Ada's own
        async with server_connection(ada.set(database=adas)) as conn:
            assert await conn.scalar(text("SELECT 1")) == 1
        with pytest.raises((DBAPIError, ConfigurationError)):  # Ada's credentials cannot open Bob's database
            async with server_connection(ada.set(database=bobs)) as conn:
                await conn.scalar(text("SELECT 1"))
        if admin.get_backend_name() != "postgresql":
            with pytest.raises((DBAPIError, ConfigurationError)):  # nor create one in Bob's namespace
                await create_database(ada, f"{ada.database}_{tag}_bob_planted")
            # (PostgreSQL's CREATEDB has no name pattern: hub/README.md says what that leaves open.)
            async with server_connection(ada) as conn:  # MariaDB lists only what an account may use
                assert bobs not in await _server_database_names(conn, f"{ada.database}_{tag}_")
    finally:
        async with server_connection(admin) as conn:
            for name in await _server_database_names(conn, f"{admin.database}_{tag}_"):
                await drop_database(conn, name)
        dropped = await course_hub.remove_database_roles(admin_text, state)
    assert sorted(dropped) == sorted(course_hub.role_name(admin_text, name) for name in homes)
