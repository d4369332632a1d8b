"""Named counters to race on: lesson 08b's scenery, so the notebook shows the race and not the table.

A counter is a row of ``l08_counters`` (``id``, ``name``, ``value``). :class:`Counters` makes one at 0 and reads its
committed value, each in a session of its own. The model is a parameter: a model of the lesson's own with the same
three columns (and a ``version`` column, say) works the same way, ``Counters(db.Session, VersionedCounter)``.

>>> from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
>>> async def demo() -> tuple[int, int]:
...     engine = create_async_engine("sqlite+aiosqlite://")
...     async with engine.begin() as conn:
...         await conn.run_sync(Counter.metadata.create_all)
...     counters = Counters(async_sessionmaker(engine))
...     hits = await counters.new("hits")
...     async with counters.Session.begin() as session:
...         (await session.get(Counter, hits)).value += 1
...     value = await counters.value(hits)
...     await engine.dispose()
...     return hits, value
>>> asyncio.run(demo())
(1, 1)
"""

from __future__ import annotations

import asyncio  # noqa: F401  (the docstring's example runs with it)
from typing import Any

from sqlalchemy import String, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class CounterBase(DeclarativeBase):
    """The counters' own metadata, apart from the blog's models (``lessons.core.models``)."""


class Counter(CounterBase):
    """A named number that many requests add one to."""

    __tablename__ = "l08_counters"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)
    value: Mapped[int] = mapped_column(default=0)

    def __repr__(self) -> str:
        return f"Counter(name={self.name!r}, value={self.value!r})"


class Counters:
    """Make counters at 0 and read their committed values, through ``Session`` (a session per call)."""

    def __init__(self, Session: async_sessionmaker[AsyncSession], model: type[Any] = Counter) -> None:
        self.Session = Session
        self.model = model

    async def new(self, name: str) -> int:
        """A new counter at 0, committed; returns its id."""
        async with self.Session.begin() as session:
            counter = self.model(name=name, value=0)
            session.add(counter)
            await session.flush()
            return counter.id

    async def value(self, counter_id: int) -> int:
        """The counter's value as a new session reads it: what has been committed."""
        async with self.Session() as session:
            return await session.scalar(select(self.model.value).where(self.model.id == counter_id))
