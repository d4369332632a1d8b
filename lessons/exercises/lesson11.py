"""Practice for lesson 11: a user search that no payload can inject into, where ``%`` and ``_`` are literal."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from lessons.database import LessonDatabase
from lessons.exercises.framework import Exercise, Incorrect, Unattempted, register
from lessons.models import User
from lessons.security import INJECTION_PAYLOADS
from lessons.traps import describe

#: Users the checker adds, so that a literal % and _ have something to match.
PLANTED = [("100% Organic", "organic@example.net"), ("Under_score Person", "underscore@example.net")]
ORDINARY_TERMS = ["ann", "SON", "z"]


async def search_users(session: AsyncSession, term: str) -> list[str]:
    statement = select(User.name).where(User.name.icontains(term, autoescape=True)).order_by(User.id)
    return list((await session.scalars(statement)).all())


async def _right_escaped_by_hand(session: AsyncSession, term: str) -> list[str]:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    statement = select(User.name).where(func.lower(User.name).like(f"%{escaped.lower()}%", escape="\\"))
    return list((await session.scalars(statement.order_by(User.id))).all())


async def _wrong_f_string(session: AsyncSession, term: str) -> list[str]:
    rows = await session.execute(text(f"SELECT name FROM users WHERE lower(name) LIKE lower('%{term}%') ORDER BY id"))
    return [row[0] for row in rows]


async def _wrong_wildcards_unescaped(session: AsyncSession, term: str) -> list[str]:
    statement = select(User.name).where(User.name.ilike(f"%{term}%")).order_by(User.id)
    return list((await session.scalars(statement)).all())


async def _wrong_exact_match(session: AsyncSession, term: str) -> list[str]:
    statement = select(User.name).where(User.name == term).order_by(User.id)
    return list((await session.scalars(statement)).all())


@register
class SafeSearch(Exercise):
    id = "11.safe_search"
    title = "A user search no payload can break"
    hints = [
        "Never put the term into the SQL text: let SQLAlchemy bind it as a parameter.",
        "column.icontains(term, autoescape=True) is LIKE '%term%' case-insensitively, with % and _ escaped.",
    ]
    reference = search_users
    right_answers = [search_users, _right_escaped_by_hand]
    wrong_answers = [_wrong_f_string, _wrong_wildcards_unescaped, _wrong_exact_match]

    async def judge(self, answer: Any, db: LessonDatabase) -> str:
        async with db.Session() as session:
            session.add_all(User(name=name, email=email) for name, email in PLANTED)
            await session.commit()
            names = list((await session.scalars(select(User.name).order_by(User.id))).all())
        total = len(names)

        def expected(term: str) -> list[str]:
            return [name for name in names if term.lower() in name.lower()]

        for term in ORDINARY_TERMS + INJECTION_PAYLOADS:  # the payloads end with "%" and "_"
            async with db.Session() as session:
                try:
                    got = await self.call(answer, session, term)
                except Unattempted:
                    raise
                except Exception as error:
                    raise Incorrect(
                        f"searching {term!r} raised {describe(error)}: the term reached the SQL text."
                    ) from None
            if got is None:
                raise Incorrect("your function returned None; return the list of matching names.")
            if list(got) != expected(term):
                want = expected(term)
                if len(got) > len(want):
                    why = {"%": "% must match itself", "_": "_ must match itself"}.get(term, "the term ran as SQL")
                    raise Incorrect(
                        f"searching {term!r} returned {len(got)} names, but only {len(want)} contain it literally: "
                        f"{why}."
                    )
                raise Incorrect(f"searching {term!r} returned {list(got)[:5]}, expected {want[:5]}.")
        async with db.Session() as session:
            if await session.scalar(select(func.count()).select_from(User)) != total:
                raise Incorrect("the users table changed while searching: a payload ran as SQL.")
        return (
            f"{len(INJECTION_PAYLOADS)} payloads returned only literal matches, % and _ matched themselves, "
            "and the users table is intact."
        )
