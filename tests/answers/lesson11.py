"""Known answers the checkers' authors wrote (moved from lessons/exercises/), with their verdicts."""

from __future__ import annotations

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from lessons.core.models import User
from tests.answers import right, wrong


@right("11.safe_search")
async def search_users(session: AsyncSession, term: str) -> list[str]:
    statement = select(User.name).where(User.name.icontains(term, autoescape=True)).order_by(User.id)
    return list((await session.scalars(statement)).all())


@right("11.safe_search")
async def right_escaped_by_hand(session: AsyncSession, term: str) -> list[str]:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    statement = select(User.name).where(func.lower(User.name).like(f"%{escaped.lower()}%", escape="\\"))
    return list((await session.scalars(statement.order_by(User.id))).all())


@right("11.safe_search")
async def right_lowered_contains(session: AsyncSession, term: str) -> list[str]:
    # lower() on both sides, and contains() with autoescape: the same LIKE, spelled another way.
    matches = func.lower(User.name).contains(term.lower(), autoescape=True)
    return [name for name in await session.scalars(select(User.name).where(matches).order_by(User.id.asc()))]


@right("11.safe_search")
async def right_own_escape_character(session: AsyncSession, term: str) -> list[str]:
    # Any escape character works if the character itself is escaped first: here "!".
    escaped = term.replace("!", "!!").replace("%", "!%").replace("_", "!_")
    statement = select(User.name).where(User.name.ilike(f"%{escaped}%", escape="!")).order_by(User.id)
    return list((await session.scalars(statement)).all())


@wrong("11.safe_search", "f string")
async def wrong_f_string(session: AsyncSession, term: str) -> list[str]:
    rows = await session.execute(text(f"SELECT name FROM users WHERE lower(name) LIKE lower('%{term}%') ORDER BY id"))
    return [row[0] for row in rows]


@wrong("11.safe_search", "wildcards unescaped")
async def wrong_wildcards_unescaped(session: AsyncSession, term: str) -> list[str]:
    statement = select(User.name).where(User.name.ilike(f"%{term}%")).order_by(User.id)
    return list((await session.scalars(statement)).all())


@wrong("11.safe_search", "exact match")
async def wrong_exact_match(session: AsyncSession, term: str) -> list[str]:
    statement = select(User.name).where(User.name == term).order_by(User.id)
    return list((await session.scalars(statement)).all())


@wrong("11.safe_search", "backslash unescaped")
async def wrong_backslash_unescaped(session: AsyncSession, term: str) -> list[str]:
    # % and _ are escaped, but not the escape character itself: a "\\" in the term escapes what follows it.
    escaped = term.replace("%", "\\%").replace("_", "\\_")
    statement = select(User.name).where(User.name.ilike(f"%{escaped}%", escape="\\")).order_by(User.id)
    return list((await session.scalars(statement)).all())


@wrong("11.safe_search", "ordered by name")
async def wrong_ordered_by_name(session: AsyncSession, term: str) -> list[str]:
    statement = select(User.name).where(User.name.icontains(term, autoescape=True)).order_by(User.name)
    return list((await session.scalars(statement)).all())

