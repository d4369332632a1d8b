"""One source, two folders: notebooks/ is exactly what solutions/ generate, and solutions are clean.

And three records: solutions-postgresql/ and solutions-mariadb/ hold the same cells as solutions/ (sources and tags,
plus nbval-ignore-output where ignore-output-on-<engine> asks), with that server's outputs."""

from __future__ import annotations

import platform
import re
from pathlib import Path

import nbformat
import pytest

import lessons.tooling.publish
from lessons.tooling.publish import (
    KERNELSPEC,
    LABELS,
    NBVAL_IGNORE,
    NOTEBOOKS,
    RECORDS,
    SOLUTIONS,
    PublishError,
    drift,
    engine_record,
    ignore_tag,
    language_info,
    learner_notebook,
    normalize,
    problems,
    record_drift,
    strip_solutions,
)

SOLUTION_FILES = sorted(SOLUTIONS.glob("*.ipynb"))
RECORD_FILES = [path for folder in RECORDS.values() for path in sorted(folder.glob("*.ipynb"))]


def test_notebooks_match_what_solutions_generate() -> None:
    assert drift() == [], "run `make notebooks` (or `python -m lessons.tooling.publish --no-execute`) and commit"


def test_every_lesson_exists_in_both_folders() -> None:
    assert SOLUTION_FILES, "no solution notebooks found"
    assert [path.name for path in SOLUTION_FILES] == sorted(path.name for path in NOTEBOOKS.glob("*.ipynb"))


@pytest.mark.parametrize("path", SOLUTION_FILES, ids=[path.stem for path in SOLUTION_FILES])
def test_solution_notebooks_are_executed_and_clean(path) -> None:
    assert problems(nbformat.read(path, as_version=4)) == []


@pytest.mark.parametrize("path", SOLUTION_FILES, ids=[path.stem for path in SOLUTION_FILES])
def test_learner_notebooks_hold_no_answers_and_no_outputs(path) -> None:
    learner = nbformat.read(NOTEBOOKS / path.name, as_version=4)
    for cell in learner.cells:
        assert "BEGIN SOLUTION" not in cell.source
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


def test_strip_solutions_keeps_the_indent_and_uses_the_stub() -> None:
    source = (
        "async def f(s):\n    x = 1\n    # BEGIN SOLUTION\n    # STUB: return None\n    return x\n    # END SOLUTION\n"
    )
    assert strip_solutions(source) == "async def f(s):\n    x = 1\n    return None\n"


@pytest.mark.parametrize(
    "source",
    ["# BEGIN SOLUTION\nx = 1\n", "x = 1\n# END SOLUTION\n", "# BEGIN SOLUTION\n# BEGIN SOLUTION\n# END SOLUTION\n"],
)
def test_unbalanced_markers_are_refused(source: str) -> None:
    with pytest.raises(PublishError):
        strip_solutions(source)


def test_solution_only_cells_are_left_out() -> None:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell("x = 1"),
        nbformat.v4.new_code_cell("secret = 2", metadata={"tags": ["solution-only"]}),
    ]
    assert [cell.source for cell in learner_notebook(notebook).cells] == ["x = 1"]


def kernel_info_reply(tmp_path: Path) -> dict:
    """What the course's kernel sends in its kernel_info reply, as JupyterLab receives it."""
    from jupyter_client.manager import KernelManager

    # IPC, not TCP: the kernel would log a warning about unencrypted TCP to the test run.
    manager = KernelManager(kernel_name="python3", transport="ipc", ip=str(tmp_path / "kernel"))
    manager.start_kernel()
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=60)
        return client.kernel_info(reply=True, timeout=60)["content"]
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


@pytest.mark.parametrize(
    "folder", [SOLUTIONS, NOTEBOOKS, *RECORDS.values()], ids=["solutions", "notebooks", *map(str, RECORDS)]
)
def test_metadata_is_what_jupyterlab_writes_when_the_kernel_starts(folder) -> None:
    # JupyterLab 4 replaces metadata.language_info with the kernel's and compares them as JSON: a missing field
    # (or another Python version) marks the opened notebook modified. Every field but the version is the same on
    # every Python; the version is the one that executed the solutions.
    keys = set(language_info())
    for path in sorted(folder.glob("*.ipynb")):
        metadata = nbformat.read(path, as_version=4).metadata
        assert metadata.kernelspec == KERNELSPEC, path.name
        assert set(metadata.language_info) == keys, path.name
        assert {k: v for k, v in metadata.language_info.items() if k != "version"} == {
            k: v for k, v in language_info().items() if k != "version"
        }, path.name
        assert re.fullmatch(r"3\.1[1-9]\.\d+", metadata.language_info.version), path.name


def test_normalize_keeps_the_executing_pythons_version_and_fills_in_a_missing_one() -> None:
    executed = nbformat.v4.new_notebook(metadata={"language_info": {"name": "python", "version": "3.12.3"}})
    assert normalize(executed).metadata.language_info == {**language_info(), "version": "3.12.3"}
    bare = nbformat.v4.new_notebook()
    assert normalize(bare).metadata.language_info["version"] == platform.python_version()
    assert learner_notebook(normalize(executed)).metadata == normalize(executed).metadata


def test_language_info_is_the_kernels_own_reply(tmp_path: Path) -> None:
    reply = kernel_info_reply(tmp_path)
    assert reply["language_info"] == language_info(platform.python_version())


