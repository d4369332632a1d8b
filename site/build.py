"""Build the course's static site from the executed lessons in ``solutions/``, offline, without running them.

    .venv/bin/python site/build.py                 # writes site/_build/html (what `make site` runs)
    COURSE_LAB_URL='https://hub.example.org/hub/user-redirect/lab/tree/notebooks/{notebook}' \\
        .venv/bin/python site/build.py             # adds an "Open in JupyterLab" link to every lesson

Two steps. ``prepare()`` writes the Sphinx source folder ``site/_build/src``: the home page (the README's course
map), the page on running the lessons, a copy of every solution notebook with its practice answers folded away,
the learner notebooks offered for download, and the map of the chapter's errors (``docs/errata.md``, each lesson
and section linked to its place on the site: ``errata_page()``). ``solutions/`` itself is only read. ``sphinx()``
then builds the HTML with MyST-NB (``nb_execution_mode = "off"``: the committed outputs are what the reader sees)
and fails on any warning.

The other engines. When ``solutions-postgresql/NN-name.ipynb`` and ``solutions-mariadb/NN-name.ipynb`` exist (the
same lesson's outputs recorded on those servers), every code cell whose output there differs from SQLite's gets
tabs "SQLite · PostgreSQL · MariaDB" above its output: ``engine_cells()`` pairs the cells, ``lesson_page()`` adds
each other engine's outputs as a hidden cell right after the SQLite one, and ``site/engine_tabs.py`` (a Sphinx
extension) folds those into the tabs; ``site/_static/engines.js`` remembers the reader's choice of engine for
every page. Without those folders (a learner's laptop) the pages are SQLite's alone, as before.
"""

from __future__ import annotations

import argparse
import copy
import os
import re
import shutil
import sys
import time
from collections import defaultdict, deque
from pathlib import Path
from typing import Any

import nbformat

SITE = Path(__file__).resolve().parent
ROOT = SITE.parent
SOLUTIONS = ROOT / "solutions"
NOTEBOOKS = ROOT / "notebooks"
README = ROOT / "README.md"
ERRATA = ROOT / "docs" / "errata.md"
ERRATA_PAGE = "errata"  # the page's name on the site: errata.html
BUILD = SITE / "_build"
LEARNER_DIR = "_learner"  # inside the source folder: the notebooks offered for download (not pages)

#: The engines a lesson page can show, in the order of the tabs: SQLite's record is solutions/ itself, each other
#: engine's the same notebook executed on that server (solutions-postgresql/, solutions-mariadb/), when present.
ENGINES = {"sqlite": "SQLite", "postgresql": "PostgreSQL", "mariadb": "MariaDB"}
RECORDS = {"postgresql": ROOT / "solutions-postgresql", "mariadb": ROOT / "solutions-mariadb"}
#: Cell metadata keys that carry the engines from lesson_page() to site/engine_tabs.py (never in a committed file).
ENGINES_KEY = "course_engines"  # on a solution cell while the page is made: {engine: outputs}
SWITCH_KEY = "course_engine_switch"  # on a cell that gets tabs: the engines it has, SQLite first
ENGINE_KEY = "course_engine"  # on the hidden cell after it that carries one engine's outputs
SAME_KEY = "course_engine_same"  # ... and whether those are SQLite's outputs exactly
#: nbval's tag for a cell whose output is never compared (CONTRIBUTING: timings, charts of timings).
IGNORED = "nbval-ignore-output"

# The environment variable that turns the per-lesson "Open in JupyterLab" link on, and its placeholders.
LAB_URL_VARIABLE = "COURSE_LAB_URL"
LAB_URL_FIELDS = {"notebook", "lesson"}

BEGIN = re.compile(r"^\s*# BEGIN SOLUTION\s*$", re.MULTILINE)
MARKDOWN_SOLUTION = "<!-- BEGIN SOLUTION -->"
SHOW_SOLUTION = "Show the solution"
HIDE_SOLUTION = "Hide the solution"

# Sphinx stamps nothing with the clock here, but extensions may: pin the date they would read.
SOURCE_DATE_EPOCH = "1735689600"  # 2025-01-01T00:00:00Z


class SiteError(RuntimeError):
    """The sources cannot be turned into the site as they are (a README section missing, a bad URL template …)."""


