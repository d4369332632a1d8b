"""Known answers the checkers' authors wrote (moved from lessons/exercises/), with their verdicts."""

from __future__ import annotations

import re
from datetime import date, datetime
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
    event,
    func,
    insert,
    inspect,
    literal_column,
    or_,
    select,
    table,
    text,
)
from sqlalchemy.dialects.mysql import match
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import Mapper, Session, UOWTransaction, object_session
from sqlalchemy.schema import CreateColumn

from lessons.core.models import Post
from lessons.exercises.lesson14c import INNODB_STOPWORDS, search_terms
from lessons.exercises.lesson14d import current_user
from tests.answers import right, wrong

_SEARCHABLE = table("posts", column("id"), column("title"), column("content"), column("search_vector"))


def _changes(target: Any, action: str, old_values: bool = True) -> dict[str, list[Any]]:
    """What changed, as the reference computes it (the wrong audit answers share it)."""
    changes = {}
    for attr in inspect(target).attrs:
        if action == "update":
            if attr.history.has_changes():
                old = next(iter(attr.history.deleted), None) if old_values else None
                changes[attr.key] = [old, next(iter(attr.history.added), None)]
        elif attr.value is not None:
            changes[attr.key] = [None, attr.value] if action == "insert" else [attr.value, None]
    return changes


def _actor(target: Any) -> int | None:
    session = object_session(target)
    return session.info.get("user_id") if session is not None else None


def _listen_all(model: type, write: Any) -> None:
    for action in ("insert", "update", "delete"):

        def listener(mapper: Mapper[Any], connection: Connection, target: Any, action: str = action) -> None:
            if action != "update" or _changes(target, action):  # after_update fires with no net change too
                write(connection, target, action)

        event.listen(model, f"after_{action}", listener)


@right("14.search_index")
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


@right("14.search_index")
async def install_a_copy_with_triggers(conn: AsyncConnection) -> None:
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


@wrong("14.search_index", "a copy filled once: new and edited posts never reach it")
async def install_filled_once(conn: AsyncConnection) -> None:
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


@wrong("14.search_index", "indexes the title only")
async def install_title_only(conn: AsyncConnection) -> None:
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


@wrong("14.search_index", "an ordinary index on the title: no full-text index")
async def install_plain_index(conn: AsyncConnection) -> None:
    """Wrong: an ordinary index on the title (Laravel's $table->index('title')): it helps = and LIKE 'abc%', not
    a search for words; there is no posts_fts, search_vector or FULLTEXT index to search."""
    await conn.exec_driver_sql("CREATE INDEX ix_posts_title_words ON posts (title)")


@right("14.safe_search_query")
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


@right("14.safe_search_query")
async def matching_with_core(session: AsyncSession, query: str) -> list[int]:
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


@wrong("14.safe_search_query", "user input handed to the query parser")
async def matching_raw_syntax(session: AsyncSession, query: str) -> list[int]:
    """Wrong: the user's text goes straight to the backend's query parser (to_tsquery, FTS5 MATCH, BOOLEAN
    MODE): 'python api', a stray quote, '+' or '(' is a syntax error, a 500 (ERRATA 6)."""
    backend = session.get_bind().dialect.name
    statement = {
        "postgresql": "SELECT id FROM posts WHERE search_vector @@ to_tsquery('english', :q)",
        "sqlite": "SELECT rowid FROM posts_fts WHERE posts_fts MATCH :q",
    }.get(backend, "SELECT id FROM posts WHERE MATCH (title, content) AGAINST (:q IN BOOLEAN MODE)")
    return [row[0] for row in await session.execute(text(statement), {"q": query})]


@wrong("14.safe_search_query", "quoted phrase treated as separate words")
async def matching_words_only(session: AsyncSession, query: str) -> list[int]:
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


@wrong("14.safe_search_query", "any word matches, not every word")
async def matching_any_word(session: AsyncSession, query: str) -> list[int]:
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


@right("14.full_text_search")
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


@right("14.full_text_search")
class CoreConstructs(PostSearch):
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


@right("14.full_text_search")
class ExpressionIndexes(PostSearch):
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


@right("14.full_text_search")
class SearchTable(PostSearch):
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


@wrong("14.full_text_search", "user input handed to the query parser")
class RawQuerySyntax(PostSearch):
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


@wrong("14.full_text_search", "LIKE with the input as a pattern, unranked")
class UnescapedLike(PostSearch):
    """Wrong: LIKE '%word%' for each word, as the chapter does: '%' and '_' in the input are wildcards
    (ERRATA 7), nothing is ranked, and no index can help."""

    async def install(self, conn: AsyncConnection) -> None:
        pass  # nothing to build: that is the point of LIKE

    async def search(self, session: AsyncSession, query: str) -> list[int]:
        statement = select(Post.id).order_by(Post.id.desc())  # newest first
        for word in query.split():
            statement = statement.where(or_(Post.title.ilike(f"%{word}%"), Post.content.ilike(f"%{word}%")))
        return list((await session.scalars(statement)).all())


