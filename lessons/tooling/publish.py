"""One source, two folders: ``solutions/`` is the master; ``notebooks/`` is generated from it.

In ``solutions/`` each lesson is two files. ``NN-name.py``, its text form (jupytext's percent format: ``# %%``
code cells, ``# %% [markdown]`` cells, tags as ``# %% tags=["nbval-ignore-output"]``), is what an author edits and a
review reads. ``NN-name.ipynb`` is the same cells with the outputs of a run on SQLite: publishing reads the text form
into the notebook's cells, executes it on a fresh kernel and writes both back, the ``.py`` in its normal form
(:func:`to_text`). A lesson that has only a ``.ipynb`` gets its ``.py`` from it; ``tests/test_text_forms.py`` fails
while the two differ in any cell.

In a solution notebook, the answer to a practice task sits between two marker lines::

    async def count_active_users(session):
        # BEGIN SOLUTION
        return await session.scalar(...)
        # END SOLUTION

The learner's copy keeps everything else and replaces the region with a stub (``raise NotImplementedError``
at the same indent, or the lines given as ``# STUB: <code>`` inside the region). Cells tagged
``solution-only`` are left out of the learner's copy. Learner notebooks carry no outputs.

Three records of every lesson's outputs, one per engine: ``solutions/`` itself (SQLite, the source), and
``solutions-postgresql/`` and ``solutions-mariadb/``, the same notebooks (same cells, same tags) with the outputs
that PostgreSQL and MariaDB give. A server's record is made by running the lesson from ``solutions/`` with
``DATABASE_URL`` pointing at that server (``TEST_POSTGRES_URL``, ``TEST_MARIADB_URL``); a server whose URL is not
set, or that does not answer, is skipped, and publishing says so. A cell whose output cannot be compared on one
engine carries the tag ``ignore-output-on-postgresql`` (or ``-mariadb``) in ``solutions/``, with the reason in a
comment; that engine's record gets ``nbval-ignore-output`` on it, the others compare it.

Usage (``make notebooks`` runs the first)::

    python -m lessons.tooling.publish                 # execute every solution on every engine, regenerate notebooks/
    python -m lessons.tooling.publish 03-relationships  # just these lessons
    python -m lessons.tooling.publish --engines sqlite  # only SQLite (solutions/ and notebooks/); or postgresql,mariadb
    python -m lessons.tooling.publish --no-execute    # only regenerate notebooks/ (and a missing .py) from solutions/
    python -m lessons.tooling.publish --check         # exit 1 when notebooks/, a record or a .py differ from solutions/

>>> print(strip_solutions("def f():\\n    # BEGIN SOLUTION\\n    return 1\\n    # END SOLUTION\\n"))
def f():
    # Your code here: replace the line below.
    raise NotImplementedError
<BLANKLINE>
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import re
import sys
from pathlib import Path
from typing import Any

import nbformat

from lessons.core.settings import ROOT

SOLUTIONS = ROOT / "solutions"
NOTEBOOKS = ROOT / "notebooks"

#: The server engines whose outputs are recorded beside SQLite's: folder and the variable naming the server.
RECORDS = {"postgresql": ROOT / "solutions-postgresql", "mariadb": ROOT / "solutions-mariadb"}
URL_VARIABLES = {"postgresql": "TEST_POSTGRES_URL", "mariadb": "TEST_MARIADB_URL"}
LABELS = {"sqlite": "SQLite", "postgresql": "PostgreSQL", "mariadb": "MariaDB"}
ENGINES = ("sqlite", *RECORDS)
#: The tag nbval reads (its own rule: the cell runs, its output is not compared).
NBVAL_IGNORE = "nbval-ignore-output"


def ignore_tag(engine: str) -> str:
    """The tag, set in ``solutions/``, that leaves one cell's output uncompared on ``engine`` only.

    >>> ignore_tag("mariadb")
    'ignore-output-on-mariadb'
    """
    return f"ignore-output-on-{engine}"

BEGIN = re.compile(r"^(?P<indent>\s*)# BEGIN SOLUTION\s*$")
END = re.compile(r"^\s*# END SOLUTION\s*$")
STUB = re.compile(r"^\s*# STUB: ?(?P<code>.*)$")
MARKDOWN_REGION = re.compile(r"<!-- BEGIN SOLUTION -->.*?<!-- END SOLUTION -->\n?", re.DOTALL)

#: What JupyterLab writes into ``metadata.kernelspec`` when the kernel starts (name, display name, language).
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def language_info(version: str | None = None) -> dict[str, Any]:
    """``metadata.language_info`` exactly as the course's kernel reports it in its info reply.

    JupyterLab 4 replaces the notebook's ``language_info`` with the kernel's as soon as the kernel starts and
    compares the two as JSON (every field, ``version`` included): any difference marks the notebook modified
    (●), and closing it asks to save. So every field is committed, the Python ``version`` being the one that
    executed the notebook (nbclient writes it), else the running one.

    >>> info = language_info("3.11.7")
    >>> info["version"], info["mimetype"], info["codemirror_mode"]
    ('3.11.7', 'text/x-python', {'name': 'ipython', 'version': 3})
    """
    from ipykernel.ipkernel import IPythonKernel

    info = copy.deepcopy(IPythonKernel.language_info)
    if version:
        info["version"] = version
    return info


class PublishError(RuntimeError):
    """A solution notebook that cannot be published as it is (unbalanced markers, stray output …)."""


# --- The text form: solutions/NN-name.py ---------------------------------------------------------------------------

#: jupytext's format of a lesson's text form.
TEXT_FORMAT = "py:percent"


def text_path(path: Path) -> Path:
    """The text form beside a solution notebook: ``solutions/NN-name.py`` for ``solutions/NN-name.ipynb``."""
    return path.with_suffix(".py")


def _text_config() -> Any:
    # The [tool.jupytext] options of pyproject.toml, as `jupytext --to py:percent solutions/…` reads them: the same
    # file written either way.
    from jupytext.config import load_jupytext_configuration_file

    return load_jupytext_configuration_file(str(ROOT / "pyproject.toml"))


def to_text(notebook: Any) -> str:
    """The text form of a notebook, in its normal form (no header; each cell's type, source and tags).

    >>> lesson = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# A title"),
    ...     nbformat.v4.new_code_cell("await f()", metadata={"tags": ["nbval-ignore-output"]})])
    >>> print(to_text(lesson), end="")
    # %% [markdown]
    # # A title
    <BLANKLINE>
    # %% tags=["nbval-ignore-output"]
    await f()
    """
    import jupytext

    return jupytext.writes(notebook, fmt=TEXT_FORMAT, config=_text_config())


def from_text(text: str) -> Any:
    """The notebook a text form holds: its cells (type, source, tags), normalised, without outputs."""
    import jupytext

    return normalize(jupytext.reads(text, fmt=TEXT_FORMAT, config=_text_config()))


def cells_of(notebook: Any) -> list[tuple[str, str, list[str]]]:
    """What a text form and its notebook must agree on: each cell's type, source and tags."""
    return [(cell.cell_type, cell.source, list(cell.get("metadata", {}).get("tags", []))) for cell in notebook.cells]


