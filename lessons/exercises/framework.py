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

import ast
import asyncio
import contextvars
import gc
import inspect
import itertools
import os
import textwrap
import warnings
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.pool import NullPool

from lessons.core import database, progress_book
from lessons.lens.sql import QueryCounter, _listening

Status = Literal["passed", "unattempted", "failed"]

#: How long a learner's answer may run (one call) before the checker gives up on it.
ANSWER_TIMEOUT_SECONDS = 60
#: How long a whole check may take, every call of the answer included (cleanup comes on top).
CHECK_TIMEOUT_SECONDS = 90
#: The bound on each cleanup step (ending leftover work, closing connections, dropping the database).
CLEANUP_TIMEOUT_SECONDS = 10


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
        return wrap_text(f"{label}: {self.message}")


# --------------------------------------------------------------------------------------------------------------
# Messages
# --------------------------------------------------------------------------------------------------------------


def describe(error: BaseException) -> str:
    """An exception as ``ClassName: first line of the message``; just ``ClassName`` when it has no message.

    >>> describe(KeyError("x")), describe(NotImplementedError())
    ("KeyError: 'x'", 'NotImplementedError')
    """
    from lessons.lens.traps import describe as describe_error

    return describe_error(error).rstrip().removesuffix(":")


#: What a learner reads (results, hints) is wrapped to this width, between words: the same in every window.
TEXT_WIDTH = 88


def wrap_text(text: str, width: int = TEXT_WIDTH) -> str:
    """Wrap each line of ``text`` longer than ``width`` between words; continuation lines are indented.

    Words are never split (a long identifier or URL stays whole) and short lines are left as they are.

    >>> print(wrap_text("Hint 1 of 2: " + "word " * 20, width=40))
    Hint 1 of 2: word word word word word
        word word word word word word word
        word word word word word word word
        word
    """
    return "\n".join(
        textwrap.fill(line, width=width, subsequent_indent="    ", break_long_words=False, break_on_hyphens=False)
        if len(line) > width else line
        for line in text.splitlines() or [""]
    )


def reason(prefix: str, detail: Any = "") -> str:
    """``prefix: detail``, or just ``prefix`` when there is no detail: never an empty reason after a colon.

    >>> reason("GET /tasks answered 500", ""), reason("GET /tasks answered 500", "boom")
    ('GET /tasks answered 500', 'GET /tasks answered 500: boom')
    """
    detail = str(detail).strip()
    return f"{prefix}: {detail}" if detail else prefix


def show(value: Any, limit: int = 5) -> str:
    """A value the way a message should show it: a string as a string, a long list cut short with its length.

    >>> show("Ada"), show([1, 2, 3]), show(list(range(10)))
    ("'Ada'", '[1, 2, 3]', '[0, 1, 2, 3, 4, … (10 in all)]')
    >>> show(None), show({"a": 1})
    ('None', "{'a': 1}")
    """
    if isinstance(value, str | bytes):
        shown = repr(value)
        return shown if len(shown) <= 120 else shown[:117] + "…"
    if isinstance(value, list | tuple | set | frozenset):
        items = list(value)
        opening, closing = "[]" if isinstance(value, list) else "()" if isinstance(value, tuple) else "{}"
        body = ", ".join(show(item, limit) for item in items[:limit])
        if len(items) > limit:
            body += f", … ({len(items)} in all)"
        elif type(value) is tuple and len(items) == 1:
            body += ","
        return f"{opening}{body}{closing}"
    shown = repr(value)
    return shown if len(shown) <= 200 else shown[:197] + "…"


def statements(count: int) -> str:
    """``1 statement``, ``3 statements``: for checkers' messages.

    >>> statements(1), statements(2)
    ('1 statement', '2 statements')
    """
    return f"{count} statement{'' if count == 1 else 's'}"


# --------------------------------------------------------------------------------------------------------------
# The stub, and errors raised by the answer rather than by the checker
# --------------------------------------------------------------------------------------------------------------


def is_stub(function: Any) -> bool:
    """True when ``function``'s body is just ``raise NotImplementedError`` (a docstring aside): the untouched stub.

    >>> def stub():
    ...     raise NotImplementedError
    >>> def started():
    ...     x = 1
    ...     raise NotImplementedError
    >>> is_stub(stub), is_stub(started)
    (True, False)
    """
    function = inspect.unwrap(getattr(function, "__func__", function))
    try:
        source = textwrap.dedent(inspect.getsource(function))
        tree = ast.parse(source)
    except (OSError, TypeError, SyntaxError, IndentationError):
        code = getattr(function, "__code__", None)
        return code is not None and set(code.co_names) == {"NotImplementedError"}
    definitions = [node for node in tree.body if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)]
    if not definitions:
        return False
    body = [
        node
        for node in definitions[0].body
        if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))  # a docstring or ...
        and not isinstance(node, ast.Pass)
    ]
    if len(body) != 1 or not isinstance(body[0], ast.Raise) or body[0].exc is None:
        return False
    raised = body[0].exc.func if isinstance(body[0].exc, ast.Call) else body[0].exc
    return isinstance(raised, ast.Name) and raised.id == "NotImplementedError"


