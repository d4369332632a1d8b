"""Exercise 14c: full-text search over posts, ranked, kept in sync with the table, on every backend, in three steps.

1. ``14.search_index``: ``install_search_index(conn)`` builds the index on an
   :class:`~sqlalchemy.ext.asyncio.AsyncConnection`, where step 2 and 3 read it: SQLite an FTS5 table ``posts_fts``
   kept in sync by triggers; PostgreSQL a stored ``tsvector`` column ``posts.search_vector`` (``Computed(...,
   persisted=True)``) with a GIN index; MariaDB a ``FULLTEXT`` index on ``posts (title, content)``. Judged by
   what fixed searches find: the posts already there, in title and content, then after an INSERT, UPDATE, DELETE.
2. ``14.safe_search_query``: ``matching_post_ids(session, query)`` turns what a user typed into a safe query on
   that index (ERRATA 6): any input returns a list and never raises, every word is required, a quoted phrase
   matches only adjacent words, and input with no words finds nothing.
3. ``14.full_text_search``: a class with ``install(conn)`` and ``search(session, query)``, the ids best match
   first. Judged on any design: the checker installs it, then plants, searches, adds, edits and deletes posts.

The checkers plant posts with made-up words (so every backend's stemming and stopwords agree on them).
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Sequence
from functools import reduce
from typing import Any

from sqlalchemy import (
    Column,
    Computed,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    column,
    func,
    literal_column,
    or_,
    select,
    table,
    text,
)
from sqlalchemy.dialects.mysql import match
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.schema import CreateColumn

from lessons.database import LessonDatabase
from lessons.exercises.framework import Exercise, Incorrect, Unattempted, register
from lessons.models import Post
from lessons.traps import describe

# --------------------------------------------------------------------------------------------------------------
# Step 1: the index, kept in sync with posts
# --------------------------------------------------------------------------------------------------------------


async def install_search_index(conn: AsyncConnection) -> None:
    if conn.dialect.name == "sqlite":
        # An external-content FTS5 table indexes posts' text without a second copy; triggers keep it in sync.
        for statement in (
            "CREATE VIRTUAL TABLE posts_fts USING fts5(title, content, content='posts', content_rowid='id')",
            "CREATE TRIGGER posts_fts_insert AFTER INSERT ON posts BEGIN "
            "INSERT INTO posts_fts(rowid, title, content) VALUES (new.id, new.title, new.content); END",
            "CREATE TRIGGER posts_fts_delete AFTER DELETE ON posts BEGIN "
            "INSERT INTO posts_fts(posts_fts, rowid, title, content) "
            "VALUES ('delete', old.id, old.title, old.content); END",
            "CREATE TRIGGER posts_fts_update AFTER UPDATE OF title, content ON posts BEGIN "
            "INSERT INTO posts_fts(posts_fts, rowid, title, content) "
            "VALUES ('delete', old.id, old.title, old.content); "
            "INSERT INTO posts_fts(rowid, title, content) VALUES (new.id, new.title, new.content); END",
            "INSERT INTO posts_fts(posts_fts) VALUES ('rebuild')",  # index the rows already there
        ):
            await conn.exec_driver_sql(statement)
    elif conn.dialect.name == "postgresql":
        # A stored generated column (persisted=True, ERRATA 6): PostgreSQL recomputes it on every INSERT and UPDATE.
        document = "to_tsvector('english', coalesce(title, '') || ' ' || coalesce(content, ''))"
        vector = Column("search_vector", TSVECTOR, Computed(document, persisted=True))
        Table("posts", MetaData(), Column("id", Integer, primary_key=True), vector)
        await conn.exec_driver_sql(f"ALTER TABLE posts ADD COLUMN {CreateColumn(vector).compile(dialect=conn.dialect)}")
        await conn.exec_driver_sql("CREATE INDEX ix_posts_search_vector ON posts USING gin (search_vector)")
    else:
        # InnoDB fills a FULLTEXT index with the rows already there and keeps it in sync at each COMMIT.
        await conn.exec_driver_sql("CREATE FULLTEXT INDEX ft_posts_title_content ON posts (title, content)")


async def _install_a_copy_with_triggers(conn: AsyncConnection) -> None:
    """Right: SQLite keeps a copy of the text in an FTS5 table of its own; PostgreSQL fills a plain tsvector
    column once and lets the built-in tsvector_update_trigger keep it up to date; MariaDB builds the index
    from a Core Index."""
    if conn.dialect.name == "sqlite":
        await conn.exec_driver_sql("CREATE VIRTUAL TABLE posts_fts USING fts5(title, content)")
        await conn.exec_driver_sql("INSERT INTO posts_fts(rowid, title, content) SELECT id, title, content FROM posts")
        for trigger in (
            "CREATE TRIGGER posts_fts_ai AFTER INSERT ON posts BEGIN "
            "INSERT INTO posts_fts(rowid, title, content) VALUES (new.id, new.title, new.content); END",
            "CREATE TRIGGER posts_fts_au AFTER UPDATE ON posts BEGIN "
            "UPDATE posts_fts SET title = new.title, content = new.content WHERE rowid = old.id; END",
            "CREATE TRIGGER posts_fts_ad AFTER DELETE ON posts BEGIN DELETE FROM posts_fts WHERE rowid = old.id; END",
        ):
            await conn.exec_driver_sql(trigger)
    elif conn.dialect.name == "postgresql":
        await conn.execute(text("ALTER TABLE posts ADD COLUMN search_vector tsvector"))
        await conn.execute(
            text("UPDATE posts SET search_vector = to_tsvector('english', coalesce(title, '') || ' ' || content)")
        )
        await conn.execute(
            text(
                "CREATE TRIGGER posts_search_vector BEFORE INSERT OR UPDATE ON posts FOR EACH ROW EXECUTE FUNCTION "
                "tsvector_update_trigger(search_vector, 'pg_catalog.english', title, content)"
            )
        )
        await conn.execute(text("CREATE INDEX ix_posts_search ON posts USING gin (search_vector)"))
    else:
        posts = Table("posts", MetaData(), Column("title", String(200)), Column("content", Text))
        fulltext = Index("ft_posts", posts.c.title, posts.c.content, mysql_prefix="FULLTEXT", mariadb_prefix="FULLTEXT")
        await conn.run_sync(fulltext.create)


async def _install_filled_once(conn: AsyncConnection) -> None:
    """Wrong: the index is a copy filled once at install and never again (no trigger; on PostgreSQL a plain
    tsvector column set by one UPDATE; on MariaDB the same copy table, with FULLTEXT on the copy): a new or
    edited post is invisible to search."""
    if conn.dialect.name == "sqlite":
        await conn.exec_driver_sql("CREATE VIRTUAL TABLE posts_fts USING fts5(title, content)")
        await conn.exec_driver_sql("INSERT INTO posts_fts(rowid, title, content) SELECT id, title, content FROM posts")
    elif conn.dialect.name == "postgresql":
        await conn.exec_driver_sql("ALTER TABLE posts ADD COLUMN search_vector tsvector")
        await conn.exec_driver_sql("UPDATE posts SET search_vector = to_tsvector('english', title || ' ' || content)")
        await conn.exec_driver_sql("CREATE INDEX ix_posts_search ON posts USING gin (search_vector)")
    else:
        await conn.exec_driver_sql(
            "CREATE TABLE posts_fts (id INTEGER PRIMARY KEY, title VARCHAR(200), content TEXT, "
            "FULLTEXT (title, content))"
        )
        await conn.exec_driver_sql("INSERT INTO posts_fts (id, title, content) SELECT id, title, content FROM posts")


async def _install_title_only(conn: AsyncConnection) -> None:
    """Wrong: only the title is indexed (fts5(title), a tsvector of the title, FULLTEXT (title)): a word in the
    body is never found, and MariaDB's MATCH (title, content) finds no index for its column list."""
    if conn.dialect.name == "sqlite":
        for statement in (
            "CREATE VIRTUAL TABLE posts_fts USING fts5(title, content='posts', content_rowid='id')",
            "CREATE TRIGGER posts_fts_ai AFTER INSERT ON posts BEGIN "
            "INSERT INTO posts_fts(rowid, title) VALUES (new.id, new.title); END",
            "CREATE TRIGGER posts_fts_ad AFTER DELETE ON posts BEGIN "
            "INSERT INTO posts_fts(posts_fts, rowid, title) VALUES ('delete', old.id, old.title); END",
            "CREATE TRIGGER posts_fts_au AFTER UPDATE ON posts BEGIN "
            "INSERT INTO posts_fts(posts_fts, rowid, title) VALUES ('delete', old.id, old.title); "
            "INSERT INTO posts_fts(rowid, title) VALUES (new.id, new.title); END",
            "INSERT INTO posts_fts(posts_fts) VALUES ('rebuild')",
        ):
            await conn.exec_driver_sql(statement)
    elif conn.dialect.name == "postgresql":
        await conn.exec_driver_sql(
            "ALTER TABLE posts ADD COLUMN search_vector tsvector "
            "GENERATED ALWAYS AS (to_tsvector('english', title)) STORED"
        )
        await conn.exec_driver_sql("CREATE INDEX ix_posts_search ON posts USING gin (search_vector)")
    else:
        await conn.exec_driver_sql("CREATE FULLTEXT INDEX ft_posts_title ON posts (title)")


