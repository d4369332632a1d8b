"""Practice for lessons 08a and 08b.

- ``08.import_users`` (08a): import people in one transaction, a savepoint around each, on a session that has
  already begun its transaction (as a request's has).
- ``08.record_view`` (08b): count a page view without losing one when 50 requests arrive at once. It brings its own
  table, ``l08_page_views``, so it never touches the blog's models::

    from lessons.exercises.lesson08 import PageViews
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from sqlalchemy import String, event, select, text, update
from sqlalchemy.exc import IntegrityError, InvalidRequestError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from lessons.database import LessonDatabase, create_sessionmaker
from lessons.exercises.framework import (
    Exercise,
    Incorrect,
    Unattempted,
    as_sequence,
    committed,
    register,
    show,
    unique_email,
)
from lessons.models import User
from lessons.sqlite_locking import sqlite_engine

# --------------------------------------------------------------------------------------------------------------
# 08.import_users (lesson 08a)
# --------------------------------------------------------------------------------------------------------------


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


async def _right_savepoint_by_hand(session: AsyncSession, people: list[tuple[str, str]]) -> list[str]:
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


async def _right_look_first(session: AsyncSession, people: list[tuple[str, str]]) -> list[str]:
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


async def _wrong_rollback_on_duplicate(session: AsyncSession, people: list[tuple[str, str]]) -> list[str]:
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


async def _wrong_begin_on_a_used_session(session: AsyncSession, people: list[tuple[str, str]]) -> list[str]:
    skipped = []
    async with session.begin():  # the session has run a query already: "A transaction is already begun"
        for name, email in people:
            try:
                async with session.begin_nested():
                    session.add(User(name=name, email=email))
            except IntegrityError:
                skipped.append(email)
    return skipped


async def _wrong_commit_per_person(session: AsyncSession, people: list[tuple[str, str]]) -> list[str]:
    skipped = []
    for name, email in people:
        session.add(User(name=name, email=email))
        try:
            await session.commit()  # each person is a transaction of their own
        except IntegrityError:
            await session.rollback()
            skipped.append(email)
    return skipped


async def _wrong_no_savepoint(session: AsyncSession, people: list[tuple[str, str]]) -> list[str]:
    session.add_all([User(name=name, email=email) for name, email in people])
    await session.commit()
    return []


async def _wrong_never_commits(session: AsyncSession, people: list[tuple[str, str]]) -> list[str]:
    skipped = []
    for name, email in people:
        try:
            async with session.begin_nested():
                session.add(User(name=name, email=email))
        except IntegrityError:
            skipped.append(email)
    return skipped


@register
class ImportUsers(Exercise):
    id = "08.import_users"
    title = "Import users in one transaction, skipping taken emails"
    hints = [
        "A taken email makes that person's INSERT fail with IntegrityError. session.rollback() would undo everyone "
        "imported so far, and session.begin() refuses on a session that has already run a query. Which block "
        "undoes one part of a transaction only?",
        "For each person: try: async with session.begin_nested(): session.add(User(name=name, email=email)), "
        "except IntegrityError: note the email. After the loop, await session.commit() once; return the noted emails.",
    ]
    reference = import_users
    right_answers = [import_users, _right_savepoint_by_hand, _right_look_first]
    wrong_answers = [
        _wrong_rollback_on_duplicate,
        _wrong_begin_on_a_used_session,
        _wrong_commit_per_person,
        _wrong_no_savepoint,
        _wrong_never_commits,
    ]

    async def judge(self, answer: Any, db: LessonDatabase) -> str:
        async with db.Session() as session:
            taken = await session.scalar(select(User.email).where(User.id == 2))
            owner = await session.scalar(select(User.name).where(User.id == 2))
        ada, bea, cy = unique_email("ada"), unique_email("bea"), unique_email("cy")
        people = [("Ada", ada), ("Impostor", taken), ("Bea", bea), ("Bea again", bea), ("Cy", cy)]
        expected = {ada: "Ada", bea: "Bea", cy: "Cy"}
        commits: list[object] = []

        def on_commit(conn: Any) -> None:
            commits.append(conn)

        # On SQLite the request's transaction must really begin at its first SELECT, as it does on the servers
        # (lesson 08a's fix): with the driver's default, a savepoint released outside a transaction commits itself.
        engine = sqlite_engine(db.url, begin="BEGIN") if db.backend == "sqlite" else db.engine
        event.listen(engine.sync_engine, "commit", on_commit)
        try:
            async with create_sessionmaker(engine)() as session:
                await session.get(User, 1)  # the signed-in admin: the request's transaction has begun
                try:
                    got = await self.call(answer, session, list(people))
                except IntegrityError as error:
                    raise Incorrect(
                        f"your import raised IntegrityError ({str(error.orig).splitlines()[0][:100]}): a taken "
                        "email broke the whole import. Give each person a savepoint (async with "
                        "session.begin_nested(): …) and catch IntegrityError around it."
                    ) from None
                except InvalidRequestError as error:
                    if "already begun" not in str(error):
                        raise
                    raise Incorrect(
                        "your import raised InvalidRequestError: A transaction is already begun on this Session. "
                        "The request's session has run a query, so its transaction is open: end it with "
                        "await session.commit(), and use begin_nested() for the part that may fail."
                    ) from None
        finally:
            event.remove(engine.sync_engine, "commit", on_commit)
            if engine is not db.engine:
                await engine.dispose()

        emails = [ada, bea, cy, taken]
        saved = dict(await committed(db, select(User.email, User.name).where(User.email.in_(emails))))
        if saved.get(taken) != owner:
            raise Incorrect(f"the user who already had {taken} is now called {saved.get(taken)!r}: leave them alone.")
        imported = {email: name for email, name in saved.items() if email != taken}
        if not imported:
            raise Incorrect(
                "a second connection sees none of the imported users: nothing was committed. "
                "End with await session.commit()."
            )
        missing = [f"{expected[email]} ({email})" for email in expected if email not in imported]
        if missing:
            raise Incorrect(
                f"{', '.join(missing)} never reached the database, though their emails were free. A rollback() "
                "after a duplicate undoes the whole transaction, everyone added before it too; a savepoint "
                "(begin_nested()) undoes only the person who failed."
            )
        if imported != expected:
            raise Incorrect(f"the imported users are {show(imported)}; expected {show(expected)} (the first of two).")
        skipped = as_sequence(got, "the skipped emails")
        if list(skipped) != [taken, bea]:
            raise Incorrect(
                f"returned {show(got)}; expected the skipped emails in the order they came: {show([taken, bea])}."
            )
        if len(commits) != 1:
            raise Incorrect(
                f"the right users were saved, but in {len(commits)} commits: in between, other requests could see "
                "half an import. Commit once, after the loop (savepoints, not commits, for each person)."
            )
        return f"{len(imported)} imported, {len(skipped)} skipped, in one transaction with a savepoint each."


# --------------------------------------------------------------------------------------------------------------
# 08.record_view (lesson 08b)
# --------------------------------------------------------------------------------------------------------------

#: How many requests the checker sends at the same moment.
CONCURRENT_VIEWS = 50


class PracticeBase(DeclarativeBase):
    """The practice tables' own metadata, apart from ``lessons.models``."""


