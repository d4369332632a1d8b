"""Check the course site the way a reader meets it (what `make site-check` runs).

Builds the site twice (with an example "Open in JupyterLab" address set) and checks that:

- the build passes with Sphinx's warnings as errors, and leaves ``solutions/`` and ``notebooks/`` as they were;
- the two builds wrote the same files, byte for byte;
- every lesson in ``solutions/`` has a page, listed on the home page, with prev/next links in course order, the
  download of its learner notebook (the very file in ``notebooks/``), and its "Open in JupyterLab" link;
- each page shows its lesson's committed outputs (every printed text's first line, its charts and tables), and
  lesson 02's page shows the ``INSERT INTO users`` its create step sent;
- every practice answer is folded under "Show the solution", below the learner's stub;
- every internal link and asset (``href``, ``src``, ``#fragment``) of every page resolves;
- the search index knows the lessons' words, and searching in Chromium finds lesson 04 for selectinload;
- the page of the chapter's errors (``errata.html``, from ``docs/errata.md``) is linked from the home page, comes
  after the last lesson, and lists the 22 errors in order, each lesson linked to its page and each section to its
  heading there;
- headless Chromium renders lesson 02's page (the screenshot is kept in ``site/_build/screenshots/``);
- the engine tabs (when ``solutions-postgresql/`` and ``solutions-mariadb/`` hold records): every cell whose output
  differs on another engine has tabs, each engine's panel shows that engine's recorded output, no other cell has
  tabs; without the records the pages have none. In Chromium (Playwright), on lesson 09 (its RETURNING cell) and
  06 (its LIMIT cell): the SQLite output shows first, the site-wide "MariaDB" shows MariaDB's output in every cell,
  the choice survives a reload and carries to the other page, one cell's tab switches that cell only, and without
  JavaScript the tabs still switch. Screenshots: ``site/_build/screenshots/engines/``.

Ends with one line ``site-check: N passed, N failed`` and exits 1 on any failure.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import html
import http.server
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import unquote, urlsplit

import nbformat
from myst_nb.core.render import strip_ansi
from playwright.sync_api import Error as PlaywrightError

SITE = Path(__file__).resolve().parent


def _load_build() -> ModuleType:
    # site/build.py, beside this file, under a name that cannot shadow another module called "build".
    module = sys.modules.get("course_site_build")
    if module is None:
        spec = importlib.util.spec_from_file_location("course_site_build", SITE / "build.py")
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
    return module


build = _load_build()

ROOT = build.ROOT
CHECK = build.BUILD / "check"
SCREENSHOTS = build.BUILD / "screenshots"
EXAMPLE_LAB_URL = "https://hub.example.org/hub/user-redirect/lab/tree/notebooks/{notebook}"
SCREENSHOT_LESSON = "02-crud"
CHROMIUM = "/usr/bin/chromium"
ENGINE_SCREENSHOTS = SCREENSHOTS / "engines"
#: The lessons the browser opens to switch engines, each with the cell it watches: the first cell with tabs whose
#: SQLite output holds this word and whose MariaDB output differs (MariaDB's RETURNING and LIMIT, issue 22).
ENGINE_LESSONS = {"09-bulk-operations": "RETURNING", "06-pagination": "LIMIT"}


class CheckFailed(AssertionError):
    """One check found a problem (its message says what and where)."""


def require(condition: bool, message: str) -> None:
    if not condition:
        raise CheckFailed(message)


def tree_digest(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` by relative path, with the SHA-256 of its bytes."""
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


