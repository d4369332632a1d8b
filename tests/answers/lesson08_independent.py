"""Answers to lesson 08's practice (08.import_users, 08.record_view), written from the task statements alone.

08.import_users: in a session whose transaction is already open, add a ``User`` per ``(name, email)``; skip an email
taken in the database or earlier in the list, return the skipped emails in the order they came; keep the others and
commit once, at the end. A user who already had a taken email stays as they were.

08.record_view: add one view to page ``page_id`` of ``l08_page_views``; 50 concurrent calls with one session factory
must give 50 views, no other page touched, no error; each call opens its own session.
"""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from lessons.core.models import User
from lessons.exercises.lesson08 import PageViews
from tests.answers import right, wrong

People = list[tuple[str, str]]
Factory = async_sessionmaker[AsyncSession]


# ---------------------------------------------------------------------------------------------- 08.import_users
@right("08.import_users")
async def import_with_savepoints(session: AsyncSession, people: People) -> list[str]:
    skipped = []
    for name, email in people:
        try:
            async with session.begin_nested():
                session.add(User(name=name, email=email))
        except IntegrityError:
            skipped.append(email)
    await session.commit()
    return skipped


@right("08.import_users")
async def import_after_one_lookup(session: AsyncSession, people: People) -> list[str]:
    # One SELECT for the emails already taken, then the list deduplicated in Python. (Caveat, not in the statement:
    # MariaDB's unique index is case-insensitive, so Case@x and case@x in one list make this raise there, while the
    # savepoint answer skips the second; SQLite and PostgreSQL treat them as two emails.)
    emails = [email for _, email in people]
    taken = set(await session.scalars(select(User.email).where(User.email.in_(emails)))) if emails else set()
    skipped = []
    for name, email in people:
        if email in taken:
            skipped.append(email)
        else:
            taken.add(email)
            session.add(User(name=name, email=email))
    await session.commit()
    return skipped


@right("08.import_users")
async def import_checking_each(session: AsyncSession, people: People) -> list[str]:
    # A lookup per person (the flush of earlier adds makes them visible to the next lookup: autoflush).
    skipped = []
    for name, email in people:
        exists = await session.scalar(select(func.count()).select_from(User).where(User.email == email))
        if exists:
            skipped.append(email)
        else:
            session.add(User(name=name, email=email))
            await session.flush()
    await session.commit()
    return skipped


# A commit per person: other requests see a half-done import.
@wrong("08.import_users", "commits once per person")
async def import_commit_each(session: AsyncSession, people: People) -> list[str]:
    skipped = []
    for name, email in people:
        try:
            session.add(User(name=name, email=email))
            await session.commit()
        except IntegrityError:
            await session.rollback()
            skipped.append(email)
    return skipped


# On the first duplicate the rollback undoes everyone added before it (no savepoint).
@wrong("08.import_users", "rollback without a savepoint undoes earlier people")
async def import_rollback_all(session: AsyncSession, people: People) -> list[str]:
    skipped = []
    for name, email in people:
        session.add(User(name=name, email=email))
        try:
            await session.flush()
        except IntegrityError:
            await session.rollback()
            skipped.append(email)
    await session.commit()
    return skipped


# Nothing is committed: a second connection sees no new user.
@wrong("08.import_users", "forgets to commit")
async def import_no_commit(session: AsyncSession, people: People) -> list[str]:
    skipped = []
    for name, email in people:
        try:
            async with session.begin_nested():
                session.add(User(name=name, email=email))
        except IntegrityError:
            skipped.append(email)
    return skipped


# Checks the database but not the list: a duplicate inside the list makes the final flush raise.
@wrong("08.import_users", "misses duplicates within the list")
async def import_db_check_only(session: AsyncSession, people: People) -> list[str]:
    emails = [email for _, email in people]
    taken = set(await session.scalars(select(User.email).where(User.email.in_(emails)))) if emails else set()
    skipped = []
    for name, email in people:
        if email in taken:
            skipped.append(email)
        else:
            session.add(User(name=name, email=email))
    await session.commit()
    return skipped


# Deduplicates the list but never asks the database: an email already taken makes the commit raise.
@wrong("08.import_users", "misses emails already in the database")
async def import_list_check_only(session: AsyncSession, people: People) -> list[str]:
    seen: set[str] = set()
    skipped = []
    for name, email in people:
        if email in seen:
            skipped.append(email)
        else:
            seen.add(email)
            session.add(User(name=name, email=email))
    await session.commit()
    return skipped


# Right rows, but the skipped emails come back sorted, not in the order they came.
@wrong("08.import_users", "skipped emails sorted, not in list order")
async def import_sorted_skips(session: AsyncSession, people: People) -> list[str]:
    skipped = await import_with_savepoints(session, people)
    return sorted(set(skipped))


# Overwrites the existing user's name (an upsert): the user who had the email must stay as they were.
@wrong("08.import_users", "updates the existing user (upsert) instead of skipping")
async def import_upsert(session: AsyncSession, people: People) -> list[str]:
    skipped = []
    seen: set[str] = set()
    for name, email in people:
        existing = await session.scalar(select(User).where(User.email == email))
        if existing is not None:
            if email not in seen:
                existing.name = name
            skipped.append(email)
        else:
            session.add(User(name=name, email=email))
            await session.flush()
        seen.add(email)
    await session.commit()
    return skipped


# Keeps the LAST person of a duplicate pair, skipping the earlier one: the statement keeps the first.
@wrong("08.import_users", "keeps the last of a duplicate pair, not the first")
async def import_keep_last(session: AsyncSession, people: People) -> list[str]:
    last = {email: name for name, email in people}
    taken = set(await session.scalars(select(User.email).where(User.email.in_(list(last))))) if last else set()
    skipped = []
    kept: set[str] = set()
    for index, (name, email) in enumerate(people):
        later = any(other == email for _, other in people[index + 1 :])
        if email in taken or later:
            skipped.append(email)
        elif email not in kept:
            kept.add(email)
            session.add(User(name=name, email=email))
    await session.commit()
    return skipped


