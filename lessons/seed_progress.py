"""Build a seed before a lesson needs it, with a progress bar in the notebook.

``fresh_database(..., size="large")`` builds the large seed (10,000 users, 100,000 posts) the first time any
lesson asks for it, silently, for about 15 seconds. A lesson calls :func:`prepare_seed` first, in a cell whose
output is not compared, so the learner sees the wait coming and how far it has got.

>>> await prepare_seed("large")                            # doctest: +SKIP
large seed: building it once (the large one takes about 15 s); every later lesson copies it
seeding: 100%|██████████| 220500/220500 [00:14<00:00, 15120.61rows/s]
large seed: ready
"""

from __future__ import annotations

import sys
from contextlib import redirect_stderr

from sqlalchemy.engine import URL

from lessons import database, seed
from lessons.settings import get_settings, parse_database_url


def _known_missing(base: URL, size: str) -> bool:
    if base.get_backend_name() != "sqlite":
        return False  # a server's seed database is checked (and built when missing) by ensure_pristine itself
    pristine = database.derived_url(base, f"seed_{size}_{seed.fingerprint(size)}")
    return not database.sqlite_is_database(database.sqlite_path(pristine))


async def prepare_seed(size: str = "large", url: str | None = None) -> None:
    """Make sure the pristine ``size`` seed exists for ``url`` (default ``DATABASE_URL``), showing progress.

    The seed's progress bar goes to stdout, the notebook's output, instead of stderr (where a notebook would
    show it in red, as if something had gone wrong). Calling it again, or after a lesson built the seed, only
    says it is ready.
    """
    base = get_settings().url if url is None else parse_database_url(url)
    if _known_missing(base, size):
        print(f"{size} seed: building it once (the large one takes about 15 s); every later lesson copies it")
    with redirect_stderr(sys.stdout):
        await seed.ensure_pristine(base, size, progress=True)
    print(f"{size} seed: ready")
