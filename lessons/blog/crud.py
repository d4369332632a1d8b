"""The few database steps every router repeats: fetch or 404, delete for real, commit or 409.

>>> user = await get_or_404(session, User, 3, "user")          # doctest: +SKIP
"""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from lessons.blog.routes.errors import conflict, not_found
from lessons.core.models import Base

ModelT = TypeVar("ModelT", bound=Base)


async def get_or_404(session: AsyncSession, model: type[ModelT], identifier: int, kind: str) -> ModelT:
    """The row with this primary key, or a 404 naming what was missing (Eloquent's ``findOrFail``)."""
    row = await session.get(model, identifier)
    if row is None:
        raise not_found(kind, identifier)
    return row


async def delete_or_404(session: AsyncSession, model: type[Base], identifier: int, kind: str) -> None:
    """Delete the row and commit; the database's ON DELETE CASCADE removes its children."""
    row = await get_or_404(session, model, identifier, kind)
    await session.delete(row)  # a coroutine: without await nothing is deleted (ERRATA 1)
    await session.commit()


async def commit_or_409(session: AsyncSession, reason: str) -> None:
    """Commit; on a unique violation roll back (so the session stays usable) and answer 409 with ``reason``."""
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        raise conflict(reason) from None