async def _install_plain_index(conn: AsyncConnection) -> None:
    """Wrong: an ordinary index on the title (Laravel's $table->index('title')): it helps = and LIKE 'abc%', not
    a search for words; there is no posts_fts, search_vector or FULLTEXT index to search."""
    await conn.exec_driver_sql("CREATE INDEX ix_posts_title_words ON posts (title)")


# --------------------------------------------------------------------------------------------------------------
# Step 2: what a user typed, turned into a safe query on that index
# --------------------------------------------------------------------------------------------------------------

#: InnoDB's default stopwords: its FULLTEXT index leaves them out, so a required ``+the`` would match nothing.
INNODB_STOPWORDS = frozenset(
    {"a", "about", "an", "are", "as", "at", "be", "by", "com", "de", "en", "for", "from", "how", "i", "in", "is",
     "it", "la", "of", "on", "or", "that", "the", "this", "to", "und", "was", "what", "when", "where", "who",
     "will", "with", "www"}
)


def search_terms(query: str, backend: str) -> list[str]:
    """The "quoted phrases", then the other words, with every operator character dropped.

    >>> search_terms('C++ & (rust) OR "unclosed', "sqlite"), search_terms('"flimwick  marmalade" the', "mysql")
    (['C', 'rust', 'OR', 'unclosed'], ['flimwick marmalade'])
    """
    word = re.compile(r"[^\W_]+")  # letters and digits: & | ( ) * - + : ^ and quotes are all dropped
    phrases = re.findall(r'"([^"]+)"', query)  # closed quotes only: a lone " is just punctuation
    terms = [" ".join(word.findall(phrase)) for phrase in phrases] + word.findall(re.sub(r'"[^"]+"', " ", query))
    terms = [term for term in terms if term]
    if backend == "mysql":  # InnoDB indexes no word under 3 letters and no stopword: a required +the finds nothing
        terms = [term for term in terms if " " in term or (len(term) >= 3 and term.lower() not in INNODB_STOPWORDS)]
    return terms


async def matching_post_ids(session: AsyncSession, query: str) -> list[int]:
    backend = session.get_bind().dialect.name
    if backend == "postgresql":  # websearch_to_tsquery reads what people type ("phrases", or, -word), never raises
        statement = "SELECT id FROM posts WHERE search_vector @@ websearch_to_tsquery('english', :q)"
        bound = query
    else:
        terms = search_terms(query, backend)
        if not terms:
            return []  # no word in it: nothing to search for
        if backend == "sqlite":  # FTS5: each term a "quoted string", and terms side by side must all match
            statement = "SELECT rowid FROM posts_fts WHERE posts_fts MATCH :q"
            bound = " ".join(f'"{term}"' for term in terms)
        else:  # MariaDB's BOOLEAN MODE: + makes each "quoted" term required
            statement = "SELECT id FROM posts WHERE MATCH (title, content) AGAINST (:q IN BOOLEAN MODE)"
            bound = " ".join(f'+"{term}"' for term in terms)
    rows = await session.execute(text(statement), {"q": bound})
    return [row[0] for row in rows]


_SEARCHABLE = table("posts", column("id"), column("title"), column("content"), column("search_vector"))


async def _matching_with_core(session: AsyncSession, query: str) -> list[int]:
    """Right: Core constructs; PostgreSQL ANDs phraseto_tsquery for each phrase with plainto_tsquery for the
    other words (&&); SQLite joins the quoted terms with AND, doubling any quote; MariaDB uses match()."""
    backend = session.get_bind().dialect.name
    phrases = re.findall(r'"([^"]+)"', query)
    words = re.findall(r"[^\W_]+", re.sub(r'"[^"]+"', " ", query))
    posts = _SEARCHABLE
    if backend == "postgresql":
        parts = [func.phraseto_tsquery("english", phrase) for phrase in phrases]
        parts += [func.plainto_tsquery("english", " ".join(words))] if words else []
        if not parts:
            return []
        condition = posts.c.search_vector.bool_op("@@")(reduce(lambda a, b: a.op("&&")(b), parts))
        return list((await session.scalars(select(posts.c.id).where(condition))).all())
    terms = search_terms(query, backend)
    if not terms:
        return []
    if backend == "sqlite":
        fts = " AND ".join('"' + term.replace('"', '""') + '"' for term in terms)
        statement = select(literal_column("rowid")).select_from(text("posts_fts")).where(text("posts_fts MATCH :q"))
        return list((await session.scalars(statement, {"q": fts})).all())
    condition = match(posts.c.title, posts.c.content, against=" ".join(f'+"{t}"' for t in terms)).in_boolean_mode()
    return list((await session.scalars(select(posts.c.id).where(condition))).all())


