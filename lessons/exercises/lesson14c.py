"""Exercise 14c: full-text search over posts, ranked, kept in sync with the table, on every backend, in three steps.

1. ``14.search_index``: ``install_search_index(conn)`` builds the index where steps 2 and 3 read it (SQLite an FTS5
   table ``posts_fts``, PostgreSQL a stored ``tsvector`` column ``posts.search_vector`` with a GIN index, MariaDB a
   ``FULLTEXT`` index on ``posts (title, content)``). Judged by what step 2's reference finds through it, before and
   after the checker adds, edits and deletes posts, compared with what it finds through the reference's index.
2. ``14.safe_search_query``: ``matching_post_ids(session, query)`` on the reference's index, compared with the
   reference on generated searches: words in any case, phrases, Unicode, quotes, operators, input with no word.
3. ``14.full_text_search``: a class with ``install(conn)`` and ``search(session, query)``. Any design: the ids found
   are compared as a set with the reference's (the engine's own ranking may differ between designs), and the order
   is checked where every ranking agrees: a post with the word twice, in title and body, before one that has it once.

Every world is a generated blog plus posts with made-up words (every backend's stemming and stopwords leave them
alone); the reference is engine-aware, so the answer is always compared with it on the same engine.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Column, Computed, Integer, MetaData, Table, delete, text, update
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.schema import CreateColumn

from lessons.core.database import LessonDatabase
from lessons.core.models import Post
from lessons.exercises import worlds
from lessons.exercises.differential import Call, Differential, Note, Run, raised
from lessons.exercises.framework import Incorrect, Unattempted, describe, is_stub, raised_by_answer, register
from lessons.exercises.worlds import World

# --------------------------------------------------------------------------------------------------------------
# The references: step 1's index, step 2's safe query, step 3's ranked search
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


# --------------------------------------------------------------------------------------------------------------
# The contracts
# --------------------------------------------------------------------------------------------------------------

#: Made-up words: no backend stems them or drops them as stopwords, and none is a prefix of another.
MADE_UP = ["zorblax", "quibbleton", "plumbrix", "flimwick", "snorkelwump", "grindlewop", "wintergreen", "dibbleswick",
           "crumplehorn", "mollywock", "tarquinel", "brambleduff"]
#: What users type that is no query syntax: operators, quotes, SQL, LIKE's wildcards, nothing at all.
AWKWARD = ['C++ & (rust) OR "unclosed', "'; DROP TABLE posts; --", "%_%", '"', "-(", "a:b* | !x", "@3 ~", "", "   "]


@dataclass
class SearchWorld(World):
    """A blog with planted posts: ``words`` by role, and ``ranked``: (query, stronger post id, weaker post id)."""

    words: dict[str, str] = field(default_factory=dict)
    ranked: list[tuple[str, int, int]] = field(default_factory=list)


def search_world(seed: int) -> SearchWorld:
    """The blog of ``seed`` plus posts that tell a search apart: title-only and body-only words, a phrase and its
    words apart, a word at the seam of title and body, two strong/weak pairs in both id orders, a word in 12 posts."""
    blog = worlds.blog_world(seed)
    world = SearchWorld(seed=blog.seed, now=blog.now, rng=blog.rng, rows=blog.rows)
    rng = world.rng
    w = dict(zip(["once", "pair", "title", "seam_end", "seam_start", "phrase_a", "phrase_b", "many", "added",
                  "edited", "other"], rng.sample(MADE_UP, 11), strict=True))
    world.words = w
    author = rng.choice(world.rows["users"][1:] or world.rows["users"])["id"]

    def post(title: str, content: str) -> int:
        return world.add("posts", title=title, content=content, user_id=author, published=True)["id"]

    weak = post("Weekly notes", f"A passing mention of {w['once']} among many other things.")
    strong = post(f"{w['once'].title()} engines", f"Tuning {w['once']} engines for {w['pair']} racing.")
    strong_first = post(f"{w['other'].title()} harvest", f"The {w['other']} harvest came early this year.")
    weak_last = post("Village diary", f"Rain again, and a basket of {w['other']} at the market.")
    world.ranked = [(w["once"], strong, weak), (w["other"].upper(), strong_first, weak_last)]
    post(f"{w['title'].title()} gardens", "Soil, roots and rain in spring.")
    post(f"Notes on {w['seam_end']}", f"{w['seam_start']} and more")
    post("Breakfast", f"{w['phrase_a'].title()} {w['phrase_b']} on warm toast.")
    post("Jam", f"{w['phrase_b'].title()}, made by {w['phrase_a'].title()} himself.")
    post("Crème brûlée", "Zoë's café, naïve and déjà vu; O'Brien said it's fine.")
    for number in range(12):
        post(f"{w['many']} {number}", " ".join([w["many"]] * rng.randint(1, 3) + rng.sample(worlds._WORDS, 3)))
    return world


def _queries(world: SearchWorld) -> list[Call]:
    """The searches a step-2 or step-3 answer is compared on (words of this world, in its own letter cases)."""
    w, rng = world.words, world.rng
    typed = [
        (rng.choice([str.upper, str.title, str.lower])(w["once"]), "a word in any letter case"),
        (f"{w['once']} {w['pair']}", "two words, both required"),
        (f'{w["once"]} & "{w["pair"]}"', "words among operators"),
        (w["title"], "a word of a title only"),
        (f"{w['pair'].title()}", "a word of a body only"),
        (f'"{w["phrase_a"]} {w["phrase_b"]}"', "a quoted phrase"),
        (f"{w['phrase_b']} {w['phrase_a']}", "the phrase's words apart"),
        (w["seam_end"], "the last word of a title"),
        (w["many"], "a word in 12 posts"),
        (rng.choice(["crème", "CAFÉ", "naïve"]), "accented letters"),
        ("O'Brien", "an apostrophe"),
        (rng.choice(["zzzqx", f"{w['once']} zzzqx"]), "a word no post has"),
        *((query, "input that is no query syntax") for query in rng.sample(AWKWARD, 5)),
    ]
    return [Call((query,), about=about) for query, about in typed]


def _probes(world: SearchWorld) -> tuple[list[str], list[str]]:
    """The words step 1 is probed with: before the checker's changes, and after them."""
    w = world.words
    before = [w["title"], w["pair"], w["seam_end"], w["seam_start"], w["phrase_b"], "crème", w["many"]]
    return before, [w["added"], w["edited"], w["title"], w["phrase_b"], w["many"]]


