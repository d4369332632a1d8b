"""Every known answer to a practice task (``tests/answers/``) gets its verdict: right ones pass, wrong ones fail with a
reason the checker's own code did not crash on. The answers run on every backend of the matrix.

A check judges the answer against the reference's runs on the same generated databases. The reference's runs are the
same for every answer to an exercise, so this file makes each once per process and backend, and reuses it
(``reusing_reference_runs``); ``test_a_reference_run_depends_on_its_world_alone`` proves that reusing one changes
nothing.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from lessons import exercises
from lessons.exercises.differential import Differential, Run, reusing_reference_runs
from tests.answers import KnownAnswer, load_all

KNOWN = load_all()

# Checkers use DATABASE_URL, as in a learner's notebook: run each test once per backend of the matrix.
pytestmark = pytest.mark.usefixtures("database_url_env")

#: The reference's runs made so far in this process, by exercise, seed and check database.
REFERENCE_RUNS: dict[tuple[str, int, str], Run] = {}


@pytest.fixture
def reused_reference_runs() -> Iterator[None]:
    with reusing_reference_runs(REFERENCE_RUNS):
        yield


@pytest.fixture(autouse=True)
def only_this_tests_objects_for_the_collector() -> None:
    """Every check ends with a full garbage collection, which walks every object of the process: here, modules,
    caches and the answers imported since the collection (``gc.freeze()`` in conftest.py set aside what existed
    before). Collected, then set aside before each test, they leave it the objects this test makes: the check
    collects what it did before, a few times faster."""
    gc.collect()
    gc.freeze()

CRASHED = ("the checker could not", "the checker crashed")


def _id(known: KnownAnswer) -> str:
    return f"{known.exercise}-{known.module}-{known.name}"


@pytest.mark.usefixtures("reused_reference_runs")
@pytest.mark.parametrize("known", [k for k in KNOWN if k.right], ids=_id)
async def test_right_answers_pass(known: KnownAnswer) -> None:
    result = await exercises.get(known.exercise).check(known.answer)
    assert result.status == "passed", result.message


@pytest.mark.usefixtures("reused_reference_runs")
@pytest.mark.parametrize("known", [k for k in KNOWN if not k.right], ids=_id)
async def test_wrong_answers_fail_with_a_reason(known: KnownAnswer) -> None:
    result = await exercises.get(known.exercise).check(known.answer)
    assert result.status == "failed", f"{known.name} ({known.mistake}) was judged {result.status}: {result.message}"
    assert result.message
    assert not result.message.startswith(CRASHED), result.message


DIFFERENTIAL = [exercise for exercise in exercises.all_exercises() if isinstance(exercise, Differential)]


@pytest.mark.full_matrix
@pytest.mark.parametrize("exercise", DIFFERENTIAL, ids=lambda exercise: exercise.id)
async def test_a_reference_run_depends_on_its_world_alone(exercise: Differential) -> None:
    """What lets the known answers reuse the reference's runs: a run made afresh equals the one they reuse."""
    db = await exercise.database()
    try:
        for seed in exercise.seeds():
            with reusing_reference_runs(REFERENCE_RUNS):
                reused = await exercise._reference_run(db, seed)
            assert await exercise._reference_run(db, seed) == reused, f"{exercise.id}, seed {seed}"
    finally:
        await db.engine.dispose()


def test_every_exercise_has_known_answers_of_both_kinds() -> None:
    for exercise in exercises.all_exercises():
        mine = [known for known in KNOWN if known.exercise == exercise.id]
        assert sum(known.right for known in mine) >= 2, exercise.id
        assert sum(not known.right for known in mine) >= 2, exercise.id


def test_every_exercise_has_answers_written_without_reading_its_checker() -> None:
    """Issue 19's bar: at least 3 right and 8 wrong answers per exercise, by someone who had not read the checker."""
    for exercise in exercises.all_exercises():
        mine = [known for known in KNOWN if known.exercise == exercise.id and known.module.endswith("_independent")]
        assert sum(known.right for known in mine) >= 3, exercise.id
        assert sum(not known.right for known in mine) >= 8, exercise.id
        assert len({known.mistake for known in mine if not known.right}) >= 8, f"{exercise.id}: mistake classes"


def test_known_answers_name_real_exercises() -> None:
    ids = {exercise.id for exercise in exercises.all_exercises()}
    assert {known.exercise for known in KNOWN} <= ids