async def _matching_raw_syntax(session: AsyncSession, query: str) -> list[int]:
    """Wrong: the user's text goes straight to the backend's query parser (to_tsquery, FTS5 MATCH, BOOLEAN
    MODE): 'python api', a stray quote, '+' or '(' is a syntax error, a 500 (ERRATA 6)."""
    backend = session.get_bind().dialect.name
    statement = {
        "postgresql": "SELECT id FROM posts WHERE search_vector @@ to_tsquery('english', :q)",
        "sqlite": "SELECT rowid FROM posts_fts WHERE posts_fts MATCH :q",
    }.get(backend, "SELECT id FROM posts WHERE MATCH (title, content) AGAINST (:q IN BOOLEAN MODE)")
    return [row[0] for row in await session.execute(text(statement), {"q": query})]


async def _matching_words_only(session: AsyncSession, query: str) -> list[int]:
    """Wrong: every word is kept and required, but the quotes go with the operators (plainto_tsquery on
    PostgreSQL): a "quoted phrase" matches its words anywhere in the post."""
    backend = session.get_bind().dialect.name
    if backend == "postgresql":
        statement, bound = "SELECT id FROM posts WHERE search_vector @@ plainto_tsquery('english', :q)", query
    else:
        words = re.findall(r"[^\W_]+", query)
        if not words:
            return []
        if backend == "sqlite":
            statement, bound = "SELECT rowid FROM posts_fts WHERE posts_fts MATCH :q", " ".join(f'"{w}"' for w in words)
        else:
            statement = "SELECT id FROM posts WHERE MATCH (title, content) AGAINST (:q IN BOOLEAN MODE)"
            bound = " ".join(f"+{word}" for word in search_terms(" ".join(words), backend))
    return [row[0] for row in await session.execute(text(statement), {"q": bound})]


async def _matching_any_word(session: AsyncSession, query: str) -> list[int]:
    """Wrong: the words are safe, but joined with OR (or, in BOOLEAN MODE, without +): a post with any one
    of them matches, where a search box means all of them."""
    backend = session.get_bind().dialect.name
    terms = search_terms(query, backend)
    if not terms:
        return []
    if backend == "postgresql":
        statement = "SELECT id FROM posts WHERE search_vector @@ websearch_to_tsquery('english', :q)"
        bound = " or ".join(f'"{term}"' for term in terms)
    elif backend == "sqlite":
        statement, bound = "SELECT rowid FROM posts_fts WHERE posts_fts MATCH :q", " OR ".join(f'"{t}"' for t in terms)
    else:
        statement = "SELECT id FROM posts WHERE MATCH (title, content) AGAINST (:q IN BOOLEAN MODE)"
        bound = " ".join(f'"{term}"' for term in terms)
    return [row[0] for row in await session.execute(text(statement), {"q": bound})]


# --------------------------------------------------------------------------------------------------------------
# Step 3: the ranked search, one class
# --------------------------------------------------------------------------------------------------------------


class PostSearch:
    """Search posts by title and content, best match first: step 1's index, step 2's terms, and a rank."""

    async def install(self, conn: AsyncConnection) -> None:
        await install_search_index(conn)  # step 1

    async def search(self, session: AsyncSession, query: str) -> list[int]:
        backend = session.get_bind().dialect.name
        if backend == "postgresql":
            # One parsed query, in FROM, used by both the filter and the rank.
            statement = (
                "SELECT id FROM posts, websearch_to_tsquery('english', :q) AS query "
                "WHERE search_vector @@ query ORDER BY ts_rank(search_vector, query) DESC, id"
            )
            bound = query
        else:
            terms = search_terms(query, backend)  # step 2
            if not terms:
                return []
            if backend == "sqlite":  # bm25() is lower for a better match
                statement = "SELECT rowid FROM posts_fts WHERE posts_fts MATCH :q ORDER BY bm25(posts_fts), rowid"
                bound = " ".join(f'"{term}"' for term in terms)
            else:  # MATCH … AGAINST is the relevance: higher is better
                relevance = "MATCH (title, content) AGAINST (:q IN BOOLEAN MODE)"
                statement = f"SELECT id FROM posts WHERE {relevance} ORDER BY {relevance} DESC, id"
                bound = " ".join(f'+"{term}"' for term in terms)
        rows = await session.execute(text(statement), {"q": bound})
        return [row[0] for row in rows]


class _CoreConstructs(PostSearch):
    """Right: the same index built and searched with Core constructs: a Table with a Computed(persisted=True)
    column, func.websearch_to_tsquery(...).column_valued() in FROM, and MariaDB's match().in_boolean_mode()."""

    posts = Table(
        "posts",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("title", String(200)),
        Column("content", Text),
        Column(
            "search_vector",
            TSVECTOR,
            Computed("to_tsvector('english', coalesce(title, '') || ' ' || coalesce(content, ''))", persisted=True),
        ),
    )
    gin_index = Index("ix_posts_search_vector", posts.c.search_vector, postgresql_using="gin")
    fulltext_index = Index(
        "ft_posts_title_content", posts.c.title, posts.c.content, mysql_prefix="FULLTEXT", mariadb_prefix="FULLTEXT"
    )

    async def install(self, conn: AsyncConnection) -> None:
        if conn.dialect.name == "postgresql":
            column_ddl = CreateColumn(self.posts.c.search_vector).compile(dialect=conn.dialect)
            await conn.exec_driver_sql(f"ALTER TABLE posts ADD COLUMN {column_ddl}")
            await conn.run_sync(self.gin_index.create)
        elif conn.dialect.name == "mysql":
            await conn.run_sync(self.fulltext_index.create)
        else:
            await install_search_index(conn)

    async def search(self, session: AsyncSession, query: str) -> list[int]:
        backend = session.get_bind().dialect.name
        if backend == "postgresql":
            parsed = func.websearch_to_tsquery("english", query).column_valued("query")
            vector = self.posts.c.search_vector
            statement = (
                select(self.posts.c.id)
                .where(vector.bool_op("@@")(parsed))
                .order_by(func.ts_rank(vector, parsed).desc(), self.posts.c.id)
            )
            return list((await session.scalars(statement)).all())
        if backend == "sqlite":
            return await super().search(session, query)
        kept = search_terms(query, backend)
        if not kept:
            return []
        relevance = match(
            self.posts.c.title, self.posts.c.content, against=" ".join(f'+"{term}"' for term in kept)
        ).in_boolean_mode()
        statement = select(self.posts.c.id).where(relevance).order_by(relevance.desc(), self.posts.c.id)
        return list((await session.scalars(statement)).all())


