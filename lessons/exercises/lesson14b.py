"""Exercise 14.2: the repository pattern, a generic async ``BaseRepository[T]`` and a ``UserRepository``.

The learner's answer is the ``UserRepository`` class: ``UserRepository(session)`` with ``get(id)``,
``list(page=1, size=10)`` (by id), ``create(**fields)``, ``update(id, **fields)``, ``delete(id)`` (True when a
row was deleted) and ``get_by_email(email)``. ``create`` commits; on a duplicate email it raises and leaves the
session usable. The checker judges each method by what the database holds afterwards.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from sqlalchemy import delete as sql_delete
from sqlalchemy import select
from sqlalchemy import update as sql_update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from lessons.database import LessonDatabase
from lessons.exercises.framework import Exercise, Incorrect, register
from lessons.models import Base, User
from lessons.traps import describe

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


class _StatementsRepository:
    """Right, written with Core statements instead of loading objects first."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, id: int) -> User | None:
        return await self.session.scalar(select(User).where(User.id == id))

    async def list(self, page: int = 1, size: int = 10) -> list[User]:
        skip = size * (page - 1)
        return list((await self.session.scalars(select(User).order_by(User.id).offset(skip).limit(size))).all())

    async def create(self, **fields: Any) -> User:
        user = User(**fields)
        try:
            self.session.add(user)
            await self.session.flush()
        except IntegrityError as error:
            await self.session.rollback()
            raise ValueError(f"cannot create user: {describe(error)}") from error
        await self.session.commit()
        return user

    async def update(self, id: int, **fields: Any) -> User | None:
        # No RETURNING: MariaDB has none for UPDATE. rowcount says whether a row matched.
        result = await self.session.execute(sql_update(User).where(User.id == id).values(**fields))
        if result.rowcount == 0:
            return None
        await self.session.commit()
        return await self.session.get(User, id, populate_existing=True)

    async def delete(self, id: int) -> bool:
        result = await self.session.execute(sql_delete(User).where(User.id == id))
        await self.session.commit()
        return result.rowcount == 1

    async def get_by_email(self, email: str) -> User | None:
        return (await self.session.scalars(select(User).where(User.email == email))).first()


class _FlushingRepository(UserRepository):
    """Right: create() turns a duplicate into its own LookupError (after rolling back) instead of IntegrityError."""

    async def create(self, **fields: Any) -> User:
        try:
            return await super().create(**fields)
        except IntegrityError:
            raise LookupError(f"email {fields.get('email')!r} is taken") from None


class _DeleteNotAwaited(UserRepository):
    async def delete(self, id: int) -> bool:
        obj = await self.get(id)
        if obj is None:
            return False
        self.session.delete(obj)  # the chapter's bug: a coroutine that never runs
        await self.session.commit()
        return True


class _ListIgnoresPaging(UserRepository):
    async def list(self, page: int = 1, size: int = 10) -> list[User]:
        return list((await self.session.scalars(select(User).order_by(User.id).limit(size))).all())


class _CreateLeavesSessionFailed(UserRepository):
    async def create(self, **fields: Any) -> User:
        obj = User(**fields)
        self.session.add(obj)
        await self.session.commit()  # no rollback on IntegrityError: the session is left unusable
        return obj


class _UpdateSkipsFalsy(UserRepository):
    """Wrong: `if value:` skips False, 0 and None, so a user can never be deactivated or an age cleared."""

    async def update(self, id: int, **fields: Any) -> User | None:
        obj = await self.get(id)
        if obj is None:
            return None
        for name, value in fields.items():
            if value:
                setattr(obj, name, value)
        await self.session.commit()
        return obj


class _UpdateNotCommitted(UserRepository):
    """Wrong: update() only flushes, so the change is lost when the session closes without a commit."""

    async def update(self, id: int, **fields: Any) -> User | None:
        obj = await self.get(id)
        if obj is None:
            return None
        for name, value in fields.items():
            setattr(obj, name, value)
        await self.session.flush()
        return obj


class _CreateOverwritesOnDuplicate(UserRepository):
    """Wrong: on a taken email it "helpfully" updates the existing user with the new fields, then raises."""

    async def create(self, **fields: Any) -> User:
        try:
            return await super().create(**fields)
        except IntegrityError:
            existing = await self.get_by_email(fields["email"])
            for name, value in fields.items():
                setattr(existing, name, value)
            await self.session.commit()
            raise ValueError(f"email {fields['email']!r} is taken") from None


