"""The hub under a class's load: ``make hub-load N=5`` (or ``N=1,5,10`` for the sizing table).

Starts the course's JupyterHub (``hub/jupyterhub_config.py``) on free ports of 127.0.0.1, in a temporary state
folder, with ``DATABASE_URL`` on one PostgreSQL server. Then N simulated learners, all at once:

1. sign up through the hub's login form (the class password, and a password of their own), and get an API token
   for themselves; when the load test runs as root, each learner's server runs as a system account of their
   own (``course-<name>``), as ``make hub`` does;
2. start their single-user servers (timed: request to ready);
3. upload the SOLUTION notebooks of lessons ``02-crud`` and ``04-loading-and-n-plus-1`` into their own home through
   the Jupyter server's contents API, open a session for each in turn and execute every code cell through the
   kernel's websocket, behind the hub's proxy (timed per lesson);
4. compare every output with ``hub/expected/<lesson>.ipynb`` by nbval's rules (cells tagged
   ``nbval-ignore-output`` are not compared; streams coalesced; metadata and execution counts ignored): the
   committed outputs on PostgreSQL, so one learner seeing another's rows fails the run.

Meanwhile each learner's server and kernels are sampled for memory (RSS) and CPU time (psutil). Afterwards the
servers and the hub are stopped, every process checked gone, the learners' databases dropped (their pristine
seeds: a kernel drops its own copies when it exits) and checked gone, the system accounts the hub created
removed, and the temporary folder removed.

``--record`` (``make hub-expected``) runs one learner and writes hub/expected/ instead of comparing: do it once
after a lesson changes, read the diff, commit it. Every request goes to 127.0.0.1; ``--timeout`` bounds the run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import difflib
import json
import math
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import nbformat
import psutil
from nbval.plugin import coalesce_streams, find_comment_markers, find_metadata_tags, transform_streams_for_comparison
from sqlalchemy.engine import URL
from tornado.httpclient import HTTPRequest
from tornado.websocket import WebSocketClientConnection, websocket_connect

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "hub"))

from course_hub import remove_accounts, remove_database_roles

from lessons.core.connections import server_connection
from lessons.core.pristine import _server_database_names, drop_database
from lessons.core.settings import mask, parse_database_url

ROOT = Path(__file__).resolve().parent.parent
LESSONS = ("02-crud", "04-loading-and-n-plus-1")
EXPECTED = ROOT / "hub" / "expected"
HOST = "127.0.0.1"
#: nbval 0.11's defaults without --nbdime (IPyNbFile.skip_compare): what it never compares.
SKIP_COMPARE = (
    "metadata",
    "traceback",
    "prompt_number",
    "output_type",
    "name",
    "execution_count",
    "application/vnd.jupyter.widget-view+json",
    "image/png",
    "image/jpeg",
)
CELL_TIMEOUT = 300
#: The tag hub/expected/ gives a cell whose output is a PostgreSQL query plan: run, never compared.
PLAN_TAG = "hub-load-ignore-plan"


class LoadTestError(Exception):
    """The run failed: one sentence saying what, and where."""


# --------------------------------------------------------------------------------------------------------------
# Comparing outputs the way nbval does
# --------------------------------------------------------------------------------------------------------------


def cell_options(cell: Any) -> dict[str, Any]:
    """nbval's options of a code cell (``check``, ``skip``, ``check_exception``) from its tags and comments."""
    options: dict[str, Any] = dict(find_metadata_tags(cell.metadata))
    options.update(dict(find_comment_markers(cell.source)))
    options.setdefault("check", True)
    return options


def _flatten(outputs: list[Any]) -> dict[str, list[Any]]:
    flat: dict[str, list[Any]] = {}
    for output in transform_streams_for_comparison(coalesce_streams([nbformat.from_dict(o) for o in outputs])):
        for key, value in output.items():
            if key in SKIP_COMPARE:
                continue
            if key == "data":
                for mime, data in value.items():
                    if mime not in SKIP_COMPARE:
                        flat.setdefault(mime, []).append(data)
            else:
                flat.setdefault(key, []).append(value)
    return flat