@wrong("14.full_text_search", "search table filled once, never kept in sync")
class FilledOnce(SearchTable):
    """Wrong: the search table is filled once at install and never again, like a tsvector column filled by one
    UPDATE: a new or edited post is invisible to search."""

    sync_inserts = False
    sync_updates = False


@wrong("14.full_text_search", "edits not followed: an insert trigger only")
class InsertTriggerOnly(SearchTable):
    """Wrong: a trigger copies new posts into the index, but nothing follows an UPDATE: an edited post is
    still found by its old words and not by its new ones."""

    sync_updates = False


@wrong("14.full_text_search", "install() builds nothing")
class InstallsNothing(PostSearch):
    """Wrong: search() is the reference's, but install() was left empty: the FTS5 table, the tsvector column or
    the FULLTEXT index it reads does not exist."""

    async def install(self, conn: AsyncConnection) -> None:
        pass


@right("14.audit_log")
def track_changes(model: type, audit_log: type) -> None:
    """The reference: mapper events write the log on the flush's own connection, so it shares the transaction."""
    columns = [attribute.key for attribute in inspect(model).column_attrs]

    def plain(value: Any) -> Any:  # JSON has no dates: store them as ISO text
        return value.isoformat() if isinstance(value, date | datetime) else value

    def record(connection: Connection, target: Any, action: str, changes: dict[str, list[Any]]) -> None:
        session = object_session(target)
        connection.execute(
            insert(audit_log).values(
                table_name=model.__tablename__,
                record_id=target.id,
                action=action,
                changes=changes,
                user_id=session.info.get("user_id") if session is not None else None,
            )
        )

    @event.listens_for(model, "after_insert")
    def audit_insert(mapper: Mapper[Any], connection: Connection, target: Any) -> None:
        values = {key: [None, plain(getattr(target, key))] for key in columns if getattr(target, key) is not None}
        record(connection, target, "insert", values)

    @event.listens_for(model, "after_update")
    def audit_update(mapper: Mapper[Any], connection: Connection, target: Any) -> None:
        state, changes = inspect(target), {}
        for key in columns:
            history = state.attrs[key].history  # still holds the old value until the flush ends
            if history.has_changes():
                old = history.deleted[0] if history.deleted else None
                new = history.added[0] if history.added else None
                changes[key] = [plain(old), plain(new)]
        if changes:  # after_update also fires for objects with no net change
            record(connection, target, "update", changes)

    @event.listens_for(model, "after_delete")
    def audit_delete(mapper: Mapper[Any], connection: Connection, target: Any) -> None:
        values = {key: [plain(getattr(target, key)), None] for key in columns if getattr(target, key) is not None}
        record(connection, target, "delete", values)


@right("14.audit_log")
def right_after_flush(model: type, audit_log: type) -> None:
    """Right: one session event after the flush (ids assigned, history still there) adds AuditLog objects,
    which the same commit flushes in the same transaction."""
    table = model.__tablename__

    def row_changes(obj: Any, action: str) -> dict[str, list[Any]]:
        changes = {}
        for attribute in inspect(obj).mapper.column_attrs:
            history = inspect(obj).attrs[attribute.key].history
            if action == "update" and not history.has_changes():
                continue
            current = getattr(obj, attribute.key)
            old = (history.deleted or [None])[0] if action == "update" else (current if action == "delete" else None)
            new = None if action == "delete" else current
            changes[attribute.key] = [old, new]
        return changes

    def log(session: Session, flush_context: UOWTransaction) -> None:
        actor = session.info.get("user_id")
        batches = (("insert", session.new), ("update", session.dirty), ("delete", session.deleted))
        for action, objects in batches:
            for obj in objects:
                if isinstance(obj, model) and (changes := row_changes(obj, action)):
                    session.add(
                        audit_log(table_name=table, record_id=obj.id, action=action, changes=changes, user_id=actor)
                    )

    # Filtered to `model`: a global Session listener that ignores every other class.
    event.listen(Session, "after_flush", log)


