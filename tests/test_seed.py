"""The seed is deterministic, and the seeding command fails with one clear sentence."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest
from conftest import server_url
from sqlalchemy.engine import make_url

from lessons.core.database import create_engine
from lessons.core.seed import generate, seed_database
from lessons.core.settings import CONNECT_TIMEOUT_SECONDS, ROOT


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
        [sys.executable, "-m", "lessons.tooling.seed", *args], capture_output=True, text=True, cwd=ROOT, env=environment
    )


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        (["--size", "huge"], {}, "unknown --size 'huge'; use one of default, large."),
        (["--url", "not a url"], {}, "--url 'not a url' is not a database URL"),
        ([], {"DATABASE_URL": "not a url"}, "DATABASE_URL 'not a url' is not a database URL"),
        (["--url", "postgres://localhost/test"], {}, "--url 'postgres://localhost/test' names driver 'postgres'"),
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


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A port that accepts connections and never says a word (a firewall, a wrong service, a hung server)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        listener.close()


@pytest.mark.parametrize("driver", ["postgresql+asyncpg", "mysql+aiomysql"])
def test_a_server_that_never_answers_is_one_sentence_within_seconds(driver: str, silent_server: int) -> None:
    """The wait is COURSE_CONNECT_TIMEOUT's (2 s here, to keep the test short; 10 s by default)."""
    started = time.monotonic()
    run_seed("--size", "huge")  # what starting Python and failing at once costs on this machine, now
    startup = time.monotonic() - started
    started = time.monotonic()
    result = run_seed("--url", f"{driver}://app@127.0.0.1:{silent_server}/test", COURSE_CONNECT_TIMEOUT="2")
    waited = time.monotonic() - started - startup
    assert result.returncode == 2
    assert "did not answer within 2 s" in result.stderr
    assert "--url" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    # It gives up at the timeout, not at the driver's own (60 s on PostgreSQL, 2 min 18 s on MariaDB); the
    # start-up is measured beside it, so a busy machine does not fail this.
    assert waited < 2 + 20


def test_the_wait_for_a_server_is_ten_seconds_unless_set(monkeypatch: pytest.MonkeyPatch) -> None:
    from lessons.core.connections import connect_timeout
    from lessons.core.settings import Settings, get_settings

    assert Settings.model_fields["COURSE_CONNECT_TIMEOUT"].default == CONNECT_TIMEOUT_SECONDS == 10
    monkeypatch.setenv("COURSE_CONNECT_TIMEOUT", "30")  # (the environment comes before .env)
    get_settings.cache_clear()
    try:
        assert connect_timeout() == 30
    finally:
        get_settings.cache_clear()


def test_a_bad_connect_timeout_is_one_sentence() -> None:
    """(A value that is not a number: lessons.core.settings.get_settings's doctest.)"""
    result = run_seed("--size", "default", COURSE_CONNECT_TIMEOUT="0")
    assert result.returncode == 2
    assert result.stderr.startswith("error: COURSE_CONNECT_TIMEOUT='0' is not valid: Input should be greater than 0")
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


@pytest.mark.parametrize("backend", ["postgresql", "mariadb"])
def test_a_refused_login_says_so_not_start_the_server(backend: str) -> None:
    url = make_url(server_url(backend))
    # MariaDB's root has no password here, so any password is wrong; PostgreSQL trusts any password, not any user.
    wrong = url.set(password="wrong") if backend == "mariadb" else url.set(username="no_such_learner")
    result = run_seed("--url", wrong.render_as_string(hide_password=False))
    assert result.returncode == 2
    assert "refused the login" in result.stderr, result.stderr
    assert "check the user name and password in --url" in result.stderr
    assert "start the server" not in result.stderr
    assert "wrong" not in result.stderr.replace("wrong@", "")  # the password is masked
    assert len(result.stderr.strip().splitlines()) == 1


def test_the_examples_in_settings_and_connections_hold(monkeypatch: pytest.MonkeyPatch) -> None:
    import doctest

    from lessons.core import connections, settings

    monkeypatch.delenv("COURSE_CONNECT_TIMEOUT", raising=False)  # (the examples set it, then remove it)
    for module in (settings, connections):
        assert doctest.testmod(module, optionflags=doctest.ELLIPSIS).failed == 0, module.__name__
