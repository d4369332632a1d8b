"""The course site's preparation step and its link checker (fast: no Sphinx build; `make site-check` does that)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import nbformat
import pytest

SITE = Path(__file__).resolve().parent.parent / "site"


def _load(name: str, filename: str) -> ModuleType:
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, SITE / filename)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


site_build = _load("course_site_build", "build.py")
site_check = _load("course_site_check", "check.py")
site_build_tabs = _load("course_site_engine_tabs", "engine_tabs.py")

HUB = "https://hub.example.org/hub/user-redirect/lab/tree/notebooks/{notebook}"


def practice_notebook() -> nbformat.NotebookNode:
    source = (
        'q1 = exercises.get("02.create_user")\n\n\n'
        "async def create_user(session, name, email):\n"
        "    # BEGIN SOLUTION\n"
        "    session.add(User(name=name, email=email))\n"
        "    # END SOLUTION\n\n\n"
        "await q1.check(create_user)\n"
    )
    answer = nbformat.v4.new_code_cell(source, execution_count=3)
    answer.outputs = [nbformat.v4.new_output("execute_result", {"text/plain": "'✅ Correct'"}, execution_count=3)]
    return nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_markdown_cell("# 02 · CRUD"), nbformat.v4.new_code_cell("x = 1"), answer]
    )


def test_a_practice_answer_is_folded_after_the_learners_stub():
    notebook = practice_notebook()
    assert site_build.fold_solutions(notebook) == 1
    stub, answer = notebook.cells[2], notebook.cells[3]
    assert "raise NotImplementedError" in stub.source and "session.add" not in stub.source
    assert stub.outputs == [] and "tags" not in stub.metadata
    assert "session.add" in answer.source and answer.outputs[0]["data"]["text/plain"] == "'✅ Correct'"
    assert answer.metadata["tags"] == ["hide-input"]
    assert answer.metadata["mystnb"]["code_prompt_show"] == "Show the solution"
    assert "tags" not in notebook.cells[1].metadata  # an ordinary cell stays in view


def test_a_markdown_answer_is_refused_rather_than_shown():
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("<!-- BEGIN SOLUTION -->\nyes")])
    with pytest.raises(site_build.SiteError, match="markdown solution"):
        site_build.fold_solutions(notebook)


def test_a_lesson_page_reads_its_solution_without_writing_it():
    path = site_build.SOLUTIONS / "02-crud.ipynb"
    before = path.read_bytes()
    page = site_build.lesson_page(path, None)
    assert path.read_bytes() == before
    header = page.cells[1].source
    assert "{download}`Download the learner notebook 02-crud.ipynb <_learner/02-crud.ipynb>`" in header
    assert "JupyterLab" not in header  # no address set, no link
    assert any("hide-input" in cell.metadata.get("tags", []) for cell in page.cells)
    with_hub = site_build.lesson_page(path, HUB).cells[1].source
    assert f"[Open 02-crud.ipynb in JupyterLab]({HUB.format(notebook='02-crud.ipynb')})" in with_hub


@pytest.mark.parametrize(
    ("template", "message"),
    [("hub.example.org/{notebook}", "must start with http"), ("https://hub.example.org/{path}", "not path")],
)
def test_a_lab_url_template_with_a_mistake_stops_the_build(template, message):
    with pytest.raises(site_build.SiteError, match=message):
        site_build.lab_url(template, "02-crud.ipynb")


def test_the_home_page_links_every_lesson_page_and_lists_it_in_order():
    home = site_build.home_page()
    stems = [path.stem for path in site_build.lessons()]
    assert len(stems) >= 17
    for stem in stems:
        assert f"]({stem}.ipynb)" in home
    toctree = home.split("```{toctree}")[1]
    assert toctree.index("running") < toctree.index(stems[0]) < toctree.index(stems[-1])
    assert "](notebooks/" not in home


def test_the_running_page_tells_how_to_run_the_lessons():
    page = site_build.running_page()
    assert page.startswith("# How to run the lessons")
    assert "make lab" in page and "## Using PostgreSQL or MariaDB" in page


def test_the_link_checker_finds_a_missing_file_and_a_missing_anchor(tmp_path):
    (tmp_path / "_static").mkdir()
    (tmp_path / "_static" / "style.css").write_text("")
    (tmp_path / "b.html").write_text('<h2 id="there">B</h2>')
    good = '<link href="_static/style.css"><a href="b.html#there">b</a><a href="https://example.org/x">out</a>'
    (tmp_path / "a.html").write_text(good)
    assert "resolve" in site_check.check_links(tmp_path, site_check.pages(tmp_path))
    (tmp_path / "a.html").write_text(good + '<a href="b.html#gone">b</a><img src="_images/chart.png">')
    with pytest.raises(site_check.CheckFailed) as failure:
        site_check.check_links(tmp_path, site_check.pages(tmp_path))
    assert "2 broken" in str(failure.value)
    assert "no id 'gone'" in str(failure.value) and "_images/chart.png does not exist" in str(failure.value)


def test_the_tree_digest_sees_a_one_byte_change(tmp_path):
    (tmp_path / "page.html").write_text("built at 10:00")
    first = site_check.tree_digest(tmp_path)
    (tmp_path / "page.html").write_text("built at 10:01")
    assert site_check.tree_digest(tmp_path) != first


def code(source: str, *texts: str) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source)
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=text) for text in texts]
    return cell


def test_only_cells_whose_output_differs_on_another_engine_get_tabs():
    sqlite = nbformat.v4.new_notebook(cells=[code("a", "1\n"), code("b", "x\n", "y\n"), code("c", "LIMIT ?\n")])
    postgresql = nbformat.v4.new_notebook(cells=[code("a", "1\n"), code("b", "x\ny\n"), code("c", "LIMIT $1\n")])
    # An older MariaDB record: cell "b" changed since, and a cell that is gone: they pair with nothing.
    mariadb = nbformat.v4.new_notebook(cells=[code("gone", "?\n"), code("b (old)", "z\n"), code("c", "LIMIT %s\n")])
    found = site_build.engine_cells(sqlite, {"postgresql": postgresql, "mariadb": mariadb})
    assert list(found) == [2]  # "b" prints the same text in two chunks on SQLite: the page joins them, no tabs
    assert [(engine, outputs[0].text) for engine, outputs in found[2].items()] == [
        ("sqlite", "LIMIT ?\n"), ("postgresql", "LIMIT $1\n"), ("mariadb", "LIMIT %s\n")
    ]  # fmt: skip


def test_a_timing_cell_gets_no_tabs_on_any_engine():
    # nbval-ignore-output in solutions/: a measurement, different on each run even on SQLite; not an engine's doing.
    timing = code("t", "measured on this machine: 1.2 ms\n")
    timing.metadata["tags"] = ["nbval-ignore-output"]
    other = code("t", "measured on this machine: 3.4 ms\n")
    other.metadata["tags"] = ["nbval-ignore-output"]
    sqlite = nbformat.v4.new_notebook(cells=[timing, code("c", "LIMIT ?\n")])
    postgresql = nbformat.v4.new_notebook(cells=[other, code("c", "LIMIT $1\n")])
    assert list(site_build.engine_cells(sqlite, {"postgresql": postgresql})) == [1]


def test_a_lesson_page_carries_each_engines_output_of_a_differing_cell(tmp_path):
    path = site_build.SOLUTIONS / "06-pagination.ipynb"
    solution = nbformat.read(path, as_version=4)
    index = next(i for i, cell in enumerate(solution.cells) if cell.cell_type == "code" and cell.outputs)
    records = {}
    for engine in ("postgresql", "mariadb"):
        record = nbformat.read(path, as_version=4)
        if engine == "mariadb":
            record.cells[index].outputs = [nbformat.v4.new_output("stream", name="stdout", text="on MariaDB\n")]
        records[engine] = tmp_path / engine
        records[engine].mkdir()
        nbformat.write(record, records[engine] / path.name)

    page = site_build.lesson_page(path, None, records)
    switches = [i for i, cell in enumerate(page.cells) if site_build.SWITCH_KEY in cell.metadata]
    assert len(switches) == 1 and page.cells[switches[0]].source == solution.cells[index].source
    assert page.cells[switches[0]].metadata[site_build.SWITCH_KEY] == ["sqlite", "postgresql", "mariadb"]
    postgresql, mariadb = page.cells[switches[0] + 1 : switches[0] + 3]
    assert postgresql.metadata[site_build.ENGINE_KEY] == "postgresql" and postgresql.metadata[site_build.SAME_KEY]
    assert mariadb.metadata[site_build.ENGINE_KEY] == "mariadb" and not mariadb.metadata[site_build.SAME_KEY]
    assert mariadb.metadata["tags"] == ["remove-input"] and mariadb.outputs[0].text == "on MariaDB\n"
    assert "engine-chooser" in page.cells[1].source and "1 cell below" in page.cells[1].source
    assert not any(site_build.ENGINES_KEY in cell.metadata for cell in page.cells)  # all turned into cells

    alone = site_build.lesson_page(path, None, {})  # a learner's laptop: no records, the page as before
    assert len(alone.cells) == len(page.cells) - 2
    assert not any(key.startswith("course_engine") for cell in alone.cells for key in cell.metadata)
    assert "engine-chooser" not in alone.cells[1].source


def test_the_tabs_are_radio_buttons_that_open_on_sqlite():
    tabs = site_build_tabs.tabs_html("engines-7", ["sqlite", "postgresql", "mariadb"], {"postgresql": True})
    assert tabs.count('type="radio"') == 3 and tabs.count(" checked") == 1
    assert 'value="sqlite" autocomplete="off" checked' in tabs
    assert 'class="engine-tab engine-same" for="engines-7-postgresql" title="The same output as SQLite"' in tabs


def test_the_errata_page_links_every_lesson_and_section_to_its_place_on_the_site():
    page = site_build.errata_page()
    rows = site_build.errata_rows()
    assert [row.number for row in rows] == list(range(1, 23))
    assert page.startswith("# The chapter's 22 errors")
    assert "../notebooks/" not in page and "](../" not in page
    assert "| # | The chapter says | What is true | Where the course runs it |\n|---|---|---|---|\n| 1 |" in page
    assert (
        "| **[02 · CRUD](02-crud.ipynb)**: "
        "[Careful: `delete()` must be awaited](02-crud.ipynb#careful-delete-must-be-awaited)<br>"
        "**[12 · The blog API](12-blog-api.ipynb)**: [Delete means delete](12-blog-api.ipynb#delete-means-delete) |"
    ) in page  # each lesson on a line of its own, followed by its sections
    assert "| every lesson |" in page  # 21: the whole course's rule
    for row in rows:
        for stem, heading in row.sections:
            assert f"]({stem}.ipynb#{site_build.heading_anchor(heading)})" in page
    home = site_build.home_page()
    assert "](errata.md)" in home and home.split("```{toctree}")[1].split("```")[0].split()[-1] == "errata"


def test_an_errata_table_the_site_cannot_read_stops_the_build():
    header = "| # | The chapter says | What is true | Lesson | Section |\n|---|---|---|---|---|\n"
    row = "| 1 | a | b | [02 · CRUD](../notebooks/02-crud.ipynb) | {} |\n"
    with pytest.raises(site_build.SiteError, match="names no lesson the row links"):
        site_build.errata_rows(header + row.format("Delete; 12 · Delete means delete"))
    with pytest.raises(site_build.SiteError, match="no table with the columns"):
        site_build.errata_rows(header.replace("Section", "Where") + row.format("Delete"))
    with pytest.raises(site_build.SiteError, match="outside notebooks/"):
        site_build.errata_page(header + row.format("Delete") + "\nSee [the README](../README.md).\n")
    (first,) = site_build.errata_rows(header + row.format("Delete"))
    assert first.owner == "02-crud" and first.sections == [("02-crud", "Delete")]
