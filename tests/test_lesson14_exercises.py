"""Lesson 14's claims, on every backend: the query parsers that reject user input, ERRATA 6's ``Computed``,
audit rows that vanish with a rollback, and notebooks (14c, 14d) whose solutions are the checkers' references."""

from __future__ import annotations

import inspect

import nbformat
import pytest
from sqlalchemy import Column, Computed, Integer, MetaData, Table, func, select, text, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.exc import DBAPIError, SAWarning
from sqlalchemy.schema import CreateColumn

from lessons.core.database import LessonDatabase
from lessons.core.models import Post
from lessons.core.settings import ROOT
from lessons.exercises import lesson14c, lesson14d

SOLUTIONS = ROOT / "solutions"
AWKWARD = ['C++ & (rust) OR "unclosed', "'; DROP TABLE posts; --"]


def _search_vector(persisted: bool | None) -> Column:
    table = Table(
        "posts",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("search_vector", TSVECTOR, Computed("to_tsvector('english', title)", persisted=persisted)),
    )
    return table.c.search_vector


def test_terms_keep_words_and_phrases_and_drop_every_operator() -> None:
    def terms(query: str) -> list[str]:
        return lesson14c.search_terms(query, "sqlite")

    assert terms('C++ & (rust) OR "unclosed') == ["C", "rust", "OR", "unclosed"]
    assert terms('"flimwick  marmalade" toast') == ["flimwick marmalade", "toast"]
    assert terms("'; DROP TABLE posts; --") == ["DROP", "TABLE", "posts"]
    assert terms("%_%") == terms('"') == terms("") == []


def test_terms_on_mariadb_leave_out_what_innodb_never_indexes() -> None:
    # A required +the or +ab would match nothing: InnoDB indexes no stopword and no word under 3 letters.
    assert lesson14c.search_terms('The ab zorblax "the end"', "mysql") == ["the end", "zorblax"]


def test_offline_computed_without_persisted_has_no_stored() -> None:
    offline = str(CreateColumn(_search_vector(None)).compile(dialect=postgresql.dialect()))
    assert offline.endswith("(to_tsvector('english', title))")
    assert str(CreateColumn(_search_vector(True)).compile(dialect=postgresql.dialect())).endswith(" STORED")


async def test_raw_parsers_reject_what_users_type(db: LessonDatabase) -> None:
    parser = {
        "sqlite": "SELECT count(*) FROM demo WHERE demo MATCH :q",
        "postgresql": "SELECT count(*) FROM posts WHERE to_tsvector('english', title) @@ to_tsquery('english', :q)",
        "mysql": "SELECT count(*) FROM demo WHERE MATCH (body) AGAINST (:q IN BOOLEAN MODE)",
    }[db.backend]
    setup = {
        "sqlite": "CREATE VIRTUAL TABLE demo USING fts5(body)",
        "mysql": "CREATE TABLE demo (body TEXT, FULLTEXT (body))",
    }
    if db.backend in setup:
        async with db.engine.begin() as conn:
            await conn.exec_driver_sql(setup[db.backend])
    for typed in [*AWKWARD, *(["python api"] if db.backend == "postgresql" else [])]:
        async with db.Session() as session:
            with pytest.raises(DBAPIError):
                await session.scalar(text(parser), {"q": typed})
    if db.backend != "postgresql":
        async with db.Session() as session:
            assert await session.scalar(text(parser), {"q": "python api"}) == 0


async def test_postgresql_warns_on_computed_without_persisted_and_websearch_never_raises(
    postgres_db: LessonDatabase,
) -> None:
    db = postgres_db
    async with db.engine.connect() as conn:
        with pytest.warns(SAWarning, match="STORED"):
            online = str(CreateColumn(_search_vector(None)).compile(dialect=conn.dialect))
        assert online.endswith(" STORED")
        offline = str(CreateColumn(_search_vector(None)).compile(dialect=postgresql.dialect()))
        with pytest.raises(DBAPIError, match="syntax error"):
            await conn.exec_driver_sql(f"ALTER TABLE posts ADD COLUMN {offline}")
    async with db.Session() as session:
        for typed in [*AWKWARD, "python api", "%_%"]:
            await session.scalar(select(func.websearch_to_tsquery("english", typed)))


async def test_the_reference_search_finds_a_new_post_and_accepts_anything(db: LessonDatabase) -> None:
    searcher = lesson14c.PostSearch()
    async with db.engine.begin() as conn:
        await searcher.install(conn)
    async with db.Session() as session:
        for typed in [*AWKWARD, "%_%", "python api"]:
            assert await searcher.search(session, typed) == []
        before = await searcher.search(session, "phone address")
        session.add(Post(title="Phone numbers and the address book", content="Call first.", user_id=1))
        await session.commit()
        after = await searcher.search(session, "phone address")
    assert len(after) == len(before) + 1 and set(before) < set(after)


async def test_audit_rows_share_the_transaction_and_bulk_statements_skip_them(db: LessonDatabase) -> None:
    Base, Article, AuditLog = lesson14d.audit_models()
    async with db.engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    lesson14d.track_changes(Article, AuditLog)
    count = select(func.count()).select_from(AuditLog)
    async with db.Session(info={"user_id": 3}) as session:
        session.add(Article(title="Kept"))
        await session.commit()
        session.add(Article(title="Ghost"))
        await session.flush()
        await session.rollback()
        assert await session.scalar(count) == 1
        await session.execute(update(Article).values(views=5))
        await session.commit()
        assert await session.scalar(count) == 1
        row = await session.scalar(select(AuditLog))
    assert (row.action, row.user_id, row.changes["title"]) == ("insert", 3, [None, "Kept"])


def _solution_cell(lesson: str, marker: str) -> str:
    notebook = nbformat.read(SOLUTIONS / f"{lesson}.ipynb", as_version=4)
    return next(cell.source for cell in notebook.cells if cell.cell_type == "code" and marker in cell.source)


@pytest.mark.parametrize(
    "reference",
    [lesson14c.install_search_index, lesson14c.search_terms, lesson14c.matching_post_ids, lesson14c.PostSearch],
    ids=lambda reference: reference.__name__,
)
def test_the_full_text_notebook_solves_each_step_with_the_checkers_references(reference: object) -> None:
    # q.solution() prints the module's reference: each step's solution in 14c must be the same code.
    source = inspect.getsource(reference).rstrip()
    head = source.splitlines()[0]
    cell = _solution_cell("14c-full-text-search", "\n" + head + "\n")
    region = cell[cell.index("# BEGIN SOLUTION") : cell.index("# END SOLUTION")]
    assert source in region


def test_the_audit_notebook_solves_with_the_checkers_reference() -> None:
    audit = _solution_cell("14d-audit-log", "def track_changes(")
    body = audit[audit.index("# BEGIN SOLUTION\n") + len("# BEGIN SOLUTION\n") : audit.index("    # END SOLUTION")]
    reference = inspect.getsource(lesson14d.track_changes)
    reference_body = reference[reference.index('"""\n', reference.index('"""') + 3) + 4 :]
    assert body.rstrip() == reference_body.rstrip()
