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
from collections.abc import Callable
from typing import Any

from sqlalchemy import MetaData, String, event, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from lessons.core.database import LessonDatabase, create_engine, create_sessionmaker
from lessons.core.models import NAMING_CONVENTION, User
from lessons.exercises.differential import Call, Differential, Raised, Run
from lessons.exercises.framework import Incorrect, Unattempted, describe, register, second_connection
from lessons.exercises.worlds import World
from lessons.scenery.lesson08_sqlite_locking import sqlite_engine

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


@register
class ImportUsers(Differential):
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
    reference = import_users
    # A refused INSERT uses up an id on PostgreSQL and MariaDB, a look-up first does not: ids are not compared.
    free_columns = {"users": {"id"}}

    def calls(self, world: World) -> list[Call]:
        seed, users = world.seed, world.rows["users"]
        taken, other = world.pick("users"), users[-1]
        ada, bea, cy = (f"{name}.{seed}@import.test" for name in ("ada", "bea", "cy"))
        people = [
            ("Ada Zoë", ada), ("Impostor", taken["email"]), ("Bea O'Brien", bea), ("Bea again", bea),
            (other["name"], cy), ("Bea thrice", bea), (("Łukasz " + "x" * 100)[:100], f"long.{seed}@import.test"),
        ]
        again = [("Ada twice", ada), ("Dee", f"dee.{seed}@import.test"), ("Other Impostor", other["email"])]
        return [
            Call((people,), f"import_users(session, [{len(people)} people])",
                 about="a taken email, an email three times in the list and a namesake"),
            Call(([],), "import_users(session, [])", about="an empty list"),
            Call((again,), f"import_users(session, [{len(again)} more])", about="an email the first import took"),
        ]

    async def run(self, function: Callable[..., Any], db: LessonDatabase, world: World, run: Run, answer: bool) -> None:
        # On SQLite the request's transaction must really begin at its first SELECT, as it does on the servers
        # (lesson 08a's fix): with the driver's default, a savepoint released outside a transaction commits itself.
        engine = sqlite_engine(db.url, begin="BEGIN") if db.backend == "sqlite" else db.engine
        commits: list[object] = []
        run.facts["commits"], run.facts["open"] = [], []

        def on_commit(conn: Any) -> None:
            commits.append(conn)

        event.listen(engine.sync_engine, "commit", on_commit)
        try:
            for call in self.calls(world):
                run.abouts.append(call.about)
                before = len(commits)
                async with create_sessionmaker(engine)() as session:
                    await session.get(User, world.ids("users")[0])  # the signed-in admin: the transaction has begun
                    await self.one_call(function, session, call.args, call.label, run, answer)
                    run.facts["open"].append(session.in_transaction())
                    inside = await self.inspect_session(session, run, call.label)
                run.facts["commits"].append(len(commits) - before)
                await self.note_uncommitted(db, inside, run, call.label)
        finally:
            event.remove(engine.sync_engine, "commit", on_commit)
            if engine is not db.engine:
                if answer and engine.pool.checkedout():
                    run.problem = run.problem or (
                        "your function left a database connection checked out (a session it opened and never "
                        "closed): use the session it receives"
                    )
                await engine.dispose()

    def properties(self, reference: Run, answer: Run, world: World) -> str | None:
        for number, count in enumerate(answer.facts["commits"], 1):
            if count > 1:
                return (
                    f"call {number} committed {count} times: in between, other requests could see half an import. "
                    "Commit once, after the loop (a savepoint, not a commit, for each person)"
                )
        for number, (want, got) in enumerate(zip(reference.facts["open"], answer.facts["open"], strict=True), 1):
            if got and not want:
                return (
                    f"call {number} left the request's transaction open (the admin's SELECT began it): import in "
                    "the session you receive, and end its transaction with one commit"
                )
        return None


# --------------------------------------------------------------------------------------------------------------
# 08.record_view (lesson 08b)
# --------------------------------------------------------------------------------------------------------------

#: How many requests the checker sends at the same moment.
CONCURRENT_VIEWS = 50


