"""Build a seed before a lesson needs it, with a progress bar in the notebook.

``fresh_database(..., size="large")`` builds the large seed (10,000 users, 100,000 posts) the first time any
lesson asks for it, silently, for about 15 seconds. A lesson calls :func:`prepare_seed` first, in a cell whose
output is not compared, so the learner sees the wait coming and how far it has got.

>>> await prepare_seed("large")                            # doctest: +SKIP
large seed: built once on first use (about 15 s, with a progress bar), then copied by every lesson
seeding: 100%|██████████| 221860/221860 [00:14<00:00, 15120.61rows/s]
large seed: ready
"""

from __future__ import annotations

import sys
from contextlib import redirect_stderr

from lessons.core import pristine
from lessons.core.settings import get_settings, parse_database_url


async def prepare_seed(size: str = "large", url: str | None = None) -> None:
    """Make sure the pristine ``size`` seed exists for ``url`` (default ``DATABASE_URL``), showing progress.

    The seed's progress bar goes to stdout, the notebook's output, instead of stderr (where a notebook would
    show it in red, as if something had gone wrong). When the seed exists already there is no bar: it only
    says it is ready.
    """
    base = get_settings().url if url is None else parse_database_url(url)
    print(f"{size} seed: built once on first use (about 15 s for the large one, with a progress bar), "
          "then copied by every lesson")
    with redirect_stderr(sys.stdout):
        await pristine.ensure_pristine(base, size, progress=True)
    print(f"{size} seed: ready")