class Page(HTMLParser):
    """What the checks need from one HTML page: its links and assets, its ids, its text."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str]] = []  # (tag, url)
        self.ids: set[str] = set()
        self.text_parts: list[str] = []
        self._skip = 0
        self.feed(text)
        self.text = "".join(self.text_parts)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value for name, value in attrs if value is not None}
        for name in ("id", "name") if tag in {"a", "span", "div", "section"} else ("id",):
            if name in values:
                self.ids.add(values[name])
        for name in ("href", "src"):
            if name in values:
                self.links.append((tag, values[name]))
        if tag in {"script", "style"}:
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style"} and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.text_parts.append(data)


def pages(out: Path) -> dict[Path, Page]:
    """Every page of the site (the theme's Jinja macros that it ships in _static/ are not pages)."""
    return {path: Page(path.read_text()) for path in sorted(out.rglob("*.html")) if "_static" not in path.parts}


def check_links(out: Path, parsed: dict[Path, Page]) -> str:
    """Every relative href/src of every page names a file of the site, and every #fragment an id on it."""
    broken, checked = [], 0
    for path, page in parsed.items():
        for tag, url in page.links:
            parts = urlsplit(url)
            if parts.scheme or parts.netloc or url.startswith(("mailto:", "javascript:", "data:")):
                continue
            target = (path.parent / unquote(parts.path)).resolve() if parts.path else path
            checked += 1
            where = f"{path.relative_to(out)}: <{tag}> {url}"
            if not target.is_relative_to(out.resolve()):
                broken.append(f"{where} leaves the site")
            elif target.is_dir():
                if not (target / "index.html").exists():
                    broken.append(f"{where} is a folder without index.html")
            elif not target.exists():
                broken.append(f"{where} does not exist")
            elif parts.fragment and target.suffix == ".html":
                ids = parsed[target].ids if target in parsed else Page(target.read_text()).ids
                if unquote(parts.fragment) not in ids:
                    broken.append(f"{where}: no id {parts.fragment!r} on that page")
    require(not broken, f"{len(broken)} broken internal link(s):\n  " + "\n  ".join(broken[:20]))
    return f"{checked} internal links and assets on {len(parsed)} pages resolve"


def first_lines(cell: nbformat.NotebookNode) -> list[str]:
    """The first non-blank line of each text output of a code cell, as the page must show it."""
    lines = []
    for output in cell.get("outputs", []):
        text = output.get("text") if output.output_type == "stream" else None
        data = output.get("data", {})
        if text is None and "text/plain" in data and not ({"text/html", "image/png"} & set(data)):
            text = data["text/plain"]
        if text:
            stripped = [line.strip() for line in text.splitlines() if line.strip()]
            if stripped:
                lines.append(stripped[0])
    return lines


def normalize_space(text: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(text))


def check_lessons(out: Path, parsed: dict[Path, Page]) -> str:
    """Each lesson: a page in the home page's list, prev/next in course order, its outputs, its download."""
    stems = [path.stem for path in build.lessons()]
    order = ["index", "running", *stems, build.ERRATA_PAGE]
    home = out / "index.html"
    home_links = {urlsplit(url).path for _, url in parsed[home].links}
    problems = []
    for position, stem in enumerate(order[2:-1], 2):
        page_path = out / f"{stem}.html"
        if page_path not in parsed:
            problems.append(f"{stem}: no page")
            continue
        page, raw = parsed[page_path], page_path.read_text()
        notebook = nbformat.read(build.SOLUTIONS / f"{stem}.ipynb", as_version=4)
        if f"{stem}.html" not in home_links:
            problems.append(f"{stem}: the home page does not link it")
        prev_match = re.search(r'class="left-prev"\s+href="([^"#]+)"', raw)
        next_match = re.search(r'class="right-next"\s+href="([^"#]+)"', raw)
        if not prev_match or prev_match.group(1) != f"{order[position - 1]}.html":
            problems.append(f"{stem}: 'previous' does not lead to {order[position - 1]}")
        expected_next = order[position + 1] if position + 1 < len(order) else None
        if (next_match.group(1) if next_match else None) != (f"{expected_next}.html" if expected_next else None):
            problems.append(f"{stem}: 'next' does not lead to {expected_next}")
        text = normalize_space(page.text)
        missing = [
            line
            for cell in notebook.cells
            if cell.cell_type == "code"
            for line in first_lines(cell)
            if normalize_space(line) not in text
        ]
        if missing:
            problems.append(f"{stem}: {len(missing)} output(s) not shown, first: {missing[0][:100]!r}")
        images = sum("image/png" in o.get("data", {}) for c in notebook.cells for o in c.get("outputs", []))
        if raw.count('<img alt="_images/') + raw.count('src="_images/') < images:
            problems.append(f"{stem}: fewer images than the notebook's {images} chart(s)")
        tables = sum(
            "<table" in o.get("data", {}).get("text/html", "") for c in notebook.cells for o in c.get("outputs", [])
        )
        if raw.count("<table") < tables:
            problems.append(f"{stem}: fewer tables than the notebook's {tables} DataFrame(s)")
        downloads = [
            url
            for _, url in page.links
            if url.endswith(f"_downloads/{stem}.ipynb") or re.search(rf"_downloads/\w+/{re.escape(stem)}\.ipynb$", url)
        ]
        if not downloads:
            problems.append(f"{stem}: no download link for notebooks/{stem}.ipynb")
        elif (out / downloads[0]).read_bytes() != (build.NOTEBOOKS / f"{stem}.ipynb").read_bytes():
            problems.append(f"{stem}: the download is not notebooks/{stem}.ipynb")
        lab = EXAMPLE_LAB_URL.format(notebook=f"{stem}.ipynb")
        if not any(url == lab for _, url in page.links):
            problems.append(f"{stem}: no 'Open in JupyterLab' link to {lab}")
    require(not problems, "lesson pages:\n  " + "\n  ".join(problems))
    return f"{len(stems)} lessons each have a page with outputs, prev/next, download and JupyterLab links"


#: Sphinx's smart quotes, back to the straight ones the Markdown source has.
CURLY = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"'})


def heading_text(fragment: str) -> str:
    """A heading's text as the page shows it, compared without code marks, permalink sign or curly quotes."""
    text = normalize_space(re.sub(r"<[^>]+>", "", fragment)).translate(CURLY).replace("`", "")
    return text.removesuffix("#").strip()


def check_errata(out: Path, parsed: dict[Path, Page]) -> str:
    """errata.html: linked from the home page, one row per error of docs/errata.md (22, in order), every lesson of
    a row linked to its page and every section to the id of that heading on it."""
    page_path = out / f"{build.ERRATA_PAGE}.html"
    require(page_path in parsed, f"no {build.ERRATA_PAGE}.html")
    home_links = {urlsplit(url).path for _, url in parsed[out / "index.html"].links}
    require(page_path.name in home_links, f"the home page does not link {page_path.name}")
    raw = page_path.read_text()
    body = re.search(r"<tbody>(.*?)</tbody>", raw, re.DOTALL)
    require(body is not None, f"{page_path.name} has no table")
    shown = [
        re.findall(r"<td[^>]*>(.*?)</td>", row, re.DOTALL)
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body[1], re.DOTALL)
    ]
    rows = build.errata_rows()
    numbers = [heading_text(cells[0]) if cells else "" for cells in shown]
    require(numbers == [str(n) for n in range(1, 23)], f"{page_path.name} lists the errors {numbers}, not 1 to 22")
    require([row.number for row in rows] == list(range(1, 23)), "docs/errata.md does not list the errors 1 to 22")
    problems, sections = [], 0
    for row, cells in zip(rows, shown, strict=True):
        require(len(cells) == len(build.ERRATA_SITE_COLUMNS), f"{page_path.name}, row {row.number}: {len(cells)} cells")
        lesson_links = re.findall(r'href="([^"#]+)"', cells[3])
        if lesson_links != [f"{stem}.html" for stem in row.lessons.values()]:
            problems.append(f"{row.number}: the lessons link {lesson_links}, expected {list(row.lessons.values())}")
        section_links = re.findall(r'href="([^"#]+)#([^"]+)"', cells[3])
        if len(section_links) != len(row.sections):
            problems.append(
                f"{row.number}: {len(section_links)} section link(s), docs/errata.md names {len(row.sections)}"
            )
            continue
        for (target, fragment), (stem, heading) in zip(section_links, row.sections, strict=True):
            sections += 1
            if target != f"{stem}.html" or out / target not in parsed:
                problems.append(f"{row.number}: {heading!r} links {target}, not the page of {stem}")
                continue
            found = re.search(
                rf'<section id="{re.escape(fragment)}">\s*(?:<span id="[^"]*"></span>)*\s*<h[1-6]>(.*?)</h[1-6]>',
                (out / target).read_text(),
                re.DOTALL,
            )
            if not found or heading_text(found[1]) != heading_text(heading):
                problems.append(f"{row.number}: {target}#{fragment} is not the heading {heading!r}")
    require(not problems, f"{page_path.name}:\n  " + "\n  ".join(problems))
    return (
        f"{page_path.name} lists the chapter's 22 errors, linked from the home page; its {sections} section links "
        "each land on that heading of the lesson's page"
    )