def lessons() -> list[Path]:
    """The solution notebooks, in course order (their names start with the lesson number)."""
    return sorted(SOLUTIONS.glob("*.ipynb"))


def lab_url(template: str | None, notebook: str) -> str | None:
    """The "Open in JupyterLab" address of one learner notebook, or None when no template is set.

    >>> lab_url("https://hub.example.org/hub/user-redirect/lab/tree/notebooks/{notebook}", "02-crud.ipynb")
    'https://hub.example.org/hub/user-redirect/lab/tree/notebooks/02-crud.ipynb'
    >>> lab_url("https://binder.example.org/v2/gh/me/course/HEAD?labpath=notebooks%2F{lesson}.ipynb", "02-crud.ipynb")
    'https://binder.example.org/v2/gh/me/course/HEAD?labpath=notebooks%2F02-crud.ipynb'
    >>> lab_url("", "02-crud.ipynb") is None
    True
    """
    if not template:
        return None
    if not re.match(r"^https?://", template):
        raise SiteError(f"{LAB_URL_VARIABLE} must start with http:// or https://, got {template!r}")
    fields = set(re.findall(r"{(\w*)}", template))
    if not fields <= LAB_URL_FIELDS:
        unknown = ", ".join(sorted(fields - LAB_URL_FIELDS))
        raise SiteError(f"{LAB_URL_VARIABLE} may use {{notebook}} and {{lesson}} only, not {unknown}")
    return template.format(notebook=notebook, lesson=Path(notebook).stem)


def lesson_header(notebook: str, url: str | None, engines: str = "") -> str:
    """The box at the top of every lesson page: the learner notebook to download, how to run it, JupyterLab."""
    lines = [
        ":::{admonition} Run this lesson yourself",
        ":class: tip",
        "",
        f"{{download}}`Download the learner notebook {notebook} <{LEARNER_DIR}/{notebook}>`: the same lesson with "
        "the practice answers left for you and no outputs. [How to run the lessons](running.md) tells how to "
        "open it with `make lab`. Each practice task's answer is folded away below: try it first, then "
        f"*{SHOW_SOLUTION.lower()}*.",
    ]
    if url:
        lines += ["", f"[Open {notebook} in JupyterLab]({url})"]
    if engines:
        lines += ["", engines]
    lines.append(":::")
    return "\n".join(lines)


def fold_solutions(notebook: Any) -> int:
    """Fold away every practice answer of a solution notebook (a copy): returns how many cells were folded.

    A code cell that holds a ``# BEGIN SOLUTION`` region is shown as the learner's copy has it (the stub), then
    the full cell with its output behind "Show the solution".
    """
    from lessons.tooling.publish import strip_solutions

    cells, folded = [], 0
    for cell in notebook.cells:
        if cell.cell_type == "markdown" and MARKDOWN_SOLUTION in cell.source:
            raise SiteError("a markdown solution region cannot be folded yet: put the answer in a code cell")
        if cell.cell_type == "code" and BEGIN.search(cell.source):
            task = nbformat.v4.new_code_cell(strip_solutions(cell.source))
            task.pop("id", None)
            cells.append(task)
            cell = copy.deepcopy(cell)
            tags = list(cell.metadata.get("tags", []))
            cell.metadata["tags"] = [*tags, "hide-input"]
            cell.metadata["mystnb"] = {"code_prompt_show": SHOW_SOLUTION, "code_prompt_hide": HIDE_SOLUTION}
            folded += 1
        cells.append(cell)
    notebook.cells = cells
    return folded


def shown(outputs: list[Any]) -> list[Any]:
    """What the page shows of a cell's outputs, for comparing two engines: the streams joined as the site joins
    them (``nb_merge_streams``), without execution counts and output metadata.

    >>> out = nbformat.v4.new_output
    >>> shown([out("stream", text="a\\n"), out("stream", text="b\\n")]) == shown([out("stream", text="a\\nb\\n")])
    True
    >>> shown([out("execute_result", {"text/plain": "1"}, execution_count=3)])
    [('execute_result', {'text/plain': '1'})]
    """
    from myst_nb.core.utils import coalesce_streams

    kept = []
    for output in coalesce_streams(copy.deepcopy(list(outputs))):
        if output.output_type == "stream":
            kept.append((output.name, output.text))
        elif output.output_type == "error":
            kept.append(("error", output.ename, output.evalue))
        else:
            kept.append((output.output_type, dict(output.get("data", {}))))
    return kept


