"""What the hub does as root in a home its learner controls: no planted link or file gives them anything.

The break-in test (tests/test_hub_breakin.py) plants the same traps from a learner's kernel on a running hub;
these check each helper on its own, in a temporary folder.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "hub"))

import course_hub

NOBODY = 65534
as_root = pytest.mark.skipif(os.geteuid() != 0, reason="giving files away needs root")


def test_a_password_in_pgpass_is_read_back_only_in_the_form_the_hub_generates(tmp_path: Path) -> None:
    good = "A" * 32
    (tmp_path / ".pgpass").write_text(f"*:*:*:course_ada:{good}\n")
    assert course_hub._pgpass_password(tmp_path / ".pgpass", "course_ada") == good
    (tmp_path / ".pgpass").write_text("*:*:*:course_ada:x' SUPERUSER --\n")  # SQL, as the instructor's role
    assert course_hub._pgpass_password(tmp_path / ".pgpass", "course_ada") is None


def test_the_hub_reads_no_link_and_waits_on_no_fifo(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text(f"*:*:*:course_ada:{'B' * 32}\n")
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / ".pgpass").symlink_to(secret)
    os.mkfifo(tmp_path / "home" / ".my.cnf")
    assert course_hub._pgpass_password(tmp_path / "home" / ".pgpass", "course_ada") is None
    assert course_hub._read_from_home(tmp_path / "home" / ".my.cnf") == ""  # returns at once


def test_a_planted_temporary_link_is_replaced_not_followed(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.pth"
    home = tmp_path / "home"
    home.mkdir()
    (home / ".pgpass.tmp").symlink_to(target)
    course_hub._write_to_home(home / ".pgpass", "*:*:*:course_ada:x\n", None)
    assert not target.exists() and not (home / ".pgpass").is_symlink()
    assert (home / ".pgpass").stat().st_mode & 0o777 == 0o600


@as_root
def test_a_home_is_given_away_without_the_hard_links_the_hub_made(tmp_path: Path) -> None:
    seed = tmp_path / "seed.sqlite3"
    seed.write_text("pristine")
    home = tmp_path / "home"
    (home / "sub").mkdir(parents=True)
    os.link(seed, home / "sub" / "renamed.sqlite3")  # a seed link the learner moved and renamed
    (home / "mine.txt").write_text("theirs")
    (home / "link").symlink_to(tmp_path)
    course_hub._give(home, NOBODY, NOBODY)
    assert seed.stat().st_uid == 0 and tmp_path.stat().st_uid == 0
    assert (home / "mine.txt").stat().st_uid == NOBODY and (home / "sub").stat().st_uid == NOBODY


@as_root
def test_a_squatted_hand_in_is_removed_and_claimed(tmp_path: Path) -> None:
    (tmp_path / "ada.json").symlink_to(tmp_path / "anything")
    course_hub.claim_hand_in(tmp_path, "ada", NOBODY)
    claimed = (tmp_path / "ada.json").lstat()
    assert claimed.st_uid == NOBODY and not (tmp_path / "ada.json").is_symlink()
    course_hub.claim_hand_in(tmp_path, "ada", NOBODY)  # theirs already: left as it is
    assert (tmp_path / "ada.json").stat().st_ino == claimed.st_ino
    os.mkfifo(tmp_path / "teach.json")
    course_hub.claim_hand_in(tmp_path, "teach", NOBODY, instructor=True)
    assert not (tmp_path / "teach.json").exists()