def outputs_differ(expected: list[Any], actual: list[Any]) -> str | None:
    """None when nbval would pass the cell, else a short diff (nbval's IPyNbCell.compare_outputs rules)."""
    want, got = _flatten(expected), _flatten(actual)
    if set(want) != set(got):
        return f"output fields differ: expected {sorted(want)}, got {sorted(got)}"
    for key in want:
        if want[key] != got[key]:
            left = "\n".join(str(v) for v in want[key]).splitlines()
            right = "\n".join(str(v) for v in got[key]).splitlines()
            diff = difflib.unified_diff(left, right, "expected", "this learner", lineterm="", n=1)
            return f"'{key}' differs:\n" + "\n".join(list(diff)[:30])
    return None


# --------------------------------------------------------------------------------------------------------------
# One kernel, driven through the websocket as JupyterLab does
# --------------------------------------------------------------------------------------------------------------


class Kernel:
    """A kernel behind the hub's proxy: ``execute(code)`` returns its outputs in nbformat's shape."""

    def __init__(self, connection: WebSocketClientConnection, session: str) -> None:
        self.connection = connection
        self.session = session

    def _message(self, msg_type: str, content: dict[str, Any]) -> dict[str, Any]:
        header = {
            "msg_id": uuid.uuid4().hex,
            "msg_type": msg_type,
            "session": self.session,
            "username": "hub-load",
            "date": datetime.now(timezone.utc).isoformat(),
            "version": "5.3",
        }
        return {"header": header, "parent_header": {}, "metadata": {}, "content": content, "channel": "shell"}

    async def _receive(self, deadline: float) -> dict[str, Any]:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        raw = await asyncio.wait_for(self.connection.read_message(), remaining)
        if raw is None:
            raise LoadTestError("the kernel's websocket closed")
        if isinstance(raw, bytes):  # a message with binary buffers: not sent by these lessons
            raise LoadTestError("unexpected binary kernel message")
        return json.loads(raw)

    async def ready(self, within: float = CELL_TIMEOUT) -> None:
        """Wait for the kernel to answer (it may still be starting)."""
        deadline = time.monotonic() + within
        request = self._message("kernel_info_request", {})
        await self.connection.write_message(json.dumps(request))
        while True:
            message = await self._receive(deadline)
            if message.get("parent_header", {}).get("msg_id") == request["header"]["msg_id"] and (
                message["header"]["msg_type"] == "kernel_info_reply"
            ):
                return

    async def execute(self, code: str, within: float = CELL_TIMEOUT) -> list[dict[str, Any]]:
        deadline = time.monotonic() + within
        request = self._message(
            "execute_request",
            {
                "code": code,
                "silent": False,
                "store_history": True,
                "user_expressions": {},
                "allow_stdin": False,
                "stop_on_error": True,
            },
        )
        msg_id = request["header"]["msg_id"]
        await self.connection.write_message(json.dumps(request))
        outputs: list[dict[str, Any]] = []
        clear_pending = replied = idle = False
        while not (replied and idle):
            message = await self._receive(deadline)
            if message.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = message["header"]["msg_type"], message["content"]
            if kind == "execute_reply":
                replied = True
                continue
            if kind == "status":
                idle = content["execution_state"] == "idle"
                continue
            if kind == "clear_output":
                if content.get("wait"):
                    clear_pending = True
                else:
                    outputs = []
                continue
            output: dict[str, Any] | None = None
            if kind == "stream":
                output = {"output_type": "stream", "name": content["name"], "text": content["text"]}
            elif kind in {"display_data", "execute_result"}:
                output = {"output_type": kind, "data": content["data"], "metadata": content.get("metadata", {})}
                if kind == "execute_result":
                    output["execution_count"] = content.get("execution_count")
            elif kind == "error":
                output = {"output_type": "error", **{k: content[k] for k in ("ename", "evalue", "traceback")}}
            if output is not None:
                if clear_pending:
                    outputs, clear_pending = [], False
                outputs.append(output)
        return outputs


# --------------------------------------------------------------------------------------------------------------
# A learner
# --------------------------------------------------------------------------------------------------------------


@dataclass
class LessonRun:
    lesson: str
    seconds: float
    first_cell_seconds: float
    cpu_seconds: float
    outputs: list[list[dict[str, Any]]]
    failures: list[str] = field(default_factory=list)


