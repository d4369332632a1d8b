"""Two kernels on one lesson, two learners on one server, ended kernels: nobody sees anybody else's rows.

Each test starts real processes, as JupyterLab starts kernels, on every backend of the matrix.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

from sqlalchemy import text

from lessons.core.connections import server_connection
from lessons.core.settings import ROOT, parse_database_url

WORKER = Path(__file__).with_name("isolation_worker.py")
SEEDED_USERS = 200


def start_worker(
    url: str, iterations: int, lesson: str = "same-lesson", crash: bool = False, **env: str
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(WORKER), url, str(iterations), lesson, *(["crash"] if crash else [])],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen[str]) -> dict:
    stdout, stderr = process.communicate(timeout=300)
    assert process.returncode == 0, stderr
    assert stderr == "", stderr  # no warning, no traceback
    return json.loads(stdout)


def test_several_kernels_on_the_same_lesson_never_share_rows(course_url: str) -> None:
    processes, iterations = 3, (15 if course_url.startswith("sqlite") else 10)
    results = [finish(p) for p in [start_worker(course_url, iterations) for _ in range(processes)]]
    for result in results:
        assert result["errors"] == []
        # Each kernel wrote one row into a fresh copy, every time: 201, never 202 (another kernel's row).
        assert result["counts"] == [SEEDED_USERS + 1] * iterations
    assert len({result["database"] for result in results}) == processes


async def _databases(url: str, fragment: str) -> list[str]:
    base = parse_database_url(url)
    if base.get_backend_name() == "sqlite":
        folder = Path(base.database).parent
        return sorted(path.name for path in folder.glob(f"*{fragment}*") if path.suffix == ".sqlite3")
    query = (
        "SELECT datname FROM pg_database"
        if base.get_backend_name() == "postgresql"
        else "SELECT schema_name FROM information_schema.schemata"
    )
    async with server_connection(base) as conn:
        return sorted(name for name in (await conn.scalars(text(query))).all() if fragment in name)


async def _drop_namespace(url: str, namespace: str) -> None:
    base = parse_database_url(url)
    from lessons.core.pristine import drop_database

    if base.get_backend_name() == "sqlite":
        for path in Path(base.database).parent.glob(f"*-{namespace}-*"):
            path.unlink(missing_ok=True)
        return
    async with server_connection(base) as conn:
        for name in await _databases(url, f"_{namespace}_"):
            await drop_database(conn, name)


async def test_two_namespaces_run_the_same_lesson_at_once_and_clean_only_their_own(course_url: str) -> None:
    alpha, beta = f"alpha{uuid.uuid4().hex[:6]}", f"beta{uuid.uuid4().hex[:6]}"

    async def copies(namespace: str) -> list[str]:
        return [name for name in await _databases(course_url, namespace) if "seed_" not in name]

    try:
        first = start_worker(course_url, 3, "02-crud", crash=True, COURSE_NAMESPACE=alpha)  # a killed kernel
        second = start_worker(course_url, 3, "02-crud", COURSE_NAMESPACE=beta)
        for result in (finish(first), finish(second)):
            assert result["errors"] == []
            assert result["counts"] == [SEEDED_USERS + 1] * 3
        crashed = await copies(alpha)
        assert len(crashed) == 1  # nothing ran at its exit: its copy is still there…
        assert await copies(beta) == []  # …while a kernel that ended normally took its copy with it
        # Another learner's kernel never touches alpha's copy; alpha's next kernel removes it, then its own.
        finish(start_worker(course_url, 1, "02-crud", COURSE_NAMESPACE=beta))
        assert await copies(alpha) == crashed
        finish(start_worker(course_url, 1, "other-lesson", COURSE_NAMESPACE=alpha))
        assert await copies(alpha) == []
    finally:
        await _drop_namespace(course_url, alpha)
        await _drop_namespace(course_url, beta)


def test_two_checkouts_seeding_one_server_at_once_both_succeed(course_url: str, tmp_path: Path) -> None:
    if course_url.startswith("sqlite"):
        course_url = f"sqlite+aiosqlite:///{tmp_path / 'shared.sqlite3'}"
    namespace = f"seeding{uuid.uuid4().hex[:6]}"
    env = {**os.environ, "COURSE_NAMESPACE": namespace}
    try:
        runs = [
            subprocess.Popen(
                [sys.executable, "-m", "lessons.tooling.seed", "--url", course_url],
                cwd=ROOT,
                env={**env, "COURSE_DATA_DIR": str(tmp_path / f"checkout-{n}")},
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for n in range(2)
        ]
        outputs = [run.communicate(timeout=300) for run in runs]
        for run, (stdout, stderr) in zip(runs, outputs, strict=True):
            assert run.returncode == 0, stderr
            assert "200 users" in stdout
    finally:
        import asyncio

        asyncio.run(_drop_namespace(course_url, namespace))


async def test_a_kernel_that_ended_leaves_nothing_behind(course_url: str) -> None:
    result = finish(start_worker(course_url, 2, f"ended-{uuid.uuid4().hex[:6]}"))
    assert result["errors"] == []
    assert await _databases(course_url, Path(result["database"]).stem) == []
