"""Practice for lesson 02: create a user, and turn a duplicate email into ``None`` with a usable session."""

from __future__ import annotations

from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError, PendingRollbackError
from sqlalchemy.ext.asyncio import AsyncSession

from lessons.database import LessonDatabase
from lessons.exercises.framework import Exercise, Incorrect, committed, register, show, unique_email, with_extra_rows
from lessons.models import User


async def create_user(session: AsyncSession, name: str, email: str) -> User | None:
    user = User(name=name, email=email)
    session.add(user)
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        return None
    return user


async def _right_checks_first(session: AsyncSession, name: str, email: str) -> User | None:
    # Asking first makes the common case clear; the constraint still guards against a race.
    if await session.scalar(select(exists().where(User.email == email))):
        return None
    try:
        user = User(name=name, email=email)
        session.add(user)
        await session.flush()
    except IntegrityError:
        await session.rollback()
        return None
    await session.commit()
    return user


async def _right_with_a_savepoint(session: AsyncSession, name: str, email: str) -> User | None:
    # A savepoint undoes only the failed INSERT, not the rest of the session's work.
    user = User(name=name, email=email)
    try:
        async with session.begin_nested():
            session.add(user)
    except IntegrityError:
        return None
    await session.commit()
    return user


async def _wrong_lets_the_error_escape(session: AsyncSession, name: str, email: str) -> User | None:
    user = User(name=name, email=email)
    session.add(user)
    await session.commit()
    return user


async def _wrong_forgets_the_rollback(session: AsyncSession, name: str, email: str) -> User | None:
    user = User(name=name, email=email)
    session.add(user)
    try:
        await session.commit()
    except IntegrityError:
        return None
    return user


async def _wrong_only_flushes(session: AsyncSession, name: str, email: str) -> User | None:
    user = User(name=name, email=email)
    session.add(user)
    try:
        await session.flush()
    except IntegrityError:
        await session.rollback()
        return None
    return user


async def _wrong_returns_the_existing_user(session: AsyncSession, name: str, email: str) -> User | None:
    existing = await session.scalar(select(User).where(User.email == email))
    if existing is not None:
        return existing
    user = User(name=name, email=email)
    session.add(user)
    await session.commit()
    return user


async def _wrong_overwrites_the_existing_user(session: AsyncSession, name: str, email: str) -> User | None:
    # updateOrCreate, not create: a taken email renames the user who has it.
    existing = await session.scalar(select(User).where(User.email == email))
    if existing is not None:
        existing.name = name
        await session.commit()
        return None
    user = User(name=name, email=email)
    session.add(user)
    await session.commit()
    return user


async def _wrong_checks_the_name(session: AsyncSession, name: str, email: str) -> User | None:
    # Looks the user up by name: a second "Grace Hopper" with a new email is refused.
    if await session.scalar(select(User.id).where(User.name == name).limit(1)) is not None:
        return None
    user = User(name=name, email=email)
    session.add(user)
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        return None
    return user


async def _right_insert_returning(session: AsyncSession, name: str, email: str) -> User | None:
    taken = (await session.scalars(select(User.id).where(User.email == email))).first()
    if taken is not None:
        await session.rollback()
        return None
    user = User(name=name, email=email)
    session.add(user)
    await session.flush()
    await session.commit()
    return user


def _snapshot(row: Any) -> dict[str, Any]:
    return dict(row._mapping)