def first_difference(mine: Any, theirs: Any) -> str | None:
    """Where two notebooks' cells first differ (a cell's type, source or tags, or their number), in words; else None.

    >>> one, two = nbformat.v4.new_code_cell("x = 1"), nbformat.v4.new_code_cell("x = 2")
    >>> first_difference(nbformat.v4.new_notebook(cells=[one]), nbformat.v4.new_notebook(cells=[two]))
    "cell 0's source ('x = 1')"
    >>> first_difference(nbformat.v4.new_notebook(cells=[one]), nbformat.v4.new_notebook(cells=[one, two]))
    'the number of cells (1 and 2)'
    """
    a, b = cells_of(mine), cells_of(theirs)
    for index, (x, y) in enumerate(zip(a, b, strict=False)):
        for part, left, right in zip(("type", "source", "tags"), x, y, strict=True):
            if left != right:
                first = (x[1].strip().splitlines() or [""])[0][:60]
                return f"cell {index}'s {part} ({first!r})"
    if len(a) != len(b):
        return f"the number of cells ({len(a)} and {len(b)})"
    return None


def _fixes(path: Path) -> str:
    stem = path.stem
    return (
        f"edited {stem}.py? publish it: python -m lessons.tooling.publish {stem}. Edited {stem}.ipynb (in JupyterLab)? "
        f"carry it into the text form first: .venv/bin/jupytext --to py:percent solutions/{stem}.ipynb"
    )


