"""Every verified error of the source chapter (../shared/reference/ERRATA.md) is shown, failing and fixed, in
the lesson that owns it: each entry names telltale text that must appear in that solution notebook (its code
or the output it produced), so a lesson cannot silently drop a trap it promises."""

from __future__ import annotations

import json

import pytest

from lessons.core.settings import ROOT

#: ERRATA number → (lesson, texts that must all appear in it)
COVERAGE: dict[int, tuple[str, list[str]]] = {
    1: ("02-crud", ["'AsyncSession.delete' was never awaited", "await session.delete("]),
    2: ("04-loading-and-n-plus-1", ["MissingGreenlet", "awaitable_attrs", "selectinload", "joinedload"]),
    3: ("13a-pools-and-raw-sql", ["cannot be used with asyncio engine", "NullPool", "AsyncAdaptedQueuePool"]),
    4: ("13a-pools-and-raw-sql", ["from_statement", ".columns("]),
    5: ("07-indexes", ["sqlite_where", "postgresql_where"]),
    6: ("14c-full-text-search", ["persisted=True", "websearch_to_tsquery", "bm25"]),
    7: ("11-security", ["autoescape=True", "'%' matches"]),
    8: ("01-models", ["ConfigDict(from_attributes=True)", "utcnow"]),
    9: ("02-crud", ["eager_defaults", "refresh("]),
    10: ("08a-transactions", ["A transaction is already begun", "begin_nested"]),
    11: ("13c-events", ["foreign_keys"]),
    12: ("13b-hybrids-and-custom-types", ["inplace.expression"]),
    13: ("13b-hybrids-and-custom-types", ["MutableDict"]),
    14: ("09-bulk-operations", ["synchronize_session", "returning"]),
    15: ("03-relationships", ["refresh-expire", "Invalid cascade option"]),
    16: ("00-setup", ["object has no attribute 'query'"]),
    17: ("05a-query-builder", ["has no attribute 'role'"]),
    18: ("06-pagination", ["ZeroDivisionError", "ge=1"]),
    19: ("12-blog-api", ["/users/search", "password_hash", "response_model"]),
    20: ("10-sessions", ["provisioning a new connection"]),
    22: ("01-models", ["index=True"]),
}


def notebook_text(lesson: str) -> str:
    notebook = json.loads((ROOT / "solutions" / f"{lesson}.ipynb").read_text())
    parts = []
    for cell in notebook["cells"]:
        parts.append("".join(cell["source"]))
        for output in cell.get("outputs", []):
            parts.append("".join(output.get("text", "")))
            parts.append("".join(output.get("data", {}).get("text/plain", "")))
    return "\n".join(parts)


@pytest.mark.parametrize("number", sorted(COVERAGE))
def test_the_lesson_shows_the_erratum(number: int) -> None:
    lesson, telltales = COVERAGE[number]
    text = notebook_text(lesson)
    missing = [telltale for telltale in telltales if telltale not in text]
    assert not missing, f"ERRATA {number}: solutions/{lesson}.ipynb never shows {missing}"


def test_every_erratum_but_21_has_an_owner() -> None:
    # 21 (missing imports) is the whole course's rule: every notebook runs top to bottom on a fresh kernel.
    assert sorted(COVERAGE) == [n for n in range(1, 23) if n != 21]
