"""Practice for lesson 11: a user search that no payload can inject into, where ``%``, ``_`` and ``\\`` are literal."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from lessons.core.database import LessonDatabase
from lessons.core.models import User
from lessons.exercises import worlds
from lessons.exercises.differential import Call, Differential, Run
from lessons.exercises.framework import register
from lessons.exercises.worlds import World
from lessons.scenery.lesson11_security import INJECTION_PAYLOADS

#: Names whose %, _ and \ a search must take literally, and names where a trimmed or prefix-only term goes wrong.
PLANTED = ["100% Organic", "Under_score Person", "Back\\slash Admin", "Zed Person", "Person Zero", "Admin Back"]
#: Searched besides the payloads: the escape character itself, a term running into a letter or a %, a space.
LITERAL_TERMS = ["\\", "k\\s", "\\%", " person", "PERSON", "admin b", ""]


async def search_users(session: AsyncSession, term: str) -> list[str]:
    statement = select(User.name).where(User.name.icontains(term, autoescape=True)).order_by(User.id)
    return list((await session.scalars(statement)).all())


def _same_everywhere(term: str, names: list[str]) -> bool:
    """Whether every database finds the same names for ``term``: an ASCII term, and no name where a letter with an
    accent could stand for one of the term's letters (MariaDB's collation finds "ul" in "Müller")."""
    if not term.isascii():
        return False
    wanted = term.lower()
    for name in (name.lower() for name in names):
        loose = any(
            all(a == b or (a.isalpha() and not b.isascii()) for a, b in zip(wanted, name[start:], strict=False))
            for start in range(len(name) - len(wanted) + 1)
        )
        if loose != (wanted in name):
            return False
    return True


@register
class SafeSearch(Differential):
    id = "11.safe_search"
    title = "A user search no payload can break"
    hints = [
        "Never put the term into the SQL text: let SQLAlchemy bind it as a parameter.",
        "column.icontains(term, autoescape=True) is LIKE '%term%' case-insensitively, with % and _ escaped.",
    ]
    reference = search_users

    def world(self, seed: int) -> World:
        world = worlds.blog_world(seed, users=[6, 14][seed % 2])
        for number, name in enumerate(PLANTED):
            world.add("users", name=name, email=f"planted{number}.{seed}@example.test")
        return world

    def calls(self, world: World) -> list[Call]:
        names = [user["name"] for user in world.rows["users"]]
        words = []
        for name in world.rng.sample(names, len(names)):
            start = world.rng.randrange(len(name))
            term = name[start:start + world.rng.randint(1, 4)]
            term = term.swapcase() if world.rng.random() < 0.5 else term
            if _same_everywhere(term, names) and term not in words:
                words.append(term)
        found = [Call((term,), about=about) for term, about in [
            (words[0] if words else "a", "parts of generated names in either case"), ("\\", "a backslash"),
            ("' OR '1'='1", f"{len(INJECTION_PAYLOADS)} injection payloads"), ("", "the empty term"),
            (" person", "a leading space"),
        ]]
        found += [Call((term,)) for term in [*words[1:4], *LITERAL_TERMS, *INJECTION_PAYLOADS]]
        unique = {call.args[0]: call for call in reversed(found)}  # the first call of a term keeps its about
        return [call for call in reversed(unique.values()) if _same_everywhere(call.args[0], names)]

    async def run(self, function: Callable[..., Any], db: LessonDatabase, world: World, run: Run, answer: bool) -> None:
        # Searches only read: one session serves them all (as a request would run several).
        await self.run_on_one_session(function, db, world, run, answer)
