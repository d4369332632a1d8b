"""Run a trap on purpose and print what went wrong, the same way on every run.

A "Careful" cell runs the wrong code inside :func:`show_error`. The error is caught and printed as
``ErrorClass: first line``; a wrapped driver or greenlet error is named too. When the code raised no
error but warned (an un-awaited coroutine …), the warning is printed as ``Runtime warning: message``,
inside the cell, instead of a path-laden stderr line in some later cell.
Give ``expected`` and the cell *fails* if a different error (or none) happens, so a lesson can never
keep claiming a trap that SQLAlchemy has since fixed.

>>> with show_error(expected=ZeroDivisionError):
...     1 / 0
ZeroDivisionError: division by zero
"""

from __future__ import annotations

import gc
import re
import traceback
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


def first_line(error: BaseException) -> str:
    """The first line of an error's message (SQLAlchemy adds SQL and links on the lines after it)."""
    lines = str(error).strip().splitlines()
    text = lines[0] if lines else ""
    # SQLAlchemy prefixes a wrapped error with its class path, e.g. "(sqlite3.IntegrityError) ...". Only that is
    # cut: PyMySQL's own message, "(1452, '… FOREIGN KEY (`user_id`) REFERENCES …')", has ") " inside it.
    text = re.sub(r"^\([A-Za-z_][\w.]*\) ", "", text)
    # Some messages name an object by its memory address (<User at 0x7f…>): never the same twice.
    text = re.sub(r" at 0x[0-9a-f]+", "", text)
    # A server's error may name the lesson's database, whose name holds the learner's namespace and the kernel's
    # process: printed the same way on every run (lessons.core.pristine.stable_names).
    from lessons.core.pristine import stable_names

    return stable_names(text.split(" (Background on this error at:")[0])


def describe(error: BaseException) -> str:
    """``Class (wrapping Orig): message`` for one error.

    >>> describe(KeyError("x"))
    "KeyError: 'x'"
    """
    name = type(error).__name__
    orig = getattr(error, "orig", None)
    if isinstance(orig, BaseException):
        return f"{name} (wrapping {type(orig).__name__}): {first_line(orig)}"
    return f"{name}: {first_line(error)}"


def forget_tracebacks(error: BaseException | None) -> None:
    """Clear the frames of an error's tracebacks (and its causes'), so what they held can be collected."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        traceback.clear_frames(error.__traceback__)
        error.__traceback__ = None
        orig = getattr(error, "orig", None)
        if isinstance(orig, BaseException):
            forget_tracebacks(orig)
        error = error.__cause__ or error.__context__


@dataclass
class Caught:
    """What :func:`show_error` saw: ``.error`` (or None) and the ``.warnings`` as ``Category: message``."""

    error: BaseException | None = None
    warnings: list[str] = field(default_factory=list)


def _matches(error: BaseException, expected: tuple[type[BaseException], ...]) -> bool:
    orig = getattr(error, "orig", None)
    return isinstance(error, expected) or (isinstance(orig, BaseException) and isinstance(orig, expected))


@contextmanager
def show_error(
    expected: type[BaseException] | tuple[type[BaseException], ...] | None = None,
) -> Iterator[Caught]:
    """Catch and print the error (and warnings) raised in the block; with ``expected``, insist on that class.

    ``expected`` matches the error itself or the error it wraps (``StatementError`` → ``MissingGreenlet``).
    """
    caught = Caught()
    wanted = expected if isinstance(expected, tuple) else ((expected,) if expected else ())
    with warnings.catch_warnings(record=True) as recorded:
        warnings.simplefilter("always")
        try:
            yield caught
        except Exception as error:  # the point of a trap cell is to see this
            caught.error = error
            forget_tracebacks(error)
        # An un-awaited coroutine only warns when it is collected: collect now, inside the block, after
        # dropping the tracebacks that keep its frames alive (else it warns in some later cell).
        gc.collect()
    if caught.error is not None:
        print(describe(caught.error))
    for warning in recorded:
        caught.warnings.append(f"{warning.category.__name__}: {warning.message}")
    # Warnings that come with an error are its echoes (a lazy load leaves a coroutine un-awaited): the error
    # is the news. Without an error, a warning *is* the trap, so print it, dropping the "Warning" suffix so a
    # demonstrated warning is never mistaken for a stray one.
    if caught.error is None:
        for text in dict.fromkeys(caught.warnings):
            category, message = text.split(": ", 1)
            print(f"{category.removesuffix('Warning')} warning: {message}")
    if caught.error is None and not caught.warnings:
        print("No error.")
    if wanted and caught.error is None:
        raise AssertionError(f"expected {' or '.join(c.__name__ for c in wanted)}, but nothing was raised")
    if wanted and not _matches(caught.error, wanted):
        raise AssertionError(f"expected {' or '.join(c.__name__ for c in wanted)}, got {describe(caught.error)}")
