"""Practice for lesson 02: create a user, and turn a duplicate email into ``None`` with a usable session."""

from __future__ import annotations

from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError, PendingRollbackError
from sqlalchemy.ext.asyncio import AsyncSession

from lessons.database import LessonDatabase
from lessons.exercises.framework import Exercise, Incorrect, register
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


async def _rows_with_email(db: LessonDatabase, email: str) -> int:
    # A separate session: only what was committed counts.
    async with db.Session() as session:
        return await session.scalar(select(func.count()).select_from(User).where(User.email == email))


async def _user_count(db: LessonDatabase) -> int:
    async with db.Session() as session:
        return await session.scalar(select(func.count()).select_from(User))


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
    right_answers = [create_user, _right_checks_first, _right_with_a_savepoint]
    wrong_answers = [
        _wrong_lets_the_error_escape,
        _wrong_forgets_the_rollback,
        _wrong_only_flushes,
        _wrong_returns_the_existing_user,
    ]

    async def judge(self, answer: Any, db: LessonDatabase) -> str:
        async with db.Session() as session:
            taken = await session.scalar(select(User.email).order_by(User.id).limit(1))
        users_before = await _user_count(db)

        async with db.Session() as session:
            # 1. A new email: the user is returned and committed.
            ada = await self.call(answer, session, "Ada Lovelace", "ada.lovelace@example.com")
            if not isinstance(ada, User):
                raise Incorrect(f"for a new email you returned {ada!r}; return the new User object.")
            if ada.id is None or ada.email != "ada.lovelace@example.com":
                raise Incorrect("the User you returned has no id or another email; add it and commit the session.")
            # Read now: a later rollback expires every object in the session.
            new_id = ada.id
            if await _rows_with_email(db, "ada.lovelace@example.com") != 1:
                raise Incorrect(
                    "the new user is not in the database once your function returns: flush() only sends the "
                    "INSERT inside an open transaction; await session.commit() saves it."
                )

            # 2. A taken email: None, and no second row.
            try:
                duplicate = await self.call(answer, session, "Someone Else", taken)
            except IntegrityError:
                raise Incorrect(
                    f"a taken email ({taken}) made your function raise IntegrityError; catch it around the "
                    "commit, roll back, and return None."
                ) from None
            if isinstance(duplicate, User) and duplicate.name != "Someone Else":
                raise Incorrect(
                    f"for a taken email you returned the user who already has it ({duplicate.name}); "
                    "this is not firstOrCreate: return None."
                )
            if duplicate is not None:
                raise Incorrect(f"for a taken email you returned {duplicate!r}; return None.")
            if await _rows_with_email(db, taken) != 1:
                raise Incorrect(f"there are now two users with {taken}; the second must not be saved.")

            # 3. The same session still works after the duplicate.
            try:
                grace = await self.call(answer, session, "Grace Hopper", "grace.hopper@example.com")
            except PendingRollbackError:
                raise Incorrect(
                    "after the duplicate, your session refused the next call (PendingRollbackError): "
                    "await session.rollback() in your except block before returning None."
                ) from None
            if not isinstance(grace, User) or await _rows_with_email(db, "grace.hopper@example.com") != 1:
                raise Incorrect(
                    "after a duplicate, the next new user was not created; leave the session usable "
                    "(roll back, then return None)."
                )

        users_after = await _user_count(db)
        if users_after != users_before + 2:
            raise Incorrect(f"expected {users_before + 2} users after two new ones, found {users_after}.")
        return (
            f"a new user got id {new_id}, the taken email {taken} gave None with no second row, "
            "and the same session then created another user."
        )