class _ExpressionIndexes(PostSearch):
    """Right: SQLite weights the title in bm25 and stems words (porter); PostgreSQL indexes an expression
    (no column) with the 'simple' configuration and ranks with ts_rank_cd; MariaDB matches word prefixes."""

    async def install(self, conn: AsyncConnection) -> None:
        if conn.dialect.name == "sqlite":
            await conn.exec_driver_sql(
                "CREATE VIRTUAL TABLE posts_fts USING fts5(title, content, content='posts', content_rowid='id', "
                "tokenize='porter unicode61')"
            )
            await conn.exec_driver_sql(
                "INSERT INTO posts_fts(rowid, title, content) SELECT id, title, content FROM posts"
            )
            await conn.exec_driver_sql(
                "CREATE TRIGGER posts_fts_ai AFTER INSERT ON posts BEGIN "
                "INSERT INTO posts_fts(rowid, title, content) VALUES (new.id, new.title, new.content); END"
            )
            await conn.exec_driver_sql(
                "CREATE TRIGGER posts_fts_ad AFTER DELETE ON posts BEGIN INSERT INTO posts_fts(posts_fts, rowid, "
                "title, content) VALUES ('delete', old.id, old.title, old.content); END"
            )
            await conn.exec_driver_sql(
                "CREATE TRIGGER posts_fts_au AFTER UPDATE ON posts BEGIN INSERT INTO posts_fts(posts_fts, rowid, "
                "title, content) VALUES ('delete', old.id, old.title, old.content); "
                "INSERT INTO posts_fts(rowid, title, content) VALUES (new.id, new.title, new.content); END"
            )
        elif conn.dialect.name == "postgresql":
            await conn.execute(
                text(
                    "CREATE INDEX ix_posts_fulltext ON posts "
                    "USING gin (to_tsvector('simple', title || ' ' || content))"
                )
            )
        else:
            await conn.execute(text("ALTER TABLE posts ADD FULLTEXT INDEX ft_posts (title, content)"))

    async def search(self, session: AsyncSession, query: str) -> list[int]:
        backend = session.get_bind().dialect.name
        if backend == "postgresql":
            rows = await session.execute(
                text(
                    "SELECT id FROM posts, websearch_to_tsquery('simple', :q) AS q "
                    "WHERE to_tsvector('simple', title || ' ' || content) @@ q "
                    "ORDER BY ts_rank_cd(to_tsvector('simple', title || ' ' || content), q) DESC, id"
                ),
                {"q": query},
            )
            return [row.id for row in rows]
        terms = search_terms(query, "sqlite")
        if backend == "sqlite":
            fts = " AND ".join('"' + term.replace('"', '""') + '"' for term in terms)
            if not fts:
                return []
            rows = await session.execute(
                text("SELECT rowid FROM posts_fts WHERE posts_fts MATCH :q ORDER BY bm25(posts_fts, 10.0, 1.0)"),
                {"q": fts},
            )
            return [row[0] for row in rows]
        required = []
        for term in terms:
            if " " in term:
                required.append(f'+"{term}"')
            elif len(term) >= 3 and term.lower() not in INNODB_STOPWORDS:
                required.append(f"+{term}*")
        if not required:
            return []
        rows = await session.execute(
            text(
                "SELECT id, MATCH (title, content) AGAINST (:q IN BOOLEAN MODE) AS score FROM posts "
                "WHERE MATCH (title, content) AGAINST (:q IN BOOLEAN MODE) ORDER BY score DESC, id"
            ),
            {"q": " ".join(required)},
        )
        return [row.id for row in rows]