@right("14.audit_log")
def right_before_flush_and_after_insert(model: type, audit_log: type) -> None:
    """Right: updates and deletes are logged before the flush (their ids are known), inserts after it (the id
    exists only then); Laravel's action names (created/updated/deleted), the Core table, and the acting user
    from a context variable instead of the session."""
    log_table = audit_log.__table__

    def changed(obj: Any) -> dict[str, list[Any]]:
        return {
            attr.key: [next(iter(attr.history.deleted), None), next(iter(attr.history.added), None)]
            for attr in inspect(obj).attrs
            if attr.history.has_changes()
        }

    def entry(session: Session, obj: Any, action: str, changes: dict[str, list[Any]]) -> Any:
        return audit_log(
            table_name=model.__tablename__,
            record_id=obj.id,
            action=action,
            changes=changes,
            user_id=current_user.get(),
        )

    @event.listens_for(Session, "before_flush")
    def updates_and_deletes(session: Session, flush_context: UOWTransaction, instances: Any) -> None:
        for obj in list(session.dirty):
            if isinstance(obj, model) and session.is_modified(obj):
                session.add(entry(session, obj, "updated", changed(obj)))
        for obj in list(session.deleted):
            if isinstance(obj, model):
                gone = {attr.key: [attr.value, None] for attr in inspect(obj).attrs if attr.value is not None}
                session.add(entry(session, obj, "deleted", gone))

    @event.listens_for(model, "after_insert")
    def inserts(mapper: Mapper[Any], connection: Connection, target: Any) -> None:
        values = {attr.key: [None, attr.value] for attr in inspect(target).attrs if attr.value is not None}
        connection.execute(
            log_table.insert(),
            {
                "table_name": model.__tablename__,
                "record_id": target.id,
                "action": "created",
                "changes": values,
                "user_id": current_user.get(),
            },
        )


@wrong("14.audit_log", "inserts logged before the flush: no id yet")
def wrong_logged_before_flush(model: type, audit_log: type) -> None:
    """Wrong: everything is logged in before_flush, where a new row has no id yet (record_id is None)."""

    @event.listens_for(Session, "before_flush")
    def log(session: Session, flush_context: UOWTransaction, instances: Any) -> None:
        for action, objects in (("insert", session.new), ("update", session.dirty), ("delete", session.deleted)):
            for obj in list(objects):
                if isinstance(obj, model):
                    session.add(
                        audit_log(
                            table_name=model.__tablename__,
                            record_id=obj.id,
                            action=action,
                            changes=_changes(obj, action),
                            user_id=session.info.get("user_id"),
                        )
                    )


@wrong("14.audit_log", "an update loses the old values")
def wrong_new_values_only(model: type, audit_log: type) -> None:
    """Wrong: an update is logged with its new values only: what the row held before is lost."""

    def write(connection: Connection, target: Any, action: str) -> None:
        connection.execute(
            insert(audit_log).values(
                table_name=model.__tablename__,
                record_id=target.id,
                action=action,
                changes=_changes(target, action, old_values=False),
                user_id=_actor(target),
            )
        )

    _listen_all(model, write)


@wrong("14.audit_log", "written on another connection: survives a rollback")
def wrong_separate_connection(model: type, audit_log: type) -> None:
    """Wrong: the audit row is written on a second connection, in a transaction of its own: it survives the
    rollback of the change it describes (on SQLite it waits for the session's lock, then fails)."""

    def write(connection: Connection, target: Any, action: str) -> None:
        with connection.engine.begin() as own:  # a new connection from the pool, committed on its own
            own.execute(
                insert(audit_log).values(
                    table_name=model.__tablename__,
                    record_id=target.id,
                    action=action,
                    changes=_changes(target, action),
                    user_id=_actor(target),
                )
            )

    _listen_all(model, write)


@wrong("14.audit_log", "deletes are not logged")
def wrong_no_delete(model: type, audit_log: type) -> None:
    """Wrong: the chapter's hint, finished: after_insert and after_update, and nothing when a row is deleted."""

    def write(connection: Connection, target: Any, action: str) -> None:
        connection.execute(
            insert(audit_log).values(
                table_name=model.__tablename__,
                record_id=target.id,
                action=action,
                changes=_changes(target, action),
                user_id=_actor(target),
            )
        )

    for action in ("insert", "update"):

        def listener(mapper: Mapper[Any], connection: Connection, target: Any, action: str = action) -> None:
            if action != "update" or _changes(target, action):  # after_update fires with no net change too
                write(connection, target, action)

        event.listen(model, f"after_{action}", listener)


@wrong("14.audit_log", "an update logs every column, changed or not")
def wrong_every_column_on_update(model: type, audit_log: type) -> None:
    """Wrong: an update logs every column, [old, new], whether it changed or not."""

    def write(connection: Connection, target: Any, action: str) -> None:
        state = inspect(target)
        if action == "update":
            changes = {}
            for attr in state.attrs:
                old = next(iter(attr.history.deleted), None) if attr.history.deleted else attr.value
                changes[attr.key] = [old, attr.value]
        else:
            changes = _changes(target, action)
        connection.execute(
            insert(audit_log).values(
                table_name=model.__tablename__,
                record_id=target.id,
                action=action,
                changes=changes,
                user_id=_actor(target),
            )
        )

    _listen_all(model, write)

