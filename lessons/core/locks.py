"""Inter-process file locks on Linux, macOS and Windows, behind three small functions.

``fcntl.flock`` where the platform has it (Linux, macOS), ``msvcrt.locking`` on Windows. Either way the lock is
the operating system's, held through an open file, and released by the system when the process ends however it
ends (a killed kernel too): :mod:`lessons.core.pristine` relies on that to tell a living owner from an ended one.
Nothing else in ``lessons/`` imports ``fcntl`` or ``msvcrt`` (``tests/test_portability.py`` keeps it so).

The caller opens the file (in any mode: an ``flock`` needs no write access, and on Windows the locked byte
lies past the end of an empty file, which the system allows) and closes it after :func:`unlock`::

    with open(path, "a") as handle:
        if try_lock(handle):
            ...                      # no other process holds it now
            unlock(handle)

>>> import tempfile, os
>>> with tempfile.TemporaryDirectory() as folder:
...     path = os.path.join(folder, "example.lock")
...     with open(path, "a") as first, open(path, "a") as second:
...         try_lock(first), try_lock(second), unlock(first), try_lock(second)
(True, False, None, True)
"""

from __future__ import annotations

import os
import time
from typing import IO, Any

try:
    import fcntl
except ModuleNotFoundError:  # Windows
    fcntl = None
    import msvcrt
#: Which mechanism this platform uses: ``"flock"`` or ``"msvcrt"``.
MECHANISM = "flock" if fcntl is not None else "msvcrt"
#: How often a blocking :func:`lock` tries again on Windows (``msvcrt`` has no wait without a 10-second limit).
POLL_SECONDS = 0.05


def try_lock(handle: IO[Any]) -> bool:
    """Take the lock on ``handle``'s file without waiting: True when taken, False when another holder has it."""
    if fcntl is not None:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True
    os.lseek(handle.fileno(), 0, os.SEEK_SET)  # msvcrt locks bytes from the current position: always byte 0
    try:
        msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
    except OSError:
        return False
    return True


def lock(handle: IO[Any]) -> None:
    """Take the lock on ``handle``'s file, waiting as long as another holder keeps it."""
    if fcntl is not None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        return
    while not try_lock(handle):
        time.sleep(POLL_SECONDS)


def unlock(handle: IO[Any]) -> None:
    """Give the lock on ``handle``'s file back (closing the file, or the process ending, also does)."""
    if fcntl is not None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        return
    os.lseek(handle.fileno(), 0, os.SEEK_SET)
    msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