class PageViews(PracticeBase):
    __tablename__ = "l08_page_views"

    id: Mapped[int] = mapped_column(primary_key=True)
    path: Mapped[str] = mapped_column(String(200), unique=True)
    views: Mapped[int] = mapped_column(default=0)

    def __repr__(self) -> str:
        return f"PageViews(id={self.id!r}, path={self.path!r}, views={self.views!r})"


async def record_view(Session: async_sessionmaker[AsyncSession], page_id: int) -> None:
    async with Session() as session:
        await session.execute(update(PageViews).where(PageViews.id == page_id).values(views=PageViews.views + 1))
        await session.commit()


async def _right_sql_expression_on_the_object(Session: async_sessionmaker[AsyncSession], page_id: int) -> None:
    async with Session.begin() as session:
        page = await session.get(PageViews, page_id)
        # A SQL expression, not a number: the flush sends SET views = views + 1.
        page.views = PageViews.views + 1


async def _right_update_in_a_begin_block(Session: async_sessionmaker[AsyncSession], page_id: int) -> None:
    statement = update(PageViews).values(views=PageViews.views + 1).where(PageViews.id == page_id)
    async with Session() as session, session.begin():
        await session.execute(statement)


async def _right_raw_sql(Session: async_sessionmaker[AsyncSession], page_id: int) -> None:
    async with Session() as session:
        await session.execute(text("UPDATE l08_page_views SET views = views + 1 WHERE id = :id"), {"id": page_id})
        await session.commit()


async def _wrong_refresh_then_write(Session: async_sessionmaker[AsyncSession], page_id: int) -> None:
    async with Session() as session:
        page = await session.get(PageViews, page_id)
        await session.refresh(page)  # the latest number... until another request writes after this read
        page.views = page.views + 1
        await session.commit()


async def _wrong_read_modify_write(Session: async_sessionmaker[AsyncSession], page_id: int) -> None:
    async with Session() as session:
        page = await session.get(PageViews, page_id)
        page.views += 1
        await session.commit()


async def _wrong_value_computed_in_python(Session: async_sessionmaker[AsyncSession], page_id: int) -> None:
    async with Session() as session:
        page = await session.get(PageViews, page_id)
        await session.execute(update(PageViews).where(PageViews.id == page_id).values(views=page.views + 1))
        await session.commit()


async def _wrong_never_commits(Session: async_sessionmaker[AsyncSession], page_id: int) -> None:
    async with Session() as session:
        await session.execute(update(PageViews).where(PageViews.id == page_id).values(views=PageViews.views + 1))


