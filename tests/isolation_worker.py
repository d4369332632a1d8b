"""A learner's kernel, in miniature: take a fresh copy of one lesson, write a row, count what it sees.

Run as ``python tests/isolation_worker.py URL ITERATIONS [LESSON [crash]]``; prints one JSON line:
``{"errors": [...], "counts": [...]}``. ``tests/test_isolation.py`` runs several at once. With ``crash`` the
process ends as a killed kernel does, without its exit handlers.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys

from sqlalchemy import func, select

from lessons.core.database import fresh_database
from lessons.core.models import User


async def main(url: str, iterations: int, lesson: str) -> None:
    errors: list[str] = []
    counts: list[int] = []
    for iteration in range(iterations):
        try:
            db = await fresh_database(lesson, url, make_current=False)
            async with db.Session() as session:
                session.add(User(name="Kernel", email=f"kernel-{os.getpid()}-{iteration}@example.org"))
                await session.commit()
                counts.append(await session.scalar(select(func.count()).select_from(User)))
            await db.dispose()
        except Exception as error:  # every failure is reported, not raised: the test counts them
            errors.append(f"{type(error).__name__}: {error}"[:300])
    print(json.dumps({"errors": errors, "counts": counts, "database": str(db.url.database)}), flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), sys.argv[3] if len(sys.argv) > 3 else "same-lesson"))
    if sys.argv[4:] == ["crash"]:
        os._exit(0)  # like a kernel killed with SIGKILL: no atexit, nothing dropped