@dataclass
class Learner:
    name: str
    base: str
    #: The class password (signs a new learner up).
    password: str
    #: The learner's own password, chosen on their first sign-in.
    own_password: str = field(default_factory=lambda: secrets.token_urlsafe(12))
    token: str = ""
    ready_seconds: float = 0.0
    lessons: list[LessonRun] = field(default_factory=list)
    peak_rss: int = 0
    peak_server_rss: int = 0
    peak_kernel_rss: int = 0
    #: Proportional set size (shared pages split between the processes sharing them) at the end of each lesson.
    pss: int = 0
    pids: set[int] = field(default_factory=set)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"token {self.token}"}

    async def sign_in(self, client: httpx.AsyncClient) -> None:
        """The login form, as a browser posts it (with its XSRF token), then a token of the learner's own."""
        page = await client.get("/hub/login")
        found = re.search(r'name="_xsrf" value="([^"]+)"', page.text)
        if page.status_code != 200 or not found:
            raise LoadTestError(f"{self.name}: the login page answered {page.status_code} without a form")
        form = {"username": self.name, "password": self.own_password, "_xsrf": found.group(1)}
        answer = await client.post("/hub/login", data={**form, "class_password": self.password})
        if answer.status_code != 302 or "jupyterhub-session-id" not in client.cookies:
            raise LoadTestError(f"{self.name}: signing in failed ({answer.status_code})")
        created = await client.post(
            f"/hub/api/users/{self.name}/tokens",
            json={"note": "hub load test", "expires_in": 3600},
            headers={"X-XSRFToken": client.cookies.get("_xsrf", "")},
        )
        if created.status_code != 201:
            raise LoadTestError(f"{self.name}: could not get an API token ({created.status_code})")
        self.token = created.json()["token"]

    async def start_server(self, client: httpx.AsyncClient, within: float) -> None:
        started = time.perf_counter()
        answer = await client.post(f"/hub/api/users/{self.name}/server", headers=self.headers)
        if answer.status_code not in {201, 202}:
            raise LoadTestError(f"{self.name}: starting the server answered {answer.status_code}: {answer.text}")
        deadline = time.monotonic() + within
        while True:
            model = (await client.get(f"/hub/api/users/{self.name}", headers=self.headers)).json()
            server = model.get("servers", {}).get("", {})
            if server.get("ready"):
                break
            if not model.get("pending") and not server:
                raise LoadTestError(f"{self.name}: the server failed to start (see the hub's log)")
            if time.monotonic() > deadline:
                raise LoadTestError(f"{self.name}: the server was not ready within {within:.0f} s")
            await asyncio.sleep(0.25)
        status = await client.get(f"/user/{self.name}/api/status", headers=self.headers)
        if status.status_code != 200:
            raise LoadTestError(f"{self.name}: the server answered {status.status_code} through the proxy")
        self.ready_seconds = time.perf_counter() - started

    async def run_lesson(self, client: httpx.AsyncClient, lesson: str, hub_port: int) -> LessonRun:
        api = f"/user/{self.name}/api"
        path = f"load-test/{lesson}.ipynb"
        solution = nbformat.read(ROOT / "solutions" / f"{lesson}.ipynb", as_version=4)
        for cell in solution.cells:
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
        await client.put(f"{api}/contents/load-test", json={"type": "directory"}, headers=self.headers)
        uploaded = await client.put(
            f"{api}/contents/{path}",
            json={"type": "notebook", "format": "json", "content": solution},
            headers=self.headers,
        )
        if uploaded.status_code not in {200, 201}:
            raise LoadTestError(f"{self.name}: uploading {path} answered {uploaded.status_code}")
        notebook = nbformat.from_dict(
            (await client.get(f"{api}/contents/{path}", params={"content": "1"}, headers=self.headers)).json()[
                "content"
            ]
        )
        started = time.perf_counter()
        session = await client.post(
            f"{api}/sessions",
            json={"path": path, "name": f"{lesson}.ipynb", "type": "notebook", "kernel": {"name": "python3"}},
            headers=self.headers,
        )
        if session.status_code != 201:
            raise LoadTestError(f"{self.name}: opening {lesson} answered {session.status_code}: {session.text}")
        session_id, kernel_id = session.json()["id"], session.json()["kernel"]["id"]
        request = HTTPRequest(
            f"ws://{HOST}:{hub_port}{api}/kernels/{kernel_id}/channels?session_id={uuid.uuid4().hex}",
            headers=self.headers,
        )
        connection = await websocket_connect(request, max_message_size=64 << 20)
        run = LessonRun(lesson, 0.0, 0.0, 0.0, [])
        try:
            kernel = Kernel(connection, uuid.uuid4().hex)
            await kernel.ready()
            for index, cell in enumerate(c for c in notebook.cells if c.cell_type == "code"):
                if cell_options(cell).get("skip"):
                    run.outputs.append([])
                    continue
                cell_started = time.perf_counter()
                outputs = await kernel.execute(cell.source)
                if index == 0:
                    run.first_cell_seconds = time.perf_counter() - cell_started
                run.outputs.append(outputs)
                errors = [o for o in outputs if o["output_type"] == "error"]
                if errors and not cell_options(cell).get("check_exception"):
                    run.failures.append(
                        f"{self.name} {lesson} cell {index}: {errors[0]['ename']}: {errors[0]['evalue']}"
                    )
                    break
            run.seconds = time.perf_counter() - started
            run.cpu_seconds = _tree_cpu(self.kernel_pids())
            server = self.server_process()
            if server is not None:
                self.pss = max(self.pss, _tree_pss([server.pid, *self.kernel_pids()]))
        finally:
            connection.close()
            # Closing the notebook shuts its kernel down, as JupyterLab's "Shut Down Kernel" does.
            await client.delete(f"{api}/sessions/{session_id}", headers=self.headers)
        return run

    def server_process(self) -> psutil.Process | None:
        for pid in list(self.pids):
            with contextlib.suppress(psutil.Error):
                process = psutil.Process(pid)
                if "jupyterhub-singleuser" in " ".join(process.cmdline()):
                    return process
        return None

    def kernel_pids(self) -> list[int]:
        server = self.server_process()
        if server is None:
            return []
        with contextlib.suppress(psutil.Error):
            return [child.pid for child in server.children(recursive=True)]
        return []


