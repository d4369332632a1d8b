"""Shared fixtures: the database matrix.

``course_url`` runs a test once per backend: SQLite always; PostgreSQL and MariaDB when
``TEST_POSTGRES_URL`` / ``TEST_MARIADB_URL`` are set. On a laptop without those servers the tests are
skipped with the reason shown; under CI (``CI=true``) a missing URL or an unreachable server fails.
``TEST_BACKENDS=sqlite`` leaves the server tests out on purpose (deselected, not skipped): CI runs the
SQLite suite that way on each further Python version, after the full matrix on the first.
"""

from __future__ import annotations

import gc
import os
import signal
import socket
import sys
import zlib
from collections.abc import AsyncIterator, Iterator

import pytest
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from lessons.core import clock
from lessons.core.database import LessonDatabase, fresh_database
from lessons.core.settings import get_settings

SERVERS = {"postgresql": "TEST_POSTGRES_URL", "mariadb": "TEST_MARIADB_URL"}
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _reachable(url: str) -> bool:
    parsed = make_url(url)
    try:
        with socket.create_connection((parsed.host or "127.0.0.1", parsed.port or 0), timeout=2):
            return True
    except OSError:
        return False


def server_url(backend: str) -> str:
    """The URL for a server backend, or skip (fail under CI) when it is not configured or not reachable."""
    variable = SERVERS[backend]
    url = os.environ.get(variable)
    if not url:
        message = f"{backend}: set {variable} to run this test on {backend}"
        if IN_CI:
            pytest.fail(f"{message} (CI must not skip database tests)")
        pytest.skip(message)
    if not _reachable(url):
        message = f"{backend}: the server at {make_url(url).render_as_string(hide_password=True)} is not reachable"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return url


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def course_url(request: pytest.FixtureRequest) -> str:
    """A base database URL for each backend of the matrix."""
    if request.param == "sqlite":
        return get_settings().database_url
    return server_url(request.param)


@pytest.fixture
def database_url_env(course_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Point DATABASE_URL at each backend of the matrix in turn, as a learner's notebook would be."""
    monkeypatch.setenv("DATABASE_URL", course_url)
    get_settings.cache_clear()
    yield course_url
    get_settings.cache_clear()


@pytest.fixture
async def postgres_db(request: pytest.FixtureRequest) -> AsyncIterator[LessonDatabase]:
    """A fresh seeded database on PostgreSQL, for the tests of what only PostgreSQL does."""
    database = await fresh_database(f"test-{request.node.name}-{os.getpid()}", server_url("postgresql"))
    yield database
    await database.drop()


@pytest.fixture(autouse=True)
def no_progress_recording(monkeypatch: pytest.MonkeyPatch) -> None:
    """The tests' checks are not a learner's: keep them out of .data/progress.json (tests/test_progress.py turns
    recording back on, into a folder of its own)."""
    monkeypatch.setenv("COURSE_PROGRESS", "off")


@pytest.fixture
def ctrl_c_as_in_a_terminal() -> Iterator[None]:
    """SIGINT raises KeyboardInterrupt, in this process and in the processes the test starts, as in a terminal.

    A shell without job control starts a background command (`make test &` in a script, nohup) with SIGINT
    ignored, and every process below it inherits that: a test of what Ctrl-C does would see nothing happen.
    """
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@pytest.fixture(autouse=True)
def frozen_clock() -> None:
    clock.freeze()
    yield
    clock.unfreeze()


@pytest.fixture
async def db(course_url: str, request: pytest.FixtureRequest) -> AsyncIterator[LessonDatabase]:
    """A fresh seeded database for one test, dropped afterwards."""
    name = f"test-{request.node.name}-{os.getpid()}"
    database = await fresh_database(name, course_url, make_current=False)
    yield database
    await database.drop()


#: The break-in test needs root and starts a hub: only `make hub-breakin` (HUB_BREAKIN=1) collects it, so the unit
#: run neither runs nor skips it (a skip fails CI).
collect_ignore = [] if os.environ.get("HUB_BREAKIN") == "1" else ["test_hub_breakin.py"]


def _backends_needed(item: pytest.Item) -> set[str]:
    params = getattr(getattr(item, "callspec", None), "params", {}).values()
    needed = {value for value in params if isinstance(value, str) and value in SERVERS}
    if "postgres_db" in getattr(item, "fixturenames", ()):
        needed.add("postgresql")
    return needed


#: Files about the servers themselves (copies, isolation, seeding): every test runs on both servers.
FULL_MATRIX_FILES = {"test_database.py", "test_isolation.py", "test_pristine.py", "test_seed.py"}


def _server_for_this_test(item: pytest.Item) -> str | None:
    """Every other test (known answers, API cases…) runs on SQLite and on ONE server, the same one every run.

    Which server is fixed by the test's id with the backend left out, so across a file both servers meet every
    checker and route; ``TEST_FULL_MATRIX=1`` runs everything on both. ``None``: this test keeps every backend.
    """
    callspec = getattr(item, "callspec", None)
    backend = getattr(callspec, "params", {}).get("course_url")
    if (
        os.environ.get("TEST_FULL_MATRIX") == "1"
        or backend not in SERVERS
        or item.path.name in FULL_MATRIX_FILES
        or item.get_closest_marker("full_matrix")
    ):
        return None
    key = f"{item.path.name}::{item.originalname}[{callspec.id.replace(backend, '*', 1)}]"
    return sorted(SERVERS)[zlib.crc32(key.encode()) % len(SERVERS)]


#: Files whose every test runs on ONE backend of those configured (one marked full_matrix excepted), the same one every
#: run, spread evenly over them:
#: the known answers (about 650 checks; ``make answers-matrix`` runs each on all three, TEST_FULL_MATRIX=1).
ONE_BACKEND_FILES = {"test_answers.py"}


def _one_backend_for_this_test(item: pytest.Item, allowed: set[str] | None) -> str | None:
    callspec = getattr(item, "callspec", None)
    backend = getattr(callspec, "params", {}).get("course_url")
    if (
        os.environ.get("TEST_FULL_MATRIX") == "1"
        or item.path.name not in ONE_BACKEND_FILES
        or backend is None
        or item.get_closest_marker("full_matrix")
    ):
        return None
    configured = ["sqlite", *(name for name in sorted(SERVERS) if os.environ.get(SERVERS[name]))]
    configured = [name for name in configured if allowed is None or name in allowed] or ["sqlite"]
    key = f"{item.path.name}::{item.originalname}[{callspec.id.replace(backend, '*', 1)}]"
    return configured[zlib.crc32(key.encode()) % len(configured)]


#: What ``make test-fast`` (``TEST_FAST=1``) leaves out, by test id prefix: the slow tests, each worth its time in
#: ``make test``, which runs them all.
SLOW = {
    "tests/test_answers.py::test_right_answers_pass": "every known answer to a practice task",
    "tests/test_answers.py::test_wrong_answers_fail_with_a_reason": "every known answer to a practice task",
    "tests/test_answers.py::test_a_reference_run_depends_on_its_world_alone": "two reference runs per exercise",
    "tests/test_blog_server.py": "the API as a server, and its fuzz",
    "tests/test_seed.py::test_a_server_that_never_answers": "connection timeouts",
    "tests/test_seed.py::test_bad_configuration_gets_one_clear_sentence": "the seed's command line, started each time",
    "tests/test_pytest_config.py": "pytest -n 2 on a notebook",
    "tests/test_pristine.py": "seeds built, damaged and interrupted in subprocesses",
    "tests/test_isolation.py": "kernels and checkouts side by side",
    "tests/test_portability.py::test_a_killed_kernels_copy": "kernels",
    "tests/test_portability.py::test_the_main_paths_run_where": "subprocesses without POSIX modules",
    "tests/test_portability.py::test_python_m_lessons_seed_and_the_make_free_route": "the seed's command line",
    "tests/test_progress.py::test_two_kernels_of_one_learner": "kernels",
    "tests/test_loading_benchmark.py::test_the_bench_has_ten_posts_per_user": "the benchmark's database",
    "tests/test_publish.py::test_language_info_is_the_kernels_own_reply": "a kernel",
}
FAST = os.environ.get("TEST_FAST") == "1"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    wanted = os.environ.get("TEST_BACKENDS")
    allowed = {name.strip() for name in wanted.split(",")} if wanted else None

    def kept(item: pytest.Item) -> bool:
        if FAST and item.nodeid.startswith(tuple(SLOW)):
            return False
        if allowed is not None and not _backends_needed(item) <= allowed:
            return False
        one = _one_backend_for_this_test(item, allowed)
        if one is not None:
            return item.callspec.params["course_url"] == one
        server = _server_for_this_test(item)
        return server is None or item.callspec.params["course_url"] == server

    left_out = [item for item in items if not kept(item)]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if kept(item)]


