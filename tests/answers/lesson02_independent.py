"""Answers to lesson 02's practice, written from the task statement alone (not from the checker).

02.create_user: save a new user, committed (a second connection must find it), and return it; when the email is
taken return ``None``, save nothing, and leave the session usable for the next call. Called three times on one
session: a new email, a taken one, another new one.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from lessons.core.models import User
from tests.answers import right, wrong

# --------------------------------------------------------------------------------------------------------------
# Right
# --------------------------------------------------------------------------------------------------------------


@right("02.create_user")
async def add_commit_rollback_on_integrity_error(session: AsyncSession, name: str, email: str) -> User | None:
    user = User(name=name, email=email)
    session.add(user)
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        return None
    return user


@right("02.create_user")
async def look_before_you_insert(session: AsyncSession, name: str, email: str) -> User | None:
    taken = await session.scalar(select(User.id).where(User.email == email).limit(1))
    if taken is not None:
        await session.rollback()  # end the read-only transaction: nothing to keep
        return None
    user = User(name=name, email=email)
    session.add(user)
    await session.commit()
    return user


@right("02.create_user")
async def flush_inside_a_savepoint(session: AsyncSession, name: str, email: str) -> User | None:
    user = User(name=name, email=email)
    try:
        async with session.begin_nested():
            session.add(user)
    except IntegrityError:
        await session.commit()  # the savepoint was rolled back; nothing else is pending
        return None
    await session.commit()
    return user


@right("02.create_user")
async def orm_insert_returning(session: AsyncSession, name: str, email: str) -> User | None:
    try:
        user = await session.scalar(insert(User).returning(User), [{"name": name, "email": email}])
        await session.commit()
    except IntegrityError:
        await session.rollback()
        return None
    return user


# --------------------------------------------------------------------------------------------------------------
# Wrong (each names the input on which it differs)
# --------------------------------------------------------------------------------------------------------------


# Second call (taken email) returns None, but the third call fails with PendingRollbackError.
@wrong("02.create_user", "no rollback after IntegrityError: the session is unusable for the next call")
async def no_rollback(session: AsyncSession, name: str, email: str) -> User | None:
    user = User(name=name, email=email)
    session.add(user)
    try:
        await session.commit()
    except IntegrityError:
        return None
    return user


# First call: a second connection does not find the user (flushed, never committed).
@wrong("02.create_user", "flushes but never commits")
async def flush_only(session: AsyncSession, name: str, email: str) -> User | None:
    user = User(name=name, email=email)
    session.add(user)
    try:
        await session.flush()
    except IntegrityError:
        await session.rollback()
        return None
    return user


# Taken email: raises instead of returning None.
@wrong("02.create_user", "re-raises the IntegrityError instead of returning None")
async def reraises(session: AsyncSession, name: str, email: str) -> User | None:
    user = User(name=name, email=email)
    session.add(user)
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        raise
    return user


# Taken email: returns the existing owner (Laravel's firstOrCreate), not None.
@wrong("02.create_user", "firstOrCreate: returns the existing user when the email is taken")
async def first_or_create(session: AsyncSession, name: str, email: str) -> User | None:
    existing = await session.scalar(select(User).where(User.email == email))
    if existing is not None:
        return existing
    user = User(name=name, email=email)
    session.add(user)
    await session.commit()
    return user


# Taken email: renames the existing owner (Laravel's updateOrCreate): changes another row.
@wrong("02.create_user", "updateOrCreate: overwrites the existing owner's name")
async def update_or_create(session: AsyncSession, name: str, email: str) -> User | None:
    result = await session.execute(update(User).where(User.email == email).values(name=name))
    if result.rowcount:
        await session.commit()
        return None
    user = User(name=name, email=email)
    session.add(user)
    await session.commit()
    return user


# Taken email: returns the unsaved (and now expired) object instead of None.
@wrong("02.create_user", "returns the unsaved object when the email is taken")
async def returns_unsaved_object(session: AsyncSession, name: str, email: str) -> User | None:
    user = User(name=name, email=email)
    session.add(user)
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
    return user


# An int, not the User.
@wrong("02.create_user", "returns the new id instead of the user")
async def returns_the_id(session: AsyncSession, name: str, email: str) -> User | None:
    user = User(name=name, email=email)
    session.add(user)
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        return None
    return user.id


# "Ada@Example.com" is saved as "ada@example.com": not the email it was given.
@wrong("02.create_user", "normalises the email (lower-case, stripped) before saving")
async def normalises_email(session: AsyncSession, name: str, email: str) -> User | None:
    user = User(name=name.strip(), email=email.strip().lower())
    session.add(user)
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        return None
    return user


# With the clock frozen, created_at/updated_at say today's wall-clock date instead of the course clock's.
@wrong("02.create_user", "stamps created_at with datetime.now(), not the course clock")
async def wall_clock_created_at(session: AsyncSession, name: str, email: str) -> User | None:
    now = datetime.now(timezone.utc)
    user = User(name=name, email=email, created_at=now, updated_at=now)
    session.add(user)
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        return None
    return user


# Commits in a session of its own and leaves that session (and a connection) open: one connection stays checked out
# per successful call; the returned user belongs to that other session.
@wrong("02.create_user", "opens its own session and never closes it: a connection stays checked out")
async def own_session_left_open(session: AsyncSession, name: str, email: str) -> User | None:
    own = AsyncSession(session.bind, expire_on_commit=False)
    user = User(name=name, email=email)
    own.add(user)
    try:
        await own.commit()
    except IntegrityError:
        await own.rollback()
        return None
    # Asks its session for a connection "to be ready for the next query": checked out until `own` is closed, which
    # never happens. (No statement runs on it, so it holds no lock: a SELECT here would also hold MariaDB's metadata
    # lock on users and make a DROP DATABASE of the checker's database wait for it.)
    await own.connection()
    _left_open.append(own)  # never collected mid-run: a later test's event loop would be asked to close it
    return user


#: The sessions ``own_session_left_open`` leaves open, kept so the garbage collector never finalises them mid-run.
_left_open: list[AsyncSession] = []


# Taken email: saves the user anyway, under a made-up address.
@wrong("02.create_user", "saves a row when the email is taken (under a suffixed address)")
async def saves_a_variant(session: AsyncSession, name: str, email: str) -> User | None:
    user = User(name=name, email=email)
    session.add(user)
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        session.add(User(name=name, email=f"1.{email}"))
        await session.commit()
        return None
    return user
