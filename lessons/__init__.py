"""The course library. This docstring is the one place that says what a lesson notebook may import.

**The notebook surface** (``tests/test_layering.py`` fails when a notebook imports anything else):

- ``from lessons import …`` — the toolkit every lesson uses, listed in ``__all__`` below:

  - the lesson's database: ``fresh_database``, ``prepare_seed`` (the large seed, with a progress bar), ``get_db``,
    ``app_sessionmaker``, ``create_engine``, ``create_sessionmaker``, ``LessonDatabase``, ``Settings``,
    ``parse_database_url``, ``sqlite_path``;
  - the clock: ``clock`` (``clock.freeze()``, ``clock.now()``: Laravel's ``Carbon::setTestNow()``);
  - the blog's models: ``Base``, ``User``, ``Profile``, ``Post``, ``Comment``, ``Role``, ``user_roles``,
    ``TimestampMixin``, ``CHILD_CASCADE``, ``UTCDateTime``, and the module itself as ``models``;
  - pagination: ``paginate``, ``Page``;
  - the lens, which shows what ran: ``show_sql``, ``count_queries``, ``expect_queries``, ``to_sql``,
    ``dialect_named``, ``explain``, ``rows_read``, ``frame`` (a pandas DataFrame), ``show_error`` and ``describe``
    (traps run live), ``stopwatch``, ``best_of`` and ``compare_ways`` (timings, for ignored cells only).

- ``lessons.scenery.lessonNN_<job>`` — one lesson's scenery (tables, stand-ins, side-by-side tables), imported only
  by the lessons whose number starts with ``NN`` (``lesson08_…`` serves 08a and 08b).
- ``lessons.blog`` and its modules — the blog API, which lessons 11 and 12 take apart.
- ``lessons.exercises`` — practice: ``exercises.get("NN.name")``, then ``check()``, ``hint()``, ``solution()``;
  and ``lessons.exercises.lessonNN`` of the notebook's own lesson, where a task hands the learner a helper.

**The layers**, bottom to top; each imports only the layers below it (``tests/test_layering.py``):

=========================  ======================================================================================
``lessons.core``           settings, connections, the pristine seed and per-kernel copies, models, types, clock,
                           errors, pagination, the progress book
``lessons.lens``           what a lesson shows: the SQL log, plans, rows read, traps, DataFrames, timings
``lessons.scenery``        one lesson's helpers, named ``lessonNN_<job>`` so a lesson's number finds them
``lessons.blog``           the FastAPI blog API (``make api``)
``lessons.exercises``      the practice tasks and the differential checker that judges them
``lessons.tooling``        course tooling learners never import: publishing, sizes, progress tables, the seed's
                           command line, ``make lab``/``make test`` without make
=========================  ======================================================================================

This module imports nothing until a name is asked for, so ``python -m lessons.tooling.lab`` runs on a bare Python.

>>> from lessons import User, clock, fresh_database, show_sql
>>> User.__tablename__, clock.__name__
('users', 'lessons.core.clock')
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

#: Every name of the surface → the module that defines it.
_SURFACE: dict[str, str] = {
    **dict.fromkeys(
        ["LessonDatabase", "app_sessionmaker", "create_sessionmaker", "fresh_database", "get_db"],
        "lessons.core.database",
    ),
    "create_engine": "lessons.core.connections",
    "Settings": "lessons.core.settings",
    "parse_database_url": "lessons.core.settings",
    "sqlite_path": "lessons.core.pristine",
    "prepare_seed": "lessons.core.seed_progress",
    **dict.fromkeys(
        ["Base", "CHILD_CASCADE", "Comment", "Post", "Profile", "Role", "TimestampMixin", "User", "user_roles"],
        "lessons.core.models",
    ),
    "UTCDateTime": "lessons.core.types",
    "Page": "lessons.core.pagination",
    "paginate": "lessons.core.pagination",
    **dict.fromkeys(
        ["count_queries", "dialect_named", "expect_queries", "explain", "show_sql", "to_sql"], "lessons.lens.sql"
    ),
    "rows_read": "lessons.lens.rows_read",
    "frame": "lessons.lens.frames",
    "describe": "lessons.lens.traps",
    "show_error": "lessons.lens.traps",
    "best_of": "lessons.lens.timing",
    "stopwatch": "lessons.lens.timing",
    "compare_ways": "lessons.lens.benchmark",
}
#: Modules of the surface, by the name a notebook imports them as.
_MODULES: dict[str, str] = {"clock": "lessons.core.clock", "models": "lessons.core.models"}

#: The same names, spelled out for tools that read ``__all__`` (``tests/test_layering.py`` keeps them equal).
__all__ = [
    "CHILD_CASCADE",
    "Base",
    "Comment",
    "LessonDatabase",
    "Page",
    "Post",
    "Profile",
    "Role",
    "Settings",
    "TimestampMixin",
    "UTCDateTime",
    "User",
    "app_sessionmaker",
    "best_of",
    "clock",
    "compare_ways",
    "count_queries",
    "create_engine",
    "create_sessionmaker",
    "describe",
    "dialect_named",
    "expect_queries",
    "explain",
    "frame",
    "fresh_database",
    "get_db",
    "models",
    "paginate",
    "parse_database_url",
    "prepare_seed",
    "rows_read",
    "show_error",
    "show_sql",
    "sqlite_path",
    "stopwatch",
    "to_sql",
    "user_roles",
]


def __getattr__(name: str) -> Any:
    if name in _MODULES:
        value = importlib.import_module(_MODULES[name])
    elif name in _SURFACE:
        value = getattr(importlib.import_module(_SURFACE[name]), name)
    else:
        raise AttributeError(f"module 'lessons' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    # What Tab completes after `lessons.`: the surface and the packages a lesson may import from, nothing internal.
    return sorted({*__all__, "blog", "exercises", "scenery"})


if TYPE_CHECKING:  # what editors and type checkers see
    from lessons.core import clock, models
    from lessons.core.connections import create_engine
    from lessons.core.database import LessonDatabase, app_sessionmaker, create_sessionmaker, fresh_database, get_db
    from lessons.core.models import (
        CHILD_CASCADE,
        Base,
        Comment,
        Post,
        Profile,
        Role,
        TimestampMixin,
        User,
        user_roles,
    )
    from lessons.core.pagination import Page, paginate
    from lessons.core.pristine import sqlite_path
    from lessons.core.seed_progress import prepare_seed
    from lessons.core.settings import Settings, parse_database_url
    from lessons.core.types import UTCDateTime
    from lessons.lens.benchmark import compare_ways
    from lessons.lens.frames import frame
    from lessons.lens.rows_read import rows_read
    from lessons.lens.sql import count_queries, dialect_named, expect_queries, explain, show_sql, to_sql
    from lessons.lens.timing import best_of, stopwatch
    from lessons.lens.traps import describe, show_error
