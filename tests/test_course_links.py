"""A learner moves through the course by the Previous/Next links: they follow the lesson order, and none is dead.

The order is the file names' order (``05a-…`` before ``05b-…`` before ``06-…``), in both folders.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from lessons.core.settings import ROOT

SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))
NOTEBOOK_LINK = re.compile(r"\[([^\]]*)\]\(([\w.-]+\.ipynb)(?:#[\w-]*)?\)")
CONTENTS = re.compile(
    r"^\[Contents\]\((?P<contents>[\w.-]*#Course-map)\) · "
    r"Previous: (?P<previous>.*?) · Next: (?P<next>.*?)(?: · Start: .*)?$"
)


def markdown_lines(path: Path) -> list[str]:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return [line for c in cells if c["cell_type"] == "markdown" for line in "".join(c["source"]).splitlines()]


def number(path_name: str) -> str:
    """``05a-query-builder.ipynb`` → ``05a``."""
    return path_name.split("-", 1)[0]


def expected(neighbour: Path | None) -> str | None:
    return None if neighbour is None else neighbour.name


def linked(text: str) -> str | None:
    """The notebook a Previous/Next field links to, ``None`` for "—"; its label must carry the lesson number."""
    if text.strip() == "—":
        return None
    match = NOTEBOOK_LINK.fullmatch(text.strip())
    assert match, f"not a link to a lesson: {text!r}"
    label, target = match.groups()
    assert number(target) in label.split(), f"the label {label!r} does not name lesson {number(target)}"
    return target


@pytest.mark.parametrize("index", range(len(SOLUTIONS)), ids=[p.stem for p in SOLUTIONS])
def test_previous_and_next_follow_the_lesson_order(index: int) -> None:
    path = SOLUTIONS[index]
    previous = SOLUTIONS[index - 1] if index > 0 else None
    following = SOLUTIONS[index + 1] if index + 1 < len(SOLUTIONS) else None
    contents = [m for line in markdown_lines(path) if (m := CONTENTS.match(line))]
    assert contents, f"{path.name} has no [Contents](…#Course-map) line under its title"
    for match in contents:
        assert linked(match["previous"]) == expected(previous), f"{path.name}: Previous should be {expected(previous)}"
        assert linked(match["next"]) == expected(following), f"{path.name}: Next should be {expected(following)}"


@pytest.mark.parametrize("folder", ["solutions", "notebooks"])
def test_no_link_between_lessons_is_dead(folder: str) -> None:
    lessons = {p.name for p in (ROOT / folder).glob("*.ipynb")}
    dead = sorted(
        f"{path.name} → {target}"
        for path in (ROOT / folder).glob("*.ipynb")
        for line in markdown_lines(path)
        for _, target in NOTEBOOK_LINK.findall(line)
        if target not in lessons
    )
    assert not dead, "links to lessons that do not exist:\n" + "\n".join(dead)


def test_both_folders_hold_the_same_lessons() -> None:
    assert [p.name for p in SOLUTIONS] == sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))


def test_contents_opens_the_course_map_and_it_lists_every_lesson() -> None:
    """Every header's [Contents] goes to 00's "Course map" (a heading JupyterLab anchors as #Course-map), which
    links each lesson once, in order, as the README's course map does."""
    for path in SOLUTIONS:
        for match in (m for line in markdown_lines(path) if (m := CONTENTS.match(line))):
            own = "#Course-map" if path.name.startswith("00-") else "00-setup.ipynb#Course-map"
            assert match["contents"] == own, f"{path.name}: Contents should link {own}"
    setup = json.loads((ROOT / "solutions" / "00-setup.ipynb").read_text(encoding="utf-8"))["cells"]
    course_map = ["".join(c["source"]) for c in setup if "".join(c["source"]).startswith("## Course map\n")]
    assert len(course_map) == 1, "00-setup needs exactly one '## Course map' section"
    listed = [target for _, target in NOTEBOOK_LINK.findall(course_map[0])]
    assert listed == [p.name for p in SOLUTIONS]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    readme_map = readme.split("## Course map", 1)[1].split("\n## ")[0]
    assert listed == re.findall(r"\]\(notebooks/([\w.-]+\.ipynb)\)", readme_map)