def _forget_jupyterhubs_session_listener() -> None:
    """Importing JupyterHub (the hub tests do) hooks every SQLAlchemy ``Session`` in the process: on each delete it
    expires the object's back-populated relationships, which loads them (an extra ``SELECT`` the lessons never
    send). A learner's kernel never imports JupyterHub; the course's tests share a process with the hub's."""
    orm = sys.modules.get("jupyterhub.orm")
    listener = getattr(orm, "_notify_deleted_relationships", None)
    if listener is not None and event.contains(Session, "persistent_to_deleted", listener):
        event.remove(Session, "persistent_to_deleted", listener)


def pytest_collection_finish(session: pytest.Session) -> None:
    _forget_jupyterhubs_session_listener()
    # Every check runs a full garbage collection (to catch a learner's un-awaited coroutines inside the check).
    # In a test process holding every imported module that costs ~0.4 s a check; freezing what exists after
    # collection leaves only the objects the tests create for the collector to walk.
    gc.freeze()


_skipped_in_ci: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if IN_CI and report.skipped:
        _skipped_in_ci.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # CI runs the whole matrix: a skipped test there is a test that did not run, so the run fails.
    if _skipped_in_ci and exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One line per skip reason (not one per test): what a laptop without the servers did not run."""
    reasons: dict[str, int] = {}
    for report in terminalreporter.stats.get("skipped", []):
        if isinstance(report.longrepr, tuple):
            reason = report.longrepr[2].removeprefix("Skipped: ")
            reasons[reason] = reasons.get(reason, 0) + 1
    if reasons:
        terminalreporter.section("skipped")
        for reason, count in sorted(reasons.items()):
            terminalreporter.write_line(f"{count} tests skipped: {reason}")
    if _skipped_in_ci:
        terminalreporter.write_line(f"CI: {len(_skipped_in_ci)} tests were skipped, so this run fails.", red=True)
    if FAST:  # (under -n the workers deselect: their count is the summary's "deselected")
        terminalreporter.section("left out as slow (make test-fast, TEST_FAST=1): make test runs them")
        for prefix, why in SLOW.items():
            terminalreporter.write_line(f"{prefix} ({why})")