_ANSWER_RAISED = "_raised_by_the_answer"


def _raised_by_a_stub(error: BaseException) -> bool:
    """True when the function that raised is itself an untouched stub (an earlier step the answer calls).

    >>> def step_one():
    ...     raise NotImplementedError
    >>> try:
    ...     step_one()
    ... except NotImplementedError as error:
    ...     _raised_by_a_stub(error)
    True
    """
    frame = error.__traceback__
    while frame is not None and frame.tb_next is not None:
        frame = frame.tb_next
    return frame is not None and is_stub(frame.tb_frame.f_code)


def raised_by_answer(error: BaseException) -> bool:
    """True when ``error`` came out of the learner's code (through :meth:`Exercise.call`), not the checker's."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if getattr(current, _ANSWER_RAISED, False):
            return True
        current = current.__cause__ or current.__context__
    return False


# --------------------------------------------------------------------------------------------------------------
# One check at a time: what belongs to it
# --------------------------------------------------------------------------------------------------------------


@dataclass
class _CheckState:
    number: int
    db: database.LessonDatabase | None = None
    received: list[Any] = field(default_factory=list)
    tasks: list[asyncio.Task[Any]] = field(default_factory=list)


_numbers = itertools.count(1)
_current_check: contextvars.ContextVar[_CheckState | None] = contextvars.ContextVar("current_check", default=None)


def _this_check() -> _CheckState | None:
    return _current_check.get()


@contextmanager
def count_statements() -> Iterator[QueryCounter]:
    """Count the statements this check's own code and answer run, and nothing else.

    Like :func:`lessons.lens.sql.count_queries`, but a statement counts only when it runs in this check's context
    (tasks the answer starts inherit it): work an earlier answer left running on the loop is not counted.

    >>> with count_statements() as queries:              # doctest: +SKIP
    ...     got = await self.call(answer, session)
    """
    counter = QueryCounter()
    state = _this_check()

    def on_statement(statement: Any) -> None:
        if _this_check() is state:
            counter.statements.append(statement)

    with _listening(on_statement):
        yield counter


@dataclass
class RowsFetched:
    """What :func:`count_rows_fetched` saw: rows sent back to the session by each statement, and the total."""

    per_statement: list[int] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.per_statement)


@contextmanager
def count_rows_fetched() -> Iterator[RowsFetched]:
    """Count the rows the database sent back to this check's sessions (``session.execute``/``scalars``/lazy loads).

    Judges "counted in Python" by the rows that actually came back, whatever the SQL looks like. It sees what
    runs through a Session (``execute``, ``scalars``, ``get``, lazy and eager loads), not statements run on a bare
    ``AsyncConnection``; a statement streamed with ``yield_per``/``stream_results`` is left uncounted.

    >>> with count_rows_fetched() as fetched:           # doctest: +SKIP
    ...     got = await self.call(answer, session)
    >>> fetched.total                                   # doctest: +SKIP
    1
    """
    seen = RowsFetched()
    state = _this_check()

    def on_execute(orm_state: ORMExecuteState) -> Any:
        if _this_check() is not state:
            return None
        options = orm_state.execution_options
        if options.get("yield_per") or options.get("stream_results"):
            return None
        result = orm_state.invoke_statement()
        # An UPDATE/DELETE: without RETURNING it sends no rows; with it (the ORM's "fetch" synchronisation on a
        # backend with RETURNING) freezing would drop the result's .rowcount, which the caller may read.
        if getattr(result, "returns_rows", True) is False or orm_state.is_update or orm_state.is_delete:
            seen.per_statement.append(0)
            return result
        frozen = result.freeze()
        seen.per_statement.append(len(frozen.data))
        return frozen()

    event.listen(Session, "do_orm_execute", on_execute)
    try:
        yield seen
    finally:
        event.remove(Session, "do_orm_execute", on_execute)


# --------------------------------------------------------------------------------------------------------------
# A second connection
# --------------------------------------------------------------------------------------------------------------


@asynccontextmanager
async def second_connection(db: database.LessonDatabase) -> AsyncIterator[AsyncConnection]:
    """A connection of its own (not from the answer's pool): it sees only what was committed.

    >>> async with second_connection(db) as conn:      # doctest: +SKIP
    ...     name = await conn.scalar(select(User.name).where(User.id == 1))
    """
    engine = database.create_engine(db.url, poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            yield conn
    finally:
        await engine.dispose()


# --------------------------------------------------------------------------------------------------------------
# Cleanup: end what the answer left behind, each step bounded
# --------------------------------------------------------------------------------------------------------------


async def _bounded(awaitable: Any, seconds: float | None = None) -> bool:
    """Await with a time limit; False (never raises) when it failed or timed out."""
    try:
        await asyncio.wait_for(awaitable, CLEANUP_TIMEOUT_SECONDS if seconds is None else seconds)
    except (Exception, asyncio.CancelledError):
        return False
    return True


@contextmanager
def _recording_tasks(state: _CheckState) -> Iterator[None]:
    """Note every task started in this check's context (the answer's ``create_task``, ``gather`` …)."""
    loop = asyncio.get_running_loop()
    previous = loop.get_task_factory()

    def factory(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> asyncio.Task[Any]:
        context = kwargs.get("context")
        owner = context.get(_current_check) if context is not None else _current_check.get()
        task = previous(loop, coro, **kwargs) if previous is not None else asyncio.Task(coro, loop=loop, **kwargs)
        if owner is state:
            state.tasks.append(task)
        return task

    loop.set_task_factory(factory)
    try:
        yield
    finally:
        loop.set_task_factory(previous)


async def _end_leftover_tasks(state: _CheckState) -> None:
    current = asyncio.current_task()
    leftovers = [task for task in state.tasks if task is not current and not task.done()]
    for task in leftovers:
        task.cancel()
    if leftovers:
        await _bounded(asyncio.gather(*leftovers, return_exceptions=True))
    state.tasks.clear()


async def _end_server_connections(db: database.LessonDatabase) -> None:
    """Terminate every other connection to the check's database: DROP DATABASE would wait on them."""
    if db.backend == "sqlite":
        return
    engine = database.create_engine(db._base_url or db.url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            if db.backend == "postgresql":
                await conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = :name AND pid <> pg_backend_pid()"
                    ),
                    {"name": db.url.database},
                )
            else:
                ids = (
                    await conn.scalars(
                        text(
                            "SELECT id FROM information_schema.processlist WHERE db = :name AND id <> CONNECTION_ID()"
                        ),
                        {"name": db.url.database},
                    )
                ).all()
                for connection_id in ids:
                    with suppress(Exception):  # it may have ended meanwhile
                        await conn.execute(text(f"KILL CONNECTION {int(connection_id)}"))
    finally:
        await engine.dispose()