def _tree_pss(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        with contextlib.suppress(psutil.Error, AttributeError):
            total += psutil.Process(pid).memory_full_info().pss
    return total


def _tree_cpu(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        with contextlib.suppress(psutil.Error):
            times = psutil.Process(pid).cpu_times()
            total += times.user + times.system
    return total


# --------------------------------------------------------------------------------------------------------------
# The hub
# --------------------------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


@dataclass
class Hub:
    state: Path
    port: int
    process: subprocess.Popen[bytes]
    log: Path
    seen: set[int] = field(default_factory=set)

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    def tail(self, lines: int = 40) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def processes(self) -> list[psutil.Process]:
        """The hub and everything it started (proxy, servers, kernels), noted so their end can be checked."""
        with contextlib.suppress(psutil.Error):
            root = psutil.Process(self.process.pid)
            found = [root, *root.children(recursive=True)]
            self.seen.update(p.pid for p in found)
            return found
        return []


def start_hub(state: Path, database_url: str, learners: list[str], instructors: str = "", **extra: str) -> Hub:
    port = free_port()
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("HUB_", "COURSE_"))},
        "HOST": HOST,
        "HUB_PORT": str(port),
        "HUB_INTERNAL_PORT": str(free_port()),
        "HUB_API_PORT": str(free_port()),
        "HUB_STATE_DIR": str(state),
        "HUB_INSTRUCTORS": instructors,
        "HUB_LEARNERS": ",".join(learners),
        "DATABASE_URL": database_url,
        **extra,
    }
    log = state / "hub.log"
    with open(os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as handle:
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "jupyterhub"), "-f", str(ROOT / "hub" / "jupyterhub_config.py")],
            cwd=state, env=environment, stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
    return Hub(state, port, process, log)


