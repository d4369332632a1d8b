"""Exercise 14.repository: a generic async ``BaseRepository[T]`` and a ``UserRepository``, judged against the reference.

The answer is the ``UserRepository`` class: ``UserRepository(session)`` with ``get(id)``, ``list(page=1, size=10)``
(by id), ``create(**fields)``, ``update(id, **fields)``, ``delete(id)`` and ``get_by_email(email)``. The checker
makes the same calls, on one session, with the reference's class and with the answer's, on generated databases.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from lessons.core.database import LessonDatabase
from lessons.core.models import Base, User
from lessons.exercises.differential import Call, Differential, Run
from lessons.exercises.differential import Note as Said
from lessons.exercises.framework import register
from lessons.exercises.worlds import World

ModelT = TypeVar("ModelT", bound=Base)


class BaseRepository(Generic[ModelT]):
    """The reference: CRUD for any mapped class; subclasses set ``model``."""

    model: type[ModelT]

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, id: int) -> ModelT | None:
        return await self.session.get(self.model, id)

    async def list(self, page: int = 1, size: int = 10) -> list[ModelT]:
        statement = select(self.model).order_by(self.model.id).limit(size).offset((page - 1) * size)
        return list((await self.session.scalars(statement)).all())

    async def create(self, **fields: Any) -> ModelT:
        obj = self.model(**fields)
        self.session.add(obj)
        try:
            await self.session.commit()
        except IntegrityError:
            await self.session.rollback()  # the session stays usable for the next call
            raise
        return obj

    async def update(self, id: int, **fields: Any) -> ModelT | None:
        obj = await self.get(id)
        if obj is None:
            return None
        for name, value in fields.items():
            setattr(obj, name, value)
        await self.session.commit()
        return obj

    async def delete(self, id: int) -> bool:
        obj = await self.get(id)
        if obj is None:
            return False
        await self.session.delete(obj)  # a coroutine: without await, nothing is deleted
        await self.session.commit()
        return True


class UserRepository(BaseRepository[User]):
    model = User

    async def get_by_email(self, email: str) -> User | None:
        return await self.session.scalar(select(User).where(User.email == email))


#: Where the calls of one session end and those of the next begin.
SESSION_ENDS = Call(("",), "a new session")


def _call(method: str, *args: Any, about: str = "", **kwargs: Any) -> Call:
    shown = ", ".join([*map(repr, args), *(f"{key}={value!r}" for key, value in kwargs.items())])
    return Call((method, args, kwargs), f"{method}({shown})", about)


@register
class Repository(Differential):
    id = "14.repository"
    title = "A generic async repository"
    hints = [
        "BaseRepository(Generic[T]) keeps the session and a `model` class; UserRepository(BaseRepository[User]) "
        "sets model = User and adds get_by_email.",
        "list(page, size): select(...).order_by(Model.id).limit(size).offset((page - 1) * size).",
        "create: add, then commit inside try/except IntegrityError; on error `await session.rollback()` before "
        "raising again, or the session refuses every later call.",
        "delete: `await session.delete(obj)` (a coroutine), then commit; return whether a row was found.",
    ]
    reference = UserRepository

    def solution(self) -> None:
        print(f"One solution to “{self.title}”:\n")
        print(inspect.getsource(BaseRepository).rstrip() + "\n\n\n" + inspect.getsource(UserRepository).rstrip())

    def calls(self, world: World) -> list[Call]:
        rng, users = world.rng, world.rows["users"]
        ids = world.ids("users")
        lonely = users[0]  # no posts, comments, profile or roles: deleting it touches no other table
        other = rng.choice(users[1:])
        size = rng.choice([2, 3, 5, 7])
        last = (len(ids) + size - 1) // size
        taken = rng.choice(users)["email"]
        new = max(ids) + 1  # the id the next INSERT gets (the world's ids end there)
        email = f"newx{world.seed}@example.test"
        # Three sessions, so that each one's end shows what was never committed; in each, calls share the session
        # ("leaves the session usable"), as a request's repository would.
        return [
            _call("get", other["id"]),
            _call("get", world.missing_id("users"), about="an id that does not exist"),
            _call("list"),
            _call("list", page=2, size=size),
            _call("list", page=last, size=size),
            _call("list", page=last + 1, size=size, about="past the last page"),
            _call("create", name=users[-1]["name"], email=email, age=0, is_active=False),
            _call("create", name="Copy", email=taken, about="a taken email"),
            _call("get", new, about="the session after a refused create"),
            _call("get_by_email", taken),
            _call("get_by_email", email.replace("x", "_", 1), about="an email that only LIKE would match"),
            _call("get_by_email", email.replace(".test", ".TEST")),
            SESSION_ENDS,
            _call("update", new, name="Zoë O'Brien", is_active=True, age=None, about="None set by update"),
            _call("update", other["id"], is_active=False, age=0),
            _call("update", world.missing_id("users"), name="Nobody"),
            SESSION_ENDS,
            _call("list", size=len(ids) + 5),
            _call("delete", lonely["id"]),
            _call("delete", lonely["id"], about="the same delete twice"),
            _call("get", lonely["id"]),
            _call("delete", new),
        ]

    def observe(self, value: Any) -> Any:
        if isinstance(value, BaseException):
            return Said("an exception (raised)")  # "raises": which error is the answer's choice
        return super().observe(value)

    async def run(self, function: Callable[..., Any], db: LessonDatabase, world: World, run: Run, answer: bool) -> None:
        repository = function

        async def method(session: AsyncSession, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
            made = repository(session)
            bound = getattr(await made if inspect.isawaitable(made) else made, name)
            try:
                return await bound(*args, **kwargs)
            except Exception as error:
                if name != "create":
                    raise
                return error

        calls = [*self.calls(world), SESSION_ENDS]
        while calls:
            ends = calls.index(SESSION_ENDS)
            group, calls = calls[:ends], calls[ends + 1 :]
            where = f"the session of {', '.join(dict.fromkeys(call.args[0] + '()' for call in group))} calls"
            async with db.Session() as session:
                for call in group:
                    run.abouts.append(call.about)
                    await self.one_call(method, session, call.args, call.label, run, answer)
                inside = await self.inspect_session(session, run, where)
            self.note_leaks(db, run, where)
            await self.note_uncommitted(db, inside, run, where)

    def properties(self, reference: Run, answer: Run, world: World) -> str | None:
        # "list(page=1, size=10) (ordered by id)": only ORDER BY says so; without it the order is the database's
        # choice (PostgreSQL returns an updated row last), whatever this database happened to return.
        for (label, _), sql in zip(answer.results, answer.sql, strict=True):
            if label.startswith("list(") and not any("ORDER BY" in statement.upper() for statement in sql):
                return f"{label} sent no ORDER BY: the rows come in whatever order the database picks, not by id"
        return None
