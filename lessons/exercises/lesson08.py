"""Practice for lesson 08: count a page view without losing one when 50 requests arrive at once.

The exercise brings its own table, ``l08_page_views``, so it never touches the blog's models::

    from lessons.exercises.lesson08 import PageViews
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from sqlalchemy import String, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from lessons.database import LessonDatabase
from lessons.exercises.framework import Exercise, Incorrect, Unattempted, register

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
            raise Incorrect(
                f"{CONCURRENT_VIEWS} requests at once counted only {got}: {CONCURRENT_VIEWS - got} updates were lost. "
                "Each request read the old number before another one's write landed; let the database add one "
                "(SET views = views + 1) instead of writing a number you computed in Python."
            )
        if got > CONCURRENT_VIEWS:
            raise Incorrect(f"{CONCURRENT_VIEWS} views were counted as {got}: add exactly one per call.")
        return f"{CONCURRENT_VIEWS} concurrent requests, {got} views counted: no update lost."