async def wait_for_hub(hub: Hub, within: float) -> float:
    started = time.perf_counter()
    deadline = time.monotonic() + within
    async with httpx.AsyncClient(base_url=hub.base, timeout=10) as client:
        while True:
            if hub.process.poll() is not None:
                raise LoadTestError(f"the hub exited ({hub.process.returncode}):\n{hub.tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get("/hub/health")).status_code == 200:
                    return time.perf_counter() - started
            if time.monotonic() > deadline:
                raise LoadTestError(f"the hub did not answer within {within:.0f} s:\n{hub.tail()}")
            await asyncio.sleep(0.25)


async def sample_memory(hub: Hub, learners: list[Learner], stop: asyncio.Event) -> None:
    """Every 0.5 s: each learner's server and kernels (RSS), found by the JUPYTERHUB_USER of the server."""
    by_name = {learner.name: learner for learner in learners}
    while not stop.is_set():
        for process in hub.processes():
            with contextlib.suppress(psutil.Error):
                if "jupyterhub-singleuser" not in " ".join(process.cmdline()):
                    continue
                learner = by_name.get(process.environ().get("JUPYTERHUB_USER", ""))
                if learner is None:
                    continue
                learner.pids.add(process.pid)
                server_rss = process.memory_info().rss
                kernel_rss = 0
                for child in process.children(recursive=True):
                    learner.pids.add(child.pid)
                    with contextlib.suppress(psutil.Error):
                        kernel_rss += child.memory_info().rss
                learner.peak_server_rss = max(learner.peak_server_rss, server_rss)
                learner.peak_kernel_rss = max(learner.peak_kernel_rss, kernel_rss)
                learner.peak_rss = max(learner.peak_rss, server_rss + kernel_rss)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.5)


async def stop_everything(hub: Hub, learners: list[Learner], within: float = 60) -> list[str]:
    """Stop each server through the hub's API, then the hub; returns the processes still alive (none, we hope)."""
    hub.processes()
    async with httpx.AsyncClient(base_url=hub.base, timeout=30) as client:
        for learner in learners:
            if learner.token:
                with contextlib.suppress(httpx.HTTPError):
                    await client.delete(f"/hub/api/users/{learner.name}/server", headers=learner.headers)
        deadline = time.monotonic() + within
        for learner in learners:
            while learner.token and time.monotonic() < deadline:
                with contextlib.suppress(httpx.HTTPError, ValueError):
                    model = (await client.get(f"/hub/api/users/{learner.name}", headers=learner.headers)).json()
                    if not model.get("servers") and not model.get("pending"):
                        break
                await asyncio.sleep(0.25)
    hub.processes()
    if hub.process.poll() is None:
        hub.process.send_signal(signal.SIGTERM)  # the hub stops the proxy and anything still running
        try:
            await asyncio.to_thread(hub.process.wait, within)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(hub.process.pid, signal.SIGKILL)
            hub.process.wait()
    every = hub.seen | {pid for learner in learners for pid in learner.pids}
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        alive = [pid for pid in every if _alive(pid)]
        if not alive:
            return []
        await asyncio.sleep(0.25)
    left = []
    for pid in every:
        if _alive(pid):
            with contextlib.suppress(psutil.Error):
                process = psutil.Process(pid)
                left.append(f"{pid} {' '.join(process.cmdline())[:100]}")
                process.kill()
    return left


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


async def learner_databases(url: URL, learners: list[Learner]) -> list[str]:
    async with server_connection(url) as conn:
        found: list[str] = []
        for learner in learners:
            found += await _server_database_names(conn, f"{url.database}_{learner.name}_")
        return found


async def drop_learner_databases(url: URL, names: list[str]) -> None:
    async with server_connection(url) as conn:
        for name in names:
            await drop_database(conn, name)


# --------------------------------------------------------------------------------------------------------------
# One run at N learners
# --------------------------------------------------------------------------------------------------------------


@dataclass
class RunResult:
    n: int
    hub_seconds: float
    hub_rss: int
    learners: list[Learner]
    copies_left_by_kernels: list[str]
    total_seconds: float


