"""Practice tasks with ``check()``, ``hint()`` and ``solution()``, one module per lesson (``lessonNN.py``).

>>> from lessons import exercises
>>> exercises.get("00.count_active_users").title
'Count the active users'
"""

from lessons.exercises.framework import (
    Exercise,
    Incorrect,
    Result,
    Unattempted,
    all_exercises,
    count_rows_fetched,
    count_statements,
    describe,
    get,
    is_stub,
    reason,
    register,
    second_connection,
    show,
)

__all__ = [
    "Exercise",
    "Incorrect",
    "Result",
    "Unattempted",
    "all_exercises",
    "count_rows_fetched",
    "count_statements",
    "describe",
    "get",
    "is_stub",
    "reason",
    "register",
    "second_connection",
    "show",
]