def engine_records(name: str, records: dict[str, Path] | None = None) -> dict[str, Any]:
    """The other engines' records of one lesson (``NN-name.ipynb``) that exist, by engine, in tab order."""
    folders = RECORDS if records is None else records
    return {
        engine: nbformat.read(folders[engine] / name, as_version=4)
        for engine in ENGINES
        if engine in folders and (folders[engine] / name).exists()
    }


def engine_cells(notebook: Any, others: dict[str, Any]) -> dict[int, dict[str, list[Any]]]:
    """The code cells of ``notebook`` (SQLite's) whose output differs on another engine: by cell index, the outputs
    of every engine that recorded that cell, SQLite's first.

    A record's cell is paired with the SQLite cell of the same source (the n-th such cell with the n-th), so a
    record that lacks a cell or holds an older version of one leaves that cell without tabs instead of showing
    another cell's output. A cell tagged ``nbval-ignore-output`` in solutions/ (a timing, a chart of timings: never
    compared on any engine) gets no tabs either: its outputs differ from run to run on SQLite alone, so another
    engine's would be offered as a difference that the engine did not make.
    """
    pools: dict[str, dict[str, deque[Any]]] = {}
    for engine, record in others.items():
        pools[engine] = defaultdict(deque)
        for cell in record.cells:
            if cell.cell_type == "code":
                pools[engine][cell.source].append(cell)
    differing: dict[int, dict[str, list[Any]]] = {}
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code" or IGNORED in cell.metadata.get("tags", []):
            continue
        outputs = {"sqlite": list(cell.get("outputs", []))}
        for engine, pool in pools.items():
            if pool[cell.source]:
                outputs[engine] = list(pool[cell.source].popleft().get("outputs", []))
        sqlite = shown(outputs["sqlite"])
        if any(shown(other) != sqlite for other in outputs.values()):
            differing[index] = outputs
    return differing


def expand_engines(notebook: Any) -> int:
    """Turn each cell's ``course_engines`` (set by lesson_page) into hidden cells right after it, one per other
    engine, which site/engine_tabs.py folds into tabs; returns how many cells got tabs."""
    cells, switches = [], 0
    for cell in notebook.cells:
        cells.append(cell)
        engines = cell.metadata.pop(ENGINES_KEY, None)
        if not engines:
            continue
        switches += 1
        cell.metadata[SWITCH_KEY] = list(engines)
        sqlite = shown(engines["sqlite"])
        for engine, outputs in engines.items():
            if engine == "sqlite":
                continue
            metadata = {"tags": ["remove-input"], ENGINE_KEY: engine, SAME_KEY: shown(outputs) == sqlite}
            # Built as a plain node: nbformat.write() validates the whole page once, new_code_cell() each time.
            variant = {"cell_type": "code", "execution_count": None, "metadata": metadata, "outputs": outputs}
            cells.append(nbformat.from_dict({**variant, "source": cell.source}))
    notebook.cells = cells
    return switches


def engine_chooser(switches: int, engines: list[str]) -> str:
    """The lesson header's lines on the engines: how many cells have tabs, and the site-wide choice of engine
    (buttons that site/_static/engines.js shows and drives; without JavaScript each cell's tabs still work)."""
    names = " or ".join(ENGINES[engine] for engine in engines if engine != "sqlite")
    cells = "1 cell" if switches == 1 else f"{switches} cells"
    buttons = "".join(
        f'<button type="button" class="engine-choice" data-engine="{engine}" aria-pressed="false">'
        f"{ENGINES[engine]}</button>"
        for engine in engines
    )
    return (
        f"The outputs are SQLite's. {cells.capitalize()} below printed something else on {names}: "
        f"{'its' if switches == 1 else 'each'} output has tabs to switch.\n\n"
        f'<div class="engine-chooser" role="group" aria-labelledby="engine-chooser-label" hidden>'
        f'<span class="engine-chooser-label" id="engine-chooser-label">Show every output on</span> '
        f'{buttons}<span class="engine-chooser-note">(remembered on every page)</span></div>'
    )


