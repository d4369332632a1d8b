"""The repository stands on its own: no tracked file sends a reader to a folder outside it.

An outside contributor has the clone and nothing else, so a document, a docstring or a notebook that points to a
sibling folder of the checkout (the authors' shared notes) or to a folder of the machine the course was written on
points at nothing. The guide to writing a lesson and the rules that keep outputs stable are in
CONTRIBUTING.md, and the map of the chapter's errors is docs/errata.md.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from lessons.core.settings import ROOT

#: A sibling folder of the checkout, or the authors' machine. Written in pieces so this file does not match itself.
OUTSIDE = re.compile("|".join([r"\.\./" + "shared", "/" + r"work/"]))


def tracked_files() -> list[str]:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: no list of tracked files")
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True)
    return [name for name in listed.stdout.decode().split("\0") if name]


def test_no_tracked_file_points_outside_the_repository() -> None:
    found = []
    for name in tracked_files():
        path = ROOT / name
        if not path.is_file():  # listed, but deleted in the working tree
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:  # an image, a database file: no prose to send anyone anywhere
            continue
        for number, line in enumerate(text.splitlines(), 1):
            match = OUTSIDE.search(line)
            if match:
                found.append(f"{name}:{number}: {match.group(0)!r} in {line.strip()[:100]!r}")
    assert not found, "a tracked file points outside the repository:\n  " + "\n  ".join(found)


def test_the_pattern_finds_both_kinds_of_path() -> None:
    assert OUTSIDE.search("Read `" + ".." + "/shared/STYLE.md` first")
    assert OUTSIDE.search("see /" + "work/shared/reference/ERRATA.md")
    assert not OUTSIDE.search("docs/errata.md, CONTRIBUTING.md, lessons/shared_state.py, homework/")


MARKDOWN_LINK = re.compile(r"\]\(([^)\s]+)\)")


def test_every_relative_link_of_a_tracked_markdown_file_names_a_file_of_the_repository() -> None:
    broken = []
    for name in tracked_files():
        if not name.endswith(".md") or not (ROOT / name).is_file():
            continue
        text = (ROOT / name).read_text(encoding="utf-8")
        prose = re.sub(r"`[^`\n]*`", "", re.sub(r"```.*?```", "", text, flags=re.DOTALL))  # code shows examples
        for target in MARKDOWN_LINK.findall(prose):
            path = target.split("#", 1)[0]
            if not path or re.match(r"^[a-z]+:", target):  # an anchor on the same page, or https:, mailto: …
                continue
            resolved = ((ROOT / name).parent / path).resolve()
            if not resolved.is_relative_to(ROOT) or not resolved.exists():
                broken.append(f"{name}: ({target})")
    assert not broken, "links to nothing in the repository:\n  " + "\n  ".join(broken)