def lesson_source(path: Path) -> Any:
    """The lesson to run: ``solutions/NN-name.py``'s cells when it exists, else ``solutions/NN-name.ipynb``.

    The text form is the source, but a notebook edited after it (newer, with other cells) is somebody's work that
    publishing would overwrite: that is refused, saying how to keep it or drop it.
    """
    text = text_path(path)
    if not text.exists():
        if not path.exists():
            raise PublishError(f"solutions/{path.name}: no such lesson (nor solutions/{text.name})")
        return normalize(nbformat.read(path, as_version=4))
    notebook = from_text(text.read_text())
    if path.exists() and path.stat().st_mtime_ns > text.stat().st_mtime_ns:
        where = first_difference(notebook, nbformat.read(path, as_version=4))
        if where is not None:
            raise PublishError(
                f"solutions/{path.name} was changed after solutions/{text.name} and they differ in {where}: keep the "
                f"notebook's edit with `.venv/bin/jupytext --to py:percent solutions/{path.name}`, or drop it with "
                f"`touch solutions/{text.name}`; then publish again"
            )
    return notebook


def text_drift(path: Path) -> list[str]:
    """Where a lesson's text form and its notebook disagree: one missing, a cell, or a .py not in normal form."""
    text = text_path(path)
    if not path.exists():
        return [f"solutions/{text.name} has no solutions/{path.name}: python -m lessons.tooling.publish {path.stem}"]
    if not text.exists():
        return [
            f"solutions/{path.name} has no solutions/{text.name}: write it with "
            f"python -m lessons.tooling.publish --no-execute {path.stem}"
        ]
    written, notebook = text.read_text(), nbformat.read(path, as_version=4)
    where = first_difference(from_text(written), notebook)
    if where is not None:
        return [f"solutions/{text.name} and solutions/{path.name} differ in {where}: {_fixes(path)}"]
    if written != to_text(notebook):
        return [f"solutions/{text.name} is not in its normal form: {_fixes(path)}"]
    return []


def strip_solutions(source: str) -> str:
    """Replace every ``# BEGIN SOLUTION`` … ``# END SOLUTION`` region of a code cell with its stub."""
    lines, out = source.splitlines(keepends=True), []
    region: list[str] | None = None
    indent = ""
    for number, line in enumerate(lines, 1):
        begin = BEGIN.match(line)
        if begin:
            if region is not None:
                raise PublishError(f"line {number}: BEGIN SOLUTION inside another solution region")
            region, indent = [], begin["indent"]
            continue
        if END.match(line):
            if region is None:
                raise PublishError(f"line {number}: END SOLUTION without BEGIN SOLUTION")
            stubs = [STUB.match(item)["code"] for item in region if STUB.match(item)]
            if stubs:
                out.extend(f"{indent}{code}\n" for code in stubs)
            else:
                out.append(f"{indent}# Your code here: replace the line below.\n")
                out.append(f"{indent}raise NotImplementedError\n")
            region = None
            continue
        if region is not None:
            region.append(line)
        else:
            out.append(line)
    if region is not None:
        raise PublishError("a BEGIN SOLUTION region is never closed")
    return "".join(out)