#: A lesson's [Contents] link: in JupyterLab it opens 00-setup's "Course map" section; on the site, the home page's.
COURSE_MAP_LINK = re.compile(r"\]\((?:00-setup\.ipynb)?#Course-map\)")


def lesson_page(path: Path, url_template: str | None, records: dict[str, Path] | None = None) -> Any:
    """The notebook the site shows for one solution notebook (read, never written back), with the other engines'
    outputs of the cells that differ (from ``records``, default ``RECORDS``) beside SQLite's."""
    notebook = nbformat.read(path, as_version=4)
    others = engine_records(path.name, records)
    for index, outputs in engine_cells(notebook, others).items():
        notebook.cells[index].metadata[ENGINES_KEY] = outputs
    fold_solutions(notebook)
    switches = expand_engines(notebook)
    chooser = engine_chooser(switches, ["sqlite", *others]) if switches else ""
    header = nbformat.v4.new_markdown_cell(lesson_header(path.name, lab_url(url_template, path.name), chooser))
    header.pop("id", None)
    notebook.cells.insert(1, header)
    for index, cell in enumerate(notebook.cells):
        cell.id = f"cell-{index}"  # stable ids: the same sources give the same pages
        if cell.cell_type == "markdown":
            cell.source = COURSE_MAP_LINK.sub("](index.md#course-map)", cell.source)
    return notebook


def readme_section(title: str, text: str | None = None) -> str:
    """The body of the README's ``## title`` section, up to the next ``## `` heading."""
    text = README.read_text() if text is None else text
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, re.MULTILINE | re.DOTALL)
    if not match:
        raise SiteError(f"README.md has no '## {title}' section")
    return match.group(1).strip() + "\n"


def home_page(records: dict[str, Path] | None = None) -> str:
    """The home page: the README's opening paragraph and its course map, each lesson linked to its page (and, when
    the other engines' records are there, a word on the engine tabs)."""
    readme = README.read_text()
    intro = readme.split("\n## ", 1)[0].split("\n", 1)[1].strip()
    course_map = re.sub(r"\]\(notebooks/(\d\d[a-z]?-[\w-]+\.ipynb)\)", r"](\1)", readme_section("Course map", readme))
    if "](notebooks/" in course_map:
        raise SiteError("the README's course map links a notebook that is not a lesson in notebooks/NN-name.ipynb")
    toctree = "\n".join(
        ["```{toctree}", ":hidden:", ":maxdepth: 1", "", "running", *(p.stem for p in lessons()), ERRATA_PAGE, "```"]
    )
    return (
        "# Database with SQLAlchemy — for Laravel developers\n\n"
        f"{intro}\n\n"
        "This site shows every lesson as it ran: the code, the SQL it sent, the tables and charts it printed. "
        "To run the lessons yourself, see [How to run the lessons](running.md); each lesson page links its "
        "notebook.\n\n"
        f"Reading the chapter the course follows? [The chapter's {len(errata_rows())} errors]({ERRATA_PAGE}.md) "
        "lists each of its mistakes, what is true instead, and the lesson and section that run it, failing and "
        "fixed.\n\n"
        f"{engines_note(records)}"
        f"## Course map\n\n{course_map}\n{toctree}\n"
    )


def engines_note(records: dict[str, Path] | None = None) -> str:
    """The home page's paragraph on the engine tabs: empty when no lesson has another engine's record."""
    folders = RECORDS if records is None else records
    engines = [ENGINES[e] for e, folder in folders.items() if any((folder / p.name).exists() for p in lessons())]
    if not engines:
        return ""
    return (
        f"The outputs are SQLite's, the course's default. Where a cell printed something else on "
        f"{' or '.join(engines)}, tabs above its output show what that engine printed; the buttons at the top of "
        "a lesson switch every output of the site to one engine, and your browser remembers the choice.\n\n"
    )


def running_page() -> str:
    """How to run the lessons: the page in site/running.md, then the README's setup sections as they are."""
    parts = [(SITE / "running.md").read_text().rstrip() + "\n"]
    for title in ("Quick start", "Using PostgreSQL or MariaDB"):
        parts.append(f"## {title}\n\n{readme_section(title)}")
    return "\n".join(parts)


