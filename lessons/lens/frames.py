"""Query results as pandas DataFrames.

``pd.read_sql`` needs a synchronous connection, so it runs inside ``run_sync`` on the async one.

>>> from sqlalchemy import select
>>> from lessons.core.models import User
>>> df = await frame(select(User.id, User.name).limit(3))      # doctest: +SKIP
>>> df.shape                                                   # doctest: +SKIP
(3, 2)
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession
from sqlalchemy.sql import Executable


async def frame(statement: Executable, on: Any = None, index: str | None = None) -> pd.DataFrame:
    """Run ``statement`` on the lesson's database (or ``on``: a database, engine, connection or session)
    and return its rows as a DataFrame, with ``index`` as the index column if given."""
    from lessons.core import database

    target = database.current() if on is None else on
    if isinstance(target, database.LessonDatabase):
        target = target.engine

    def read(connection: Any) -> pd.DataFrame:
        return pd.read_sql(statement, connection, index_col=index)

    if isinstance(target, AsyncSession):
        return await target.run_sync(lambda session: read(session.connection()))
    if isinstance(target, AsyncConnection):
        return await target.run_sync(read)
    if isinstance(target, AsyncEngine):
        async with target.connect() as conn:
            return await conn.run_sync(read)
    raise TypeError(
        f"frame() runs on a LessonDatabase, AsyncEngine, AsyncSession or AsyncConnection, not {type(target).__name__}"
    )
