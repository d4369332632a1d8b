"""The README is the contract with users: its quick start, and a course map that matches the notebooks."""

from __future__ import annotations

import re

from lessons.core.settings import ROOT

README = (ROOT / "README.md").read_text()


def test_the_first_code_block_is_exactly_make_lab_and_make_test() -> None:
    first_block = re.search(r"```\w*\n(.*?)```", README, re.DOTALL)
    assert first_block is not None
    assert first_block.group(1).split("\n")[:-1] == ["make lab", "make test"]


def test_the_course_map_links_every_lesson_and_only_existing_ones() -> None:
    linked = re.findall(r"\]\(notebooks/([\w-]+\.ipynb)\)", README)
    assert linked, "the course map links no notebook"
    for name in linked:
        assert (ROOT / "notebooks" / name).exists(), f"README links notebooks/{name}, which does not exist"
    assert sorted(linked) == sorted(path.name for path in (ROOT / "notebooks").glob("*.ipynb"))


def test_make_has_the_targets_the_readme_names() -> None:
    makefile = (ROOT / "Makefile").read_text()
    for target in re.findall(r"`make (\w[\w-]*)", README):
        assert re.search(rf"^{target}:", makefile, re.MULTILINE), f"README names `make {target}`, Makefile lacks it"


def test_the_folders_table_has_a_row_for_every_sub_package_of_lessons() -> None:
    folders = README.split("\n## Folders\n", 1)[1].split("\n## ", 1)[0]
    rows = set(re.findall(r"^\| `(lessons/\w+/)` \|", folders, re.MULTILINE))
    packages = {f"lessons/{init.parent.name}/" for init in (ROOT / "lessons").glob("*/__init__.py")}
    assert packages, "lessons/ has no sub-package"
    assert not packages - rows, f"README's Folders table has no row for {sorted(packages - rows)}"
