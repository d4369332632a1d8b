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