def _cell_ids(cells: list[Any]) -> None:
    # Ids from the cell's own text: stable across runs, so regenerated files do not churn.
    seen: dict[str, int] = {}
    for cell in cells:
        digest = hashlib.sha1(f"{cell.cell_type}\n{cell.source}".encode()).hexdigest()[:8]
        seen[digest] = seen.get(digest, 0) + 1
        cell.id = digest if seen[digest] == 1 else f"{digest}-{seen[digest]}"


def coalesce_streams(outputs: list[Any]) -> list[Any]:
    """Join consecutive stream outputs of the same stream into one, as nbval does before it compares.

    How a kernel splits one cell's printing into chunks depends on timing, so without this a re-run changes the
    committed file when nothing a learner sees has changed.

    >>> chunks = [nbformat.v4.new_output("stream", name="stdout", text=t) for t in ("BEGIN\\n", "COMMIT\\n")]
    >>> [(o.name, o.text) for o in coalesce_streams(chunks)]
    [('stdout', 'BEGIN\\nCOMMIT\\n')]
    """
    merged: list[Any] = []
    for output in outputs:
        previous = merged[-1] if merged else None
        if (
            previous is not None
            and output.output_type == previous.output_type == "stream"
            and output.name == previous.name
        ):
            previous.text += output.text
        else:
            merged.append(output)
    return merged


def normalize(notebook: Any) -> Any:
    """Canonical metadata, stable cell ids, no timing data: the same notebook always has the same bytes.

    The metadata is complete (``kernelspec`` and ``language_info``, see :func:`language_info`), so opening a
    lesson in JupyterLab does not mark it modified.
    """
    version = notebook.get("metadata", {}).get("language_info", {}).get("version")
    notebook.metadata = nbformat.from_dict({"kernelspec": KERNELSPEC, "language_info": language_info(version)})
    notebook.nbformat, notebook.nbformat_minor = 4, 5
    for cell in notebook.cells:
        tags = list(cell.get("metadata", {}).get("tags", []))
        cell.metadata = nbformat.from_dict({"tags": tags} if tags else {})
        if cell.cell_type == "markdown" and not cell.get("attachments"):
            cell.pop("attachments", None)
        if cell.cell_type == "code":
            cell.outputs = coalesce_streams(cell.outputs)
            for output in cell.outputs:
                if "metadata" in output and output.output_type in {"display_data", "execute_result"}:
                    output.metadata = nbformat.from_dict({})
    _cell_ids(notebook.cells)
    return notebook


def learner_notebook(solution: Any) -> Any:
    """The learner's notebook made from a solution notebook: stubs instead of answers, no outputs."""
    notebook = copy.deepcopy(solution)
    cells = []
    for cell in notebook.cells:
        if "solution-only" in cell.get("metadata", {}).get("tags", []):
            continue
        if cell.cell_type == "code":
            cell.source = strip_solutions(cell.source)
            cell.outputs = []
            cell.execution_count = None
        elif cell.cell_type == "markdown":
            cell.source = MARKDOWN_REGION.sub("", cell.source)
        cells.append(cell)
    notebook.cells = cells
    return normalize(notebook)


def dumps(notebook: Any) -> str:
    """The notebook as the text we commit (nbformat's layout, one trailing newline)."""
    return nbformat.writes(notebook) + "\n"


def problems(notebook: Any) -> list[str]:
    """What would make a solution notebook fail strict nbval or the course's hygiene rules."""
    found = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code" or not cell.source.strip():
            continue
        tags = cell.get("metadata", {}).get("tags", [])
        if cell.execution_count is None:
            found.append(f"cell {index}: not executed")
        for output in cell.outputs:
            if output.output_type == "error" and "raises-exception" not in tags:
                found.append(f"cell {index}: raised {output.ename}: {output.evalue}")
            if output.output_type == "stream" and output.name == "stderr" and "nbval-ignore-output" not in tags:
                found.append(f"cell {index}: wrote to stderr: {output.text.strip()[:200]}")
            text = output.get("text", "") + json.dumps(output.get("data", {}))
            if re.search(r"\w+Warning\b", text) and "nbval-ignore-output" not in tags:
                found.append(f"cell {index}: a warning in the output")
            if re.search(r" at 0x[0-9a-f]{6,}", text) and "nbval-ignore-output" not in tags:
                found.append(f"cell {index}: a memory address in compared output")
    return found


