"""The practice framework: ``check()``, ``hint()`` and ``solution()`` for every exercise.

A checker awaits the learner's function against a fresh database of its own and reports one of three
states: passed, not attempted yet, or failed with a specific reason. It never raises in a notebook.

>>> from lessons import exercises
>>> q = exercises.get("00.count_active_users")
>>> result = await q.check(None)                       # doctest: +SKIP
>>> result.status                                      # doctest: +SKIP
'unattempted'
"""

from __future__ import annotations

import asyncio
import gc
import inspect
import os
import textwrap
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from lessons import database

Status = Literal["passed", "unattempted", "failed"]

#: How long a learner's answer may run before the checker gives up on it.
ANSWER_TIMEOUT_SECONDS = 60


class Incorrect(Exception):
    """Raised by a checker's ``judge`` with the reason a learner needs to fix the answer."""


class Unattempted(Exception):
    """Raised when the answer is still the stub."""


@dataclass(frozen=True)
class Result:
    """What ``check()`` returns: ``.passed``, ``.status`` and a ``.message`` for the learner."""

    status: Status
    message: str

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def __repr__(self) -> str:
        label = {"passed": "✅ Correct", "unattempted": "⬜ Not attempted yet", "failed": "❌ Not yet"}[self.status]
        return f"{label}: {self.message}"


def describe(error: BaseException) -> str:
    """An exception as ``ClassName: first line of the message``, the way the lessons print errors."""
    from lessons.traps import describe as describe_error

    return describe_error(error)


def statements(count: int) -> str:
    """``1 statement``, ``3 statements``: for checkers' messages.

    >>> statements(1), statements(2)
    ('1 statement', '2 statements')
    """
    return f"{count} statement{'' if count == 1 else 's'}"


class Exercise:
    """One practice task. Subclasses set ``id``, ``title``, ``hints``, ``reference`` and write ``judge``.

    ``judge(answer, db)`` runs the learner's ``answer`` against ``db`` (a fresh :class:`LessonDatabase`)
    and returns a message on success or raises :class:`Incorrect` with the reason. Use
    :meth:`call` to run the answer: it turns the stub's ``NotImplementedError`` into "not attempted".
    ``right_answers``/``wrong_answers`` are known answers the framework's self-tests check it against.
    """

    id: ClassVar[str]
    title: ClassVar[str]
    hints: ClassVar[list[str]]
    #: The reference solution, printed by :meth:`solution`.
    reference: ClassVar[Callable[..., Any]]
    right_answers: ClassVar[list[Callable[..., Any]]] = []
    wrong_answers: ClassVar[list[Callable[..., Any]]] = []

    async def judge(self, answer: Callable[..., Any], db: database.LessonDatabase) -> str:
        raise NotImplementedError

    async def call(self, answer: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Await the learner's function with a time limit; the untouched stub counts as not attempted."""
        try:
            outcome = answer(*args, **kwargs)
            if inspect.isawaitable(outcome):
                outcome = await asyncio.wait_for(outcome, ANSWER_TIMEOUT_SECONDS)
        except NotImplementedError:
            raise Unattempted from None
        except TimeoutError:
            raise Incorrect(f"your function ran for more than {ANSWER_TIMEOUT_SECONDS} s without finishing") from None
        return outcome

    async def check(self, answer: Any = None) -> Result:
        """Judge ``answer`` (your function) on a fresh database. Returns a :class:`Result`; never raises."""
        if answer is None or answer is Ellipsis:
            return Result("unattempted", "write your answer above, then run this cell again.")
        if inspect.iscoroutine(answer):
            answer.close()
            return Result("failed", "pass the function itself, e.g. check(my_function), not check(my_function(...)).")
        if not callable(answer):
            return Result("failed", f"check() takes your function; got {type(answer).__name__}.")
        # A database of the checker's own, named per process: two kernels checking at once never collide.
        db = await database.fresh_database(f"check-{self.id}-{os.getpid()}", make_current=False)
        # A learner's lazy load leaves an un-awaited coroutine behind; it would warn in some later cell.
        # Collect it here, inside the check, and keep its warning out of the notebook.
        with warnings.catch_warnings(record=True):
            warnings.simplefilter("always")
            try:
                message = await self.judge(answer, db)
            except Unattempted:
                return Result("unattempted", "replace `raise NotImplementedError` with your code, then run this again.")
            except Incorrect as reason:
                return Result("failed", str(reason))
            except Exception as error:  # the learner's code raised: say which error, never re-raise
                from lessons.traps import forget_tracebacks

                forget_tracebacks(error)  # its frames may hold an un-awaited coroutine: let gc take it now
                return Result("failed", f"your code raised {describe(error)}")
            finally:
                await db.drop()
                gc.collect()
        return Result("passed", message)

    def hint(self, number: int = 1) -> None:
        """Print hint ``number`` (1 first: the gentlest)."""
        if not 1 <= number <= len(self.hints):
            print(f"There are {len(self.hints)} hints: hint(1) to hint({len(self.hints)}).")
            return
        more = f" (more: hint({number + 1}))" if number < len(self.hints) else ""
        print(f"Hint {number} of {len(self.hints)}{more}: {self.hints[number - 1]}")

    def solution(self) -> None:
        """Print a reference solution (yours may differ and still be right: the checker judges behaviour)."""
        print(f"One solution to “{self.title}”:\n")
        print(textwrap.dedent(inspect.getsource(self.reference)).rstrip())

    def __repr__(self) -> str:
        return f"Exercise {self.id}: {self.title} — await .check(your_function), .hint(), .solution()"


_registry: dict[str, Exercise] = {}


def register(exercise_class: type[Exercise]) -> Exercise:
    """Class decorator-like: instantiate and register an exercise under its ``id``."""
    exercise = exercise_class()
    if exercise.id in _registry and type(_registry[exercise.id]) is not exercise_class:
        raise ValueError(f"two exercises share the id {exercise.id!r}")
    _registry[exercise.id] = exercise
    return exercise


def _load_all(prefix: str = "lesson") -> None:
    import importlib
    import pkgutil

    import lessons.exercises as package

    for module in pkgutil.iter_modules(package.__path__):
        if module.name.startswith(prefix):
            importlib.import_module(f"{package.__name__}.{module.name}")


def get(exercise_id: str) -> Exercise:
    """The checker for ``exercise_id`` (e.g. ``"00.count_active_users"``)."""
    # Import just the lesson's own modules (lesson14a, lesson14b … for "14.x"): a notebook needs no others.
    _load_all(f"lesson{exercise_id.split('.')[0]}")
    if exercise_id not in _registry:
        _load_all()
    try:
        return _registry[exercise_id]
    except KeyError:
        raise KeyError(f"no exercise {exercise_id!r}; known: {', '.join(sorted(_registry))}") from None


def all_exercises() -> list[Exercise]:
    """Every registered exercise, in id order (what the self-tests iterate over)."""
    _load_all()
    return [_registry[key] for key in sorted(_registry)]