async def change_posts(db: LessonDatabase, world: SearchWorld) -> None:
    """What the checker does to posts after install: one added, one edited (new words), one deleted."""
    w, posts = world.words, world.rows["posts"]
    titled = next(row["id"] for row in posts if row["title"].startswith(w["title"].title()))
    jam = next(row["id"] for row in posts if row["title"] == "Jam")
    async with db.Session() as session:
        author = posts[-1]["user_id"]
        session.add(Post(title=f"{w['added'].title()} season", content="Sightings by the lake.", user_id=author))
        edit = update(Post).where(Post.id == titled).values(title=f"{w['edited']} gardens", content="Frost and snow.")
        await session.execute(edit)
        await session.execute(delete(Post).where(Post.id == jam))
        await session.commit()


async def _install(exercise: Differential, install: Callable[..., Any], db: LessonDatabase, run: Run,
                   answer: bool) -> None:
    """Run an install on its own transaction; an error is recorded as the answer's (the searches still run)."""
    try:
        async with db.engine.begin() as conn:
            await (exercise.call(install, conn) if answer else install(conn))
    except (Incorrect, Unattempted):
        raise
    except Exception as error:
        if answer and not raised_by_answer(error):
            raise
        run.results.append(("install(conn)", raised(error)))
        return
    run.results.append(("install(conn)", None))


#: Where steps 2 and 3 read the index, per backend: named when a search through it fails.
READS = {
    "sqlite": "the FTS5 table posts_fts, whose rowid is the post's id",
    "postgresql": "the column posts.search_vector",
    "mysql": "a FULLTEXT index on posts (title, content), both columns in one index",
}


@register
class SearchIndex(Differential):
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
    ordered = False
    compared_tables = worlds.BLOG_TABLES
    free_columns = {"posts": {"search_vector"}}  # its weights and configuration are the answer's choice

    def world(self, seed: int) -> World:
        return search_world(seed)

    async def run(self, function: Callable[..., Any], db: LessonDatabase, world: World, run: Run, answer: bool) -> None:
        assert isinstance(world, SearchWorld)
        await _install(self, function, db, run, answer)
        before, after = _probes(world)
        for word in before:
            await self._probe(db, word, "after install", run)
        try:
            await change_posts(db, world)
            run.results.append(("adding, editing and deleting posts after install", None))
        except Exception as error:
            run.results.append(("adding, editing and deleting posts after install", raised(error)))
        for word in after:
            await self._probe(db, word, "after a post was added, one edited and one deleted", run)
        if db.backend == "postgresql":
            async with db.engine.connect() as conn:
                definitions = (await conn.scalars(text("SELECT indexdef FROM pg_indexes WHERE tablename = 'posts'")))
                gin = [d for d in definitions if "gin" in d.lower() and "(search_vector)" in d]
            seen = "a GIN index on search_vector" if gin else "no GIN index on search_vector (a search reads every row)"
            run.results.append(("the indexes on posts", Note(seen)))

    def passed(self, runs: list[Run]) -> str:
        return (
            f"step 2's searches find the same posts through your index as through the reference's, on {len(runs)} "
            "generated databases: the posts already there (words of titles, of bodies, at their seam), then after "
            "a post was added, one edited and one deleted. Next, step 2: search it safely."
        )

    async def _probe(self, db: LessonDatabase, word: str, when: str, run: Run) -> None:
        async with db.Session() as session:
            try:
                found: Any = sorted(await matching_post_ids(session, word))
            except Exception as error:
                found = Note(f"an error, {describe(getattr(error, 'orig', error))} (step 2 reads {READS[db.backend]})")
        run.results.append((f"{when}, step 2's search for {word!r}", found))
        run.abouts.append("")


