"""Progress handed in, not read from homes: each check writes the learner's book into the hub's drop folder.

What an instructor relies on: every recording reaches ``COURSE_PROGRESS_EXCHANGE/<learner>.json``, the class view
reads that folder, and a file that another account planted under a learner's name is left out of the table.
"""

from __future__ import annotations

import json
import os
import stat

import pytest

from lessons.core import progress_book
from lessons.tooling import progress


@pytest.fixture
def exchange(tmp_path, monkeypatch):
    folder = tmp_path / "exchange"
    folder.mkdir()
    monkeypatch.setenv("COURSE_PROGRESS_EXCHANGE", str(folder))
    monkeypatch.setenv("COURSE_PROGRESS", "on")
    monkeypatch.setenv("COURSE_NAMESPACE", "ada")
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "home" / ".data"))
    from lessons.core.settings import get_settings

    get_settings.cache_clear()
    yield folder
    get_settings.cache_clear()


def test_every_recording_is_handed_in(exchange):
    assert progress_book.record("02.create_user", "passed")
    handed_in = exchange / "ada.json"
    assert stat.S_IMODE(handed_in.stat().st_mode) == 0o640  # the instructors' group reads it, nobody else
    assert progress_book.read_book(handed_in)["02.create_user"]["status"] == "passed"
    assert [p.name for p in exchange.iterdir()] == ["ada.json"]  # no temporary file left


def test_the_class_view_reads_the_drop_folder(exchange):
    progress_book.record("02.create_user", "failed")
    read = progress.read_class(exchange)
    assert list(read.books) == ["ada"] and read.unreadable == {}
    assert progress_book.status_of(read.books["ada"], "02.create_user") == progress_book.TRIED


@pytest.mark.skipif(os.geteuid() != 0, reason="planting a file under another owner needs root")
def test_a_file_planted_by_another_account_is_left_out(exchange):
    progress_book.record("02.create_user", "passed")
    planted = exchange / "grace.json"
    planted.write_text('{"version": 1, "exercises": {}}')
    os.chown(planted, 65534, 65534)  # nobody: not course-grace, not the folder's owner
    read = progress.read_class(exchange)
    assert list(read.books) == ["ada"]
    assert "not handed in by grace's own account" in read.unreadable["grace"]


def test_the_class_view_reads_an_exchange_volume_of_one_folder_per_learner(tmp_path):
    """deploy/: each learner's pod mounts only <volume>/<learner>/ as its drop folder."""
    for learner, status in (("ada", "passed"), ("grace", "failed")):
        (tmp_path / learner).mkdir()
        book = progress_book.updated({}, "02.create_user", status, at="2026-12-06T10:00:00+00:00")
        (tmp_path / learner / f"{learner}.json").write_text(json.dumps({"version": 1, "exercises": book}))
    read = progress.read_class(tmp_path)
    assert list(read.books) == ["ada", "grace"]
    assert progress_book.status_of(read.books["grace"], "02.create_user") == progress_book.TRIED
