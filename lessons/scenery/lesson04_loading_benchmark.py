"""Lesson 04's measurement: three ways to read every user's posts, as the users grow, with and without an index.

:func:`build_bench_database` makes a private database with 1,000 users and exactly 10 posts each (optionally
without the index on ``posts.user_id``); :data:`STRATEGIES` are the three ways to read them; and
:func:`measure_loading` runs each way on each database through :func:`lessons.lens.benchmark.compare_ways`, one fresh
session per run, into a table of statements, wall-clock seconds and CPU seconds. Statements are the same on every
machine; the seconds are not (show them only in ``nbval-ignore-output`` cells).

>>> benches = {"with": await build_bench_database("04-bench")}               # doctest: +SKIP
>>> results = await measure_loading(benches, sizes=(10, 100))                 # doctest: +SKIP
>>> results.pivot(index="users", columns="strategy", values="statements")    # doctest: +SKIP
strategy  awaitable_attrs loop  joinedload  selectinload
users
10                          11           1             2
100                        101           1             2
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable

import pandas as pd
from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from lessons.core.database import LessonDatabase, fresh_database
from lessons.core.models import Comment, Post, User
from lessons.lens.benchmark import compare_ways

BENCH_USERS, POSTS_PER_USER = 1000, 10


async def build_bench_database(name: str, *, index: bool = True) -> LessonDatabase:
    """A private copy of the seeded database with 1,000 users and exactly 10 posts each (no comments).

    ``index=False`` drops the index on ``posts.user_id``. MariaDB refuses that (InnoDB needs an index on every
    foreign key column): there the error propagates, and the caller decides what to do.
    """
    bench = await fresh_database(name, make_current=False)
    async with bench.Session() as session:
        await session.execute(delete(Comment))
        await session.execute(delete(Post))
        existing = await session.scalar(select(User.id).order_by(User.id.desc()).limit(1)) or 0
        readers = [
            {"id": i, "name": f"Reader {i}", "email": f"reader.{i}@example.com"}
            for i in range(existing + 1, BENCH_USERS + 1)
        ]
        if readers:
            await session.execute(insert(User), readers)
        posts = [
            {"user_id": user, "title": f"Post {k} by user {user}"}
            for user in range(1, BENCH_USERS + 1)
            for k in range(1, POSTS_PER_USER + 1)
        ]
        await session.execute(insert(Post), posts)
        await session.commit()
    if not index:
        user_id_index = next(index for index in Post.__table__.indexes if index.name == "ix_posts_user_id")
        try:
            async with bench.engine.begin() as conn:
                await conn.run_sync(user_id_index.drop)
        except Exception:
            await bench.drop()  # refused (MariaDB): leave no copy behind
            raise
    return bench


async def awaitable_attrs_loop(session: AsyncSession, n: int) -> int:
    """The N+1: one SELECT for the users, then one per user."""
    users = (await session.scalars(select(User).where(User.id <= n).order_by(User.id))).all()
    return sum([len(await user.awaitable_attrs.posts) for user in users])


async def with_selectinload(session: AsyncSession, n: int) -> int:
    """Two statements (one more per 500 users): the users, then their posts with ``IN (…)``."""
    statement = select(User).where(User.id <= n).order_by(User.id).options(selectinload(User.posts))
    return sum(len(user.posts) for user in (await session.scalars(statement)).all())


async def with_joinedload(session: AsyncSession, n: int) -> int:
    """One statement with a LEFT OUTER JOIN; ``.unique()`` folds the repeated users."""
    statement = select(User).where(User.id <= n).order_by(User.id).options(joinedload(User.posts))
    return sum(len(user.posts) for user in (await session.scalars(statement)).unique().all())


#: The three ways, each ``(session, n) -> number of posts read`` for the first ``n`` users.
STRATEGIES: dict[str, Callable[[AsyncSession, int], Awaitable[int]]] = {
    "awaitable_attrs loop": awaitable_attrs_loop,
    "selectinload": with_selectinload,
    "joinedload": with_joinedload,
}


def _in_fresh_session(bench: LessonDatabase, strategy: Callable[[AsyncSession, int], Awaitable[int]]):
    async def run(n: int) -> int:
        async with bench.Session() as session:
            return await strategy(session, n)

    return run


async def measure_loading(
    benches: dict[str, LessonDatabase],
    sizes: Iterable[int] = (10, 100, 1000),
    strategies: dict[str, Callable[[AsyncSession, int], Awaitable[int]]] | None = None,
) -> pd.DataFrame:
    """Run every strategy for every size on every database (the best of 3 runs; 1 run from 1,000 users).

    One row per (index label, users, strategy): ``statements``, ``posts`` read, best ``seconds`` and ``cpu``.
    """
    strategies = strategies or STRATEGIES
    rows = []
    for label, bench in benches.items():
        for n in sizes:
            ways = {name: _in_fresh_session(bench, strategy) for name, strategy in strategies.items()}
            runs = dict.fromkeys(ways, 3 if n < 1000 else 1)
            comparison = await compare_ways(ways, n, runs=runs)
            best, best_cpu = comparison.best(), comparison.best_cpu()
            for name in ways:
                rows.append(
                    {
                        "strategy": name,
                        "users": n,
                        "user_id index": label,
                        "statements": comparison.statements[name],
                        "posts": comparison.returned[name],
                        "seconds": best[name],
                        "cpu": best_cpu[name],
                    }
                )
    return pd.DataFrame(rows)


def plot_loading(results: pd.DataFrame):
    """Bar charts on a log scale: statements, then milliseconds per index label, each bar labelled with its value.

    Returns the figure; show it with ``plt.show()`` in a cell tagged ``nbval-ignore-output``.
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    labels = list(dict.fromkeys(results["user_id index"]))
    panels = [("statements", labels[0], "statements")]
    panels += [("seconds", label, f"ms, {label} the index") for label in labels]
    fig, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels), 4))
    for ax, (column, label, title) in zip(axes, panels, strict=True):
        chosen = results[results["user_id index"] == label].pivot(index="users", columns="strategy", values=column)
        chosen = chosen * 1000 if column == "seconds" else chosen
        chosen.plot.bar(ax=ax, logy=True, rot=0, legend=ax is axes[0], title=f"{title} (log scale)")
        for bars in ax.containers:  # each bar's own figure, so no value has to be read off the axis
            figure = _figure if column == "seconds" else "{:,.0f}".format
            ax.bar_label(bars, fmt=figure, fontsize=8, rotation=90, padding=2)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,g}"))
        ax.set_ylim(top=ax.get_ylim()[1] * 8)  # room for the labels above the tallest bar
    axes[0].legend(fontsize=8, loc="upper left")
    fig.suptitle("Measured on this machine: statements never change, milliseconds do")
    fig.tight_layout()
    return fig


def _figure(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 else f"{value:.1f}"