async def _wrong_every_page(Session: async_sessionmaker[AsyncSession], page_id: int) -> None:
    async with Session() as session:
        await session.execute(update(PageViews).values(views=PageViews.views + 1))
        await session.commit()


_shared: dict[int, AsyncSession] = {}


async def _wrong_one_shared_session(Session: async_sessionmaker[AsyncSession], page_id: int) -> None:
    # One session for every request (a module-level "global session"); it commits, so it holds no connection after.
    if id(Session) not in _shared:
        _shared[id(Session)] = Session()
    session = _shared[id(Session)]
    await session.execute(update(PageViews).where(PageViews.id == page_id).values(views=PageViews.views + 1))
    await session.commit()


class _CountingSessionmaker(async_sessionmaker[AsyncSession]):
    """A session factory that counts the sessions it makes (``Session.begin()`` makes one too)."""

    made = 0

    def __call__(self, **local_kw: Any) -> AsyncSession:
        self.made += 1
        return super().__call__(**local_kw)


@register
class RecordView(Exercise):
    id = "08.record_view"
    title = "Count a page view without losing one"
    hints = [
        "Reading the number, adding one in Python and writing it back loses updates: two requests read the "
        "same number and both write number + 1. Let the database do the arithmetic in one statement.",
        "update(PageViews).where(PageViews.id == page_id).values(views=PageViews.views + 1), executed in a "
        "session of its own (async with Session() as session), then await session.commit().",
    ]
    reference = record_view
    right_answers = [record_view, _right_sql_expression_on_the_object, _right_update_in_a_begin_block, _right_raw_sql]
    wrong_answers = [
        _wrong_read_modify_write,
        _wrong_value_computed_in_python,
        _wrong_never_commits,
        _wrong_every_page,
        _wrong_one_shared_session,
        _wrong_refresh_then_write,
    ]

    async def judge(self, answer: Any, db: LessonDatabase) -> str:
        async with db.engine.begin() as conn:
            await conn.run_sync(PracticeBase.metadata.create_all)
        async with db.Session.begin() as session:
            session.add_all([PageViews(id=1, path="/", views=7), PageViews(id=2, path="/pricing", views=0)])
        Session = _CountingSessionmaker(db.engine, expire_on_commit=False)
        try:
            outcomes = await asyncio.gather(
                *(self.call(answer, Session, 2) for _ in range(CONCURRENT_VIEWS)), return_exceptions=True
            )
        finally:
            leftover = _shared.pop(id(Session), None)
            if leftover is not None:
                await leftover.close()
        errors = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
        for error in errors:
            if not isinstance(error, Exception) or isinstance(error, Incorrect | Unattempted):
                raise error
        if errors:
            kinds = Counter(f"{type(error).__name__}: {str(error).splitlines()[0][:120]}" for error in errors)
            worst, times = kinds.most_common(1)[0]
            shared = (
                f"; the {CONCURRENT_VIEWS} calls opened {Session.made} session(s) between them: give every call "
                "one of its own (async with Session() as session: …)"
                if Session.made < CONCURRENT_VIEWS
                else ""
            )
            raise Incorrect(
                f"{len(errors)} of {CONCURRENT_VIEWS} calls raised an error, e.g. {times}× {worst}{shared}."
            )
        if Session.made < CONCURRENT_VIEWS:
            raise Incorrect(
                f"your {CONCURRENT_VIEWS} concurrent calls opened {Session.made} session(s) between them. One "
                "session shared by concurrent requests mixes their transactions (one commits another's work, "
                "or the driver refuses: 'another operation is in progress'). Open one per call: "
                "async with Session() as session: …"
            )
        async with db.Session() as session:
            views = dict((await session.execute(select(PageViews.id, PageViews.views))).tuples().all())
        if views[1] != 7:
            raise Incorrect(
                f"page 1 went from 7 to {views[1]} views although only page 2 was viewed: "
                "add .where(PageViews.id == page_id) to your UPDATE."
            )
        got = views[2]
        if got == 0:
            raise Incorrect(
                f"after your {CONCURRENT_VIEWS} calls returned, a new session still reads 0 views for page 2: no "
                "call's change was committed (await session.commit(), or async with Session.begin() as session)."
            )
        if got < CONCURRENT_VIEWS:
            sqlite = db.backend == "sqlite"
            no_lock = " (with_for_update() locks nothing here: SQLite drops FOR UPDATE)" if sqlite else ""
            raise Incorrect(
                f"{CONCURRENT_VIEWS} requests at once counted only {got}: {CONCURRENT_VIEWS - got} updates were lost. "
                "Each request read the old number before another one's write landed; let the database add one "
                f"(SET views = views + 1) instead of writing a number you computed in Python{no_lock}."
            )
        if got > CONCURRENT_VIEWS:
            raise Incorrect(f"{CONCURRENT_VIEWS} views were counted as {got}: add exactly one per call.")
        return f"{CONCURRENT_VIEWS} concurrent requests, {got} views counted: no update lost."
