"""Every error of the source chapter is shown, failing and fixed, in the lesson that owns it.

``docs/errata.md`` is the map, and the only one: its table gives each of the chapter's 22 errors a row with the
lessons that run it (the first one owns it) and the sections where. This test reads that table (with the parser the
site uses, ``site/build.py``'s ``errata_rows()``) and fails when a number is missing, repeated or out of order, when
a lesson it links does not exist, when a section it names is not a heading of its lesson, or when the owning lesson
no longer shows the error: ``TELLTALES`` names texts that must appear in its solution notebook (code or outputs),
and at least one of them inside the sections the row names. 21 (snippets that never import what they use) is the
whole course's rule rather than one lesson's: every notebook runs top to bottom on a fresh kernel (``make nbval``).
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from types import ModuleType

import pytest

from lessons.core.settings import ROOT


def _site_build() -> ModuleType:
    # site/build.py under the name tests/test_site.py and site/check.py give it: loaded once, whoever is first.
    name = "course_site_build"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, ROOT / "site" / "build.py")
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


TABLE = _site_build().errata_rows()
ROWS = {row.number: row for row in TABLE}

#: ERRATA number → texts that must all appear in the solution notebook of the row's owning lesson
TELLTALES: dict[int, list[str]] = {
    1: ["'AsyncSession.delete' was never awaited", "await session.delete("],
    2: ["MissingGreenlet", "awaitable_attrs", "selectinload", "joinedload"],
    3: ["cannot be used with asyncio engine", "NullPool", "AsyncAdaptedQueuePool"],
    4: ["from_statement", ".columns("],
    5: ["sqlite_where", "postgresql_where"],
    6: ["persisted=True", "websearch_to_tsquery", "bm25"],
    7: ["autoescape=True", "'%' matches"],
    8: ["ConfigDict(from_attributes=True)", "utcnow"],
    9: ["eager_defaults", "refresh("],
    10: ["A transaction is already begun", "begin_nested"],
    11: ["foreign_keys"],
    12: ["inplace.expression"],
    13: ["MutableDict"],
    14: ["synchronize_session", "returning"],
    15: ["refresh-expire", "Invalid cascade option"],
    16: ["object has no attribute 'query'"],
    17: ["has no attribute 'role'"],
    18: ["ZeroDivisionError", "ge=1"],
    19: ["/users/search", "password_hash", "response_model"],
    20: ["provisioning a new connection"],
    22: ["index=True"],
}

HEADING = re.compile(r"^#{1,6} (.+?)\s*$", re.MULTILINE)


def cell_text(cell: dict) -> str:
    parts = ["".join(cell["source"])]
    for output in cell.get("outputs", []):
        parts.append("".join(output.get("text", "")))
        parts.append("".join(output.get("data", {}).get("text/plain", "")))
    return "\n".join(parts)


def notebook_text(lesson: str) -> str:
    notebook = json.loads((ROOT / "solutions" / f"{lesson}.ipynb").read_text(encoding="utf-8"))
    return "\n".join(cell_text(cell) for cell in notebook["cells"])


def sections_of(lesson: str) -> dict[str, str]:
    """Each heading of a solution notebook, with the text of its section (up to the next heading)."""
    notebook = json.loads((ROOT / "solutions" / f"{lesson}.ipynb").read_text(encoding="utf-8"))
    sections: dict[str, str] = {}
    current = None
    for cell in notebook["cells"]:
        text = cell_text(cell)
        if cell["cell_type"] == "markdown":
            fenced = False  # a "# comment" in a fenced code block is no heading
            for line in text.splitlines():
                fenced ^= line.lstrip().startswith("```")
                match = None if fenced else HEADING.match(line)
                if match:
                    current = match.group(1)
                    sections.setdefault(current, "")
                elif current is not None:
                    sections[current] += line + "\n"
        elif current is not None:
            sections[current] += text + "\n"
    return sections


def test_the_map_has_the_22_errors_in_order() -> None:
    assert [row.number for row in TABLE] == list(range(1, 23))


def test_every_error_but_21_has_an_owning_lesson_and_telltales() -> None:
    owned = sorted(number for number, row in ROWS.items() if row.owner)
    assert owned == [n for n in range(1, 23) if n != 21]
    assert sorted(TELLTALES) == owned, "docs/errata.md and TELLTALES name different errors"
    assert not ROWS[21].lessons and not ROWS[21].sections


@pytest.mark.parametrize("number", sorted(TELLTALES))
def test_the_lesson_shows_the_erratum(number: int) -> None:
    row = ROWS[number]
    text = notebook_text(row.owner)
    missing = [telltale for telltale in TELLTALES[number] if telltale not in text]
    assert not missing, f"ERRATA {number}: solutions/{row.owner}.ipynb never shows {missing}"


@pytest.mark.parametrize("number", sorted(TELLTALES))
def test_the_sections_named_exist_and_run_it(number: int) -> None:
    row = ROWS[number]
    for stem in row.lessons.values():
        assert (ROOT / "notebooks" / f"{stem}.ipynb").exists(), f"ERRATA {number} links notebooks/{stem}.ipynb"
    assert row.sections, f"ERRATA {number}: docs/errata.md names no section"
    owned = ""
    for stem, heading in row.sections:
        sections = sections_of(stem)
        assert heading in sections, f"ERRATA {number}: solutions/{stem}.ipynb has no heading {heading!r}"
        if stem == row.owner:
            owned += sections[heading]
    assert owned, f"ERRATA {number}: no section of the owning lesson {row.owner} is named"
    assert any(telltale in owned for telltale in TELLTALES[number]), (
        f"ERRATA {number}: none of {TELLTALES[number]} appears in the sections docs/errata.md names"
    )
