"""Progress recording: what a check leaves in the learner's progress.json, and the tables read from it."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from lessons import exercises
from lessons.core import progress_book
from lessons.core.settings import ROOT, get_settings
from lessons.exercises.lesson00 import count_active_users
from lessons.tooling import progress
from tests.answers import lesson00


@pytest.fixture
def learner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A learner whose data folder is a temporary one (recording on); the databases stay where they are."""
    database_url = get_settings().database_url  # the seeded SQLite file: copies come from its pristine sibling
    monkeypatch.delenv("COURSE_PROGRESS", raising=False)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "alice" / ".data"))
    get_settings.cache_clear()
    yield tmp_path / "alice" / ".data" / "progress.json"
    get_settings.cache_clear()


def entry(path: Path, exercise_id: str = "00.count_active_users") -> dict[str, object]:
    return json.loads(path.read_text())["exercises"][exercise_id]


async def _stub(session: AsyncSession) -> int:
    raise NotImplementedError


async def test_a_passing_check_is_recorded_as_passed_silently(learner: Path, capsys: pytest.CaptureFixture[str]):
    result = await exercises.get("00.count_active_users").check(count_active_users)
    assert result.passed
    assert capsys.readouterr() == ("", "")  # nothing in the notebook's output
    recorded = entry(learner)
    assert recorded["status"] == "passed"
    assert recorded["attempts"] == 1
    first_passed = datetime.fromisoformat(str(recorded["first_passed"]))
    assert first_passed.tzinfo is not None and first_passed.utcoffset() == timezone.utc.utcoffset(None)
    assert recorded["last_tried"] == recorded["first_passed"]


async def test_a_wrong_answer_is_tried_and_a_stub_is_not_started(learner: Path) -> None:
    exercise = exercises.get("00.count_active_users")
    assert (await exercise.check(_stub)).status == "unattempted"
    assert entry(learner) == {"status": "not started", "attempts": 0, "first_passed": None, "last_tried": None}
    assert (await exercise.check(lesson00.wrong_counts_everyone)).status == "failed"
    assert entry(learner)["status"] == "tried"
    assert entry(learner)["attempts"] == 1
    assert entry(learner)["first_passed"] is None


async def test_a_damaged_progress_file_breaks_neither_the_check_nor_the_next_recording(learner: Path) -> None:
    learner.parent.mkdir(parents=True)
    learner.write_text('{"exercises": {"00.count_active_users": ')  # a file cut short
    result = await exercises.get("00.count_active_users").check(count_active_users)
    assert result.passed
    assert entry(learner)["status"] == "passed"
    assert learner.with_name("progress.json.damaged").read_text().startswith('{"exercises"')


async def test_an_unwritable_data_folder_skips_recording_and_the_learners_table_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    database_url = get_settings().database_url
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    monkeypatch.delenv("COURSE_PROGRESS", raising=False)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("COURSE_DATA_DIR", str(blocked / ".data"))
    get_settings.cache_clear()
    try:
        assert progress_book.record("00.count_active_users", "passed") is False
        assert capsys.readouterr() == ("", "")
        assert progress.main([]) == 0
    finally:
        get_settings.cache_clear()
    out = capsys.readouterr().out
    assert "Checks are not being recorded" in out
    assert "not started" in out


def test_two_kernels_of_one_learner_recording_at_once_lose_no_attempt(tmp_path: Path) -> None:
    target = tmp_path / "progress.json"
    program = (
        "import sys; from pathlib import Path; from lessons.core.progress_book import record\n"
        "for _ in range(25): assert record('00.count_active_users', 'failed', Path(sys.argv[1]))\n"
    )
    environment = {key: value for key, value in os.environ.items() if key != "COURSE_PROGRESS"}
    kernels = [
        subprocess.Popen([sys.executable, "-c", program, str(target)], cwd=ROOT, env=environment) for _ in range(2)
    ]
    assert [kernel.wait(timeout=60) for kernel in kernels] == [0, 0]
    assert entry(target)["attempts"] == 50
    assert sorted(path.name for path in tmp_path.iterdir()) == ["progress.json", "progress.json.lock"]  # no temp left


def test_the_learners_table_lists_every_exercise_in_lesson_order(
    learner: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    progress_book.record("01.tag_model", "passed")
    progress_book.record("02.create_user", "failed")
    assert progress.main([]) == 0
    lines = capsys.readouterr().out.splitlines()
    listed = [line.split()[0] for line in lines[2:-1]]
    assert listed == [exercise.id for exercise in progress.exercises_in_order()]
    assert listed[:3] == ["00.count_active_users", "01.tag_model", "02.create_user"]
    assert "· not started" in lines[2] and "✓ passed" in lines[3] and "~ tried" in lines[4]
    assert lines[-1].startswith(f"1 of {len(listed)} passed, 1 tried, {len(listed) - 2} not started")


def _learner_file(root: Path, name: str) -> Path:
    return root / name / ".data" / "progress.json"


def test_two_learners_give_a_two_row_class_table_and_a_csv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("COURSE_PROGRESS", raising=False)
    users = tmp_path / "users"
    progress_book.record("00.count_active_users", "passed", _learner_file(users, "zoe"))
    progress_book.record("00.count_active_users", "failed", _learner_file(users, "ada"))
    progress_book.record("01.tag_model", "passed", _learner_file(users, "ada"))
    (users / "newcomer").mkdir()  # logged in, never ran a check: no row
    assert progress.main(["--class", str(users), "--csv", str(tmp_path / "class.csv")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"Class progress: 2 learners, {len(progress.exercises_in_order())} exercises ({users})"
    assert lines[1].split()[:3] == ["Learner", "1", "2"]
    assert lines[2].split()[:3] == ["ada", "~", "✓"]  # sorted by name
    assert lines[3].split()[:3] == ["zoe", "✓", "·"]
    with open(tmp_path / "class.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["learner"] for row in rows] == ["ada", "zoe"]
    assert rows[0]["00.count_active_users"] == "tried" and rows[0]["01.tag_model"] == "passed"
    assert rows[1]["00.count_active_users"] == "passed" and rows[1]["01.tag_model"] == "not started"
    assert (rows[0]["passed"], rows[0]["tried"], rows[1]["passed"]) == ("1", "1", "1")


def test_a_damaged_file_leaves_the_rest_of_the_class_table_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("COURSE_PROGRESS", raising=False)
    progress_book.record("00.count_active_users", "passed", _learner_file(tmp_path, "ada"))
    _learner_file(tmp_path, "bob").parent.mkdir(parents=True)
    _learner_file(tmp_path, "bob").write_text("[1, 2")
    assert progress.main(["--class", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("bob: progress left out, unreadable")
    assert "Class progress: 1 learner, " in out
    assert "\nada " in out


def test_a_class_where_nobody_has_started_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "ada").mkdir()
    assert progress.main(["--class", str(tmp_path)]) == 0
    assert capsys.readouterr().out.startswith("No learner has started yet: no ")
