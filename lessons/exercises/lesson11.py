"""Practice for lesson 11: a user search that no payload can inject into, where ``%`` and ``_`` are literal."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from lessons.database import LessonDatabase
from lessons.exercises.framework import Exercise, Incorrect, Unattempted, count_statements, register
from lessons.models import User
from lessons.security import INJECTION_PAYLOADS
from lessons.traps import describe

#: Users the checker adds, so that a literal % and _ have something to match.
PLANTED = [
    ("100% Organic", "organic@example.net"),
    ("Under_score Person", "underscore@example.net"),
    ("Back\\slash Admin", "backslash@example.net"),  # one backslash: escape it too, or it escapes what follows
]
ORDINARY_TERMS = ["ann", "SON", "z"]
#: Searched after the payloads: the escape character itself, and terms where it runs into a letter or a %.
BACKSLASH_TERMS = ["\\", "k\\s", "\\%"]


async def search_users(session: AsyncSession, term: str) -> list[str]:
    statement = select(User.name).where(User.name.icontains(term, autoescape=True)).order_by(User.id)
    return list((await session.scalars(statement)).all())


async def _right_escaped_by_hand(session: AsyncSession, term: str) -> list[str]:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    statement = select(User.name).where(func.lower(User.name).like(f"%{escaped.lower()}%", escape="\\"))
    return list((await session.scalars(statement.order_by(User.id))).all())


async def _right_lowered_contains(session: AsyncSession, term: str) -> list[str]:
    # lower() on both sides, and contains() with autoescape: the same LIKE, spelled another way.
    matches = func.lower(User.name).contains(term.lower(), autoescape=True)
    return [name for name in await session.scalars(select(User.name).where(matches).order_by(User.id.asc()))]


async def _right_own_escape_character(session: AsyncSession, term: str) -> list[str]:
    # Any escape character works if the character itself is escaped first: here "!".
    escaped = term.replace("!", "!!").replace("%", "!%").replace("_", "!_")
    statement = select(User.name).where(User.name.ilike(f"%{escaped}%", escape="!")).order_by(User.id)
    return list((await session.scalars(statement)).all())


async def _wrong_backslash_unescaped(session: AsyncSession, term: str) -> list[str]:
    # % and _ are escaped, but not the escape character itself: a "\\" in the term escapes what follows it.
    escaped = term.replace("%", "\\%").replace("_", "\\_")
    statement = select(User.name).where(User.name.ilike(f"%{escaped}%", escape="\\")).order_by(User.id)
    return list((await session.scalars(statement)).all())


async def _wrong_ordered_by_name(session: AsyncSession, term: str) -> list[str]:
    statement = select(User.name).where(User.name.icontains(term, autoescape=True)).order_by(User.name)
    return list((await session.scalars(statement)).all())


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
    right_answers = [search_users, _right_escaped_by_hand, _right_lowered_contains, _right_own_escape_character]
    wrong_answers = [
        _wrong_f_string,
        _wrong_wildcards_unescaped,
        _wrong_exact_match,
        _wrong_backslash_unescaped,
        _wrong_ordered_by_name,
    ]

    async def judge(self, answer: Any, db: LessonDatabase) -> str:
        async with db.Session() as session:
            session.add_all(User(name=name, email=email) for name, email in PLANTED)
            await session.commit()
            names = list((await session.scalars(select(User.name).order_by(User.id))).all())
        total = len(names)

        def expected(term: str) -> list[str]:
            return [name for name in names if term.lower() in name.lower()]

        for term in ORDINARY_TERMS + INJECTION_PAYLOADS + BACKSLASH_TERMS:  # the payloads end with "%" and "_"
            async with db.Session() as session:
                with count_statements() as queries:
                    try:
                        got = await self.call(answer, session, term)
                    except (Incorrect, Unattempted):
                        raise
                    except Exception as error:
                        written = [s.sql for s in queries.statements if term.strip("%_") and term in s.sql]
                        where = (
                            f"; the term was written into the SQL text:\n{written[0]}\nBind it as a parameter."
                            if written
                            else "."
                        )
                        raise Incorrect(f"searching {term!r} raised {describe(error)}{where}") from None
            if got is None:
                raise Incorrect(f"searching {term!r} returned None; return the list of matching names.")
            if isinstance(got, str | bytes) or not isinstance(got, Iterable):
                raise Incorrect(f"searching {term!r} returned {got!r:.80}; return a list of names (strings).")
            got = list(got)
            want = expected(term)
            if got != want:
                extra = [name for name in got if name not in want]
                lacking = [name for name in want if name not in got]
                if extra:
                    fact = f"{extra[0]!r} does not contain {term!r}"
                elif lacking:
                    fact = f"{lacking[0]!r} contains {term!r} but is missing"
                else:
                    fact = "the right names, in another order: order them by id"
                raise Incorrect(
                    f"searching {term!r} returned {_names(got)}, expected {len(want)}: {fact}. "
                    f"Got {_first(got)}, expected {_first(want)}."
                )
        async with db.Session() as session:
            if await session.scalar(select(func.count()).select_from(User)) != total:
                raise Incorrect("the users table changed while searching: a payload ran as SQL.")
        return (
            f"{len(INJECTION_PAYLOADS)} payloads returned only literal matches; %, _ and \\ matched themselves, "
            "and the users table is intact."
        )


def _names(names: list[Any]) -> str:
    return f"{len(names)} name{'' if len(names) == 1 else 's'}"


def _first(names: list[Any]) -> str:
    return repr(names[:4])[:-1] + (", …]" if len(names) > 4 else "]")