async def _clean_up(state: _CheckState, db: database.LessonDatabase, keep: bool = False) -> None:
    await _end_leftover_tasks(state)
    await _bounded(db.engine.dispose())  # the pool's idle connections close cleanly first
    await _bounded(_end_server_connections(db))  # then whatever the answer still holds is ended on the server
    gc.collect()  # connections the answer never returned to the pool: finalised here, inside the check
    if not keep:
        await _bounded(db.drop())


# --------------------------------------------------------------------------------------------------------------
# Exercises
# --------------------------------------------------------------------------------------------------------------


class Exercise:
    """One practice task. Subclasses set ``id``, ``title``, ``hints``, ``reference`` and write ``judge``.

    ``judge(answer, db)`` runs the learner's ``answer`` against ``db`` (a fresh :class:`LessonDatabase`)
    and returns a message on success or raises :class:`Incorrect` with the reason. Use
    :meth:`call` to run the answer: it turns the untouched stub's ``NotImplementedError`` into
    "not attempted", bounds the time, and marks what the answer raised, so that an error raised by the
    checker's own code is reported as the checker's, with what it received.
    Its known right and wrong answers are test data in ``tests/answers/`` (``tests/test_answers.py`` runs them).
    """

    id: ClassVar[str]
    title: ClassVar[str]
    hints: ClassVar[list[str]]
    #: The reference solution, printed by :meth:`solution`.
    reference: ClassVar[Callable[..., Any]]

    #: Whether the check's database outlives the check (a checker that reloads it itself keeps one per process).
    keeps_database: ClassVar[bool] = False

    async def judge(self, answer: Callable[..., Any], db: database.LessonDatabase) -> str:
        raise NotImplementedError

    async def database(self) -> database.LessonDatabase:
        """The check's own database: a fresh copy of the seeded one, named per exercise and process."""
        return await database.fresh_database(f"check-{self.id}-{os.getpid()}", make_current=False)

    async def call(self, answer: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Await the learner's function with a time limit.

        The untouched stub (a body of just ``raise NotImplementedError``), or an answer that calls one (an earlier
        step not written yet), counts as not attempted; a ``NotImplementedError`` raised by a function that has code
        of its own is the learner's error like any other.
        """
        try:
            async with asyncio.timeout(ANSWER_TIMEOUT_SECONDS) as limit:
                outcome = answer(*args, **kwargs)
                if inspect.isawaitable(outcome):
                    outcome = await outcome
        except NotImplementedError as error:
            if is_stub(answer) or _raised_by_a_stub(error):
                raise Unattempted from None
            _mark(error)
            raise
        except TimeoutError as error:
            if limit.expired():
                raise Incorrect(
                    f"your function ran for more than {ANSWER_TIMEOUT_SECONDS} s without finishing"
                ) from None
            _mark(error)
            raise
        except Exception as error:
            _mark(error)
            raise
        state = _this_check()
        if state is not None:
            state.received.append(outcome)
        return outcome

    async def check(self, answer: Any = None) -> Result:
        """Judge ``answer`` (your function) on a fresh database. Returns a :class:`Result`; never raises.

        Returns within :data:`CHECK_TIMEOUT_SECONDS` plus a bounded cleanup, whatever the answer does
        (short of blocking the event loop itself). The result is recorded for the learner
        (``lessons.core.progress_book``),
        silently: recording never prints and never changes the result.
        """
        result = await self._checked(answer)
        progress_book.record(self.id, result.status)
        return result

    async def _checked(self, answer: Any) -> Result:
        if answer is None or answer is Ellipsis:
            return Result("unattempted", "write your answer above, then run this cell again.")
        if inspect.iscoroutine(answer):
            answer.close()
            return Result("failed", "pass the function itself, e.g. check(my_function), not check(my_function(...)).")
        if not callable(answer):
            return Result("failed", f"check() takes your function; got {type(answer).__name__}.")
        state = _CheckState(next(_numbers))
        token = _current_check.set(state)
        try:
            with _recording_tasks(state):
                return await self._check(answer, state)
        finally:
            _current_check.reset(token)

    async def _check(self, answer: Any, state: _CheckState) -> Result:
        # A database of the checker's own, named per process: two kernels checking at once never collide.
        try:
            db = await asyncio.wait_for(self.database(), CHECK_TIMEOUT_SECONDS)
        except Exception as error:
            return Result("failed", reason("the checker could not create its database", describe(error)))
        state.db = db
        # A learner's lazy load leaves an un-awaited coroutine behind; it would warn in some later cell.
        # Collect it here, inside the check, and keep its warning out of the notebook.
        with warnings.catch_warnings(record=True):
            warnings.simplefilter("always")
            try:
                async with asyncio.timeout(CHECK_TIMEOUT_SECONDS) as limit:
                    message = await self.judge(answer, db)
            except Unattempted:
                return Result("unattempted", "replace `raise NotImplementedError` with your code, then run this again.")
            except Incorrect as why:
                return Result("failed", str(why))
            except TimeoutError as error:
                if limit.expired():
                    return Result("failed", f"the check ran for more than {CHECK_TIMEOUT_SECONDS} s without finishing")
                return self._error_result(error, state)
            except Exception as error:
                return self._error_result(error, state)
            finally:
                # collects garbage too (one full collection per check: it is not cheap)
                await _clean_up(state, db, keep=self.keeps_database)
        return Result("passed", message)

    @staticmethod
    def _error_result(error: Exception, state: _CheckState) -> Result:
        from lessons.lens.traps import forget_tracebacks

        by_answer = raised_by_answer(error)
        forget_tracebacks(error)  # its frames may hold an un-awaited coroutine: let gc take it now
        if by_answer:  # the learner's code raised: say which error, never re-raise
            return Result("failed", f"your code raised {describe(error)}")
        got = f"; it got {show(state.received[-1])}" if state.received else ""
        return Result("failed", f"the checker could not read your result: {describe(error)}{got}")

    def hint(self, number: int = 1) -> None:
        """Print hint ``number`` (1 first: the gentlest)."""
        if not 1 <= number <= len(self.hints):
            print(f"There are {len(self.hints)} hints: hint(1) to hint({len(self.hints)}).")
            return
        more = f" (more: hint({number + 1}))" if number < len(self.hints) else ""
        print(wrap_text(f"Hint {number} of {len(self.hints)}{more}: {self.hints[number - 1]}"))

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


def _mark(error: BaseException) -> None:
    with suppress(AttributeError, TypeError):
        setattr(error, _ANSWER_RAISED, True)
