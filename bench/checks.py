"""Measure the practice checks (``make bench-checks``): how long one check takes, per exercise and overall.

Each exercise's reference is checked ``REPEAT`` times on the backend of ``DATABASE_URL`` (SQLite by default), after
one untimed warm-up; the table gives each exercise's median and the overall median and maximum of every timed
check. The issue's target: one check stays under about 2 s on SQLite. Figures depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from lessons import exercises


async def measure(repeat: int, only: str | None) -> list[tuple[str, list[float], str]]:
    rows = []
    for exercise in exercises.all_exercises():
        if only and not exercise.id.startswith(only):
            continue
        reference = getattr(exercise.reference, "__func__", exercise.reference)
        await exercise.check(reference)  # warm-up: imports, the checkers' database, reflection
        times, status = [], ""
        for _ in range(repeat):
            start = time.perf_counter()
            result = await exercise.check(reference)
            times.append(time.perf_counter() - start)
            status = result.status
        rows.append((exercise.id, times, status))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", help="exercise ids starting with this, e.g. 05.")
    args = parser.parse_args()
    rows = asyncio.run(measure(args.repeat, args.only))
    every = [t for _, times, _ in rows for t in times]
    print(f"{'exercise':32} {'median s':>9} {'max s':>7}  reference")
    for exercise_id, times, status in rows:
        print(f"{exercise_id:32} {statistics.median(times):9.2f} {max(times):7.2f}  {status}")
    overall = f"{statistics.median(every):9.2f} {max(every):7.2f}"
    print(f"{'all checks':32} {overall}  ({len(every)} checks, measured on this machine)")


if __name__ == "__main__":
    main()