def test_the_docstring_examples_run() -> None:
    """strip_solutions and coalesce_streams show what they do in their docstrings: those examples stay true."""
    import doctest

    import lessons.tooling.publish

    assert doctest.testmod(lessons.tooling.publish).failed == 0


def test_a_cell_printed_in_chunks_is_committed_as_one_stream() -> None:
    """Re-running a lesson must not change the committed file because the kernel flushed its output differently."""
    import nbformat

    from lessons.tooling.publish import normalize

    notebook = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("print(1); print(2)")
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="1\n"),
        nbformat.v4.new_output("stream", name="stderr", text="careful\n"),
        nbformat.v4.new_output("stream", name="stdout", text="2\n"),
        nbformat.v4.new_output("stream", name="stdout", text="3\n"),
    ]
    notebook.cells = [cell]
    outputs = normalize(notebook).cells[0].outputs
    assert [(o.name, o.text) for o in outputs] == [("stdout", "1\n"), ("stderr", "careful\n"), ("stdout", "2\n3\n")]


# --- The server records -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("engine", sorted(RECORDS))
def test_every_lesson_has_a_record_with_the_cells_of_solutions(engine: str) -> None:
    """A lesson changed in solutions/ and not re-recorded on a server, or a lesson with no record, fails here."""
    assert record_drift((engine,)) == [], f"re-record: python -m lessons.tooling.publish --engines {engine} <lesson>"


@pytest.mark.parametrize("path", RECORD_FILES, ids=[f"{path.parent.name}/{path.stem}" for path in RECORD_FILES])
def test_records_are_executed_and_clean(path) -> None:
    assert problems(nbformat.read(path, as_version=4)) == []


def test_ignore_tags_name_a_server_and_give_their_reason() -> None:
    """An ``ignore-output-on-…`` tag names postgresql or mariadb, and the cell says why (``# ignored on …: why``)."""
    for path in SOLUTION_FILES:
        for index, cell in enumerate(nbformat.read(path, as_version=4).cells):
            for tag in cell.get("metadata", {}).get("tags", []):
                if not tag.startswith("ignore-output-on-"):
                    continue
                engine = tag.removeprefix("ignore-output-on-")
                assert engine in RECORDS, f"{path.name} cell {index}: {tag} names no server ({sorted(RECORDS)})"
                assert re.search(rf"ignored on {LABELS[engine]}: \S", cell.source, re.I), (
                    f"{path.name} cell {index}: say why in the cell (# ignored on {LABELS[engine]}: reason)"
                )


def _lesson(tags: list[str] | None = None, source: str = "print(1)") -> nbformat.NotebookNode:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_markdown_cell("# A lesson"),
        nbformat.v4.new_code_cell(source, metadata={"tags": tags} if tags else {}),
    ]
    return notebook


def test_the_engine_tag_becomes_nbval_ignore_output_in_that_engines_record_only() -> None:
    notebook = _lesson([ignore_tag("mariadb")])
    assert engine_record(notebook, "mariadb").cells[1].metadata.tags == [ignore_tag("mariadb"), NBVAL_IGNORE]
    assert engine_record(notebook, "postgresql").cells[1].metadata.tags == [ignore_tag("mariadb")]
    assert notebook.cells[1].metadata.tags == [ignore_tag("mariadb")], "the source is left as it was"


@pytest.mark.parametrize(
    ("recorded", "complaint"),
    [
        (None, "is missing"),
        (_lesson(source="print(2)"), "cell 1's source differs"),
        (_lesson(["nbval-ignore-output"]), "cell 1's tags are not []"),
        (_lesson(), None),
    ],
    ids=["missing", "source", "tags", "same"],
)
def test_record_drift_finds_a_stale_or_missing_record(tmp_path, monkeypatch, recorded, complaint) -> None:
    solutions, records = tmp_path / "solutions", tmp_path / "solutions-mariadb"
    solutions.mkdir(), records.mkdir()
    nbformat.write(_lesson(), solutions / "01-x.ipynb")
    if recorded is not None:
        nbformat.write(recorded, records / "01-x.ipynb")
    monkeypatch.setattr(lessons.tooling.publish, "SOLUTIONS", solutions)
    monkeypatch.setattr(lessons.tooling.publish, "RECORDS", {**RECORDS, "mariadb": records})
    found = record_drift(("mariadb",))
    if complaint is None:
        assert found == []
    else:
        assert len(found) == 1 and complaint in found[0], found


def test_a_server_that_is_not_set_is_skipped_and_said_so(monkeypatch, capsys) -> None:
    monkeypatch.delenv("TEST_MARIADB_URL", raising=False)
    monkeypatch.setattr(lessons.tooling.publish, "record", lambda *args: pytest.fail("recorded without a server"))
    monkeypatch.setattr(lessons.tooling.publish, "publish", lambda *args, **kwargs: 0)  # SQLite: not the point here
    monkeypatch.setattr(lessons.tooling.publish, "server_url", lambda engine: (None, f"{engine} is not there"))
    assert lessons.tooling.publish.main(["00-setup"]) == 0, "by default a missing server is a skip"
    out = capsys.readouterr().out
    assert "SKIPPED: the PostgreSQL record (solutions-postgresql/): postgresql is not there" in out
    assert "SKIPPED: the MariaDB record (solutions-mariadb/): mariadb is not there" in out
    assert lessons.tooling.publish.main(["--engines", "mariadb", "00-setup"]) == 1, "a named engine must run"
    assert "error: cannot record solutions-mariadb/ on MariaDB: mariadb is not there" in capsys.readouterr().err
