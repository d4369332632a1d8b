"""The quick reference (notebook 99) a learner keeps open: every row's SQLAlchemy code really ran, on every backend,
and its table shows that code, the SQL it sent and what it returned; a row that breaks fails, never hides."""

from __future__ import annotations

import doctest
import html

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import NoResultFound

from lessons.core.database import LessonDatabase
from lessons.core.models import User
from lessons.scenery import lesson99_eloquent_equivalents as eloquent_equivalents
from lessons.scenery import lesson99_quick_reference as quick_reference
from lessons.scenery.lesson99_eloquent_equivalents import ROWS
from lessons.scenery.lesson99_quick_reference import QuickReference, Rows, code_of

#: Rows that rightly send no SQL: they compile a statement, never run it.
NO_SQL = {("Reading", "toSql()"), ("Reading", "toRawSql()")}


async def test_every_row_runs_and_its_table_shows_code_sql_and_result(db: LessonDatabase) -> None:
    reference = QuickReference(db, ROWS)
    tables = {section: (await reference.show(section)).data for section in ROWS.sections()}
    await reference.db.dispose()

    entries = ROWS.entries()
    assert len(entries) >= 40 and len(ROWS.sections()) == 7
    assert reference.summary().endswith("every one executed: True")
    for entry in entries:
        key = (entry.section, entry.operation)
        assert entry.eloquent and entry.code and entry.returned, key
        if key in NO_SQL:
            assert entry.sql == "(no SQL ran)", key
        else:
            assert entry.sql.startswith(("SELECT", "INSERT", "UPDATE", "DELETE", "BEGIN", "CREATE", "WITH")), key
        if entry.raises is None:
            assert "Error" not in entry.returned and "NoResultFound" not in entry.returned, (key, entry.returned)
        shown = tables[entry.section]
        for text in (entry.operation, entry.eloquent, entry.code, entry.sql, entry.returned):
            assert html.escape(text) in shown, (key, text)


async def test_each_table_starts_from_the_seed(db: LessonDatabase) -> None:
    rows = Rows()
    writing = rows.section("Writing")

    @writing.row("Delete every user", transactions=True)
    async def delete_everyone(session):
        """User::query()->delete();"""
        await session.execute(User.__table__.delete())
        await session.commit()

    reading = rows.section("Reading")

    @reading.row("Count")
    async def count(session):
        """User::count();"""
        return await session.scalar(select(func.count()).select_from(User))

    reference = QuickReference(db, rows)
    await reference.show("Writing")
    await reference.show("Reading")
    await reference.db.dispose()
    assert rows.entries("Reading")[0].returned == "200"


async def test_a_row_fails_loudly_unless_it_names_its_error(db: LessonDatabase) -> None:
    rows = Rows()
    reading = rows.section("Reading")

    @reading.row("Find or fail", raises=NoResultFound)
    async def find_or_fail(session):
        """User::findOrFail(9999);"""
        return await session.get_one(User, 9999)

    reference = QuickReference(db, rows)
    await reference.show("Reading")
    assert rows.entries()[0].returned == "NoResultFound: No row was found when one was required"

    @reading.row("Broken")
    async def broken(session):
        """User::find(1);"""
        return await session.get_one(User, 9999)

    with pytest.raises(NoResultFound):
        await reference.show("Reading")
    await reference.db.dispose()


def test_the_code_column_is_the_body_without_def_or_docstring() -> None:
    async def pluck(session):
        """
        User::pluck('name');
        """
        names = select(User.name).order_by(User.id)
        return (await session.scalars(names)).all()

    assert code_of(pluck) == "names = select(User.name).order_by(User.id)\nreturn (await session.scalars(names)).all()"


def test_registering_a_row_again_replaces_it() -> None:
    rows = Rows()
    for _ in range(2):  # a learner running the same cell twice

        @rows.section("Reading").row("Find")
        async def find(session):
            """User::find(1);"""

    assert len(rows.entries()) == 1 and rows.sections() == ["Reading"]


async def test_an_unknown_section_says_which_exist(db: LessonDatabase) -> None:
    with pytest.raises(KeyError, match="Reading"):
        await QuickReference(db, ROWS).show("Reeding")


def test_the_docstring_examples_run() -> None:
    for module in (quick_reference, eloquent_equivalents):
        assert doctest.testmod(module).failed == 0, module.__name__