def check_sql(out: Path, parsed: dict[Path, Page]) -> str:
    """Lesson 02's page shows the INSERT its create step sent, inside a cell's output."""
    raw = (out / "02-crud.html").read_text()
    outputs = re.findall(r'<div class="cell_output docutils container">(.*?)</div>\s*</div>', raw, re.DOTALL)
    require(outputs, "02-crud: no cell outputs on the page")
    shown = [normalize_space(re.sub(r"<[^>]+>", "", block)) for block in outputs]
    statement = "INSERT INTO users (name, email, age, role"
    require(any(statement in block for block in shown), f"02-crud: no output shows {statement!r}")
    return f"02-crud shows its executed SQL ({statement} …) in a cell output"


def learner_stubs(notebook: nbformat.NotebookNode) -> list[str]:
    """The first line each practice cell gets in the learner's copy in place of the answer (the stub)."""
    from lessons.tooling.publish import strip_solutions

    stubs = []
    for cell in notebook.cells:
        if cell.cell_type == "code" and build.BEGIN.search(cell.source):
            original = set(cell.source.splitlines())
            new = [line for line in strip_solutions(cell.source).splitlines() if line.strip() and line not in original]
            stubs.extend(new[-1:])  # the stub line itself (raise NotImplementedError, or a # STUB: line)
    return stubs


