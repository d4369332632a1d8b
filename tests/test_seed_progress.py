"""prepare_seed: a lesson builds the seed up front, its progress bar in the notebook's output (stdout), not stderr."""

from __future__ import annotations

from lessons.core.seed_progress import prepare_seed


async def test_prepare_seed_builds_once_with_progress_on_stdout(tmp_path, capsys) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'course.sqlite3'}"

    await prepare_seed("default", url)
    first = capsys.readouterr()
    assert first.err == ""
    assert first.out.startswith("default seed: built once on first use")
    assert "seeding: 100%" in first.out
    assert first.out.rstrip().endswith("default seed: ready")

    await prepare_seed("default", url)  # already built: no bar, nothing built
    second = capsys.readouterr()
    assert second.err == ""
    assert "seeding" not in second.out and second.out.rstrip().endswith("default seed: ready")
