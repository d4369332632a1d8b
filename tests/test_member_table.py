"""lesson13_member_table: the members tables lessons 13b and 13c build on, on every backend, apart from the blog."""

from __future__ import annotations

import doctest

from sqlalchemy import MetaData, func, inspect, select
from sqlalchemy.orm import DeclarativeBase

from lessons.core.database import LessonDatabase
from lessons.core.models import Base
from lessons.scenery import lesson13_member_table as member_table
from lessons.scenery.lesson13_member_table import Member, MemberColumns, add_members


class _OwnBase(DeclarativeBase):
    metadata = MetaData()


class _Guest(MemberColumns, _OwnBase):
    __tablename__ = "test_guests"


def test_the_docstring_example_holds() -> None:
    assert doctest.testmod(member_table, raise_on_error=False).failed == 0


def test_the_members_table_is_not_among_the_blogs_tables() -> None:
    assert "members" not in Base.metadata.tables
    assert Member.metadata is not Base.metadata


async def test_add_members_creates_the_table_once_and_keeps_the_order(db: LessonDatabase) -> None:
    first = await add_members(db, Member, "Ada Lovelace", "Grace Brewster Hopper")
    again = await add_members(db, Member, "Margaret Hamilton")  # the table exists now: no error
    assert [member.id for member in first + again] == [1, 2, 3]
    async with db.Session() as session:
        rows = (await session.execute(select(Member.first_name, Member.last_name).order_by(Member.id))).all()
    assert [tuple(row) for row in rows] == [
        ("Ada", "Lovelace"),
        ("Grace", "Brewster Hopper"),  # split at the first space
        ("Margaret", "Hamilton"),
    ]


async def test_a_model_of_your_own_gets_the_columns_and_its_own_table(db: LessonDatabase) -> None:
    assert await add_members(db, _Guest) == []  # no names: only the table
    async with db.engine.connect() as conn:
        columns = await conn.run_sync(lambda sync: [c["name"] for c in inspect(sync).get_columns("test_guests")])
        assert columns == ["id", "first_name", "last_name", "joined_at"]
        assert await conn.scalar(select(func.count()).select_from(_Guest)) == 0