async def one_run(n: int, url: URL, within: float, isolation: str = "auto") -> RunResult:
    started = time.perf_counter()
    tag = "l" + secrets.token_hex(2)
    names = [f"{tag}_{i:02d}" for i in range(1, n + 1)]
    state = Path(tempfile.mkdtemp(prefix="hub-load-"))
    hub = start_hub(state, url.render_as_string(hide_password=False), names, HUB_ISOLATION=isolation)
    learners: list[Learner] = []
    stop = asyncio.Event()
    sampler: asyncio.Task[None] | None = None
    completed = False
    try:
        hub_seconds = await wait_for_hub(hub, within=min(within, 120))
        password = (state / "secrets" / "learner-password").read_text().strip()
        learners = [Learner(name, hub.base, password) for name in names]
        sampler = asyncio.create_task(sample_memory(hub, learners, stop))

        async def one_learner(learner: Learner) -> None:
            limits = httpx.Limits(max_connections=4)
            async with httpx.AsyncClient(base_url=hub.base, timeout=120, limits=limits) as client:
                await learner.sign_in(client)
                await learner.start_server(client, within=within)
                for lesson in LESSONS:
                    learner.lessons.append(await learner.run_lesson(client, lesson, hub.port))

        await asyncio.wait_for(asyncio.gather(*(one_learner(learner) for learner in learners)), within)
        hub_rss = sum(_rss(p) for p in hub.processes() if "singleuser" not in " ".join(_cmdline(p)))
        completed = True
    except TimeoutError:
        raise LoadTestError(f"the run did not finish within {within:.0f} s (--timeout):\n{hub.tail()}") from None
    except LoadTestError as error:
        raise LoadTestError(f"{error}\n--- the hub's log (last lines) ---\n{hub.tail()}") from None
    finally:
        stop.set()
        if sampler is not None:
            await sampler
        left = await stop_everything(hub, learners)
        databases = await learner_databases(url, learners)
        await drop_learner_databases(url, databases)
        remaining = await learner_databases(url, learners)
        accounts_left = []
        try:
            await remove_database_roles(url.render_as_string(hide_password=False), state)
            remove_accounts(state)
        except Exception as error:  # whatever it is, it is reported with what was left
            accounts_left.append(str(error))
        shutil.rmtree(state, ignore_errors=True)
        problems = []
        if accounts_left:
            problems.append("system accounts that could not be removed: " + "; ".join(accounts_left))
        if left:
            problems.append("processes still running after the hub stopped: " + "; ".join(left))
        if remaining:
            problems.append("learner databases that could not be dropped: " + ", ".join(remaining))
        if state.exists():
            problems.append(f"the temporary folder {state} is still there")
        if problems and completed:
            raise LoadTestError("left behind: " + " / ".join(problems))
        for problem in problems:
            print(f"warning: {problem}", file=sys.stderr)
    copies = [name for name in databases if "_seed_" not in name]
    return RunResult(n, hub_seconds, hub_rss, learners, copies, time.perf_counter() - started)


def _rss(process: psutil.Process) -> int:
    with contextlib.suppress(psutil.Error):
        return process.memory_info().rss
    return 0


def _cmdline(process: psutil.Process) -> list[str]:
    with contextlib.suppress(psutil.Error):
        return process.cmdline()
    return []


# --------------------------------------------------------------------------------------------------------------
# Expected outputs: recorded once on PostgreSQL, compared on every run
# --------------------------------------------------------------------------------------------------------------


def expected_path(lesson: str) -> Path:
    return EXPECTED / f"{lesson}.ipynb"


def record(lesson: str, run: LessonRun) -> int:
    """Write hub/expected/<lesson>.ipynb: the solution with this run's outputs (ignored cells left empty).

    Returns how many compared cells differ from the committed SQLite outputs in solutions/ (shown to the author,
    who checks that each is a backend difference: parameter style, a plan, an error's wording).
    """
    solution = nbformat.read(ROOT / "solutions" / f"{lesson}.ipynb", as_version=4)
    code = [cell for cell in solution.cells if cell.cell_type == "code"]
    differ = 0
    for count, (cell, outputs) in enumerate(zip(code, run.outputs, strict=True), start=1):
        compared = cell_options(cell).get("check", True)
        if compared and any("(cost=" in json.dumps(o) for o in outputs):
            # A PostgreSQL plan's shape and estimates depend on when autovacuum last analyzed the learner's
            # tables, not on which rows they see: such a cell is run but not compared (tagged in hub/expected/).
            cell.metadata.setdefault("tags", []).append(PLAN_TAG)
            compared = False
        if compared and outputs_differ(cell.outputs, outputs) is not None:
            differ += 1
        # Streams coalesced as nbval compares them: how the kernel chunked its prints is not worth a diff.
        cell.outputs = coalesce_streams([nbformat.from_dict(_clean(o, count)) for o in outputs]) if compared else []
        cell.execution_count = count
    solution.metadata["hub_load"] = {"backend": "postgresql", "recorded_by": "make hub-expected"}
    EXPECTED.mkdir(parents=True, exist_ok=True)
    nbformat.write(solution, expected_path(lesson))
    return differ