def check_solutions_folded(out: Path, parsed: dict[Path, Page]) -> str:
    """Every practice answer sits in a closed <details> "Show the solution", after the learner's stub."""
    problems, total = [], 0
    for solution in build.lessons():
        notebook = nbformat.read(solution, as_version=4)
        count = sum(c.cell_type == "code" and bool(build.BEGIN.search(c.source)) for c in notebook.cells)
        raw = (out / f"{solution.stem}.html").read_text()
        folds = re.findall(r"<details[^>]*>\s*<summary[^>]*>(.*?)</summary>(.*?)</details>", raw, re.DOTALL)
        folds = [body for summary, body in folds if build.SHOW_SOLUTION in summary]
        total += count
        if len(folds) != count:
            problems.append(f"{solution.stem}: {len(folds)} folded solution(s), expected {count}")
        if any(" open" in tag for tag in re.findall(r"<details[^>]*>", raw)):
            problems.append(f"{solution.stem}: a solution is unfolded when the page opens")
        shown = normalize_space(html.unescape(re.sub(r"<[^>]+>", "", raw)))
        if any(normalize_space(stub) not in shown for stub in learner_stubs(notebook)):
            problems.append(f"{solution.stem}: the learner's stub is not shown before each solution")
        if any("BEGIN SOLUTION" not in normalize_space(re.sub(r"<[^>]+>", "", body)) for body in folds):
            problems.append(f"{solution.stem}: a fold does not hold the answer")
    require(not problems, "solutions:\n  " + "\n  ".join(problems))
    return f"{total} practice answers folded under '{build.SHOW_SOLUTION}', each after its stub"


def check_search(out: Path, parsed: dict[Path, Page]) -> str:
    """search.html exists and the index holds every lesson's title and the words lessons teach."""
    require((out / "search.html").exists(), "no search.html")
    index = (out / "searchindex.js").read_text()
    for word in ("selectinload", "joinedload", "integrityerror", "savepoint"):
        require(f'"{word}"' in index, f"the search index does not know {word!r}")
    for solution in build.lessons():
        require(f'"{solution.stem}"' in index, f"the search index has no page {solution.stem}")
    return "search.html and its index cover every lesson (selectinload, IntegrityError, savepoint …)"


