"""A curious learner tries to break in, from a notebook cell, on `make hub` as CI runs it (root, PostgreSQL).

Two learners sign up and an instructor signs in; from the first learner's kernel, every attempt of issue 21 is
made against the second learner, the hub and the instructor: each must be refused. The same attempts then run as
the hub's own user, which is what a kernel is in shared-user mode (``HUB_ISOLATION=shared``): each must succeed,
so that a refusal above is the isolation's doing, not a typo in a path. Afterwards no account, process, home or
database may be left.

`make hub-breakin` runs it (``HUB_BREAKIN=1``; about a minute): it needs root, ``useradd`` and the hub's proxy.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import psutil
import pytest
from sqlalchemy import text
from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect

from bench.hub_load import (
    HOST,
    Kernel,
    Learner,
    drop_learner_databases,
    learner_databases,
    start_hub,
    stop_everything,
    wait_for_hub,
)
from lessons.core.connections import server_connection
from lessons.core.settings import parse_database_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "hub"))

import course_hub  # noqa: E402

# Collected only under HUB_BREAKIN=1 (`make hub-breakin`: root, a hub, about a minute): see tests/conftest.py.

#: A learner leaves a process running in a session of its own; its pid is printed.
LEAVE_RUNNING = "import subprocess; print(subprocess.Popen(['sleep', '600'], start_new_session=True).pid)"

#: RLIMIT_NPROC of each learner's account in this test: a server and a kernel run about 40 tasks.
PROCESS_LIMIT = 128

#: Run in a kernel (or as the hub's user): each attempt, and whether it succeeded. TARGETS is set before it.
ATTEMPTS = r'''
import json, os, sqlite3
from pathlib import Path

def attempt(action):
    try:
        action()
        return "succeeded"
    except Exception as error:
        return "refused: " + type(error).__name__

def read(path):
    path = Path(path)
    return sorted(os.listdir(path)) if path.is_dir() else path.read_bytes()

def replace_handed_in():
    fake = Path(T["exchange"]) / ".fake.tmp"
    fake.write_text('{"version": 1, "exercises": {}}')
    os.replace(fake, Path(T["exchange"]) / (T["other"] + ".json"))

def on_server(database, sql):
    """Run ``sql`` on ``database`` with the credentials of this kernel's DATABASE_URL, then roll it back."""
    import asyncio, concurrent.futures, asyncpg
    from sqlalchemy.engine import make_url

    url = make_url(os.environ["DATABASE_URL"])

    async def go():
        conn = await asyncpg.connect(
            host=url.host, port=url.port or 5432, user=url.username, password=url.password, database=database
        )
        try:
            transaction = conn.transaction()
            await transaction.start()
            await conn.execute(sql)
            await transaction.rollback()
        finally:
            await conn.close()

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, go()).result()

def many_processes():
    """Start more processes at once than HUB_PROCESS_LIMIT lets one account run (a fork bomb, bounded)."""
    import subprocess

    children = []
    try:
        for _ in range(T["processes"]):
            children.append(subprocess.Popen(["sleep", "30"]))
    finally:
        for child in children:
            child.kill()
            child.wait()

def fifo_in_drop_folder():
    """A FIFO in the drop folder: a class view that opened it would wait forever (the class view runs later)."""
    import pwd

    os.mkfifo(Path(T["exchange"]) / (pwd.getpwuid(os.getuid()).pw_name.replace("-", "_") + "_fifo.json"))

def instructor_credentials():
    from sqlalchemy.engine import make_url

    if make_url(os.environ["DATABASE_URL"]).username != T["admin_user"]:
        raise PermissionError("not the instructor's role")

def hub_database():
    with sqlite3.connect(f"file:{T['hub_db']}?mode=ro", uri=True) as conn:
        return conn.execute("SELECT name FROM users").fetchall()