def _clean(output: dict[str, Any], count: int) -> dict[str, Any]:
    output = dict(output)
    if output["output_type"] == "execute_result":
        output["execution_count"] = count
    if "metadata" in output:
        output["metadata"] = {}
    return output


def compare(learner: Learner) -> list[str]:
    failures: list[str] = []
    for run in learner.lessons:
        failures += run.failures
        path = expected_path(run.lesson)
        if not path.exists():
            failures.append(f"{path.relative_to(ROOT)} is missing: run make hub-expected once and commit it")
            continue
        expected = [cell for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "code"]
        solution = nbformat.read(ROOT / "solutions" / f"{run.lesson}.ipynb", as_version=4)
        if [c.source for c in expected] != [c.source for c in solution.cells if c.cell_type == "code"]:
            failures.append(f"solutions/{run.lesson}.ipynb changed since {path.name} was recorded: make hub-expected")
            continue
        for index, (cell, outputs) in enumerate(zip(expected, run.outputs, strict=False)):
            if PLAN_TAG in cell.metadata.get("tags", []):
                continue
            if not cell_options(cell).get("check", True) or cell_options(cell).get("skip"):
                continue
            problem = outputs_differ(cell.outputs, outputs)
            if problem:
                failures.append(f"{learner.name} {run.lesson} cell {index}: {problem}")
    return failures


# --------------------------------------------------------------------------------------------------------------
# The report
# --------------------------------------------------------------------------------------------------------------

MB = 1 << 20


def _median_max(values: list[float]) -> str:
    return f"{statistics.median(values):.1f} / {max(values):.1f}" if values else "-"


def table(results: list[RunResult]) -> str:
    rows = [
        "| N | hub up (s) | server ready (s) median / max | "
        + " | ".join(f"{lesson} (s) median / max" for lesson in LESSONS)
        + " | memory per learner, RSS (MB) median / max | PSS (MB) median / max | kernel CPU per learner (s) "
        "| whole run (s) |",
        "|---|---|---|" + "---|" * len(LESSONS) + "---|---|---|---|",
    ]
    for result in results:
        per_lesson = [
            _median_max([run.seconds for lr in result.learners for run in lr.lessons if run.lesson == lesson])
            for lesson in LESSONS
        ]
        memory = [lr.peak_rss / MB for lr in result.learners]
        cpu = [sum(run.cpu_seconds for run in lr.lessons) for lr in result.learners]
        rows.append(
            f"| {result.n} | {result.hub_seconds:.1f} | "
            f"{_median_max([lr.ready_seconds for lr in result.learners])} | "
            + " | ".join(per_lesson)
            + f" | {_median_max(memory)} | {_median_max([lr.pss / MB for lr in result.learners])}"
            + f" | {statistics.median(cpu):.1f} | {result.total_seconds:.0f} |"
        )
    return "\n".join(rows)