@register
class CreateUser(Exercise):
    id = "02.create_user"
    title = "Create a user; a taken email gives None and leaves the session usable"
    hints = [
        "session.add(user), then await session.commit(); the UNIQUE constraint on users.email raises "
        "IntegrityError on a duplicate.",
        "Catch sqlalchemy.exc.IntegrityError around the commit, `await session.rollback()` inside the except "
        "block, then return None. Without the rollback the next statement raises PendingRollbackError.",
    ]
    reference = create_user
    right_answers = [create_user, _right_checks_first, _right_with_a_savepoint, _right_insert_returning]
    wrong_answers = [
        _wrong_lets_the_error_escape,
        _wrong_forgets_the_rollback,
        _wrong_only_flushes,
        _wrong_returns_the_existing_user,
        _wrong_overwrites_the_existing_user,
        _wrong_checks_the_name,
    ]

    async def judge(self, answer: Any, db: LessonDatabase) -> str:
        # The checker's own users: the owner of the taken email, and a "Grace Hopper" already (names are not unique).
        owner, _ = await with_extra_rows(
            db,
            User(name="Taken Owner", email=unique_email("taken"), age=41, role="editor"),
            User(name="Grace Hopper", email=unique_email("grace")),
        )
        taken = owner.email
        owner_before = [
            _snapshot(row) for row in await committed(db, select(*User.__table__.c).where(User.id == owner.id))
        ]
        users_before = await self._user_count(db)
        new_email, next_email = unique_email("ada"), unique_email("grace")

        async with db.Session() as session:
            # 1. A new email: the user is returned and committed.
            ada = await self.call(answer, session, "Ada Lovelace", new_email)
            if not isinstance(ada, User):
                raise Incorrect(f"for a new email you returned {show(ada)}; return the new User object.")
            # Read now: a later rollback expires every object in the session.
            new_id, ada_email = ada.id, ada.email
            if ada_email != new_email:
                raise Incorrect(f"for the email {new_email!r} you returned a User with the email {ada_email!r}.")
            if await self._rows_with_email(db, new_email) != 1:
                raise Incorrect(
                    f"once your function returned, a second connection finds no user with {new_email!r}: the "
                    "INSERT was not committed (await session.commit() saves it)."
                )

            # 2. A taken email: None, and nothing saved.
            try:
                duplicate = await self.call(answer, session, "Someone Else", taken)
            except IntegrityError:
                raise Incorrect(
                    f"a taken email ({taken}) made your function raise IntegrityError; catch it around the "
                    "commit, roll back, and return None."
                ) from None
            if isinstance(duplicate, User) and duplicate.id == owner.id:
                raise Incorrect(
                    f"for a taken email you returned the user who already has it (user {owner.id}); "
                    "this is not firstOrCreate: return None."
                )
            if duplicate is not None:
                raise Incorrect(f"for a taken email you returned {show(duplicate)}; return None.")
            if await self._rows_with_email(db, taken) != 1:
                raise Incorrect(f"there are now two users with {taken}; the second must not be saved.")
            owner_after = [
                _snapshot(row) for row in await committed(db, select(*User.__table__.c).where(User.id == owner.id))
            ]
            changed = {
                key: (owner_before[0][key], owner_after[0][key])
                for key in owner_before[0]
                if owner_before[0][key] != owner_after[0][key]
            }
            if changed:
                key, (was, now) = next(iter(changed.items()))
                raise Incorrect(
                    f"for the taken email {taken}, user {owner.id} who has it changed: {key} was {was!r}, now "
                    f"{now!r}. Save nothing when the email is taken."
                )

            # 3. The same session still works after the duplicate, for a name another user has already.
            try:
                grace = await self.call(answer, session, "Grace Hopper", next_email)
            except PendingRollbackError:
                raise Incorrect(
                    "after the duplicate, your session refused the next call (PendingRollbackError): "
                    "await session.rollback() in your except block before returning None."
                ) from None
            if not isinstance(grace, User) or await self._rows_with_email(db, next_email) != 1:
                raise Incorrect(
                    f"after the duplicate, create_user(session, 'Grace Hopper', {next_email!r}) returned "
                    f"{show(grace)} and a second connection finds {await self._rows_with_email(db, next_email)} "
                    "users with that email. Names are not unique (a 'Grace Hopper' exists already), emails are."
                )

        users_after = await self._user_count(db)
        if users_after != users_before + 2:
            raise Incorrect(f"expected {users_before + 2} users after two new ones, found {users_after}.")
        return (
            f"a new user got id {new_id}, the taken email {taken} gave None and left its owner unchanged, "
            "and the same session then created a second 'Grace Hopper'."
        )

    @staticmethod
    async def _rows_with_email(db: LessonDatabase, email: str) -> int:
        # A second connection: only what was committed counts.
        return (await committed(db, select(func.count()).select_from(User).where(User.email == email)))[0][0]

    @staticmethod
    async def _user_count(db: LessonDatabase) -> int:
        return (await committed(db, select(func.count()).select_from(User)))[0][0]