T = json.loads(TARGETS)
found = {
    "list the other learner's home": attempt(lambda: read(T["other_home"])),
    "read the other learner's notebook": attempt(lambda: read(T["other_notebook"])),
    "write into the other learner's home": attempt(lambda: open(T["other_home"] + "/planted.txt", "a").close()),
    "change the other learner's notebook": attempt(lambda: open(T["other_notebook"], "a").close()),
    "read the class password": attempt(lambda: read(T["state"] + "/secrets/learner-password")),
    "read the instructor password": attempt(lambda: read(T["state"] + "/secrets/instructor-password")),
    "read the learners' password hashes": attempt(lambda: read(T["state"] + "/secrets/passwords.json")),
    "read the cookie secret": attempt(lambda: read(T["state"] + "/jupyterhub_cookie_secret")),
    "read the hub's database": attempt(lambda: read(T["hub_db"])),
    "query the hub's database": attempt(hub_database),
    "list the hub's state": attempt(lambda: read(T["state"])),
    "read the other learner's server environment": attempt(lambda: read(f"/proc/{T['other_server']}/environ")),
    "read the other learner's kernel environment": attempt(lambda: read(f"/proc/{T['other_kernel']}/environ")),
    "read the hub's environment": attempt(lambda: read(f"/proc/{T['hub']}/environ")),
    "read the proxy's auth token (its environment)": attempt(lambda: read(f"/proc/{T['proxy']}/environ")),
    "read the idle culler's API token (its environment)": attempt(lambda: read(f"/proc/{T['culler']}/environ")),
    "list the progress drop folder": attempt(lambda: read(T["exchange"])),
    "read the other learner's handed-in progress": attempt(lambda: read(T["exchange"] + "/" + T["other"] + ".json")),
    "change the other learner's handed-in progress": attempt(
        lambda: open(T["exchange"] + "/" + T["other"] + ".json", "a").close()
    ),
    "replace the other learner's handed-in progress": attempt(replace_handed_in),
    "open solutions/ in the checkout": attempt(lambda: read(T["root"] + "/solutions/02-crud.ipynb")),
    "open the instructor's solutions/": attempt(lambda: read(T["instructor_home"] + "/solutions/02-crud.ipynb")),
    "read the checkout's git history": attempt(lambda: read(T["root"] + "/.git")),
    "change the course's notebooks/": attempt(lambda: open(T["root"] + "/notebooks/02-crud.ipynb", "a").close()),
    "change the course's venv": attempt(lambda: open(T["venv"] + "/pyvenv.cfg", "a").close()),
    "change the lessons package": attempt(lambda: open(T["root"] + "/lessons/__init__.py", "a").close()),
    "start more processes than the limit (a fork bomb)": attempt(many_processes),
}
fifo_in_drop_folder()  # not an attempt of its own: the instructor's class view below must not hang on it
if T.get("other_seed"):
    found.update({
        "find the instructor's database role in the environment": attempt(instructor_credentials),
        "open the other learner's seed database": attempt(lambda: on_server(T["other_seed"], "SELECT 1")),
        "read the other learner's rows": attempt(
            lambda: on_server(T["other_copy"], "SELECT count(*) FROM users")
        ),
        "UPDATE the other learner's seed": attempt(
            lambda: on_server(T["other_seed"], "UPDATE users SET name = name")
        ),
        "take over the other learner's database": attempt(
            lambda: on_server(T["base_db"], f'ALTER DATABASE "{T["other_copy"]}" OWNER TO CURRENT_USER')
        ),
        "rename the other learner's seed": attempt(
            lambda: on_server(T["base_db"], f'ALTER DATABASE "{T["other_seed"]}" RENAME TO "{T["other_seed"]}x"')
        ),
    })
print(json.dumps(found))
'''


#: Run in the first learner's kernel: traps in their own home and in the drop folder for what the hub does as root
#: on their next start (and on the instructor's). The test then runs that start's preparation and checks that
#: no trap worked; the program prints what it planted, so each trap is shown to be really there.
PLANT = r'''
import json, os
from pathlib import Path

T = json.loads(TARGETS)
home = Path.home()
planted = {}
os.rename(home / ".data" / "linked-by-root.sqlite3", home / "mine-now.sqlite3")  # a hard link the hub made
planted["renamed hard link"] = (home / "mine-now.sqlite3").stat().st_ino
(home / ".pgpass").write_text(f"*:*:*:{T['role']}:x' SUPERUSER CREATEROLE --\n")  # SQL, if the hub reads it back
os.symlink(T["planted_file"], home / ".pgpass.tmp")  # where the hub writes .pgpass first
os.rename(home / ".data", home / ".data-moved")
os.symlink(T["planted_dir"], home / ".data")  # where the hub links the seeds
with open(Path(T["exchange"]) / (T["instructor"] + ".json"), "w") as squat:  # a name not handed in yet
    squat.write('{"version": 1, "exercises": {}}')
