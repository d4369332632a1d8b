"""How long each lesson is, for authors: code cells, the longest cell, words of prose, and minutes.

A lesson should fit one sitting (about 45 minutes): around 30 code cells, none longer than a screen
(25 lines, not counting comments or a practice answer). ``make test`` prints this table; it warns, it never fails.

    python -m lessons.tooling.lesson_size            # every lesson in solutions/

>>> size = measure({"cells": [{"cell_type": "markdown", "source": "Two words"},
...                           {"cell_type": "code", "source": "x = 1\\n# why\\ny = 2"}]})
>>> (size.code_cells, size.longest, size.words)
(1, 2, 2)
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lessons.core.settings import ROOT

#: A learner reads technical prose at about this many words a minute…
WORDS_PER_MINUTE = 130
#: …spends about this long reading, running and looking at the output of one code cell…
MINUTES_PER_CODE_CELL = 0.75
#: …and about this long on one practice task (reading it, trying, checking).
MINUTES_PER_PRACTICE = 6
#: The size guide: one sitting, about 30 code cells, no cell longer than a screen.
SITTING_MINUTES, MAX_CODE_CELLS, MAX_CELL_LINES = 45, 30, 25

_SOLUTION_REGION = re.compile(r"^[ \t]*# BEGIN SOLUTION.*?# END SOLUTION[^\n]*", re.S | re.M)


@dataclass(frozen=True)
class LessonSize:
    """The size of one lesson notebook."""

    code_cells: int
    longest: int
    words: int
    practice: int

    @property
    def minutes(self) -> int:
        """An honest estimate of one sitting, in whole minutes."""
        reading = self.words / WORDS_PER_MINUTE
        return round(reading + self.code_cells * MINUTES_PER_CODE_CELL + self.practice * MINUTES_PER_PRACTICE)

    @property
    def advice(self) -> str:
        """What is over the guide, or an empty string."""
        over = []
        if self.minutes > SITTING_MINUTES:
            over.append(f"over {SITTING_MINUTES} min")
        if self.code_cells > MAX_CODE_CELLS:
            over.append(f"over {MAX_CODE_CELLS} code cells")
        if self.longest > MAX_CELL_LINES:
            over.append(f"a cell over {MAX_CELL_LINES} lines")
        return ", ".join(over)


def _text(cell: dict[str, Any]) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def _code_lines(source: str) -> int:
    source = _SOLUTION_REGION.sub("x", source)  # a practice answer counts as one line: it is the learner's to write
    return sum(1 for line in source.splitlines() if line.strip() and not line.strip().startswith("#"))


def measure(notebook: dict[str, Any]) -> LessonSize:
    """Measure a notebook given as its JSON (a dict)."""
    code = [_text(cell) for cell in notebook["cells"] if cell["cell_type"] == "code" and _text(cell).strip()]
    prose = " ".join(_text(cell) for cell in notebook["cells"] if cell["cell_type"] == "markdown")
    prose = re.sub(r"```.*?```", " ", prose, flags=re.S)  # Laravel code blocks are read fast, not word by word
    return LessonSize(
        code_cells=len(code),
        longest=max((_code_lines(source) for source in code), default=0),
        words=len(re.findall(r"[A-Za-z0-9_'’]+", prose)),
        practice=sum(".check(" in source for source in code),
    )


def report(folder: Path = ROOT / "solutions") -> str:
    """The table ``make test`` prints: one row per lesson, with what is over the guide."""
    rows = [f"{'lesson':<28} {'code cells':>10} {'longest':>8} {'words':>6} {'practice':>8} {'minutes':>8}  over"]
    for path in sorted(folder.glob("*.ipynb")):
        size = measure(json.loads(path.read_text()))
        rows.append(
            f"{path.stem:<28} {size.code_cells:>10} {size.longest:>8} {size.words:>6,} {size.practice:>8} "
            f"{size.minutes:>8}  {size.advice}"
        )
    return "\n".join(rows)


if __name__ == "__main__":
    print(report(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "solutions"))