class _SearchTable(PostSearch):
    """Right: a separate search table on every backend (a copy of the text), kept in sync by triggers on
    INSERT, UPDATE and DELETE; PostgreSQL weights the title above the body with setweight."""

    sync_updates = True
    sync_inserts = True

    async def install(self, conn: AsyncConnection) -> None:
        backend = conn.dialect.name
        if backend == "sqlite":
            await conn.exec_driver_sql("CREATE VIRTUAL TABLE ex14_post_search USING fts5(title, content)")
            await conn.exec_driver_sql(
                "INSERT INTO ex14_post_search(rowid, title, content) SELECT id, title, content FROM posts"
            )
            triggers = [
                "CREATE TRIGGER ex14_search_ai AFTER INSERT ON posts BEGIN INSERT INTO ex14_post_search"
                "(rowid, title, content) VALUES (new.id, new.title, new.content); END",
                "CREATE TRIGGER ex14_search_au AFTER UPDATE ON posts BEGIN UPDATE ex14_post_search "
                "SET title = new.title, content = new.content WHERE rowid = new.id; END",
                "CREATE TRIGGER ex14_search_ad AFTER DELETE ON posts BEGIN "
                "DELETE FROM ex14_post_search WHERE rowid = old.id; END",
            ]
        elif backend == "postgresql":
            await conn.exec_driver_sql(
                "CREATE TABLE ex14_post_search (post_id integer PRIMARY KEY REFERENCES posts (id) ON DELETE CASCADE, "
                "document tsvector NOT NULL)"
            )
            await conn.exec_driver_sql("CREATE INDEX ix_ex14_post_search ON ex14_post_search USING gin (document)")
            await conn.exec_driver_sql(
                "CREATE FUNCTION ex14_post_document() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                "INSERT INTO ex14_post_search (post_id, document) VALUES (NEW.id, "
                "setweight(to_tsvector('english', NEW.title), 'A') || "
                "setweight(to_tsvector('english', NEW.content), 'B')) "
                "ON CONFLICT (post_id) DO UPDATE SET document = EXCLUDED.document; RETURN NEW; END $$"
            )
            await conn.exec_driver_sql(
                "INSERT INTO ex14_post_search (post_id, document) SELECT id, "
                "setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', content), 'B') "
                "FROM posts"
            )
            events = " OR ".join(
                event for event, wanted in (("INSERT", self.sync_inserts), ("UPDATE", self.sync_updates)) if wanted
            )
            triggers = (
                [f"CREATE TRIGGER ex14_post_document AFTER {events} ON posts "
                 "FOR EACH ROW EXECUTE FUNCTION ex14_post_document()"]
                if events
                else []
            )
        else:
            await conn.exec_driver_sql(
                "CREATE TABLE ex14_post_search (post_id INTEGER PRIMARY KEY, title VARCHAR(200), content TEXT, "
                "FULLTEXT INDEX ft_ex14_post_search (title, content)) ENGINE=InnoDB"
            )
            await conn.exec_driver_sql(
                "INSERT INTO ex14_post_search (post_id, title, content) SELECT id, title, content FROM posts"
            )
            triggers = [
                "CREATE TRIGGER ex14_search_ai AFTER INSERT ON posts FOR EACH ROW "
                "INSERT INTO ex14_post_search (post_id, title, content) VALUES (NEW.id, NEW.title, NEW.content)",
                "CREATE TRIGGER ex14_search_au AFTER UPDATE ON posts FOR EACH ROW "
                "UPDATE ex14_post_search SET title = NEW.title, content = NEW.content WHERE post_id = NEW.id",
                "CREATE TRIGGER ex14_search_ad AFTER DELETE ON posts FOR EACH ROW "
                "DELETE FROM ex14_post_search WHERE post_id = OLD.id",
            ]
        if backend != "postgresql":
            triggers = [
                trigger
                for trigger in triggers
                if ("AFTER INSERT" in trigger and self.sync_inserts)
                or ("AFTER UPDATE" in trigger and self.sync_updates)
                or "AFTER DELETE" in trigger
            ]
        for trigger in triggers:
            await conn.exec_driver_sql(trigger)

    async def search(self, session: AsyncSession, query: str) -> list[int]:
        backend = session.get_bind().dialect.name
        if backend == "postgresql":
            parsed = func.websearch_to_tsquery("english", query)
            document, post_id = literal_column("document"), literal_column("post_id")
            rows = await session.execute(
                select(post_id)
                .select_from(text("ex14_post_search"))
                .where(document.bool_op("@@")(parsed))
                .order_by(func.ts_rank(document, parsed).desc(), post_id)
            )
            return [row[0] for row in rows]
        terms = search_terms(query, "sqlite")
        if not terms:
            return []
        if backend == "sqlite":
            rows = await session.execute(
                text("SELECT rowid FROM ex14_post_search WHERE ex14_post_search MATCH :q ORDER BY rank"),
                {"q": " ".join(f'"{term}"' for term in terms)},
            )
            return [row[0] for row in rows]
        kept = [term for term in terms if " " in term or (len(term) > 2 and term.lower() not in INNODB_STOPWORDS)]
        if not kept:
            return []
        rows = await session.execute(
            text(
                "SELECT post_id FROM ex14_post_search WHERE MATCH (title, content) AGAINST (:q IN BOOLEAN MODE) "
                "ORDER BY MATCH (title, content) AGAINST (:q IN BOOLEAN MODE) DESC, post_id"
            ),
            {"q": " ".join(f'+"{term}"' for term in kept)},
        )
        return [row[0] for row in rows]


class _RawQuerySyntax(PostSearch):
    """Wrong: the user's text goes straight into the backend's query syntax (to_tsquery on PostgreSQL, FTS5
    MATCH on SQLite, BOOLEAN MODE on MariaDB): a stray quote, '+' or '-' is a syntax error, a 500."""

    async def search(self, session: AsyncSession, query: str) -> list[int]:
        backend = session.get_bind().dialect.name
        if backend == "postgresql":
            # The chapter's code: match() (plainto_tsquery) to filter, to_tsquery on the raw text to rank.
            vector = literal_column("search_vector", TSVECTOR)
            statement = (
                select(Post.id)
                .where(vector.match(query, postgresql_regconfig="english"))
                .order_by(func.ts_rank(vector, func.to_tsquery("english", query)).desc())
            )
            return list((await session.scalars(statement)).all())
        if backend == "sqlite":
            rows = await session.execute(
                text("SELECT rowid FROM posts_fts WHERE posts_fts MATCH :q ORDER BY rank"), {"q": query}
            )
            return [row[0] for row in rows]
        relevance = match(Post.title, Post.content, against=query).in_boolean_mode()
        return list((await session.scalars(select(Post.id).where(relevance).order_by(relevance.desc()))).all())


class _UnescapedLike(PostSearch):
    """Wrong: LIKE '%word%' for each word, as the chapter does: '%' and '_' in the input are wildcards
    (ERRATA 7), nothing is ranked, and no index can help."""

    async def install(self, conn: AsyncConnection) -> None:
        pass  # nothing to build: that is the point of LIKE

    async def search(self, session: AsyncSession, query: str) -> list[int]:
        statement = select(Post.id).order_by(Post.id.desc())  # newest first
        for word in query.split():
            statement = statement.where(or_(Post.title.ilike(f"%{word}%"), Post.content.ilike(f"%{word}%")))
        return list((await session.scalars(statement)).all())


class _InstallsNothing(PostSearch):
    """Wrong: search() is the reference's, but install() was left empty: the FTS5 table, the tsvector column or
    the FULLTEXT index it reads does not exist."""

    async def install(self, conn: AsyncConnection) -> None:
        pass


class _FilledOnce(_SearchTable):
    """Wrong: the search table is filled once at install and never again, like a tsvector column filled by one
    UPDATE: a new or edited post is invisible to search."""

    sync_inserts = False
    sync_updates = False


class _InsertTriggerOnly(_SearchTable):
    """Wrong: a trigger copies new posts into the index, but nothing follows an UPDATE: an edited post is
    still found by its old words and not by its new ones."""

    sync_updates = False


#: Posts the checker plants: made-up words, so stemming and stopwords agree on them on every backend.
#: zorblax: the single mention comes first (lower id); plumbrix: the double mention comes first. Whatever
#: fixed order a search returns (by id, newest first), one of the two is ranked wrong.
PLANTED = {
    "zorblax_once": ("Weekly notes", "A passing mention of zorblax among many other things."),
    "zorblax_twice": ("Zorblax engines", "Tuning zorblax engines for quibbleton racing."),
    "plumbrix_twice": ("Plumbrix harvest", "The plumbrix harvest came early this year."),
    "plumbrix_once": ("Village diary", "Rain again, and a basket of plumbrix at the market."),
    "quibbleton_only": ("Quibbleton gardens", "Soil, roots and rain in spring."),
    "phrase": ("Breakfast", "Flimwick marmalade on warm toast."),
    "apart": ("Jam", "Marmalade, made by Flimwick himself."),
}
AWKWARD_QUERIES = ['C++ & (rust) OR "unclosed', "'; DROP TABLE posts; --", "%_%", '"', "-(", "a:b* | !x", "@3 ~"]


def _searcher(answer: Any) -> Any:
    if isinstance(answer, type):
        return answer()
    return answer


async def _plant(db: LessonDatabase) -> dict[str, int]:
    """Add the PLANTED posts (in its order: the ids follow it) and return their ids by key."""
    async with db.Session() as session:
        planted = {key: Post(title=title, content=content, user_id=1) for key, (title, content) in PLANTED.items()}
        session.add_all(planted.values())
        await session.commit()
        return {key: post.id for key, post in planted.items()}


async def _post_count(db: LessonDatabase) -> int:
    async with db.Session() as session:
        return await session.scalar(select(func.count()).select_from(Post))


def _titles(ids: dict[str, int]) -> Any:
    """A function showing found ids as the planted posts' titles: "'Zorblax engines', 'Weekly notes'"."""
    name = {post_id: key for key, post_id in ids.items()}

    def shown(found: Sequence[int]) -> str:
        found = list(found)
        labels = [PLANTED[name[i]][0] if i in name else f"post {i}" for i in found[:6]]
        return ", ".join(repr(label) for label in labels) + (f" … ({len(found)} posts)" if len(found) > 6 else "")

    return shown


class _Searching(Exercise):
    """What the search checkers share: run the answer's search on one query and read back a list of post ids."""

    async def _run(self, answer: Any, db: LessonDatabase, query: str) -> Any:
        raise NotImplementedError

    async def _search(self, answer: Any, db: LessonDatabase, query: str) -> list[int]:
        try:
            found = await self._run(answer, db, query)
        except (Incorrect, Unattempted):
            raise
        except Exception as error:
            message = f"search({query!r}) raised {describe(error)}"
            plain = "plumbrix"
            if query != plain:
                try:
                    await self._run(answer, db, plain)
                except (Incorrect, Unattempted):
                    raise
                except Exception as again:
                    raise Incorrect(
                        f"{message}; a plain word fails too: search({plain!r}) raised {describe(again)}."
                    ) from None
                raise Incorrect(
                    f"{message}, while search({plain!r}) runs: the characters of the input reached a query parser. "
                    "User input is not query syntax (ERRATA 6): on PostgreSQL use websearch_to_tsquery; elsewhere "
                    "keep only its words and quote each one."
                ) from None
            raise Incorrect(f"{message}.") from None
        if found is None or isinstance(found, str | bytes) or not isinstance(found, Sequence | list):
            raise Incorrect(f"search({query!r}) returned {found!r:.80}; return a list of post ids.")
        found = list(found)
        if any(not isinstance(item, int) or isinstance(item, bool) for item in found):
            raise Incorrect(
                f"search({query!r}) returned {found[:3]!r}…: return post ids (ints), e.g. [row[0] for row in rows]."
            )
        return found


# --------------------------------------------------------------------------------------------------------------
# Step 1's checker
# --------------------------------------------------------------------------------------------------------------

#: Where steps 2 and 3 look for the index, and how the checker searches it for one word.
PROBES = {
    "sqlite": ("SELECT rowid FROM posts_fts WHERE posts_fts MATCH :q", '"{}"'),
    "postgresql": ("SELECT id FROM posts WHERE search_vector @@ plainto_tsquery('english', :q)", "{}"),
    "mysql": ("SELECT id FROM posts WHERE MATCH (title, content) AGAINST (:q IN BOOLEAN MODE)", '+"{}"'),
}
#: What to build, per backend, when the probe finds nothing to search.
MISSING = {
    "sqlite": "an FTS5 table posts_fts: CREATE VIRTUAL TABLE posts_fts USING fts5(title, content, …)",
    "postgresql": "a tsvector column posts.search_vector (Computed(..., persisted=True)) and a GIN index on it",
    "mysql": "a FULLTEXT index on posts (title, content): CREATE FULLTEXT INDEX … ON posts (title, content)",
}


@register
class SearchIndex(Exercise):
    id = "14.search_index"
    title = "Full-text search, step 1: the index, kept in sync with posts"
    hints = [
        "Branch on conn.dialect.name ('sqlite', 'postgresql', 'mysql'). SQLite: CREATE VIRTUAL TABLE posts_fts USING "
        "fts5(title, content, content='posts', content_rowid='id'). PostgreSQL: ALTER TABLE posts ADD COLUMN "
        "search_vector tsvector GENERATED ALWAYS AS (to_tsvector('english', title || ' ' || content)) STORED, then "
        "CREATE INDEX … USING gin (search_vector). MariaDB: CREATE FULLTEXT INDEX … ON posts (title, content).",
        "The posts already there: after creating the FTS5 table, INSERT INTO posts_fts(posts_fts) VALUES ('rebuild') "
        "indexes them (a generated column and a FULLTEXT index fill themselves).",
        "Keeping in sync on SQLite: three triggers on posts. AFTER INSERT: INSERT INTO posts_fts(rowid, title, "
        "content) VALUES (new.id, new.title, new.content). AFTER DELETE: INSERT INTO posts_fts(posts_fts, rowid, "
        "title, content) VALUES ('delete', old.id, old.title, old.content). AFTER UPDATE: both.",
    ]
    reference = install_search_index
    right_answers = [install_search_index, _install_a_copy_with_triggers]
    wrong_answers = [_install_filled_once, _install_title_only, _install_plain_index]

    async def _probe(self, db: LessonDatabase, word: str) -> list[int]:
        statement, pattern = PROBES[db.backend]
        try:
            async with db.engine.connect() as conn:  # a connection per probe: a failed one aborts no other
                return sorted((await conn.execute(text(statement), {"q": pattern.format(word)})).scalars())
        except DBAPIError as error:
            raise Incorrect(
                f"after install, searching for {word!r} with `{statement}` raised {describe(error.orig)}: "
                f"build {MISSING[db.backend]}."
            ) from None

    async def judge(self, answer: Any, db: LessonDatabase) -> str:
        ids = await _plant(db)
        shown = _titles(ids)
        async with db.engine.begin() as conn:
            await self.call(answer, conn)
        # 1. The posts already there, by a word of the title and a word of the body.
        found = await self._probe(db, "quibbleton")
        expected = sorted([ids["quibbleton_only"], ids["zorblax_twice"]])
        if not found:
            raise Incorrect(
                "the index exists but the posts already there are not in it (a search for 'quibbleton' found "
                "nothing): fill it at install (FTS5's 'rebuild', an UPDATE, or a generated column)."
            )
        if found != expected:
            missing = [PLANTED[key][0] for key in ("quibbleton_only", "zorblax_twice") if ids[key] not in found]
            raise Incorrect(
                f"a search for 'quibbleton' found [{shown(found)}], not {missing}: 'Quibbleton gardens' has the word "
                "in its title, 'Zorblax engines' in its body. Index both title and content."
            )

        if db.backend == "postgresql":
            async with db.engine.connect() as conn:
                definitions = (await conn.execute(text("SELECT indexdef FROM pg_indexes WHERE tablename = 'posts'")))
                if not any("gin" in d.lower() and "search_vector" in d for d in definitions.scalars()):
                    raise Incorrect(
                        "there is no GIN index on posts.search_vector: without it every search reads every row. "
                        "CREATE INDEX ix_posts_search_vector ON posts USING gin (search_vector)."
                    )

        # 2. The index follows the table: a new post, an edited one, a deleted one.
        async with db.Session() as session:
            added = Post(title="Snorkelwump season", content="Snorkelwump sightings by the lake.", user_id=2)
            session.add(added)
            await session.commit()
            added_id = added.id
        if await self._probe(db, "snorkelwump") != [added_id]:
            raise Incorrect(
                "a post added after install is not in the index: follow INSERTs (an AFTER INSERT trigger, a "
                "generated column, or a FULLTEXT index, which InnoDB updates itself)."
            )
        async with db.Session() as session:
            edited = await session.get(Post, ids["quibbleton_only"])
            edited.title, edited.content = "Wintergreen gardens", "Frost and snow in winter."
            await session.commit()
        if await self._probe(db, "wintergreen") != [ids["quibbleton_only"]]:
            raise Incorrect("after an UPDATE the post's new words are not in the index: follow UPDATEs too.")
        if await self._probe(db, "quibbleton") != [ids["zorblax_twice"]]:
            raise Incorrect(
                "after an UPDATE the post is still found by the words it no longer has: remove the old text from "
                "the index when a post changes (FTS5's 'delete' command, then the new text)."
            )
        async with db.Session() as session:
            await session.delete(await session.get(Post, ids["apart"]))
            await session.commit()
        if await self._probe(db, "marmalade") != [ids["phrase"]]:
            raise Incorrect("a deleted post is still in the index: follow DELETEs too.")
        return (
            "the index holds title and content of every post, and follows INSERT, UPDATE and DELETE. "
            "Next, step 2: search it safely."
        )


# --------------------------------------------------------------------------------------------------------------
# Step 2's checker
# --------------------------------------------------------------------------------------------------------------

#: Input with no word in it: a search for it finds nothing (and raises nothing).
NO_WORDS = ["%_%", '"', "", "   ", "-(", "&|!"]


@register
class SafeSearchQuery(_Searching):
    id = "14.safe_search_query"
    title = "Full-text search, step 2: what a user typed, as a safe query"
    hints = [
        "PostgreSQL: SELECT id FROM posts WHERE search_vector @@ websearch_to_tsquery('english', :q), with the text "
        "as typed bound to :q (websearch_to_tsquery reads search-box syntax and never raises; to_tsquery does).",
        "SQLite and MariaDB: keep only the words, re.findall(r'[^\\W_]+', query), and quote each one: "
        "'\"a\" \"b\"' for FTS5's MATCH (terms side by side must all match), '+\"a\" +\"b\"' in BOOLEAN MODE (+ "
        "makes a term required). No word left: return [] without asking the database.",
        "Phrases: re.findall(r'\"([^\"]+)\"', query) first, each joined back into one quoted term; then the words of "
        "what is left (re.sub the phrases out). On MariaDB drop words under 3 letters and INNODB_STOPWORDS.",
    ]
    reference = matching_post_ids
    right_answers = [matching_post_ids, _matching_with_core]
    wrong_answers = [_matching_raw_syntax, _matching_words_only, _matching_any_word]

    def solution(self) -> None:
        super().solution()
        print("\n# which uses:\n")
        print(inspect.getsource(search_terms).rstrip())

    async def _run(self, answer: Any, db: LessonDatabase, query: str) -> Any:
        async with db.Session() as session:
            return await self.call(answer, session, query)

    async def judge(self, answer: Any, db: LessonDatabase) -> str:
        ids = await _plant(db)
        shown = _titles(ids)
        async with db.engine.begin() as conn:
            await install_search_index(conn)  # step 1's reference: the index this step reads
        total = await _post_count(db)

        # 1. Anything a user can type: no error; no word, no result.
        for query in ["python api", *AWKWARD_QUERIES, *NO_WORDS]:
            found = await self._search(answer, db, query)
            if query in NO_WORDS and found:
                raise Incorrect(
                    f"search({query!r}) returned {len(found)} posts, but there is no word in it: return [] "
                    "(and a LIKE '%…%' makes % and _ wildcards, ERRATA 7)."
                )
        if await _post_count(db) != total:
            raise Incorrect("after the awkward queries the posts table changed: never build SQL from the input.")

        # 2. Words, in any letter case: every one of them is required.
        for query, keys in (
            ("Zorblax", ["zorblax_twice", "zorblax_once"]),
            ("PLUMBRIX", ["plumbrix_twice", "plumbrix_once"]),
            ("zorblax quibbleton", ["zorblax_twice"]),
            ('zorblax & "quibbleton"', ["zorblax_twice"]),
        ):
            found = await self._search(answer, db, query)
            if sorted(found) != sorted(ids[key] for key in keys):
                raise Incorrect(
                    f"search({query!r}) returned [{shown(found)}]; expected "
                    f"{', '.join(repr(PLANTED[key][0]) for key in keys)}: every word is required, in any letter case "
                    "(FTS5 and tsquery AND the terms side by side; in BOOLEAN MODE prefix each with +)."
                )

        # 3. A quoted phrase: the words side by side; unquoted, anywhere.
        found = await self._search(answer, db, '"flimwick marmalade"')
        if found != [ids["phrase"]]:
            raise Incorrect(
                f"search('\"flimwick marmalade\"') returned [{shown(found)}]; a quoted phrase should match only "
                "'Breakfast', where the two words are side by side: keep a phrase's words together in one quoted term."
            )
        found = await self._search(answer, db, "marmalade flimwick")
        if sorted(found) != sorted([ids["phrase"], ids["apart"]]):
            raise Incorrect(
                f"search('marmalade flimwick') returned [{shown(found)}]; without quotes both 'Breakfast' and "
                "'Jam' contain both words."
            )
        return (
            "any input is safe, every word is required, and phrases stay together. Next, step 3: rank the results."
        )


# --------------------------------------------------------------------------------------------------------------
# Step 3's checker: the whole search
# --------------------------------------------------------------------------------------------------------------


@register
class FullTextSearch(_Searching):
    id = "14.full_text_search"
    title = "Full-text search, step 3: ranked, best match first (Laravel's whereFullText)"
    hints = [
        "Start from step 2's matching_post_ids and add an ORDER BY, then the id so ties keep one order: "
        "bm25(posts_fts) on SQLite (lower is better); ts_rank(search_vector, query) DESC on PostgreSQL; the "
        "MATCH (title, content) AGAINST (:q IN BOOLEAN MODE) expression DESC on MariaDB (higher is better).",
        "On PostgreSQL parse the text once, in FROM, and use it for both the filter and the rank: SELECT id FROM "
        "posts, websearch_to_tsquery('english', :q) AS query WHERE search_vector @@ query ORDER BY "
        "ts_rank(search_vector, query) DESC, id. On SQLite and MariaDB step 2's search_terms still decides what "
        "reaches MATCH.",
        "install() is step 1's install_search_index(conn): an FTS5 table posts_fts with triggers on SQLite, a "
        "stored generated tsvector column with a GIN index on PostgreSQL, a FULLTEXT index on (title, content) on "
        "MariaDB. Any other design passes too, as long as search() reads what install() built.",
    ]
    reference = PostSearch
    right_answers = [PostSearch, _CoreConstructs, _ExpressionIndexes, _SearchTable]
    wrong_answers = [_RawQuerySyntax, _UnescapedLike, _FilledOnce, _InsertTriggerOnly, _InstallsNothing]

    async def _run(self, searcher: Any, db: LessonDatabase, query: str) -> Any:
        async with db.Session() as session:
            return await self.call(searcher.search, session, query)

    async def judge(self, answer: Any, db: LessonDatabase) -> str:
        searcher = _searcher(answer)
        if not (hasattr(searcher, "install") and hasattr(searcher, "search")):
            searcher = await self.call(answer)
            if not (hasattr(searcher, "install") and hasattr(searcher, "search")):
                raise Incorrect("check() takes your class, with async install(conn) and search(session, query).")
        async with db.Session() as session:
            planted = {key: Post(title=title, content=content, user_id=1) for key, (title, content) in PLANTED.items()}
            session.add_all(planted.values())  # in PLANTED's order: the ids follow it
            await self.call(session.commit)
            ids = {key: post.id for key, post in planted.items()}
            total = await self.call(session.scalar, select(func.count()).select_from(Post))
        name = {post_id: key for key, post_id in ids.items()}

        async with db.engine.begin() as conn:
            await self.call(searcher.install, conn)

        def shown(found: list[int]) -> str:
            labels = [PLANTED[name[i]][0] if i in name else f"post {i}" for i in found[:6]]
            return ", ".join(repr(label) for label in labels) + (f" … ({len(found)} posts)" if len(found) > 6 else "")

        # 1. Anything a user can type: no error, and the wildcard characters of LIKE match nothing.
        for query in AWKWARD_QUERIES:
            found = await self._search(searcher, db, query)
            if query == "%_%" and found:
                raise Incorrect(
                    f"search('%_%') returned {len(found)} posts: % and _ matched as LIKE wildcards (ERRATA 7). "
                    "Search words with a full-text index; LIKE can neither rank nor use an index."
                )
        async with db.Session() as session:
            if await self.call(session.scalar, select(func.count()).select_from(Post)) != total:
                raise Incorrect("after the awkward queries the posts table changed: never build SQL from the input.")

        # 2. One word, any letter case: the posts that contain it, the double mention first.
        for word, twice, once in (("Zorblax", "zorblax_twice", "zorblax_once"), ("plumbrix", "plumbrix_twice",
                                                                                  "plumbrix_once")):
            found = await self._search(searcher, db, word)
            if sorted(found) != sorted([ids[twice], ids[once]]):
                raise Incorrect(
                    f"search({word!r}) returned [{shown(found)}]; expected the two posts that contain "
                    f"{word.lower()!r}: {PLANTED[twice][0]!r} and {PLANTED[once][0]!r}."
                )
            if found[0] != ids[twice]:
                raise Incorrect(
                    f"search({word!r}) put {PLANTED[once][0]!r} (one mention) before {PLANTED[twice][0]!r} (in the "
                    "title and the body): order by relevance (bm25 on SQLite, ts_rank on PostgreSQL, MATCH … "
                    "AGAINST on MariaDB), best first."
                )

        # 3. Several words: every one of them (Google's default), not any.
        found = await self._search(searcher, db, "zorblax quibbleton")
        if found != [ids["zorblax_twice"]]:
            raise Incorrect(
                f"search('zorblax quibbleton') returned [{shown(found)}]; only 'Zorblax engines' has both words: "
                "require every word (FTS5 and tsquery AND them; in BOOLEAN MODE prefix each with +)."
            )

        # 4. A quoted phrase: the words side by side; unquoted, anywhere.
        found = await self._search(searcher, db, '"flimwick marmalade"')
        if found != [ids["phrase"]]:
            raise Incorrect(
                f"search('\"flimwick marmalade\"') returned [{shown(found)}]; a quoted phrase should match only "
                "'Breakfast', where the two words are side by side."
            )
        found = await self._search(searcher, db, "marmalade flimwick")
        if sorted(found) != sorted([ids["phrase"], ids["apart"]]):
            raise Incorrect(
                f"search('marmalade flimwick') returned [{shown(found)}]; without quotes both 'Breakfast' and "
                "'Jam' contain both words."
            )

        # 5. The index follows the table: a new post, an edited one, a deleted one.
        async with db.Session() as session:
            added = Post(title="Snorkelwump season", content="Snorkelwump sightings by the lake.", user_id=2)
            session.add(added)
            await self.call(session.commit)
            added_id = added.id
        found = await self._search(searcher, db, "snorkelwump")
        if found != [added_id]:
            raise Incorrect(
                f"a post added after install() is not found (search('snorkelwump') returned [{shown(found)}]): "
                "the index must follow INSERTs (a trigger, a generated column, or a FULLTEXT index)."
            )
        async with db.Session() as session:
            edited = await self.call(session.get, Post, ids["quibbleton_only"])
            edited.title, edited.content = "Wintergreen gardens", "Frost and snow in winter."
            await self.call(session.commit)
        found = await self._search(searcher, db, "wintergreen")
        if found != [ids["quibbleton_only"]]:
            raise Incorrect(
                f"after an UPDATE, search('wintergreen') returned [{shown(found)}]: the edited post's new words are "
                "not indexed. Follow UPDATEs too (an AFTER UPDATE trigger, or a generated column)."
            )
        found = await self._search(searcher, db, "quibbleton")
        if found != [ids["zorblax_twice"]]:
            raise Incorrect(
                f"after an UPDATE, search('quibbleton') returned [{shown(found)}]: the edited post is still found by "
                "the words it no longer has. Remove the old text from the index when a post changes."
            )
        async with db.Session() as session:
            await self.call(session.delete, await self.call(session.get, Post, ids["apart"]))
            await self.call(session.commit)
        found = await self._search(searcher, db, "marmalade")
        if found != [ids["phrase"]]:
            raise Incorrect(
                f"after a DELETE, search('marmalade') returned [{shown(found)}]: a deleted post is still in the "
                "index. Follow DELETEs too."
            )
        return (
            "every word required, phrases kept together, best match first, any input accepted, and the index "
            "follows INSERT, UPDATE and DELETE."
        )