@register
class SafeSearchQuery(Differential):
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
    ordered = False  # "in any order"
    compared_tables = worlds.BLOG_TABLES
    free_columns = {"posts": {"search_vector"}}

    def solution(self) -> None:
        super().solution()
        print("\n# which uses:\n")
        import inspect

        print(inspect.getsource(search_terms).rstrip())

    def world(self, seed: int) -> World:
        return search_world(seed)

    def passed(self, runs: list[Run]) -> str:
        return (
            f"the same posts as the reference for {sum(len(run.results) for run in runs)} searches on {len(runs)} "
            "generated databases: words in any letter case, every word required, phrases, accents, apostrophes, and "
            "input that is no query syntax. Next, step 3: rank the results."
        )

    def calls(self, world: World) -> list[Call]:
        assert isinstance(world, SearchWorld)
        return _queries(world)

    async def run(self, function: Callable[..., Any], db: LessonDatabase, world: World, run: Run, answer: bool) -> None:
        async with db.engine.begin() as conn:
            await install_search_index(conn)  # step 1's reference: the index this step reads
        await super().run(function, db, world, run, answer)


@register
class FullTextSearch(Differential):
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
    ordered = False  # any design ranks in its own way: the order is checked in properties(), where all agree
    compared_tables = worlds.BLOG_TABLES
    free_columns = {"posts": {"search_vector"}}

    def world(self, seed: int) -> World:
        return search_world(seed)

    def function_name(self) -> str:
        return "search"

    async def run(self, function: Callable[..., Any], db: LessonDatabase, world: World, run: Run, answer: bool) -> None:
        assert isinstance(world, SearchWorld)
        searcher = function
        if isinstance(function, type):
            searcher = await self.call(function) if answer else function()
        if not (hasattr(searcher, "install") and hasattr(searcher, "search")):
            if is_stub(function):  # the untouched stub of a function: nothing written yet
                raise Unattempted
            raise Incorrect("check() takes your class, with async install(conn) and search(session, query).")
        await _install(self, searcher.install, db, run, answer)
        queries = _queries(world) + [Call((query,), about="the ranking") for query, _, _ in world.ranked]
        for call in queries:
            run.abouts.append(call.about)
            async with db.Session() as session:
                await self.one_call(searcher.search, session, call.args, call.named("search"), run, answer)
        try:
            await change_posts(db, world)
            run.results.append(("adding, editing and deleting posts after install()", None))
        except Exception as error:
            run.results.append(("adding, editing and deleting posts after install()", raised(error)))
        for word in _probes(world)[1]:
            async with db.Session() as session:
                label = f"after a post was added, one edited and one deleted, search(session, {word!r})"
                await self.one_call(searcher.search, session, (word,), label, run, answer)

    def passed(self, runs: list[Run]) -> str:
        return (
            f"the same posts as the reference for {sum(len(run.results) for run in runs) - 2 * len(runs)} searches on "
            f"{len(runs)} generated databases, the stronger match first, and the index follows an added, an edited "
            "and a deleted post."
        )

    def properties(self, reference: Run, answer: Run, world: World) -> str | None:
        assert isinstance(world, SearchWorld)
        found = dict(answer.results)
        for query, strong, weak in world.ranked:
            ids = found.get(f"search(session, {query!r})")
            if isinstance(ids, list) and strong in ids and weak in ids and ids.index(weak) < ids.index(strong):
                return (
                    f"search(session, {query!r}) put post {weak} (the word once, in its body) before post {strong} "
                    "(in its title and its body): order by relevance, best first (bm25 on SQLite, ts_rank on "
                    "PostgreSQL, MATCH … AGAINST on MariaDB), then by id."
                )
        return None