def execute(path: Path, timeout: int = 900, database_url: str | None = None) -> Any:
    """Run a lesson (:func:`lesson_source`: its text form's cells) top to bottom on a fresh kernel, in its own folder.

    ``database_url`` runs it on that server (the kernel's ``DATABASE_URL``); ``""`` on the built-in SQLite, even
    when the environment or ``.env`` names a server (an empty variable wins over ``.env`` and means the default).
    """
    import os

    from nbclient import NotebookClient

    notebook = lesson_source(path)
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        record_timing=False,
        allow_errors=True,
        resources={"metadata": {"path": str(path.parent)}},
    )
    env = dict(os.environ)
    if database_url is not None:
        env["DATABASE_URL"] = database_url
    client.execute(env=env)
    return notebook


def expected_tags(tags: list[str], engine: str) -> list[str]:
    """A cell's tags in ``engine``'s record: the source's, plus ``nbval-ignore-output`` where the source asks.

    >>> expected_tags(["ignore-output-on-postgresql"], "postgresql")
    ['ignore-output-on-postgresql', 'nbval-ignore-output']
    >>> expected_tags(["ignore-output-on-postgresql"], "mariadb")
    ['ignore-output-on-postgresql']
    """
    tags = list(tags)
    if ignore_tag(engine) in tags and NBVAL_IGNORE not in tags:
        tags.append(NBVAL_IGNORE)
    return tags


def engine_record(executed: Any, engine: str) -> Any:
    """``engine``'s record of a lesson: the lesson as executed on that server, its cells tagged for that engine."""
    notebook = copy.deepcopy(executed)
    for cell in notebook.cells:
        tags = expected_tags(cell.get("metadata", {}).get("tags", []), engine)
        if tags:
            cell.setdefault("metadata", {})["tags"] = tags
    return normalize(notebook)


def server_url(engine: str) -> tuple[str | None, str]:
    """The URL of ``engine``'s server and, when it cannot be used, why (one sentence)."""
    import os

    variable = URL_VARIABLES[engine]
    url = os.environ.get(variable, "")
    if not url:
        return None, f"{variable} is not set"
    try:
        _ping(url)
    except Exception as error:  # any failure to connect is a reason to skip, and is printed
        first = str(error).strip().splitlines()[0] if str(error).strip() else ""
        return None, f"{variable} does not answer ({type(error).__name__}: {first[:160]})"
    return url, ""


def _ping(url: str) -> None:
    import asyncio

    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    async def ping() -> None:
        engine = create_async_engine(url, connect_args={"timeout": 5} if "aiomysql" not in url else {})
        try:
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        finally:
            await engine.dispose()

    asyncio.run(asyncio.wait_for(ping(), 15))


def _seed(url: str) -> None:
    """The server's pristine seed, built before the lessons copy it (as ``.ci/matrix`` does)."""
    import os
    import subprocess

    subprocess.run(
        [sys.executable, "-m", "lessons.tooling.seed", "--url", url],
        check=True,
        env={**os.environ, "DATABASE_URL": url},
    )


def record(names: list[str], engine: str, url: str) -> int:
    """Execute the named solutions on ``engine``'s server and write its normalised record of each."""
    folder = RECORDS[engine]
    folder.mkdir(exist_ok=True)
    _seed(url)
    failures = 0
    for path in _solution_paths(names):
        notebook = engine_record(execute(path, database_url=url), engine)
        found = problems(notebook)
        target = folder / path.name
        target.write_text(dumps(notebook))
        status = "ok" if not found else f"{len(found)} problem(s)"
        print(f"{target.relative_to(ROOT)}: {status}")
        for problem in found:
            print(f"  - {problem}")
        failures += bool(found)
    return 1 if failures else 0


