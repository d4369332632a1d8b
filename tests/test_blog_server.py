"""The blog API as a real server: uvicorn in its own process on a free loopback port, spoken to over HTTP.

Also the fuzz: schemathesis generates requests from the OpenAPI schema for every operation (at least 1,000 in
all) and checks each answer: no 5xx, and every response matches the schema it documents.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from lessons.core.settings import DATA_DIR, ROOT
from tests.blog_requests import lone_surrogate_requests

#: How many generated requests each operation gets (the API has 18 operations).
EXAMPLES_PER_OPERATION = 75


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def live_server() -> Iterator[str]:
    port, name = free_port(), f"blog-live-{os.getpid()}"
    server = subprocess.Popen(
        [sys.executable, "-m", "lessons.blog", "--port", str(port), "--database-name", name],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/openapi.json", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the blog server did not start:\n{server.stdout.read()}")
            time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
        for leftover in DATA_DIR.glob(f"*{name.replace('-', '_')}*"):
            leftover.unlink(missing_ok=True)
    assert "Traceback" not in output, output


def test_the_server_answers_over_http(live_server: str) -> None:
    with httpx.Client(base_url=live_server) as client:
        assert client.get("/docs").status_code == 200
        created = client.post("/users", json={"name": "Live", "email": "live@example.net"})
        assert created.status_code == 201
        user_id = created.json()["id"]
        assert client.get(f"/users/{user_id}").json()["email"] == "live@example.net"
        assert client.delete(f"/users/{user_id}").status_code == 204
        assert client.get(f"/users/{user_id}").status_code == 404


def test_fifty_concurrent_creates_over_http_all_land(live_server: str) -> None:
    async def create_all() -> list[int]:
        async with httpx.AsyncClient(base_url=live_server, timeout=30) as client:
            responses = await asyncio.gather(
                *(client.post("/users", json={"name": f"C{n}", "email": f"crowd{n}@example.net"}) for n in range(50))
            )
            return [response.status_code for response in responses]

    statuses = asyncio.run(create_all())
    assert statuses == [201] * 50
    found = httpx.get(f"{live_server}/users/search", params={"q": "crowd", "size": 100}).json()
    assert found["total"] == 50


def test_a_lone_surrogate_is_a_422_and_the_connection_stays_usable(live_server: str) -> None:
    """Over one keep-alive connection: each bad request is a 422 with a reason, and the next request still works."""
    with httpx.Client(base_url=live_server, timeout=30) as client:
        schema = client.get("/openapi.json").json()
        statuses = Counter()
        for label, method, url, body in lone_surrogate_requests(schema):
            response = client.request(method, url, content=body, headers={"content-type": "application/json"})
            assert response.status_code == 422, f"{label}: {response.status_code} {response.text[:200]}"
            assert response.json()["detail"][0]["msg"], label
            assert client.get("/users/1").status_code == 200, f"after {label}"
            statuses[response.status_code] += 1
    assert statuses[422] >= 18, statuses


def run_blog(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lessons.blog", *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_port_in_use_is_one_sentence_before_any_banner() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_blog("--port", str(port), "--database-name", f"blog-busy-{os.getpid()}")
    assert result.returncode == 2
    assert result.stdout == ""  # no "Blog API on …" banner for a server that never started
    assert (
        result.stderr == f"error: port {port} on 127.0.0.1 is already in use: stop what uses it, or choose "
        "another (make api PORT=8001, or --port 8001).\n"
    )


@pytest.mark.parametrize(
    ("value", "sentence"),
    [
        (
            "abc",
            "error: BLOG_PORT='abc' is not valid: Input should be a valid integer, unable to parse string as an "
            "integer.\n",
        ),
        ("70000", "error: BLOG_PORT='70000' is not valid: Input should be less than or equal to 65535.\n"),
    ],
)
def test_a_bad_blog_port_is_one_sentence(value: str, sentence: str) -> None:
    result = run_blog(env={"BLOG_PORT": value})
    assert (result.returncode, result.stdout, result.stderr) == (2, "", sentence)


def test_make_api_passes_port_and_host_through() -> None:
    def recipe(*args: str) -> str:
        # As a person types it: not inside another make (make test), whose MAKEFLAGS would add directory lines.
        inherited = {"MAKEFLAGS", "MAKELEVEL", "MFLAGS"}
        environment = {key: value for key, value in os.environ.items() if key not in inherited}
        shown = subprocess.run(
            ["make", "--no-print-directory", "-n", "api", *args], cwd=ROOT, env=environment, capture_output=True,
            text=True, check=True,
        )
        return shown.stdout.strip().splitlines()[-1]

    assert recipe("PORT=8012").endswith("-m lessons.blog  --port 8012")
    assert recipe("HOST=0.0.0.0", "PORT=8013").endswith("-m lessons.blog --host 0.0.0.0 --port 8013")
    assert "--port" not in recipe()  # make lab's PORT (8888) is not the API's: without PORT=, 8000


def test_fuzz_every_operation_of_the_openapi_schema(live_server: str) -> None:
    # Imported here: they take about 2 s to import, which every xdist worker would pay to collect this file.
    import schemathesis
    from hypothesis import HealthCheck, given, settings

    schema = schemathesis.openapi.from_url(f"{live_server}/openapi.json")
    sent: Counter[str] = Counter()
    for loaded in schema.get_all_operations():
        operation = loaded.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def exercise(case: Any) -> None:
            response = case.call(timeout=30)
            sent[f"{case.method} {case.path}"] += 1
            case.validate_response(response)  # no 5xx, status/content type/body as documented

        exercise()
    total = sum(sent.values())
    print(f"\nfuzz: {total} requests over {len(sent)} operations: no 5xx, every response within the schema")
    assert total >= 1000, sent