class Erratum:
    """One row of docs/errata.md's table: an error of the chapter, and where the course runs it.

    ``lessons`` maps each linked lesson's number (``"02"``, ``"13a"``) to its notebook's stem, the owner first;
    ``sections`` lists ``(stem, heading)`` of the sections that run it (none for 21, the whole course's rule).
    """

    def __init__(self, cells: list[str], lessons: dict[str, str], sections: list[tuple[str, str]]) -> None:
        self.number = int(cells[0])
        self.cells = cells
        self.lessons = lessons
        self.sections = sections

    @property
    def owner(self) -> str | None:
        """The lesson that owns the error (the first one linked), or None when every lesson does (21)."""
        return next(iter(self.lessons.values()), None)


#: A lesson link in docs/errata.md, as GitHub follows it: ``[02 · CRUD](../notebooks/02-crud.ipynb)``.
ERRATA_LESSON = re.compile(r"\]\(\.\./notebooks/((\d\d[a-z]?)-[\w-]+)\.ipynb\)")
#: A section of another lesson than the row's first: ``13a · Careful: DDL that can only run once``.
OTHER_LESSON = re.compile(r"^(\d\d[a-z]?) · (.+)$")
ERRATA_COLUMNS = ["#", "The chapter says", "What is true", "Lesson", "Section"]


def table_cells(line: str) -> list[str]:
    """The cells of one Markdown table row; a ``|`` inside backticks belongs to its cell.

    >>> table_cells("| 1 | `a | b` | c |")
    ['1', '`a | b`', 'c']
    """
    cells, current, in_code = [], "", False
    for char in line.strip().strip("|"):
        if char == "`":
            in_code = not in_code
        if char == "|" and not in_code:
            cells.append(current.strip())
            current = ""
        else:
            current += char
    return [*cells, current.strip()]


def errata_rows(text: str | None = None) -> list[Erratum]:
    """docs/errata.md's table, row by row (its header checked: the columns are what this reads)."""
    text = ERRATA.read_text() if text is None else text
    lines = [line for line in text.splitlines() if line.startswith("|")]
    if not lines or table_cells(lines[0]) != ERRATA_COLUMNS:
        raise SiteError(f"docs/errata.md has no table with the columns {' | '.join(ERRATA_COLUMNS)}")
    rows = []
    for line in lines[2:]:
        cells = table_cells(line)
        if len(cells) != len(ERRATA_COLUMNS) or not cells[0].isdigit():
            raise SiteError(
                f"docs/errata.md: a row is not '| number | … |' with {len(ERRATA_COLUMNS)} cells: {line[:80]}"
            )
        linked = {number: stem for stem, number in ERRATA_LESSON.findall(cells[3])}
        sections = []
        for item in [] if cells[4] in {"", "—"} else cells[4].split("; "):
            match = OTHER_LESSON.match(item)
            number, heading = match.groups() if match else (next(iter(linked), ""), item)
            if number not in linked:
                raise SiteError(f"docs/errata.md, row {cells[0]}: the section {item!r} names no lesson the row links")
            sections.append((linked[number], heading))
        rows.append(Erratum(cells, linked, sections))
    return rows


def heading_anchor(heading: str) -> str:
    """The anchor MyST gives a lesson's heading on the site (``myst_heading_anchors`` in site/conf.py).

    >>> heading_anchor("Careful: `delete()` must be awaited")
    'careful-delete-must-be-awaited'
    """
    from myst_parser.slugs import github_slugify

    return github_slugify(heading.replace("`", ""))


#: A lesson link of docs/errata.md with its label: ``[02 · CRUD](../notebooks/02-crud.ipynb)``.
ERRATA_LESSON_LABEL = re.compile(r"\[([^\]]+)\]\(\.\./notebooks/([\w-]+)\.ipynb\)")
#: The site's table: the lessons and their sections in one column, each lesson on a line with its sections.
ERRATA_SITE_COLUMNS = [*ERRATA_COLUMNS[:3], "Where the course runs it"]


