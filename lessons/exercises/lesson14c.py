"""Exercise 14.3: full-text search over posts, ranked, kept in sync with the table, on every backend.

The learner's answer is a class (or an object) with two coroutines:

- ``install(conn)`` creates what the backend needs on an :class:`~sqlalchemy.ext.asyncio.AsyncConnection`:
  SQLite an FTS5 table kept in sync by triggers; PostgreSQL a stored ``tsvector`` column (``Computed(...,
  persisted=True)``) with a GIN index; MariaDB a ``FULLTEXT`` index.
- ``search(session, query)`` returns the ids of the matching posts, best match first.

The checker plants posts with made-up words (so every backend's stemming and stopwords agree on them), then
judges what ``search`` returns: punctuation-heavy input never raises and ``%_%`` matches nothing, every word
must match, a quoted phrase matches only adjacent words, a post mentioning the word twice (title and body)
ranks above a single mention, and posts inserted, updated or deleted after ``install`` are found (or not).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
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
    func,
    literal_column,
    or_,
    select,
    text,
)
from sqlalchemy.dialects.mysql import match
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.schema import CreateColumn

from lessons.database import LessonDatabase
from lessons.exercises.framework import Exercise, Incorrect, Unattempted, register
from lessons.models import Post
from lessons.traps import describe


class PostSearch:
    """Search posts by title and content: FTS5 on SQLite, tsvector on PostgreSQL, FULLTEXT on MariaDB."""

    WORD = re.compile(r"[^\W_]+")  # letters and digits: every operator character is dropped
    PHRASE = re.compile(r'"([^"]+)"')  # a closed "quoted phrase"; a lone " is just punctuation
    # InnoDB indexes no word shorter than innodb_ft_min_token_size (3) and none of its stopwords, so a
    # required "+the" would match nothing: leave such words out of a MariaDB query.
    INNODB_STOPWORDS = frozenset(
        {"a", "about", "an", "are", "as", "at", "be", "by", "com", "de", "en", "for", "from", "how", "i", "in", "is",
         "it", "la", "of", "on", "or", "that", "the", "this", "to", "und", "was", "what", "when", "where", "who",
         "will", "with", "www"}
    )

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

    def terms(self, query: str) -> list[str]:
        """The quoted phrases, then the other words, with no operator left: 'C++ "a b"' → ['a b', 'C']."""
        phrases = [" ".join(self.WORD.findall(phrase)) for phrase in self.PHRASE.findall(query)]
        words = self.WORD.findall(self.PHRASE.sub(" ", query))
        return [term for term in phrases + words if term]

    async def install(self, conn: AsyncConnection) -> None:
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
            # A stored generated column: PostgreSQL recomputes it on every INSERT and UPDATE.
            column = CreateColumn(self.posts.c.search_vector).compile(dialect=conn.dialect)
            await conn.exec_driver_sql(f"ALTER TABLE posts ADD COLUMN {column}")
            await conn.run_sync(self.gin_index.create)
        else:
            await conn.run_sync(self.fulltext_index.create)  # InnoDB keeps it in sync at each COMMIT

    async def search(self, session: AsyncSession, query: str) -> list[int]:
        backend = session.get_bind().dialect.name
        if backend == "postgresql":
            # One parsed query, in FROM, used by both the filter and the rank; websearch syntax never raises.
            parsed = func.websearch_to_tsquery("english", query).column_valued("query")
            vector = self.posts.c.search_vector
            statement = (
                select(self.posts.c.id)
                .where(vector.bool_op("@@")(parsed))
                .order_by(func.ts_rank(vector, parsed).desc(), self.posts.c.id)
            )
            return list((await session.scalars(statement)).all())
        terms = self.terms(query)
        if backend == "sqlite":
            if not terms:
                return []
            quoted = " ".join(f'"{term}"' for term in terms)  # each term a phrase: implicit AND, no syntax
            rows = await session.execute(
                text("SELECT rowid FROM posts_fts WHERE posts_fts MATCH :query ORDER BY bm25(posts_fts), rowid"),
                {"query": quoted},
            )
            return [row[0] for row in rows]
        kept = [
            term for term in terms if " " in term or (len(term) >= 3 and term.lower() not in self.INNODB_STOPWORDS)
        ]
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
        terms = self.terms(query)
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
            elif len(term) >= 3 and term.lower() not in self.INNODB_STOPWORDS:
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
        terms = self.terms(query)
        if not terms:
            return []
        if backend == "sqlite":
            rows = await session.execute(
                text("SELECT rowid FROM ex14_post_search WHERE ex14_post_search MATCH :q ORDER BY rank"),
                {"q": " ".join(f'"{term}"' for term in terms)},
            )
            return [row[0] for row in rows]
        kept = [term for term in terms if " " in term or (len(term) > 2 and term.lower() not in self.INNODB_STOPWORDS)]
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


# --------------------------------------------------------------------------------------------------------------
# The checker
# --------------------------------------------------------------------------------------------------------------

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


@register
class FullTextSearch(Exercise):
    id = "14.full_text_search"
    title = "Full-text search (Laravel's whereFullText)"
    hints = [
        "Branch on conn.dialect.name in install() and on session.get_bind().dialect.name in search(). SQLite: an "
        "FTS5 virtual table (content='posts', content_rowid='id') plus AFTER INSERT/UPDATE/DELETE triggers, "
        "ranked with ORDER BY bm25(posts_fts). PostgreSQL: ALTER TABLE posts ADD COLUMN ... TSVECTOR "
        "GENERATED ALWAYS AS (to_tsvector(...)) STORED, and a GIN index. MariaDB: a FULLTEXT index on "
        "(title, content).",
        "Never hand the user's text to a query parser: on PostgreSQL use websearch_to_tsquery('english', q) (it "
        "accepts anything), once, for both `@@` and ts_rank; on SQLite and MariaDB keep only the words "
        "(re.findall(r'[^\\W_]+', q)) and wrap each in double quotes: '\"a\" \"b\"' in FTS5, '+\"a\" +\"b\"' in "
        "BOOLEAN MODE (all words required).",
        "Keep quoted phrases together: re.findall(r'\"([^\"]+)\"', q) first, then the words of what is left. On "
        "MariaDB drop words shorter than 3 letters and InnoDB's stopwords: a required '+the' matches nothing. "
        "After the FTS5 table exists, INSERT INTO posts_fts(posts_fts) VALUES ('rebuild') indexes the old rows.",
    ]
    reference = PostSearch
    right_answers = [PostSearch, _ExpressionIndexes, _SearchTable]
    wrong_answers = [_RawQuerySyntax, _UnescapedLike, _FilledOnce, _InsertTriggerOnly, _InstallsNothing]

    async def _search(self, searcher: Any, db: LessonDatabase, query: str) -> list[int]:
        try:
            found = await self._run(searcher, db, query)
        except (Incorrect, Unattempted):
            raise
        except Exception as error:
            message = f"search({query!r}) raised {describe(error)}"
            plain = "plumbrix"
            if query != plain:
                try:
                    await self._run(searcher, db, plain)
                except (Incorrect, Unattempted):
                    raise
                except Exception as again:
                    raise Incorrect(
                        f"{message}; a plain word fails too: search({plain!r}) raised {describe(again)}."
                    ) from None
                raise Incorrect(
                    f"{message}, while search({plain!r}) runs: the characters of the input reached a query parser. "
                    "User input is not query syntax: on PostgreSQL use websearch_to_tsquery; elsewhere keep only "
                    "its words and quote each one."
                ) from None
            raise Incorrect(f"{message}.") from None
        if found is None or isinstance(found, str | bytes) or not isinstance(found, Sequence | list):
            raise Incorrect(f"search({query!r}) returned {found!r:.80}; return a list of post ids, best match first.")
        found = list(found)
        if any(not isinstance(item, int) or isinstance(item, bool) for item in found):
            raise Incorrect(
                f"search({query!r}) returned {found[:3]!r}…: return post ids (ints), e.g. [row.id for row in rows]."
            )
        return found

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
