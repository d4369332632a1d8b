"""Dependencies every route shares: a session per request, and validated paging and id parameters.

>>> from typing import get_args
>>> get_args(SessionDep)[0].__name__
'AsyncSession'
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Path, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession

from lessons.core.pagination import MAX_PAGE_SIZE

#: Ids are 32-bit on every backend; a larger number can name no row (and would overflow SQLite's driver).
MAX_ID = 2**31 - 1


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request, from the session factory the application was started with."""
    async with request.app.state.Session() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]
PageNumber = Annotated[int, Query(ge=1, le=100_000, description="Page number, from 1.")]
PageSize = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description=f"Items per page, 1 to {MAX_PAGE_SIZE}.")]
UserId = Annotated[int, Path(ge=1, le=MAX_ID)]
PostId = Annotated[int, Path(ge=1, le=MAX_ID)]
CommentId = Annotated[int, Path(ge=1, le=MAX_ID)]
