"""Known answers the checkers' authors wrote (moved from lessons/exercises/), with their verdicts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any, Generic, TypeVar

from sqlalchemy import DateTime, event, select
from sqlalchemy import delete as sql_delete
from sqlalchemy import update as sql_update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import (
    Mapped,
    ORMExecuteState,
    Session,
    declared_attr,
    mapped_column,
    object_session,
    with_loader_criteria,
)

from lessons.core import clock
from lessons.core.models import Base, User
from lessons.core.types import UTCDateTime
from lessons.lens.traps import describe
from tests.answers import right, wrong


def _mixin(factory: Callable[[], type]) -> type:
    """The mixin a factory returns (its global scope registered once, here), named after the factory."""
    mixin = factory()
    mixin.__name__ = factory.__name__
    return mixin


ModelT = TypeVar("ModelT", bound=Base)


class BaseRepository(Generic[ModelT]):
    """The checker's reference at the time (copied: known answers do not import the checker)."""

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


@right("14.soft_deletes")
@_mixin
def soft_deletes() -> type:
    """The reference answer: the mixin, and its global scope registered on every Session."""

    class SoftDeletes:
        deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

        def soft_delete(self) -> None:
            self.deleted_at = clock.now()

        def restore(self) -> None:
            self.deleted_at = None

        @property
        def is_deleted(self) -> bool:
            return self.deleted_at is not None

    @event.listens_for(Session, "do_orm_execute")
    def hide_trashed(state: ORMExecuteState) -> None:
        if (
            state.is_select
            and not state.is_column_load
            and not state.is_relationship_load
            and not state.execution_options.get("include_deleted", False)
        ):
            state.statement = state.statement.options(
                with_loader_criteria(SoftDeletes, lambda cls: cls.deleted_at.is_(None), include_aliases=True)
            )

    return SoftDeletes


@right("14.soft_deletes")
@_mixin
def right_is_deleted_from_timestamp() -> type:
    class Trashable:
        deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

        def soft_delete(self) -> None:
            if self.deleted_at is None:
                self.deleted_at = datetime.now(timezone.utc)

        def restore(self) -> None:
            self.deleted_at = None

        @property
        def is_deleted(self) -> bool:
            return bool(self.deleted_at)

    def only_kept(state: ORMExecuteState) -> None:
        wants_all = state.execution_options.get("include_deleted", False)
        if state.is_select and not wants_all and not state.is_column_load and not state.is_relationship_load:
            state.statement = state.statement.options(
                with_loader_criteria(Trashable, lambda cls: cls.deleted_at.is_(None), include_aliases=True)
            )

    event.listen(Session, "do_orm_execute", only_kept)
    return Trashable


@right("14.soft_deletes")
@_mixin
def right_declared_attr() -> type:
    class Trash:
        @declared_attr
        def deleted_at(cls) -> Mapped[datetime | None]:
            return mapped_column(UTCDateTime, nullable=True, index=True)

        def soft_delete(self) -> None:
            self.deleted_at = clock.now()

        def restore(self) -> None:
            self.deleted_at = None

        @property
        def is_deleted(self) -> bool:
            return self.deleted_at is not None

    def without_trashed(state: ORMExecuteState) -> None:
        if not state.is_select or state.is_column_load or state.is_relationship_load:
            return
        if state.execution_options.get("include_deleted"):
            return
        state.statement = state.statement.options(
            with_loader_criteria(Trash, lambda cls: cls.deleted_at.is_(None), include_aliases=True)
        )

    event.listen(Session, "do_orm_execute", without_trashed)
    return Trash


@wrong("14.soft_deletes", "hard delete")
@_mixin
def wrong_hard_delete() -> type:
    class SoftDeletes:
        deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

        def soft_delete(self) -> None:
            object_session(self).delete(self)  # gone for good: not a soft delete

        def restore(self) -> None:
            self.deleted_at = None

        @property
        def is_deleted(self) -> bool:
            return self.deleted_at is not None

    return SoftDeletes