def sizing(results: list[RunResult], class_sizes: tuple[int, ...] = (30, 100), burst_seconds: int = 60) -> str:
    """Memory and cores for a class, from the largest run (its peaks, under contention).

    Memory: the hub and proxy once, then per learner their server plus one lesson's kernel (or three, for learners
    who leave lessons open). Cores: the kernel CPU time of one lesson, for the whole class pressing Run All at the
    same moment and finishing within ``burst_seconds``: a worst case (learners at their own pace need fewer). CPU
    time, unlike wall time, barely depends on how busy the machine was; the PostgreSQL server's share is not in it.
    """
    largest = max(results, key=lambda r: r.n)
    server = max(lr.peak_server_rss for lr in largest.learners) / MB
    kernel = max(lr.peak_kernel_rss for lr in largest.learners) / MB
    pss = max(lr.pss for lr in largest.learners) / MB
    hub = largest.hub_rss / MB
    cpu = max(max(run.cpu_seconds for run in lr.lessons) for lr in largest.learners)
    lines = [
        f"Per learner (largest run, N={largest.n}): server {server:.0f} MB + one lesson's kernel {kernel:.0f} MB "
        f"(RSS peaks: shared libraries counted in each, so an upper bound); up to {cpu:.1f} CPU-s in the kernel for "
        f"one lesson. Hub + proxy: {hub:.0f} MB. Server and kernel counted by PSS (shared pages split): {pss:.0f} MB.",
    ]
    for size in class_sizes:
        one_open = hub + size * (server + kernel)
        three_open = hub + size * (server + 3 * kernel)
        cores = max(2, math.ceil(size * cpu / burst_seconds))
        lines.append(
            f"Class of {size}: {one_open / 1024:.1f} GB of memory with one lesson open per learner by RSS "
            f"({(hub + size * pss) / 1024:.1f} GB by PSS), "
            f"{three_open / 1024:.1f} GB with three (plus the OS and, if on the same machine, PostgreSQL); "
            f"{cores} cores for the whole class pressing Run All on one lesson at once and finishing within "
            f"{burst_seconds} s (a worst case: learners at their own pace need far fewer)."
        )
    return "\n".join(lines)


async def main_async(args: argparse.Namespace) -> int:
    url = parse_database_url(args.url, source="--url")
    if url.get_backend_name() != "postgresql":
        raise LoadTestError(f"the load test runs against PostgreSQL; --url is {mask(url)}")
    try:
        async with server_connection(url, "--url"):
            pass
    except Exception as error:  # unreachable, refused, no such role: the run cannot mean anything
        raise LoadTestError(f"cannot use the PostgreSQL server at {mask(url)}: {error}") from None
    counts = [int(part) for part in str(args.learners).split(",")]
    if args.record:
        counts = [1]
    results: list[RunResult] = []
    failed = False
    for n in counts:
        print(f"hub load: {n} learner(s) on {mask(url)}, lessons {', '.join(LESSONS)}…", flush=True)
        result = await one_run(n, url, args.timeout, args.isolation)
        results.append(result)
        if args.record:
            for run in result.learners[0].lessons:
                if run.failures:
                    raise LoadTestError("; ".join(run.failures))
                differ = record(run.lesson, run)
                print(
                    f"recorded {expected_path(run.lesson).relative_to(ROOT)} ({differ} compared cell(s) differ "
                    "from the SQLite outputs in solutions/: check each is a backend difference)"
                )
            continue
        failures = [f for learner in result.learners for f in compare(learner)]
        if failures:
            failed = True
            print(f"FAILED at N={n}: {len(failures)} cell(s) differ from hub/expected/:", file=sys.stderr)
            for failure in failures[:10]:
                print("  " + failure.replace("\n", "\n    "), file=sys.stderr)
        else:
            cells = sum(len(run.outputs) for lr in result.learners for run in lr.lessons)
            print(
                f"N={n}: every learner's outputs equal hub/expected/ ({cells} cells); nothing left behind "
                f"({len(result.copies_left_by_kernels)} lesson copies were left by kernels and dropped)."
            )
    print()
    print(table(results))
    print()
    print(sizing(results))
    print(f"(measured on this machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end)")
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.hub_load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", default="5", help="how many learners at once; a list runs each: 1,5,10")
    parser.add_argument(
        "--url", default=os.environ.get("HUB_LOAD_URL") or os.environ.get("TEST_POSTGRES_URL"),
        help="the PostgreSQL server (default: HUB_LOAD_URL, else TEST_POSTGRES_URL)",
    )  # fmt: skip
    parser.add_argument(
        "--isolation", default="auto", choices=["auto", "users", "shared"],
        help="HUB_ISOLATION of the hub: auto (one system account per learner as root), users or shared",
    )  # fmt: skip
    parser.add_argument("--record", action="store_true", help="write hub/expected/ from one learner's run")
    parser.add_argument("--timeout", type=float, default=600, help="seconds before a run gives up (default 600)")
    args = parser.parse_args(argv)
    if not args.url:
        print("error: set HUB_LOAD_URL or TEST_POSTGRES_URL (or --url) to a PostgreSQL server", file=sys.stderr)
        return 2
    try:
        return asyncio.run(main_async(args))
    except LoadTestError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
