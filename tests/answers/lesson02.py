"""Known answers the checkers' authors wrote (moved from lessons/exercises/), with their verdicts."""

from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from lessons.core.models import User
from tests.answers import right, wrong


@right("02.create_user")
async def create_user(session: AsyncSession, name: str, email: str) -> User | None:
    user = User(name=name, email=email)
    session.add(user)
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        return None
    return user


@right("02.create_user")
async def right_checks_first(session: AsyncSession, name: str, email: str) -> User | None:
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


@right("02.create_user")
async def right_with_a_savepoint(session: AsyncSession, name: str, email: str) -> User | None:
    # A savepoint undoes only the failed INSERT, not the rest of the session's work.
    user = User(name=name, email=email)
    try:
        async with session.begin_nested():
            session.add(user)
    except IntegrityError:
        return None
    await session.commit()
    return user


@right("02.create_user")
async def right_insert_returning(session: AsyncSession, name: str, email: str) -> User | None:
    taken = (await session.scalars(select(User.id).where(User.email == email))).first()
    if taken is not None:
        await session.rollback()
        return None
    user = User(name=name, email=email)
    session.add(user)
    await session.flush()
    await session.commit()
    return user


@wrong("02.create_user", "lets the error escape")
async def wrong_lets_the_error_escape(session: AsyncSession, name: str, email: str) -> User | None:
    user = User(name=name, email=email)
    session.add(user)
    await session.commit()
    return user


@wrong("02.create_user", "forgets the rollback")
async def wrong_forgets_the_rollback(session: AsyncSession, name: str, email: str) -> User | None:
    user = User(name=name, email=email)
    session.add(user)
    try:
        await session.commit()
    except IntegrityError:
        return None
    return user


@wrong("02.create_user", "only flushes")
async def wrong_only_flushes(session: AsyncSession, name: str, email: str) -> User | None:
    user = User(name=name, email=email)
    session.add(user)
    try:
        await session.flush()
    except IntegrityError:
        await session.rollback()
        return None
    return user


@wrong("02.create_user", "returns the existing user")
async def wrong_returns_the_existing_user(session: AsyncSession, name: str, email: str) -> User | None:
    existing = await session.scalar(select(User).where(User.email == email))
    if existing is not None:
        return existing
    user = User(name=name, email=email)
    session.add(user)
    await session.commit()
    return user


@wrong("02.create_user", "overwrites the existing user")
async def wrong_overwrites_the_existing_user(session: AsyncSession, name: str, email: str) -> User | None:
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


@wrong("02.create_user", "checks the name")
async def wrong_checks_the_name(session: AsyncSession, name: str, email: str) -> User | None:
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