# The import runs in a session of its own on the same connection pool, never closed: a connection stays checked
# out (and on SQLite its commit waits on the admin's open transaction).
@wrong("08.import_users", "opens its own session and never closes it")
async def import_own_session(session: AsyncSession, people: People) -> list[str]:
    own = AsyncSession(bind=session.bind, expire_on_commit=False)
    skipped = []
    for name, email in people:
        try:
            async with own.begin_nested():
                own.add(User(name=name, email=email))
        except IntegrityError:
            skipped.append(email)
    await own.commit()
    return skipped


# Assumes no transaction is open: session.begin() raises, since the admin's SELECT already began one.
@wrong("08.import_users", "calls session.begin() on a session already in a transaction")
async def import_begin(session: AsyncSession, people: People) -> list[str]:
    skipped = []
    async with session.begin():
        for name, email in people:
            try:
                async with session.begin_nested():
                    session.add(User(name=name, email=email))
            except IntegrityError:
                skipped.append(email)
    return skipped


# ---------------------------------------------------------------------------------------------- 08.record_view
@right("08.record_view")
async def record_view_core_update(Session: Factory, page_id: int) -> None:
    async with Session() as session:
        await session.execute(update(PageViews).where(PageViews.id == page_id).values(views=PageViews.views + 1))
        await session.commit()


@right("08.record_view")
async def record_view_text(Session: Factory, page_id: int) -> None:
    async with Session.begin() as session:
        await session.execute(text("UPDATE l08_page_views SET views = views + 1 WHERE id = :id"), {"id": page_id})


@right("08.record_view")
async def record_view_sql_expression_on_object(Session: Factory, page_id: int) -> None:
    # Assigning a SQL expression to the attribute: the flush sends SET views = views + 1, not a number.
    async with Session() as session:
        page = await session.get(PageViews, page_id)
        page.views = PageViews.views + 1
        await session.commit()


# Read-modify-write in Python: concurrent calls read the same number and lose views.
@wrong("08.record_view", "read-modify-write in Python (lost updates)")
async def record_view_read_modify_write(Session: Factory, page_id: int) -> None:
    async with Session() as session:
        page = await session.get(PageViews, page_id)
        page.views = page.views + 1
        await session.commit()


# The UPDATE is rolled back when the session closes.
@wrong("08.record_view", "forgets to commit")
async def record_view_no_commit(Session: Factory, page_id: int) -> None:
    async with Session() as session:
        await session.execute(update(PageViews).where(PageViews.id == page_id).values(views=PageViews.views + 1))


# No WHERE: every page gets the view.
@wrong("08.record_view", "updates every page")
async def record_view_all_pages(Session: Factory, page_id: int) -> None:
    async with Session() as session:
        await session.execute(update(PageViews).values(views=PageViews.views + 1))
        await session.commit()


# Works only for page 1.
@wrong("08.record_view", "hard-coded page id")
async def record_view_page_one(Session: Factory, page_id: int) -> None:
    async with Session() as session:
        await session.execute(update(PageViews).where(PageViews.id == 1).values(views=PageViews.views + 1))
        await session.commit()


# A row per view: writes extra pages (the page's own count never moves).
@wrong("08.record_view", "inserts a row per view instead of counting")
async def record_view_insert(Session: Factory, page_id: int) -> None:
    async with Session() as session:
        path = await session.scalar(select(PageViews.path).where(PageViews.id == page_id))
        session.add(PageViews(path=path, views=1))
        await session.commit()


# Session() never closed: each call leaves its connection checked out (kept referenced here, as a cache or a global
# would, so that it is not garbage-collected either).
_left_open: list[AsyncSession] = []


@wrong("08.record_view", "leaves its session (and connection) open")
async def record_view_unclosed(Session: Factory, page_id: int) -> None:
    session = Session()
    _left_open.append(session)
    await session.execute(update(PageViews).where(PageViews.id == page_id).values(views=PageViews.views + 1))
    await session.commit()
    await session.connection()  # begins the next transaction, checks a connection out again, and keeps it


# Returns before the view is written: a background task nobody awaits.
@wrong("08.record_view", "starts a background task and returns")
async def record_view_background(Session: Factory, page_id: int) -> None:
    async def add_view() -> None:
        await asyncio.sleep(1)
        await record_view_core_update(Session, page_id)

    asyncio.get_running_loop().create_task(add_view())


# Compare-and-set with one try: a conflicting call silently drops its view.
@wrong("08.record_view", "optimistic compare-and-set that gives up on a conflict")
async def record_view_cas_once(Session: Factory, page_id: int) -> None:
    async with Session() as session:
        views = await session.scalar(select(PageViews.views).where(PageViews.id == page_id))
        await asyncio.sleep(0.01)
        await session.execute(
            update(PageViews).where(PageViews.id == page_id, PageViews.views == views).values(views=views + 1)
        )
        await session.commit()


# One session for every call (a module-level session): refused by the statement, and concurrent use breaks it.
_shared: dict[int, AsyncSession] = {}


@wrong("08.record_view", "one session shared by concurrent calls")
async def record_view_shared_session(Session: Factory, page_id: int) -> None:
    session = _shared.get(id(Session))
    if session is None:
        session = _shared[id(Session)] = Session()
    await session.execute(update(PageViews).where(PageViews.id == page_id).values(views=PageViews.views + 1))
    await session.commit()