def _unexecuted(path: Path) -> Any:
    """``--no-execute``: the committed notebook, whose outputs are those of its own cells, so no edit may be pending."""
    notebook = normalize(nbformat.read(path, as_version=4))
    text = text_path(path)
    if text.exists():
        lesson_source(path)  # refuses a notebook edited after its text form, saying how to keep the edit
        where = first_difference(from_text(text.read_text()), notebook)
        if where is not None:
            raise PublishError(
                f"solutions/{text.name} differs from solutions/{path.name} in {where}: its outputs come from a run, "
                f"so publish it without --no-execute: python -m lessons.tooling.publish {path.stem}"
            )
    return notebook


def refusals(paths: list[Path], run: bool = True) -> list[str]:
    """Why some of these lessons cannot be published as they are (checked before anything runs), in sentences."""
    found = []
    for path in paths:
        try:
            if run:
                lesson_source(path)
            elif path.exists():
                _unexecuted(path)
            else:
                found.append(f"solutions/{path.name} does not exist yet: publish it without --no-execute")
        except PublishError as error:
            found.append(str(error))
    return found


def publish(names: list[str], run: bool = True) -> int:
    """Execute (when ``run``) and normalise the named solutions, then write their learner notebooks and text forms."""
    failures = 0
    for path in _solution_paths(names):
        notebook = execute(path, database_url="") if run else _unexecuted(path)
        normalize(notebook)
        found = problems(notebook) if run else []
        path.write_text(dumps(notebook))
        (NOTEBOOKS / path.name).write_text(dumps(learner_notebook(notebook)))
        text = to_text(notebook)
        where = first_difference(from_text(text), notebook)
        if where is None:
            text_path(path).write_text(text)  # last: the text form is never older than its notebook
        else:  # e.g. a code line that starts with "# %%", which starts a cell in the text form
            found.append(f"solutions/{text_path(path).name} not written: read back, it would differ in {where}")
        status = "ok" if not found else f"{len(found)} problem(s)"
        print(f"{path.parent.name}/{path.name}: {status}")
        for problem in found:
            print(f"  - {problem}")
        failures += bool(found)
    return 1 if failures else 0


def drift() -> list[str]:
    """Where ``notebooks/`` differs from what ``solutions/`` generate (empty when they agree)."""
    differences = []
    solutions = {path.name for path in SOLUTIONS.glob("*.ipynb")}
    learners = {path.name for path in NOTEBOOKS.glob("*.ipynb")}
    for name in sorted(learners - solutions):
        differences.append(f"notebooks/{name} has no solutions/{name}")
    for name in sorted(solutions):
        expected = dumps(learner_notebook(nbformat.read(SOLUTIONS / name, as_version=4)))
        target = NOTEBOOKS / name
        if not target.exists():
            differences.append(f"notebooks/{name} is missing")
        elif target.read_text() != expected:
            differences.append(f"notebooks/{name} differs from what solutions/{name} generates")
    return differences