def chromium() -> str:
    if not Path(CHROMIUM).exists() and (ROOT / ".ci" / "install-chromium").exists():
        subprocess.run(["bash", str(ROOT / ".ci" / "install-chromium")], check=True)
    require(Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: apt-get update && apt-get install -y chromium")
    return CHROMIUM


def headless(out_file: str | None, url: str, *extra: str) -> subprocess.CompletedProcess[str]:
    """Run headless Chromium on ``url`` once (no network, no first-run chores, a profile inside the build)."""
    command = [
        chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
        f"--user-data-dir={build.BUILD / 'chromium-profile'}", *extra, url,
    ]  # fmt: skip
    if out_file:
        command.insert(-1, f"--screenshot={out_file}")
    return subprocess.run(command, check=True, capture_output=True, text=True, timeout=120)


def check_screenshot(out: Path, parsed: dict[Path, Page]) -> str:
    """Headless Chromium renders lesson 02 (header, code, SQL output); the PNG is kept beside the site."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    target = SCREENSHOTS / f"{SCREENSHOT_LESSON}.png"
    target.unlink(missing_ok=True)
    headless(str(target), (out / f"{SCREENSHOT_LESSON}.html").as_uri(), "--window-size=1280,4000")
    require(target.exists(), "Chromium wrote no screenshot")
    data = target.read_bytes()
    require(data.startswith(b"\x89PNG"), "the screenshot is not a PNG")
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    require((width, height) == (1280, 4000), f"the screenshot is {width}x{height}, expected 1280x4000")
    # A blank or unstyled page compresses to almost nothing; a rendered lesson with code and text does not.
    require(len(data) > 200_000, f"the screenshot looks blank ({len(data)} bytes)")
    return f"Chromium rendered {SCREENSHOT_LESSON} ({len(data) // 1024} KiB): {target.relative_to(ROOT)}"


def check_search_in_browser(out: Path, parsed: dict[Path, Page]) -> str:
    """In Chromium, searching "selectinload" lists lesson 04 (the one that teaches it) first."""
    page = headless(
        None, (out / "search.html").as_uri() + "?q=selectinload", "--virtual-time-budget=15000", "--dump-dom"
    )
    summary = re.search(r"found (\d+) pages? matching", page.stdout)
    require(summary is not None, "the search page showed no result summary")
    results = re.findall(r'<ul[^>]*class="search"[^>]*>\s*<li[^>]*>\s*<a href="([^"?#]+)', page.stdout)
    require(results == ["04-loading-and-n-plus-1.html"], f"the first result is {results}, not lesson 04")
    return f"searching 'selectinload' in Chromium finds {summary.group(1)} pages, lesson 04 first"


class Switches(HTMLParser):
    """The engine tabs of one page (site/engine_tabs.py), in page order: each one's radio name, its engines, the
    engine checked when the page opens, and the text of each engine's panel."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.switches: list[dict[str, Any]] = []
        self._open: list[str | None] = []  # the open <div>s: "switch", an engine's panel, or None
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        classes = values.get("class", "").split()
        if tag == "div":
            if "engine-switch" in classes:
                self.switches.append({"name": None, "engines": [], "checked": None, "panels": {}})
                self._open.append("switch")
            elif "engine-panel" in classes and self.switches:
                engine = next(c.removeprefix("engine-panel-") for c in classes if c.startswith("engine-panel-"))
                self.switches[-1]["panels"][engine] = ""
                self._open.append(engine)
            else:
                self._open.append(None)
        elif tag == "input" and "engine-radio" in classes and "switch" in self._open:
            switch = self.switches[-1]
            switch["name"] = values.get("name")
            switch["engines"].append(values.get("value"))
            if "checked" in values:
                switch["checked"] = values.get("value")

    def handle_endtag(self, tag: str) -> None:
        if tag == "div" and self._open:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        panel = next((entry for entry in reversed(self._open) if entry not in (None, "switch")), None)
        if panel is not None:
            self.switches[-1]["panels"][panel] += data


def engine_expectations(stem: str) -> list[tuple[int, dict[str, list[Any]]]]:
    """The cells of one lesson that must have tabs (their output differs on another engine), with every engine's
    recorded outputs, read from solutions/ and the records."""
    notebook = nbformat.read(build.SOLUTIONS / f"{stem}.ipynb", as_version=4)
    return sorted(build.engine_cells(notebook, build.engine_records(f"{stem}.ipynb")).items())


def distinct_line(text: str, other: str) -> str | None:
    """The first line of ``text`` that ``other`` does not show (what tells one engine's output from another's)."""
    others = {normalize_space(line).strip() for line in other.splitlines()}
    lines = (normalize_space(line).strip() for line in text.splitlines())
    return next((line for line in lines if line and line not in others), None)


def engine_target(stem: str, switches: list[dict[str, Any]], word: str) -> dict[str, Any]:
    """The cell of ``stem``'s page the browser watches: the first with tabs whose SQLite output holds ``word`` and
    whose MariaDB output differs (else the first whose MariaDB output differs), with a line only each one shows."""
    candidates = [
        switch
        for switch in switches
        if "mariadb" in switch["panels"] and distinct_line(switch["panels"]["mariadb"], switch["panels"]["sqlite"])
    ]
    require(candidates, f"{stem}: no cell shows a MariaDB output that differs from SQLite's")
    switch = next((c for c in candidates if word in c["panels"]["sqlite"]), candidates[0])
    return {
        "name": switch["name"],
        "sqlite": distinct_line(switch["panels"]["sqlite"], switch["panels"]["mariadb"]) or "",
        "mariadb": distinct_line(switch["panels"]["mariadb"], switch["panels"]["sqlite"]),
        "word": word if word in switch["panels"]["sqlite"] else None,
    }


def check_engine_tabs(out: Path, parsed: dict[Path, Page]) -> str:
    """Every cell whose output differs on PostgreSQL or MariaDB has tabs, each panel shows its engine's recorded
    output (every printed text's first line), SQLite's is the one checked; no other cell has tabs."""
    problems, counted, engines_seen = [], {}, set()
    for solution in build.lessons():
        stem = solution.stem
        expected = engine_expectations(stem)
        switches = Switches((out / f"{stem}.html").read_text()).switches
        if len(switches) != len(expected):
            problems.append(f"{stem}: {len(switches)} cell(s) with engine tabs, expected {len(expected)}")
            continue
        for (index, outputs), switch in zip(expected, switches, strict=True):
            where = f"{stem} cell {index}"
            if switch["engines"] != list(outputs) or list(switch["panels"]) != list(outputs):
                problems.append(f"{where}: tabs {switch['engines']}, panels {list(switch['panels'])}, "
                                f"expected {list(outputs)}")  # fmt: skip
                continue
            if switch["checked"] != "sqlite":
                problems.append(f"{where}: the page opens on {switch['checked']}, not SQLite")
            for engine, engine_outputs in outputs.items():
                shown = normalize_space(switch["panels"][engine])
                cell = nbformat.NotebookNode(outputs=engine_outputs)
                # The page renders ANSI colours (a traceback's) as styles: compare the text without them.
                missing = [line for line in first_lines(cell) if normalize_space(strip_ansi(line)) not in shown]
                if missing:
                    problems.append(f"{where}: the {engine} panel lacks {missing[0][:80]!r}")
            engines_seen.update(outputs)
        if expected:
            counted[stem] = len(expected)
    require(not problems, "engine tabs:\n  " + "\n  ".join(problems[:20]))
    if not counted:
        return "no solutions-postgresql/ or solutions-mariadb/ records: no page has engine tabs (SQLite only)"
    proofs = []
    for stem, word in ENGINE_LESSONS.items():
        require(stem in counted, f"{stem}: no engine tabs, though the lesson's {word} differs by engine")
        switches = Switches((out / f"{stem}.html").read_text()).switches
        require(all(len(s["panels"]) == 3 for s in switches), f"{stem}: a cell lacks one of the three engines")
        target = engine_target(stem, switches, word)
        require(target["word"] is not None, f"{stem}: no cell with tabs shows {word} on SQLite")
        proofs.append(f"{stem} {word}: SQLite {target['sqlite'][:45]!r} · MariaDB {target['mariadb'][:45]!r}")
    names = ", ".join(build.ENGINES[engine] for engine in build.ENGINES if engine in engines_seen)
    return (
        f"{sum(counted.values())} cells of {len(counted)} lessons have engine tabs ({names}), each panel showing "
        f"its engine's recorded output; " + "; ".join(proofs)
    )


def check_without_records(out: Path, parsed: dict[Path, Page]) -> str:
    """Without the records (a learner's laptop), prepare() writes the pages as before: no tabs, no chooser."""
    src = CHECK / "no-records"
    names = build.prepare(src, EXAMPLE_LAB_URL, records={})
    require(not any(names.values()), "without records some cells still got engine tabs")
    for name in names:
        notebook = nbformat.read(src / f"{name}.ipynb", as_version=4)
        keys = {key for cell in notebook.cells for key in cell.metadata if key.startswith("course_engine")}
        require(not keys, f"{name}: without records a cell carries {sorted(keys)}")
        require("engine-chooser" not in notebook.cells[1].source, f"{name}: without records the header offers engines")
    require("tabs" not in (src / "index.md").read_text(), "without records the home page speaks of engine tabs")
    shutil.rmtree(src)
    return f"without solutions-postgresql/ and solutions-mariadb/ the {len(names)} lesson pages have no engine tabs"


@contextlib.contextmanager
def serve(folder: Path) -> Iterator[str]:
    """The built site over HTTP on a free local port (as a reader gets it: localStorage is per origin)."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


#: The theme's console message on a first visit (pydata-sphinx-theme.js: no stored light/dark mode yet).
BROWSER_NOISE = re.compile(r"Got invalid theme mode: \S*\. Resetting to auto\.$")

#: In the browser: the engine whose panel is visible, for every cell with tabs on the page.
VISIBLE_ENGINES = """() => Array.from(document.querySelectorAll("div.engine-switch")).map(
  (s) => Array.from(s.querySelectorAll(":scope > div.engine-panel")).filter((p) => p.offsetParent !== null)
           .map((p) => p.className.match(/engine-panel-(\\w+)/)[1]).join("+"))"""


def check_engines_in_browser(out: Path, parsed: dict[Path, Page]) -> str:
    """In Chromium: lesson 09 opens on SQLite's output; the site-wide MariaDB shows MariaDB's everywhere, survives a
    reload and carries to lesson 06, from the first paint (engines.js held back); one cell's tab switches that cell
    alone; without JavaScript the tabs work."""
    targets = {}
    for stem, word in ENGINE_LESSONS.items():
        switches = Switches((out / f"{stem}.html").read_text()).switches
        if switches:
            targets[stem] = engine_target(stem, switches, word)
    if not targets:
        return "no engine records: the browser check of the engine tabs has nothing to switch"
    require(len(targets) == len(ENGINE_LESSONS), f"engine tabs only on {sorted(targets)}")
    from playwright.sync_api import sync_playwright

    if ENGINE_SCREENSHOTS.exists():
        shutil.rmtree(ENGINE_SCREENSHOTS)
    ENGINE_SCREENSHOTS.mkdir(parents=True)
    first, second = ENGINE_LESSONS
    shots: list[Path] = []
    errors: list[str] = []

    def cell(page: Any, stem: str) -> Any:
        return page.locator(f'div.engine-cell:has(input[name="{targets[stem]["name"]}"])')

    def panel(page: Any, stem: str, engine: str) -> Any:
        return cell(page, stem).locator(f"div.engine-panel-{engine}")

    def showing(page: Any, stem: str, engine: str, when: str) -> None:
        other = "sqlite" if engine == "mariadb" else "mariadb"
        text = targets[stem][engine]
        require(panel(page, stem, engine).is_visible(), f"{stem}, {when}: {engine}'s output is not shown")
        require(not panel(page, stem, other).is_visible(), f"{stem}, {when}: {other}'s output shows too")
        shown = normalize_space(cell(page, stem).inner_text())
        require(text in shown, f"{stem}, {when}: the cell does not show {text!r}")

    def shot(page: Any, stem: str, label: str) -> None:
        target = ENGINE_SCREENSHOTS / f"{stem}-{label}.png"
        cell(page, stem).screenshot(path=str(target))
        shots.append(target)

    def console(page: Any, message: Any) -> None:
        # Not ours, and harmless: the browser asks for /favicon.ico (the site has none), and the theme says so when
        # it finds no stored light/dark mode (a first visit).
        url = message.location.get("url", "")
        if message.type == "error" and not url.endswith("/favicon.ico") and not BROWSER_NOISE.match(message.text):
            errors.append(f"{page.url}: {message.text} ({url})")

    def watch(page: Any) -> Any:
        page.on("pageerror", lambda error: errors.append(f"{page.url}: {error}"))
        page.on("console", lambda message: console(page, message))
        return page

    with serve(out) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium(), args=["--no-sandbox", "--disable-gpu", "--no-first-run"]
        )
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            page = watch(context.new_page())
            page.goto(f"{base}/{first}.html")
            showing(page, first, "sqlite", "on opening")
            shot(page, first, "1-sqlite")
            chooser = page.locator("div.engine-chooser")
            require(chooser.is_visible(), f"{first}: the site-wide choice of engine is not shown")
            chooser.get_by_role("button", name="MariaDB").click()
            showing(page, first, "mariadb", "after the site-wide MariaDB")
            visible = page.evaluate(VISIBLE_ENGINES)
            require(set(visible) == {"mariadb"}, f"{first}: after the site-wide MariaDB the cells show {visible}")
            stored = page.evaluate("() => localStorage.getItem('course-engine')")
            require(stored == "mariadb", f"the choice was not remembered (localStorage: {stored!r})")
            shot(page, first, "2-mariadb")
            chooser.screenshot(path=str(ENGINE_SCREENSHOTS / f"{first}-2-chooser.png"))
            shots.append(ENGINE_SCREENSHOTS / f"{first}-2-chooser.png")
            page.reload()
            showing(page, first, "mariadb", "after a reload")
            # No flash of SQLite: while engines.js is still on its way (held here), the page already shows MariaDB.
            held: list[Any] = []

            def hold(route: Any) -> None:
                held.append(route)

            page.route("**/_static/engines.js*", hold)
            page.goto(f"{base}/{second}.html", wait_until="commit")
            page.wait_for_function("() => document.readyState !== 'loading'")  # parsed; deferred scripts wait
            require(held, f"{second}: engines.js was not requested")
            showing(page, second, "mariadb", "before engines.js has run")
            shot(page, second, "3-mariadb-before-script")
            held[0].continue_()
            page.wait_for_load_state("load")
            page.unroute("**/_static/engines.js*")
            require(
                page.evaluate("() => !document.documentElement.hasAttribute('data-engine-early')"),
                f"{second}: the early CSS is still on after engines.js ran",
            )
            showing(page, second, "mariadb", f"opened after choosing MariaDB on {first}")
            visible = page.evaluate(VISIBLE_ENGINES)
            require(set(visible) == {"mariadb"}, f"{second}: opened on MariaDB, the cells show {visible}")
            shot(page, second, "3-mariadb-remembered")
            cell(page, second).locator("label.engine-tab", has_text="SQLite").click()
            showing(page, second, "sqlite", "after its own SQLite tab")
            visible = page.evaluate(VISIBLE_ENGINES)
            require(
                visible.count("sqlite") == 1 and visible.count("mariadb") == len(visible) - 1,
                f"{second}: one cell's SQLite tab switched {visible.count('sqlite')} cells",
            )
            require(page.evaluate("() => localStorage.getItem('course-engine')") == "mariadb", "one tab changed it")
            shot(page, second, "4-one-cell-sqlite")
            context.close()
            plain = browser.new_context(viewport={"width": 1280, "height": 900}, java_script_enabled=False)
            page = watch(plain.new_page())
            page.goto(f"{base}/{first}.html")
            showing(page, first, "sqlite", "without JavaScript")
            require(not page.locator("div.engine-chooser").is_visible(), "without JavaScript the chooser shows")
            cell(page, first).locator("label.engine-tab", has_text="MariaDB").click()
            showing(page, first, "mariadb", "without JavaScript, after its MariaDB tab")
            shot(page, first, "5-no-javascript-mariadb")
            plain.close()
        finally:
            browser.close()
    require(not errors, "the browser reported errors:\n  " + "\n  ".join(errors[:10]))
    listed = "\n       ".join(str(path.relative_to(ROOT)) for path in shots)
    return (
        f"Chromium: {first} opens on SQLite's output, the site-wide MariaDB switches every cell "
        f"({targets[first]['mariadb'][:40]!r}), survives a reload and opens {second} on MariaDB (already before "
        f"engines.js has run: no flash of SQLite); one cell's tab switches that cell only; without JavaScript the "
        f"tabs still switch. Screenshots:\n       {listed}"
    )


def read_only_digest() -> dict[str, str]:
    """What the build only reads: solutions/, the other engines' records (when present) and notebooks/."""
    folders = {"": build.SOLUTIONS, "nb/": build.NOTEBOOKS, **{f"{e}/": f for e, f in build.RECORDS.items()}}
    return {
        f"{prefix}{name}": digest
        for prefix, folder in folders.items()
        if folder.exists()
        for name, digest in tree_digest(folder).items()
    }


def build_twice() -> tuple[Path, list[str]]:
    """Two full builds into check/1 and check/2; fails on a warning, on any difference, or on edited sources."""
    sources = read_only_digest()
    env = {**os.environ, build.LAB_URL_VARIABLE: EXAMPLE_LAB_URL}
    outs, seconds = [CHECK / "1", CHECK / "2"], []
    for out in outs:
        started = time.perf_counter()
        result = subprocess.run(
            [sys.executable, str(SITE / "build.py"), "--out", str(out)], env=env, capture_output=True, text=True
        )
        seconds.append(time.perf_counter() - started)
        require(result.returncode == 0, f"the build failed (warnings are errors):\n{result.stdout}{result.stderr}")
    require(sources == read_only_digest(), "the build changed a file in solutions/, its records or notebooks/")
    first, second = (tree_digest(out) for out in outs)
    differing = sorted(name for name in first.keys() | second.keys() if first.get(name) != second.get(name))
    require(not differing, f"two builds differ in {len(differing)} file(s): {', '.join(differing[:10])}")
    files = len(first)
    notes = [
        f"the site builds with no warning ({seconds[0]:.0f} s, {seconds[1]:.0f} s) and leaves solutions/ as it was",
        f"two builds wrote the same {files} files byte for byte "
        f"(tree SHA-256 {hashlib.sha256(repr(sorted(first.items())).encode()).hexdigest()[:12]})",
    ]
    return outs[0], notes


def main() -> int:
    if CHECK.exists():
        shutil.rmtree(CHECK)
    passed = failed = 0
    try:
        out, notes = build_twice()
    except CheckFailed as error:
        print(f"FAIL build: {error}")
        print("site-check: 0 passed, 1 failed")
        return 1
    for note in notes:
        print(f"ok   {note}")
        passed += 1
    parsed = pages(out)
    checks: list[Callable[[Path, dict[Path, Page]], str]] = [
        check_lessons,
        check_errata,
        check_sql,
        check_solutions_folded,
        check_links,
        check_search,
        check_search_in_browser,
        check_screenshot,
        check_engine_tabs,
        check_without_records,
        check_engines_in_browser,
    ]
    for check in checks:
        try:
            print(f"ok   {check(out, parsed)}")
            passed += 1
        except (CheckFailed, subprocess.SubprocessError, OSError, PlaywrightError) as error:
            print(f"FAIL {check.__name__}: {error}")
            failed += 1
    print(f"{len(parsed)} HTML pages")
    print(f"site-check: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
