"""The server `make lab` starts (on copies of the notebooks, on a free port) and Debian's Chromium, for e2e."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from e2e.jupyterlab import Lab

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
#: Screenshots and the server's log: git-ignored build output.
BUILD = ROOT / "build" / "e2e"
CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]
URL = re.compile(r"(http://127\.0\.0\.1:\d+)/lab\S*\?token=(\w+)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


#: Under ``pytest -n 2`` (``make e2e``) each worker runs its own server and browser on half the notebooks.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")


def pytest_sessionstart(session: pytest.Session) -> None:
    """Only this run's pictures: cleared once, by the process that starts the workers (or the only one)."""
    if not hasattr(session.config, "workerinput"):
        BUILD.mkdir(parents=True, exist_ok=True)
        for old in BUILD.glob("*.png"):
            old.unlink()


@pytest.fixture(scope="session")
def shots() -> Path:
    BUILD.mkdir(parents=True, exist_ok=True)
    return BUILD


@pytest.fixture(scope="session")
def lab(shots: Path) -> Iterator[Lab]:
    """``make lab`` serving a temporary copy of notebooks/ (the committed notebooks are never written)."""
    root = Path(tempfile.mkdtemp(prefix="e2e-notebooks-"))
    for notebook in sorted(NOTEBOOKS.glob("*.ipynb")):
        shutil.copy2(notebook, root / notebook.name)
    command = ["make", "--no-print-directory", "lab", f"PORT={free_port()}", f"LAB_ROOT={root}", f"VENV={sys.prefix}"]
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    log_path = shots / f"server-{WORKER}.log"
    log = log_path.open("w", encoding="utf-8")
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              start_new_session=True)
    found: list[re.Match[str]] = []

    def follow() -> None:  # keep reading, so the server never blocks on a full pipe
        assert server.stdout is not None
        for line in server.stdout:
            log.write(line)
            log.flush()
            if not found and (match := URL.search(line)):
                found.append(match)

    reader = threading.Thread(target=follow, daemon=True)
    reader.start()
    deadline = time.monotonic() + 180
    while not found and server.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    try:
        if not found:
            pytest.fail(f"make lab printed no URL (see {log_path})")
        yield Lab(url=found[0][1], token=found[0][2], root=root)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        reader.join(timeout=5)
        if server.stdout is not None:
            server.stdout.close()
        log.close()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: install Debian's chromium (.ci/install-chromium) or set E2E_CHROMIUM")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    yield page
    context.close()