@wrong("14.soft_deletes", "naive datetime")
@_mixin
def wrong_naive_datetime() -> type:
    class SoftDeletes:
        deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

        def soft_delete(self) -> None:
            self.deleted_at = datetime.now()  # naive local time: which zone was it?

        def restore(self) -> None:
            self.deleted_at = None

        @property
        def is_deleted(self) -> bool:
            return self.deleted_at is not None

    @event.listens_for(Session, "do_orm_execute")
    def scope(state: ORMExecuteState) -> None:
        if state.is_select and not state.execution_options.get("include_deleted"):
            state.statement = state.statement.options(
                with_loader_criteria(SoftDeletes, lambda cls: cls.deleted_at.is_(None), include_aliases=True)
            )

    return SoftDeletes


@wrong("14.soft_deletes", "no global scope")
@_mixin
def wrong_no_global_scope() -> type:
    class SoftDeletes:
        deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

        def soft_delete(self) -> None:
            self.deleted_at = clock.now()

        def restore(self) -> None:
            self.deleted_at = None

        @property
        def is_deleted(self) -> bool:
            return self.deleted_at is not None

    return SoftDeletes  # every query still returns trashed rows


@wrong("14.soft_deletes", "naive column")
@_mixin
def wrong_naive_column() -> type:
    class SoftDeletes:
        # No time zone in the column: SQLite and MariaDB hand back a naive time, PostgreSQL refuses an aware one.
        deleted_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

        def soft_delete(self) -> None:
            self.deleted_at = datetime.now(timezone.utc)

        def restore(self) -> None:
            self.deleted_at = None

        @property
        def is_deleted(self) -> bool:
            return self.deleted_at is not None

    @event.listens_for(Session, "do_orm_execute")
    def scope(state: ORMExecuteState) -> None:
        if state.is_select and not state.execution_options.get("include_deleted"):
            state.statement = state.statement.options(
                with_loader_criteria(SoftDeletes, lambda cls: cls.deleted_at.is_(None), include_aliases=True)
            )

    return SoftDeletes


@right("14.repository")
class UserRepository(BaseRepository[User]):
    model = User

    async def get_by_email(self, email: str) -> User | None:
        return await self.session.scalar(select(User).where(User.email == email))


@right("14.repository")
class StatementsRepository:
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


@right("14.repository")
class FlushingRepository(UserRepository):
    """Right: create() turns a duplicate into its own LookupError (after rolling back) instead of IntegrityError."""

    async def create(self, **fields: Any) -> User:
        try:
            return await super().create(**fields)
        except IntegrityError:
            raise LookupError(f"email {fields.get('email')!r} is taken") from None


@right("14.repository")
class PlainSqlRepository:
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


@wrong("14.repository", "DeleteNotAwaited")
class DeleteNotAwaited(UserRepository):
    async def delete(self, id: int) -> bool:
        obj = await self.get(id)
        if obj is None:
            return False
        self.session.delete(obj)  # the chapter's bug: a coroutine that never runs
        await self.session.commit()
        return True


@wrong("14.repository", "ListIgnoresPaging")
class ListIgnoresPaging(UserRepository):
    async def list(self, page: int = 1, size: int = 10) -> list[User]:
        return list((await self.session.scalars(select(User).order_by(User.id).limit(size))).all())


@wrong("14.repository", "CreateLeavesSessionFailed")
class CreateLeavesSessionFailed(UserRepository):
    async def create(self, **fields: Any) -> User:
        obj = User(**fields)
        self.session.add(obj)
        await self.session.commit()  # no rollback on IntegrityError: the session is left unusable
        return obj


@wrong("14.repository", "UpdateSkipsFalsy")
class UpdateSkipsFalsy(UserRepository):
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


@wrong("14.repository", "UpdateNotCommitted")
class UpdateNotCommitted(UserRepository):
    """Wrong: update() only flushes, so the change is lost when the session closes without a commit."""

    async def update(self, id: int, **fields: Any) -> User | None:
        obj = await self.get(id)
        if obj is None:
            return None
        for name, value in fields.items():
            setattr(obj, name, value)
        await self.session.flush()
        return obj


@wrong("14.repository", "CreateOverwritesOnDuplicate")
class CreateOverwritesOnDuplicate(UserRepository):
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