def record_drift(engines: tuple[str, ...] = tuple(RECORDS)) -> list[str]:
    """Where a server's record is missing, extra, or has cells (sources, types, tags) other than ``solutions/``'s.

    Outputs are not compared here (they are each engine's own); everything else must be the source's, with
    ``nbval-ignore-output`` added exactly where ``ignore-output-on-<engine>`` asks for it.
    """
    differences = []
    solutions = {path.name for path in SOLUTIONS.glob("*.ipynb")}
    for engine in engines:
        folder = RECORDS[engine]
        recorded = {path.name for path in folder.glob("*.ipynb")}
        for name in sorted(recorded - solutions):
            differences.append(f"{folder.name}/{name} has no solutions/{name}")
        for name in sorted(solutions):
            if name not in recorded:
                differences.append(f"{folder.name}/{name} is missing: python -m lessons.tooling.publish {name[:-6]}")
                continue
            source = nbformat.read(SOLUTIONS / name, as_version=4)
            copy_ = nbformat.read(folder / name, as_version=4)
            if len(source.cells) != len(copy_.cells):
                differences.append(f"{folder.name}/{name}: {len(copy_.cells)} cells, not {len(source.cells)}")
                continue
            for index, (mine, theirs) in enumerate(zip(source.cells, copy_.cells, strict=True)):
                if (mine.cell_type, mine.source) != (theirs.cell_type, theirs.source):
                    differences.append(f"{folder.name}/{name}: cell {index}'s source differs from solutions/")
                expected = expected_tags(mine.get("metadata", {}).get("tags", []), engine)
                if list(theirs.get("metadata", {}).get("tags", [])) != expected:
                    differences.append(f"{folder.name}/{name}: cell {index}'s tags are not {expected}")
    return differences


def _solution_paths(names: list[str]) -> list[Path]:
    """The notebooks of the named lessons (all by default), a lesson written so far only as a ``.py`` included."""

    def lessons(pattern: str) -> list[Path]:
        stems = {path.stem for suffix in (".ipynb", ".py") for path in SOLUTIONS.glob(pattern + suffix)}
        return [SOLUTIONS / f"{stem}.ipynb" for stem in sorted(stems)]

    if not names:
        return lessons("*")
    paths = []
    for name in names:
        matches = lessons(f"{Path(name).stem}*")
        if not matches:
            raise SystemExit(f"error: no lesson matches {name!r} in solutions/")
        paths.extend(matches)
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m lessons.tooling.publish", description="Publish the lesson notebooks."
    )
    parser.add_argument("names", nargs="*", help="lessons to publish, e.g. 00-setup (default: all)")
    parser.add_argument("--no-execute", action="store_true", help="do not re-run solutions; only regenerate")
    parser.add_argument(
        "--engines",
        default=",".join(ENGINES),
        help="comma-separated, from sqlite,postgresql,mariadb (default: all; a server whose URL is unset or that "
        "does not answer is skipped, and said so; one named here explicitly must be there)",
    )
    parser.add_argument("--check", action="store_true", help="exit 1 if notebooks/ or a record differ from solutions/")
    args = parser.parse_args(argv)
    engines = [engine.strip() for engine in args.engines.split(",") if engine.strip()]
    unknown = sorted(set(engines) - set(ENGINES))
    if unknown:
        parser.error(f"unknown engine(s) {', '.join(unknown)}: choose from {', '.join(ENGINES)}")
    if args.check:
        differences = drift() + record_drift(tuple(engine for engine in engines if engine in RECORDS))
        differences += [line for path in _solution_paths([]) for line in text_drift(path)]
        for line in differences:
            print(line)
        return 1 if differences else 0
    NOTEBOOKS.mkdir(exist_ok=True)
    refused = refusals(_solution_paths(args.names), run=not args.no_execute)
    for line in refused:
        print(f"error: {line}", file=sys.stderr)
    if refused:
        return 1
    status = 0
    if "sqlite" in engines or args.no_execute:
        status |= publish(args.names, run=not args.no_execute)
    if args.no_execute:
        return status
    explicit = "--engines" in " ".join(sys.argv[1:] if argv is None else argv)
    for engine in engines:
        if engine == "sqlite":
            continue
        url, reason = server_url(engine)
        if url is None:
            if explicit:  # asked for by name: not being able to is an error, not a skip
                print(f"error: cannot record {RECORDS[engine].name}/ on {LABELS[engine]}: {reason}", file=sys.stderr)
                status = 1
            else:
                print(f"SKIPPED: the {LABELS[engine]} record ({RECORDS[engine].name}/): {reason}")
            continue
        print(f"=== recording on {LABELS[engine]} into {RECORDS[engine].name}/ ===")
        status |= record(args.names, engine, url)
    return status


if __name__ == "__main__":
    sys.exit(main())
