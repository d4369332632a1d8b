"""Known answers to the practice tasks: the test data the checkers are judged by (``tests/test_answers.py``).

One module per lesson. ``lessonNN.py`` holds the answers the checkers' authors wrote; ``lessonNN_independent.py``
holds answers written from the notebook's task statement alone, by someone who had not read the checker. Each
answer is registered with the verdict it must get, on every backend:

>>> from tests.answers import right, wrong
>>> @right("00.count_active_users")
... async def counts_ids(session): ...
>>> @wrong("00.count_active_users", "counts every user, not only the active ones")
... async def counts_everyone(session): ...

An answer is what the notebook passes to ``check()``: a function, a class (a model, a schema), whatever the task asks
for. A wrong answer names its mistake class, in a few words.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class KnownAnswer:
    exercise: str
    answer: Any
    right: bool
    #: For a wrong answer, the class of mistake it makes; "" for a right one.
    mistake: str
    #: The module that holds it (``lesson03`` or ``lesson03_independent``).
    module: str

    @property
    def name(self) -> str:
        return getattr(self.answer, "__name__", type(self.answer).__name__)


KNOWN: list[KnownAnswer] = []


def _register(exercise: str, right: bool, mistake: str) -> Callable[[Any], Any]:
    def register(answer: Any) -> Any:
        module = getattr(answer, "__module__", "").rpartition(".")[2]
        KNOWN.append(KnownAnswer(exercise, answer, right, mistake, module))
        return answer

    return register


def right(exercise: str) -> Callable[[Any], Any]:
    """Register a right answer to ``exercise``: the checker must pass it."""
    return _register(exercise, True, "")


def wrong(exercise: str, mistake: str) -> Callable[[Any], Any]:
    """Register a wrong answer to ``exercise`` making ``mistake``: the checker must fail it, with a reason."""
    if not mistake:
        raise ValueError("name the mistake a wrong answer makes")
    return _register(exercise, False, mistake)


def load_all() -> list[KnownAnswer]:
    """Import every answer module of this package; returns every registered answer."""
    import importlib
    import pkgutil

    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
    return KNOWN
