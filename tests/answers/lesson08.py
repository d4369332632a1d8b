"""Known answers the checkers' authors wrote (moved from lessons/exercises/), with their verdicts."""

from __future__ import annotations

from sqlalchemy import select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from lessons.core.models import User
from lessons.exercises.lesson08 import PageViews
from tests.answers import right, wrong

_shared: dict[int, AsyncSession] = {}


@right("08.import_users")
async def import_users(session: AsyncSession, people: list[tuple[str, str]]) -> list[str]:
    skipped = []
    for name, email in people:
        try:
            async with session.begin_nested():  # a SAVEPOINT: a duplicate undoes this person only
                session.add(User(name=name, email=email))
        except IntegrityError:
            skipped.append(email)
    await session.commit()  # one commit: the whole import becomes visible at once
    return skipped


@right("08.import_users")
async def right_savepoint_by_hand(session: AsyncSession, people: list[tuple[str, str]]) -> list[str]:
    skipped: list[str] = []
    for name, email in people:
        savepoint = await session.begin_nested()
        session.add(User(name=name, email=email))
        try:
            await session.flush()
        except IntegrityError:
            await savepoint.rollback()
            skipped.append(email)
        else:
            await savepoint.commit()
    await session.commit()
    return skipped


@right("08.import_users")
async def right_look_first(session: AsyncSession, people: list[tuple[str, str]]) -> list[str]:
    # No savepoint: ask which emails are taken, then add only the others. (Two imports at once could still
    # collide between the SELECT and the INSERT; the savepoint answer has no such gap.)
    emails = [email for _, email in people]
    taken = set((await session.scalars(select(User.email).where(User.email.in_(emails)))).all())
    skipped = []
    for name, email in people:
        if email in taken:
            skipped.append(email)
        else:
            taken.add(email)
            session.add(User(name=name, email=email))
    await session.commit()
    return skipped


@wrong("08.import_users", "rollback on duplicate")
async def wrong_rollback_on_duplicate(session: AsyncSession, people: list[tuple[str, str]]) -> list[str]:
    skipped = []
    for name, email in people:
        session.add(User(name=name, email=email))
        try:
            await session.flush()
        except IntegrityError:
            await session.rollback()  # undoes the whole transaction, not only this person
            skipped.append(email)
    await session.commit()
    return skipped


@wrong("08.import_users", "begin on a used session")
async def wrong_begin_on_a_used_session(session: AsyncSession, people: list[tuple[str, str]]) -> list[str]:
    skipped = []
    async with session.begin():  # the session has run a query already: "A transaction is already begun"
        for name, email in people:
            try:
                async with session.begin_nested():
                    session.add(User(name=name, email=email))
            except IntegrityError:
                skipped.append(email)
    return skipped


@wrong("08.import_users", "commit per person")
async def wrong_commit_per_person(session: AsyncSession, people: list[tuple[str, str]]) -> list[str]:
    skipped = []
    for name, email in people:
        session.add(User(name=name, email=email))
        try:
            await session.commit()  # each person is a transaction of their own
        except IntegrityError:
            await session.rollback()
            skipped.append(email)
    return skipped


@wrong("08.import_users", "no savepoint")
async def wrong_no_savepoint(session: AsyncSession, people: list[tuple[str, str]]) -> list[str]:
    session.add_all([User(name=name, email=email) for name, email in people])
    await session.commit()
    return []


@wrong("08.import_users", "never commits")
async def wrong_never_commits(session: AsyncSession, people: list[tuple[str, str]]) -> list[str]:
    skipped = []
    for name, email in people:
        try:
            async with session.begin_nested():
                session.add(User(name=name, email=email))
        except IntegrityError:
            skipped.append(email)
    return skipped


@right("08.record_view")
async def record_view(Session: async_sessionmaker[AsyncSession], page_id: int) -> None:
    async with Session() as session:
        await session.execute(update(PageViews).where(PageViews.id == page_id).values(views=PageViews.views + 1))
        await session.commit()


@right("08.record_view")
async def right_sql_expression_on_the_object(Session: async_sessionmaker[AsyncSession], page_id: int) -> None:
    async with Session.begin() as session:
        page = await session.get(PageViews, page_id)
        # A SQL expression, not a number: the flush sends SET views = views + 1.
        page.views = PageViews.views + 1


@right("08.record_view")
async def right_update_in_a_begin_block(Session: async_sessionmaker[AsyncSession], page_id: int) -> None:
    statement = update(PageViews).values(views=PageViews.views + 1).where(PageViews.id == page_id)
    async with Session() as session, session.begin():
        await session.execute(statement)


@right("08.record_view")
async def right_raw_sql(Session: async_sessionmaker[AsyncSession], page_id: int) -> None:
    async with Session() as session:
        await session.execute(text("UPDATE l08_page_views SET views = views + 1 WHERE id = :id"), {"id": page_id})
        await session.commit()


@wrong("08.record_view", "read modify write")
async def wrong_read_modify_write(Session: async_sessionmaker[AsyncSession], page_id: int) -> None:
    async with Session() as session:
        page = await session.get(PageViews, page_id)
        page.views += 1
        await session.commit()


@wrong("08.record_view", "value computed in python")
async def wrong_value_computed_in_python(Session: async_sessionmaker[AsyncSession], page_id: int) -> None:
    async with Session() as session:
        page = await session.get(PageViews, page_id)
        await session.execute(update(PageViews).where(PageViews.id == page_id).values(views=page.views + 1))
        await session.commit()


@wrong("08.record_view", "never commits")
async def wrong_view_never_committed(Session: async_sessionmaker[AsyncSession], page_id: int) -> None:
    async with Session() as session:
        await session.execute(update(PageViews).where(PageViews.id == page_id).values(views=PageViews.views + 1))


@wrong("08.record_view", "every page")
async def wrong_every_page(Session: async_sessionmaker[AsyncSession], page_id: int) -> None:
    async with Session() as session:
        await session.execute(update(PageViews).values(views=PageViews.views + 1))
        await session.commit()


@wrong("08.record_view", "one shared session")
async def wrong_one_shared_session(Session: async_sessionmaker[AsyncSession], page_id: int) -> None:
    # One session for every request (a module-level "global session"); it commits, so it holds no connection after.
    if id(Session) not in _shared:
        _shared[id(Session)] = Session()
    session = _shared[id(Session)]
    await session.execute(update(PageViews).where(PageViews.id == page_id).values(views=PageViews.views + 1))
    await session.commit()


@wrong("08.record_view", "refresh then write")
async def wrong_refresh_then_write(Session: async_sessionmaker[AsyncSession], page_id: int) -> None:
    async with Session() as session:
        page = await session.get(PageViews, page_id)
        await session.refresh(page)  # the latest number... until another request writes after this read
        page.views = page.views + 1
        await session.commit()