class PracticeBase(DeclarativeBase):
    """The practice tables' own metadata, apart from ``lessons.core.models`` (named constraints, as there)."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


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


class _CountingSessionmaker(async_sessionmaker[AsyncSession]):
    """A session factory that counts the sessions it makes (``Session.begin()`` makes one too)."""

    made = 0

    def __call__(self, **local_kw: Any) -> AsyncSession:
        self.made += 1
        return super().__call__(**local_kw)


@register
class RecordView(Differential):
    id = "08.record_view"
    title = "Count a page view without losing one"
    hints = [
        "Reading the number, adding one in Python and writing it back loses updates: two requests read the "
        "same number and both write number + 1. Let the database do the arithmetic in one statement.",
        "update(PageViews).where(PageViews.id == page_id).values(views=PageViews.views + 1), executed in a "
        "session of its own (async with Session() as session), then await session.commit().",
    ]
    reference = record_view
    reference = record_view
    extra_tables = [PageViews.__table__]
    databases = 2

    def passed(self, runs: list[Run]) -> str:
        return (
            f"{CONCURRENT_VIEWS} calls at once on each of {len(runs)} generated databases (two pages viewed, "
            "the others not): every view counted, no other page touched, no error, a session per call."
        )

    async def database(self) -> LessonDatabase:
        db = await super().database()
        async with db.engine.begin() as conn:  # another check's reload drops it: the blog's tables only
            await conn.run_sync(PracticeBase.metadata.create_all)
        return db

    def world(self, seed: int) -> World:
        world = super().world(seed)
        world.rows["l08_page_views"] = []
        paths = ("/", "/pricing", "/blog/ünïcode-ça", "/about")
        for page_id, path in zip(sorted(world.rng.sample(range(1, 10**6), len(paths))), paths, strict=True):
            world.add("l08_page_views", id=page_id, path=path,
                      views=world.rng.choice([0, 7, 2_147_483_000]))  # INTEGER's limit is 2,147,483,647
        return world

    def calls(self, world: World) -> list[Call]:
        busy, quiet = world.rng.sample(world.ids("l08_page_views"), 2)
        pages = [busy] * 35 + [quiet] * 15
        world.rng.shuffle(pages)
        return [Call(tuple(pages), f"{CONCURRENT_VIEWS} calls at once (35 on page {busy}, 15 on page {quiet})",
                     about=f"{CONCURRENT_VIEWS} concurrent calls on two pages")]

    async def run(self, function: Callable[..., Any], db: LessonDatabase, world: World, run: Run, answer: bool) -> None:
        (call,) = self.calls(world)
        run.abouts.append(call.about)
        # An engine of the run's own: a pool an answer exhausts (sessions never closed) fails within seconds.
        engine = create_engine(db.url, pool_timeout=5)
        Session = _CountingSessionmaker(engine, expire_on_commit=False)
        try:
            if answer:
                outcomes = await asyncio.gather(
                    *(self.call(function, Session, page) for page in call.args), return_exceptions=True
                )
            else:  # the reference's calls one after another: the same views, in half the time
                outcomes = [await function(Session, page) for page in call.args]
        finally:
            left = engine.pool.checkedout()
            await engine.dispose()
        if left:
            run.problem = (
                f"your calls left {left} database connection(s) checked out (a session opened and never closed: "
                "use `async with Session() as session`)"
            )
        errors = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
        for error in errors:
            if not isinstance(error, Exception) or isinstance(error, Incorrect | Unattempted) or not answer:
                raise error
        shared = (
            f"; the {len(outcomes)} calls opened {Session.made} session(s) between them: give every call one of its "
            "own (async with Session() as session: …)" if 0 < Session.made < len(outcomes) else ""
        )
        if errors:
            kinds = Counter(describe(error) for error in errors)
            worst, times = kinds.most_common(1)[0]
            unclosed = f"; {left} connection(s) stayed checked out: close every session (async with …)" if left else ""
            message = f"{worst} ({times} of {len(outcomes)} calls){shared}{unclosed}"
            run.results.append((call.label, Raised(type(errors[0]).__name__, message)))
            return
        run.results.append((call.label, [self.observe(outcome) for outcome in outcomes]))
        if answer and shared:
            run.problem = run.problem or (
                f"your {len(outcomes)} concurrent calls opened {Session.made} session(s) between them. One session "
                "shared by concurrent requests mixes their transactions (one commits another's work, or the driver "
                "refuses: 'another operation is in progress'). Open one per call: async with Session() as session: …"
            )
        async with second_connection(db) as conn:
            views = dict((await conn.execute(select(PageViews.id, PageViews.views))).tuples().all())
        before = {row["id"]: row["views"] for row in world.rows["l08_page_views"]}
        for page, count in Counter(call.args).items():
            counted = views.get(page, 0) - before[page]
            if answer and 0 < counted < count:
                sqlite = db.backend == "sqlite"
                lock = " (with_for_update() locks nothing here: SQLite drops FOR UPDATE)" if sqlite else ""
                run.problem = run.problem or (
                    f"{count} requests at once on page {page} counted only {counted}: {count - counted} updates were "
                    "lost. Each request read the old number before another one's write landed; let the database "
                    f"add one (SET views = views + 1) instead of writing a number computed in Python{lock}"
                )
