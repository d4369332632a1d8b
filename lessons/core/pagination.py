"""Offset pagination: Eloquent's ``paginate()`` for async SQLAlchemy, with a generic Pydantic ``Page[T]``.

>>> from sqlalchemy import select
>>> from lessons.core.models import Post
>>> page = await paginate(session, select(Post).order_by(Post.id), page=2, size=10)  # doctest: +SKIP
>>> page.total, page.pages, [post.id for post in page.items][:3]                   # doctest: +SKIP
(1000, 100, [11, 12, 13])
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")

#: The largest page a client may ask for (Laravel's ``perPage`` has no cap; an API needs one).
MAX_PAGE_SIZE = 100


class Page(BaseModel, Generic[T]):
    """One page of results and where it sits: ``items``, ``total``, ``page``, ``size``, ``pages``."""

    model_config = ConfigDict(from_attributes=True)

    items: list[T]
    total: int = Field(ge=0)
    page: int = Field(ge=1)
    size: int = Field(ge=1, le=MAX_PAGE_SIZE)
    pages: int = Field(ge=0)


def page_count(total: int, size: int) -> int:
    """How many pages ``total`` rows fill at ``size`` per page (ceiling division, no float).

    >>> page_count(1000, 10), page_count(1001, 10), page_count(0, 10)
    (100, 101, 0)
    """
    return -(-total // size)


async def paginate(session: AsyncSession, statement: Select[Any], page: int = 1, size: int = 10) -> Page[Any]:
    """Run ``statement`` for one page, plus a count of all its rows; ``page`` starts at 1.

    The count wraps the statement in a subquery (without its ORDER BY), so filters and joins are counted
    exactly as they are listed. ``page`` below 1 or ``size`` outside 1..100 raise ``ValueError`` (a FastAPI
    route validates them first with ``Query(1, ge=1)`` and ``Query(10, ge=1, le=100)``, answering 422).
    """
    if page < 1:
        raise ValueError(f"page must be 1 or more, not {page}")
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise ValueError(f"size must be between 1 and {MAX_PAGE_SIZE}, not {size}")
    total = await session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    result = await session.execute(statement.limit(size).offset((page - 1) * size))
    rows = result.scalars().all() if len(statement.column_descriptions) == 1 else result.all()
    return Page[Any](items=list(rows), total=total or 0, page=page, size=size, pages=page_count(total or 0, size))