planted["squatted"] = T["instructor"] + ".json"
print(json.dumps(planted))
'''


async def open_kernel(learner: Learner, client: httpx.AsyncClient, port: int) -> Kernel:
    """A new notebook's kernel in the learner's server, through the hub's proxy, as JupyterLab opens one."""
    api = f"/user/{learner.name}/api"
    created = await client.post(
        f"{api}/sessions",
        json={"path": "probe.ipynb", "name": "probe.ipynb", "type": "notebook", "kernel": {"name": "python3"}},
        headers=learner.headers,
    )
    assert created.status_code == 201, created.text
    kernel_id = created.json()["kernel"]["id"]
    request = HTTPRequest(
        f"ws://{HOST}:{port}{api}/kernels/{kernel_id}/channels?session_id={uuid.uuid4().hex}",
        headers=learner.headers,
    )
    kernel = Kernel(await websocket_connect(request), uuid.uuid4().hex)
    await kernel.ready()
    return kernel


async def run(kernel: Kernel, code: str) -> str:
    outputs = await kernel.execute(code)
    errors = [o for o in outputs if o["output_type"] == "error"]
    assert not errors, errors
    return "".join(o.get("text", "") for o in outputs if o["output_type"] == "stream")


RUNAWAY = """
chunks = []
try:
    while True:
        chunks.append(b"x" * (64 << 20))
except MemoryError:
    print(len(chunks) * 64)
finally:
    del chunks
"""


async def runaway_beside(runaway: Kernel, other: Kernel) -> tuple[int, float]:
    """One kernel allocates 64 MB at a time until it is stopped; the other's cells are timed meanwhile.

    Returns the MB allocated and the other's slowest answer (seconds).
    """
    done = asyncio.Event()
    slowest = 0.0

    async def ping() -> None:
        nonlocal slowest
        while not done.is_set():
            started = time.perf_counter()
            await run(other, "1 + 1")
            slowest = max(slowest, time.perf_counter() - started)
            await asyncio.sleep(0.2)

    pinging = asyncio.create_task(ping())
    try:
        allocated = int((await run(runaway, RUNAWAY)).strip())
    finally:
        done.set()
        await pinging
    return allocated, slowest


def server_and_kernel(name: str) -> tuple[int, int]:
    """The pids of a user's single-user server and of its (only) kernel."""
    for process in psutil.process_iter():
        with contextlib.suppress(psutil.Error):
            if process.environ().get("JUPYTERHUB_USER") == name and "singleuser" in " ".join(process.cmdline()):
                children = process.children(recursive=True)
                return process.pid, children[0].pid if children else 0
    raise AssertionError(f"no server found for {name}")


async def plant_and_restart(kernel: Kernel, state: Path, url_text: str, learner: str, instructor: str) -> dict:
    """The learner plants traps (:data:`PLANT`); then what the hub does as root on their next start, and on the
    instructor's, runs (the spawner's own functions); returns each trap's outcome ("succeeded" or "refused")."""
    home, exchange = state / "users" / learner, state / "exchange"
    shared = state / "shared-by-root.sqlite3"  # as a seed file is: root's, hard-linked into the learner's .data
    shared.write_text("pristine")
    shared.chmod(0o644)
    os.link(shared, home / ".data" / "linked-by-root.sqlite3")
    fake_root = state / "course-root"  # a checkout with one seed, so that the seeds are linked whatever CI built
    (fake_root / "notebooks").mkdir(parents=True)
    (fake_root / ".data").mkdir()
    for name in ["course-seed_breakin_0.sqlite3", "course-seed_breakin_0.sqlite3.sha256"]:
        (fake_root / ".data" / name).write_text("seed")
    role = course_hub.role_name(url_text, learner) if url_text else ""
    targets = {
        "role": role, "planted_file": str(state / "planted.pth"), "planted_dir": str(state / "secrets"),
        "exchange": str(exchange), "instructor": instructor,
    }  # fmt: skip
    planted = json.loads(await run(kernel, f"TARGETS = {json.dumps(json.dumps(targets))}\n{PLANT}"))
    # Each trap is really there before the hub's next start.
    assert planted["renamed hard link"] == shared.stat().st_ino
    assert (home / ".pgpass.tmp").is_symlink() and (home / ".data").is_symlink()
    assert (exchange / planted["squatted"]).stat().st_uid == pwd.getpwnam(course_hub.account_name(learner)).pw_uid
    await asyncio.to_thread(course_hub.prepare_account, learner, home, state, False, fake_root)
    await asyncio.to_thread(course_hub.prepare_account, instructor, state / "users" / instructor, state, True)
    superuser = False
    if url_text:
        account = pwd.getpwnam(course_hub.account_name(learner))
        await course_hub.ensure_database_role(
            url_text, learner, home, (account.pw_uid, account.pw_gid), state, 20
        )
        async with server_connection(parse_database_url(url_text)) as conn:
            superuser = await conn.scalar(
                text("SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = :r"), {"r": role}
            )
    squat = exchange / planted["squatted"]
    outcome = {
        "make the hub give me a root file hard-linked into my home (a seed)": shared.stat().st_uid != 0,
        "make the hub link the seeds through my .data link": (state / "secrets" / "course-seed_breakin_0.sqlite3")
        .exists(),
        "make the hub write and give me a file through a .pgpass.tmp link": (state / "planted.pth").exists(),
        "make the hub run SQL from my .pgpass (SUPERUSER)": bool(superuser),
        "squat the instructor's hand-in file": squat.exists() and squat.stat().st_uid != 0,
    }
    return {name: "succeeded" if worked else "refused" for name, worked in outcome.items()}


async def sign_in_as(base: str, username: str, password: str, class_password: str = "") -> bool:
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        page = await client.get("/hub/login")
        xsrf = page.text.split('name="_xsrf" value="', 1)[1].split('"', 1)[0]
        form = {"username": username, "password": password, "class_password": class_password, "_xsrf": xsrf}
        answer = await client.post("/hub/login", data=form)
        return answer.status_code == 302 and "jupyterhub-session-id" in client.cookies


def accounts_of(state: Path) -> list[str]:
    return [entry.pw_name for entry in pwd.getpwall() if entry.pw_gecos == f"course hub {state}"]


async def test_a_learner_reaches_nothing_of_anyone_else():
    if os.geteuid() != 0 or not course_hub.can_isolate():
        pytest.fail("the break-in test runs as root on a machine with useradd (as CI does)")
    url_text = os.environ.get("TEST_POSTGRES_URL", "")
    url = parse_database_url(url_text) if url_text else None
    tag = "b" + uuid.uuid4().hex[:4]
    ada, bob, teach = f"{tag}_ada", f"{tag}_bob", f"{tag}_teach"
    state = Path(tempfile.mkdtemp(prefix="hub-breakin-"))
    hub = start_hub(state, url_text, [ada, bob], instructors=teach, HUB_PROCESS_LIMIT=str(PROCESS_LIMIT))
    people: list[Learner] = []
    kernels: list[Kernel] = []
    try:
        await wait_for_hub(hub, within=120)
        trust = await asyncio.to_thread(course_hub.password_check, url_text) if url_text else ""
        secrets_dir = state / "secrets"
        class_password = (secrets_dir / "learner-password").read_text().strip()
        instructor_password = (secrets_dir / "instructor-password").read_text().strip()
        people = [Learner(ada, hub.base, class_password), Learner(bob, hub.base, class_password)]
        people.append(Learner(teach, hub.base, "", own_password=instructor_password))

        async def start(person: Learner) -> None:
            async with httpx.AsyncClient(base_url=hub.base, timeout=120) as client:
                await person.sign_in(client)
                await person.start_server(client, within=180)

        await asyncio.gather(*(start(person) for person in people))
        async with httpx.AsyncClient(base_url=hub.base, timeout=120) as client:
            kernels += [await open_kernel(person, client, hub.port) for person in people]
            server, kernel = server_and_kernel(bob)
            hand_in = "from lessons.core.progress_book import hand_in; print(hand_in({'version': 1, 'exercises': {}}))"
            assert (await run(kernels[1], hand_in)).strip() == "True"  # Bob hands in his progress
            databases: dict[str, str] = {}
            if url is not None:  # Bob's seed and a lesson copy, made by his kernel with his own role
                await run(kernels[1], "from lessons import fresh_database\ndb = await fresh_database('probe')")
                bobs = await learner_databases(url, [people[1]])
                databases = {
                    "other_seed": next(name for name in bobs if "_seed_" in name),
                    "other_copy": next(name for name in bobs if "_probe_" in name),
                    "base_db": url.database or "",
                    "admin_user": url.username or "",
                }
            targets = {
                "state": str(state),
                "hub_db": str(state / "jupyterhub.sqlite"),
                "other": bob,
                "exchange": str(state / "exchange"),
                "other_home": str(state / "users" / bob),
                "other_notebook": str(state / "users" / bob / "notebooks" / "02-crud.ipynb"),
                "instructor_home": str(state / "users" / teach),
                "other_server": server,
                "other_kernel": kernel,
                "root": str(ROOT),
                "venv": str(course_hub.HUB_VENV),
                "processes": PROCESS_LIMIT + 20,
                "hub": hub.process.pid,
                "proxy": int((state / "proxy.pid").read_text()),
                "culler": next(
                    p.pid for p in hub.processes() if "jupyterhub_idle_culler" in " ".join(p.cmdline())
                ),
                **databases,
            }
            program = f"TARGETS = {json.dumps(json.dumps(targets))}\n{ATTEMPTS}"
            from_ada = json.loads(await run(kernels[0], program))
            whoami = await run(kernels[0], "import os, pwd; print(pwd.getpwuid(os.getuid()).pw_name)")
            # A process in a session of its own outlives the kernel and the server, unless the hub ends it.
            daemon = int(await run(kernels[0], LEAVE_RUNNING))
            assert psutil.pid_exists(daemon)
            next_start = await plant_and_restart(kernels[0], state, url_text, ada, teach)
            class_view = await run(
                kernels[2],
                "import os, subprocess, sys; print(subprocess.run([sys.executable, '-m', 'lessons.tooling.progress', "
                "'--class', os.environ['COURSE_PROGRESS_EXCHANGE']], capture_output=True, text=True).stdout)",
            )
            allocated, answered = await runaway_beside(kernels[0], kernels[1])

        # The control: the same program as the hub's own user, which every kernel is in shared-user mode.
        control = await asyncio.to_thread(
            subprocess.run, [sys.executable, "-c", program], capture_output=True, text=True, check=True, timeout=60,
            env={**os.environ, "DATABASE_URL": url_text},  # what a shared-user server gets
        )  # fmt: skip
        as_hub_user = json.loads(control.stdout)

        # Signing in under another's name: with the class password, or signing up again; the owners can.
        sign_ins = {
            "sign in as the other learner with the class password": await sign_in_as(
                hub.base, bob, class_password, class_password
            ),
            "sign up again under the other learner's name": await sign_in_as(
                hub.base, bob, "my-own-new-password", class_password
            ),
            "sign in as the instructor with the class password": await sign_in_as(
                hub.base, teach, class_password, class_password
            ),
        }
        owners = {
            "the other learner, with their own password": await sign_in_as(hub.base, bob, people[1].own_password),
            "the instructor, with the instructors' password": await sign_in_as(hub.base, teach, instructor_password),
        }

        print(
            f"\nA runaway learner: {ada}'s kernel allocated {allocated} MB before its MemoryError "
            f"(HUB_MEMORY_LIMIT 3G per process); meanwhile {bob}'s cell answered within {answered:.2f} s at worst."
        )
        print(f"\nFrom {ada}'s kernel (running as {whoami.strip()}):")
        signed = {k: "succeeded" if v else "refused" for k, v in sign_ins.items()}
        for name, outcome in {**from_ada, **next_start, **signed}.items():
            print(f"  {name}: {outcome}")
        print(f"  database server: {trust or 'asks every role its password'}")
        succeeded = [name for name, outcome in {**from_ada, **next_start}.items() if outcome == "succeeded"]
        succeeded += [name for name, signed_in in sign_ins.items() if signed_in]
        assert whoami.strip() == course_hub.account_name(ada)
        assert 0 < allocated < 3 * 1024 and answered < 5  # stopped, and the other learner never waited long
        # The instructor reads it (Ada's empty hand-in, claimed at her start, and Bob's); the FIFOs are left out.
        assert "Class progress: 2 learners" in class_view and bob in class_view, class_view
        assert (trust != "") == ("without a password" in hub.log.read_text()), "the start names a trusting server"
        assert succeeded == [], f"break-in attempts that succeeded: {succeeded}"
        assert set(as_hub_user) == set(from_ada)
        not_attempted = [name for name, outcome in as_hub_user.items() if outcome != "succeeded"]
        assert not_attempted == [], f"attempts that fail even as the hub's own user (a wrong path?): {not_attempted}"
        assert all(owners.values()), owners
        if url is not None:
            async with server_connection(url) as conn:
                limit = await conn.scalar(
                    text("SELECT rolconnlimit FROM pg_roles WHERE rolname = :r"),
                    {"r": course_hub.role_name(url_text, ada)},
                )
            assert limit == 20  # one learner cannot use up the server's connections
    finally:
        for each in kernels:
            each.connection.close()
        left = await stop_everything(hub, people)
        roles: list[str] = []
        if url is not None:
            await drop_learner_databases(url, await learner_databases(url, people))
            roles = await course_hub.remove_database_roles(url_text, state)
        removed = course_hub.remove_accounts(state)
        shutil.rmtree(state, ignore_errors=True)
    assert left == [], f"processes left: {left}"
    assert accounts_of(state) == [], "system accounts left behind"
    assert len(removed) == 4 and not state.exists()  # three accounts and the instructors' group
    if url is not None:
        assert await learner_databases(url, people) == []
        assert len(roles) == 3  # a role each, dropped