def errata_page(text: str | None = None) -> str:
    """docs/errata.md as a page of the site: the last two columns become one, where each lesson links its page and
    is followed by its sections, each linked to its heading on that page."""
    text = ERRATA.read_text() if text is None else text
    rows = {row.number: row for row in errata_rows(text)}
    lines = []
    for line in text.splitlines():
        cells = table_cells(line) if line.startswith("|") else []
        if cells == ERRATA_COLUMNS:
            line = "| " + " | ".join(ERRATA_SITE_COLUMNS) + " |\n|" + "---|" * len(ERRATA_SITE_COLUMNS)
        elif cells and set("".join(cells)) <= set("-:"):
            continue  # the separator under the header, written above with the header
        elif cells and cells[0].isdigit():
            row = rows[int(cells[0])]
            where = []
            for label, stem in ERRATA_LESSON_LABEL.findall(cells[3]):
                sections = [
                    f"[{heading}]({stem}.ipynb#{heading_anchor(heading)})"
                    for owner, heading in row.sections
                    if owner == stem
                ]
                where.append(f"**[{label}]({stem}.ipynb)**" + (": " + "; ".join(sections) if sections else ""))
            line = "| " + " | ".join([*cells[:3], "<br>".join(where) or cells[3]]) + " |"
        lines.append(line)
    page = "\n".join(lines) + "\n"
    if "](../" in page:
        raise SiteError("docs/errata.md links a file outside notebooks/: the site has no page for it")
    return page


def prepare(src: Path, url_template: str | None = None, records: dict[str, Path] | None = None) -> dict[str, int]:
    """Write the Sphinx source folder ``src`` afresh; returns the lesson names it holds, each with how many of its
    cells got engine tabs (all 0 without the other engines' records)."""
    if src.exists():
        shutil.rmtree(src)
    (src / LEARNER_DIR).mkdir(parents=True)
    (src / "index.md").write_text(home_page(records))
    (src / "running.md").write_text(running_page())
    (src / f"{ERRATA_PAGE}.md").write_text(errata_page())
    names = {}
    for path in lessons():
        learner = NOTEBOOKS / path.name
        if not learner.exists():
            raise SiteError(f"notebooks/{path.name} is missing: run `make notebooks LESSONS={path.stem}`")
        shutil.copyfile(learner, src / LEARNER_DIR / path.name)
        page = lesson_page(path, url_template, records)
        nbformat.write(page, src / path.name)
        names[path.stem] = sum(SWITCH_KEY in cell.metadata for cell in page.cells)
    return names


def engines_summary(names: dict[str, int], records: dict[str, Path] | None = None) -> str:
    """One line on the other engines' records the build found, for build()'s report."""
    folders = RECORDS if records is None else records
    found = {engine: sum((folder / f"{name}.ipynb").exists() for name in names) for engine, folder in folders.items()}
    if not any(found.values()):
        return "SQLite's outputs only (no solutions-postgresql/ or solutions-mariadb/ records)"
    have = ", ".join(f"{ENGINES[engine]} {count}/{len(names)}" for engine, count in found.items())
    return f"engine tabs on {sum(names.values())} cells of {sum(map(bool, names.values()))} lessons (records: {have})"


def sphinx(src: Path, out: Path, doctrees: Path, quiet: bool = True) -> int:
    """Build the HTML of ``src`` into ``out`` with site/conf.py; any warning is an error."""
    from sphinx.cmd.build import build_main

    os.environ["SOURCE_DATE_EPOCH"] = SOURCE_DATE_EPOCH
    args = ["-b", "html", "-W", "--keep-going", "-E", "-c", str(SITE), "-d", str(doctrees), str(src), str(out)]
    return build_main([*args, "-q"] if quiet else args)


def build(out: Path = BUILD / "html", work: Path = BUILD, quiet: bool = True) -> int:
    """prepare() then sphinx(): the whole site into ``out`` (a fresh folder every time)."""
    started = time.perf_counter()
    names = prepare(work / "src", os.environ.get(LAB_URL_VARIABLE) or None)
    if out.exists():
        shutil.rmtree(out)
    status = sphinx(work / "src", out, work / "doctrees", quiet=quiet)
    if status == 0:
        pages = sum("_static" not in path.parts for path in out.rglob("*.html"))
        seconds = time.perf_counter() - started
        print(f"site: {len(names)} lessons, {pages} HTML pages in {out.relative_to(ROOT)} ({seconds:.0f} s)")
        print(f"site: {engines_summary(names)}")
    return status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="site/build.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=BUILD / "html", help="where the HTML goes")
    parser.add_argument("--verbose", action="store_true", help="show Sphinx's progress")
    args = parser.parse_args(argv)
    try:
        return build(args.out.resolve(), quiet=not args.verbose)
    except SiteError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