class _PlainSqlRepository:
    """Right: no base class, every method one statement through the session; delete reads rowcount."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, id: int) -> User | None:
        return (await self.session.execute(select(User).filter_by(id=id))).scalar_one_or_none()

    async def list(self, page: int = 1, size: int = 10) -> list[User]:
        rows = await self.session.execute(select(User).order_by(User.id.asc()).slice((page - 1) * size, page * size))
        return [user for (user,) in rows]

    async def create(self, **fields: Any) -> User:
        user = User(**fields)
        self.session.add(user)
        try:
            await self.session.commit()
        except IntegrityError:
            await self.session.rollback()
            raise
        return user

    async def update(self, id: int, **fields: Any) -> User | None:
        user = await self.get(id)
        if user is not None:
            for name, value in fields.items():
                setattr(user, name, value)
            await self.session.commit()
        return user

    async def delete(self, id: int) -> bool:
        deleted = (await self.session.execute(sql_delete(User).where(User.id == id))).rowcount
        await self.session.commit()
        return deleted > 0

    async def get_by_email(self, email: str) -> User | None:
        return (await self.session.execute(select(User).filter_by(email=email))).scalar_one_or_none()


@register
class Repository(Exercise):
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
    right_answers = [UserRepository, _StatementsRepository, _FlushingRepository, _PlainSqlRepository]
    wrong_answers = [
        _DeleteNotAwaited,
        _ListIgnoresPaging,
        _CreateLeavesSessionFailed,
        _UpdateSkipsFalsy,
        _UpdateNotCommitted,
        _CreateOverwritesOnDuplicate,
    ]

    def solution(self) -> None:
        import inspect

        print(f"One solution to “{self.title}”:\n")
        print(inspect.getsource(BaseRepository).rstrip() + "\n\n\n" + inspect.getsource(UserRepository).rstrip())

    async def judge(self, answer: Any, db: LessonDatabase) -> str:
        async with db.Session() as session:
            repo = await self.call(answer, session)
            user = await self.call(repo.get, 3)
            if user is None or user.id != 3:
                raise Incorrect(f"get(3) returned {user!r}, not user 3.")
            if await self.call(repo.get, 999_999) is not None:
                raise Incorrect("get(999999) should return None for a missing row.")
            ids = [u.id for u in await self.call(repo.list, page=2, size=5)]
            if ids != [6, 7, 8, 9, 10]:
                raise Incorrect(f"list(page=2, size=5) returned ids {ids}; expected [6, 7, 8, 9, 10] (by id).")
            first = [u.id for u in await self.call(repo.list)]
            if first != list(range(1, 11)):
                raise Incorrect(f"list() returned ids {first}; the default is page 1 of 10, by id.")
            async with db.Session() as other:
                all_ids = list((await other.scalars(select(User.id).order_by(User.id))).all())
            last_page = (len(all_ids) + 6) // 7  # a partial last page: the seed's count is not a multiple of 7
            tail = [u.id for u in await self.call(repo.list, page=last_page, size=7)]
            if tail != all_ids[(last_page - 1) * 7 :]:
                raise Incorrect(
                    f"list(page={last_page}, size=7), the last page, returned ids {tail}; expected "
                    f"{all_ids[(last_page - 1) * 7 :]}."
                )
            if (beyond := await self.call(repo.list, page=last_page + 1, size=7)) != []:
                raise Incorrect(f"list(page={last_page + 1}, size=7), past the last page, returned {beyond!r}; "
                                "expected [].")
            existing = await self.call(repo.get, 1)
            taken, taken_name = existing.email, existing.name
            created = await self.call(repo.create, name="Repo Tester", email="repo@example.net", age=30)
            if getattr(created, "id", None) is None:
                raise Incorrect("create() should return the new user, with its id.")
            created_id = created.id  # a rollback below expires every loaded object: keep the id now
            try:
                await self.call(repo.create, name="Copy", email=taken)
            except Exception:  # any clear error is fine: the point is what happens next
                pass
            else:
                raise Incorrect(f"create() with the taken email {taken!r} should raise, not succeed.")
            try:
                again = await self.call(repo.get, created_id)
            except Exception as error:
                raise Incorrect(
                    f"after a failed create(), the next call raised {describe(error)}: "
                    "roll the session back when the INSERT fails."
                ) from None
            if again is None:
                raise Incorrect("the user created before the duplicate disappeared: commit each create().")
            async with db.Session() as other:
                kept = await other.scalar(select(User.name).where(User.email == taken))
            if kept != taken_name:
                raise Incorrect(
                    f"create(name='Copy', email={taken!r}) raised as it should, but a second connection now reads "
                    f"the existing user's name as {kept!r}, not {taken_name!r}: a refused create must save nothing."
                )
            renamed = await self.call(repo.update, created_id, name="Repo Renamed", is_active=False, age=None)
            if renamed is None or renamed.name != "Repo Renamed":
                raise Incorrect("update(id, name=...) should return the updated user.")
            if renamed.is_active is not False or renamed.age is not None:
                raise Incorrect(
                    f"update({created_id}, name='Repo Renamed', is_active=False, age=None) returned a user with "
                    f"is_active={renamed.is_active!r} and age={renamed.age!r}: False and None are values to set too."
                )
            async with db.Session() as other:
                saved = await other.scalar(select(User.name).where(User.id == created_id))
            if saved != "Repo Renamed":
                raise Incorrect(
                    f"update() returned the renamed user, but a second connection still reads the name {saved!r}: "
                    "commit the change, as create() and delete() do."
                )
            if await self.call(repo.update, 999_999, name="Nobody") is not None:
                raise Incorrect("update() of a missing id should return None.")
            found = await self.call(repo.get_by_email, "repo@example.net")
            if found is None or found.id != created_id:
                raise Incorrect("get_by_email() did not find the user by email.")
            if await self.call(repo.get_by_email, "nobody@example.net") is not None:
                raise Incorrect("get_by_email() of an unknown email should return None.")
            if await self.call(repo.delete, created_id) is not True:
                raise Incorrect("delete(id) should return True when it deleted a row.")
            if await self.call(repo.delete, 999_999) is not False:
                raise Incorrect("delete() of a missing id should return False.")
        async with db.Session() as other:
            stored = await other.get(User, created_id)
            if stored is not None:
                raise Incorrect("delete() returned True but the row is still there: is session.delete() awaited?")
            if await other.get(User, 3) is None:
                raise Incorrect("user 3 vanished: only the created user should have been deleted.")
        return "get, list with paging, create (and a usable session after a duplicate), update, delete, get_by_email."
