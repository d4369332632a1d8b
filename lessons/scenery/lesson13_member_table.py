"""A small table of club members, for lessons about model features (hybrids, events) that must leave the blog alone.

Lesson 13b writes a hybrid property on a ``Member`` of its own: the columns come from :class:`MemberColumns`, so the
notebook shows only the hybrid. Lesson 13c hangs events on the ready-made :class:`Member`. Both tables live in a
``MetaData`` of their own, never in :mod:`lessons.core.models`, and :func:`add_members` creates a table on first use.

>>> ada = Member(first_name="Ada", last_name="Lovelace")
>>> ada
Member(id=None, first_name='Ada', last_name='Lovelace')
>>> Member.__table__.name, [column.name for column in Member.__table__.columns]
('members', ['id', 'first_name', 'last_name', 'joined_at'])
>>> members = await add_members(db, Member, "Ada Lovelace", "Grace Hopper")  # doctest: +SKIP
>>> [member.id for member in members]  # doctest: +SKIP
[1, 2]
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from lessons.core.database import LessonDatabase
from lessons.core.types import UTCDateTime

__all__ = ["Member", "MemberColumns", "MembersBase", "add_members"]


class MembersBase(DeclarativeBase):
    """The declarative base of :class:`Member`, with a ``MetaData`` of its own (not the blog's)."""

    metadata = MetaData()


class MemberColumns:
    """The columns of a members table: ``id``, ``first_name``, ``last_name`` and ``joined_at`` (aware, or None).

    Mix it into a model of your own, which names its table and adds what the lesson is about::

        class Member(MemberColumns, LessonBase):
            __tablename__ = "l13_members"
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    first_name: Mapped[str] = mapped_column(String(50))
    last_name: Mapped[str] = mapped_column(String(50))
    joined_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(id={self.id!r}, first_name={self.first_name!r}, last_name={self.last_name!r})"


class Member(MemberColumns, MembersBase):
    """A club member, in the table ``members``."""

    __tablename__ = "members"


Model = TypeVar("Model")


async def add_members(db: LessonDatabase, model: type[Model], *full_names: str) -> list[Model]:
    """Create ``model``'s table if it does not exist yet, add one member per ``"First Last"`` name, and commit.

    Returns the new members, ids assigned, in the order given. With no names, only creates the table.
    """
    table: Any = model.__table__  # type: ignore[attr-defined]
    async with db.engine.begin() as conn:
        await conn.run_sync(table.create, checkfirst=True)
    members = []
    for full_name in full_names:
        first_name, _, last_name = full_name.partition(" ")
        members.append(model(first_name=first_name, last_name=last_name))  # type: ignore[call-arg]
    async with db.Session() as session:
        session.add_all(members)
        await session.commit()
    return members
