"""Answers to lesson 11's practice (11.safe_search), written from the task statement alone.

Spec: ``search_users(session, term)`` returns the names (``list[str]``) of users whose name contains ``term``
literally, case-insensitively, ordered by id; injection payloads, ``%``, ``_`` and backslashes are just characters;
the table stays intact.
"""

from __future__ import annotations

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from lessons.core.models import User
from tests.answers import right, wrong


def _escape(term: str, escape: str = "/") -> str:
    return term.replace(escape, escape * 2).replace("%", escape + "%").replace("_", escape + "_")


@right("11.safe_search")
async def search_icontains_autoescape(session: AsyncSession, term: str) -> list[str]:
    statement = select(User.name).where(User.name.icontains(term, autoescape=True)).order_by(User.id)
    return list((await session.scalars(statement)).all())


@right("11.safe_search")
async def search_ilike_escaped_by_hand(session: AsyncSession, term: str) -> list[str]:
    pattern = f"%{_escape(term)}%"  # an f-string on a bound VALUE, not on the SQL: still one parameter
    statement = select(User.name).where(User.name.ilike(pattern, escape="/")).order_by(User.id)
    return list(await session.scalars(statement))


@right("11.safe_search")
async def search_text_sql(session: AsyncSession, term: str) -> list[str]:
    sql = text("SELECT name FROM users WHERE lower(name) LIKE lower(:pattern) ESCAPE '!' ORDER BY id")
    result = await session.execute(sql, {"pattern": f"%{_escape(term, '!')}%"})
    return [name for (name,) in result]


@right("11.safe_search")
async def search_in_python(session: AsyncSession, term: str) -> list[str]:
    # No LIKE at all: every name, filtered in Python (fine at this size; the statement bounds nothing). Python's
    # lower() folds every letter: "é" finds "Élodie", which SQLite's ASCII-only lower() in icontains() does not,
    # and it is accent-strict, where MariaDB's collation lets "é" find "Matthew". Same as the reference on ASCII.
    names = (await session.scalars(select(User.name).order_by(User.id))).all()
    return [name for name in names if term.lower() in name.lower()]


# Injection: the term is pasted into the SQL (%' OR '%'=' returns everyone; '; DROP TABLE … on MariaDB).
@wrong("11.safe_search", "f-string SQL: injection")
async def search_f_string(session: AsyncSession, term: str) -> list[str]:
    sql = f"SELECT name FROM users WHERE lower(name) LIKE '%{term.lower()}%' ORDER BY id"
    result = await session.execute(text(sql))
    return [name for (name,) in result]


# Bound, but % and _ stay wildcards: "%" returns everyone, "_" every name with a character.
@wrong("11.safe_search", "LIKE wildcards not escaped")
async def search_unescaped(session: AsyncSession, term: str) -> list[str]:
    statement = select(User.name).where(User.name.ilike(f"%{term}%")).order_by(User.id)
    return list(await session.scalars(statement))


# Escapes % and _ with a backslash but not the backslash itself: "\" and "\%" mean something else.
@wrong("11.safe_search", "escape character itself not escaped")
async def search_backslash_not_escaped(session: AsyncSession, term: str) -> list[str]:
    pattern = "%" + term.replace("%", "\\%").replace("_", "\\_") + "%"
    statement = select(User.name).where(User.name.ilike(pattern, escape="\\")).order_by(User.id)
    return list(await session.scalars(statement))


# Case-sensitive: "organic" does not find "100% Organic".
@wrong("11.safe_search", "case-sensitive match")
async def search_case_sensitive(session: AsyncSession, term: str) -> list[str]:
    names = (await session.scalars(select(User.name).order_by(User.id))).all()
    return [name for name in names if term in name]


# Ordered by name, not by id.
@wrong("11.safe_search", "ordered by name, not id")
async def search_by_name_order(session: AsyncSession, term: str) -> list[str]:
    statement = select(User.name).where(User.name.icontains(term, autoescape=True)).order_by(User.name, User.id)
    return list(await session.scalars(statement))


# Wrong type: User objects, not names.
@wrong("11.safe_search", "returns User objects, not names")
async def search_users_objects(session: AsyncSession, term: str) -> list[User]:
    statement = select(User).where(User.name.icontains(term, autoescape=True)).order_by(User.id)
    return list(await session.scalars(statement))


# Trims the term: " Person" (with its space) should not match "Person" at the start of a name.
@wrong("11.safe_search", "strips the term")
async def search_stripped(session: AsyncSession, term: str) -> list[str]:
    statement = select(User.name).where(User.name.icontains(term.strip(), autoescape=True)).order_by(User.id)
    return list(await session.scalars(statement))


# An empty term is contained in every name: this returns nothing.
@wrong("11.safe_search", "empty term returns nothing")
async def search_empty_is_nothing(session: AsyncSession, term: str) -> list[str]:
    if not term:
        return []
    statement = select(User.name).where(User.name.icontains(term, autoescape=True)).order_by(User.id)
    return list(await session.scalars(statement))


# Prefix only: "Person" does not find "Under_score Person".
@wrong("11.safe_search", "matches at the start only")
async def search_prefix(session: AsyncSession, term: str) -> list[str]:
    statement = select(User.name).where(User.name.istartswith(term, autoescape=True)).order_by(User.id)
    return list(await session.scalars(statement))


# Caps the list at ten names.
@wrong("11.safe_search", "caps the results at ten")
async def search_first_ten(session: AsyncSession, term: str) -> list[str]:
    statement = select(User.name).where(User.name.icontains(term, autoescape=True)).order_by(User.id).limit(10)
    return list(await session.scalars(statement))


# Wrong type: Rows of one column, not strings.
@wrong("11.safe_search", "returns Rows, not strings")
async def search_rows(session: AsyncSession, term: str) -> list:
    statement = select(User.name).where(User.name.icontains(term, autoescape=True)).order_by(User.id)
    return list((await session.execute(statement)).all())
