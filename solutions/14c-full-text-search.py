# %% [markdown]
# # 14c · Full-text search: Laravel's `whereFullText`, on three databases
#
# [Contents](00-setup.ipynb#Course-map) · Previous: [← 14b · Repository](14b-repository.ipynb) · Next: [14d · Audit log →](14d-audit-log.ipynb)
#
# The third of lesson 14's four exercises. Each exercise names the Laravel feature, gives you a stub to complete, and checks it with `await ….check(...)`:
# the checker runs your code **on a fresh database of its own** and judges what it does (rows, errors, what survives
# a rollback), so any correct design passes, not only ours. Stuck? `.hint()`, then `.hint(2)`; `.solution()` prints
# one answer.
#
# Here you build a search over posts' titles and bodies: an index that follows the table, a query that accepts
# anything a user types, and results ranked best first, on SQLite, PostgreSQL and MariaDB. It comes in three steps,
# each with its own stub and its own check.
#
# **You will learn**
# - why `LIKE '%…%'` is not a search, and what a full-text index is on each database
# - SQLite FTS5 kept in sync by triggers, a PostgreSQL stored generated `tsvector` (`Computed(..., persisted=True)`)
#   with a GIN index, a MariaDB `FULLTEXT` index
# - turning what a user typed into a safe query: `websearch_to_tsquery`, or quoted words (ERRATA 6)
# - ranking: `bm25()`, `ts_rank`, `MATCH … AGAINST`
#
# **Time:** about 40 minutes.

# %% [markdown]
# ## Your lesson database
#
# A fresh copy of the seeded blog (200 users, 1,000 posts), clock frozen at 2025-01-15 09:00 UTC. The checkers
# never touch it: each builds its own.

# %%
from lessons import clock, fresh_database

clock.freeze()
db = await fresh_database("14c-full-text-search")
db

# %% [markdown]
# ## The Laravel feature
#
# A full-text index in the migration, and `whereFullText()` in the query (MySQL/MariaDB and PostgreSQL; Laravel has
# none for SQLite):
#
# ```php
# Schema::table('posts', function (Blueprint $table) {
#     $table->fullText(['title', 'content']);
# });
#
# Post::whereFullText(['title', 'content'], $request->input('q'))->get();
# ```
#
# ### Careful: `LIKE '%…%'` is not a search
#
# The chapter falls back to `ilike(f"%{query}%")` on SQLite and MySQL. It is injection-safe (a bound parameter),
# but it cannot use an index, cannot rank, and `%` and `_` in the user's text are wildcards (ERRATA 7):

# %%
from sqlalchemy import func, or_, select

from lessons import Post, exercises

query = "%"
async with db.Session() as session:
    total = await session.scalar(select(func.count()).select_from(Post))
    matched = await session.scalar(
        select(func.count())
        .select_from(Post)
        .where(or_(Post.title.ilike(f"%{query}%"), Post.content.ilike(f"%{query}%")))
    )
print(f"a search for {query!r} matched {matched} of {total} posts")

# %% [markdown]
# Every database has a real full-text index instead: it splits text into words, finds posts by word, and scores
# them. Each has its own query language, and that is step 2's trap.

# %% [markdown]
# ## Step 1 · The index, kept in sync with the table
#
# ### Careful: `Computed` without `persisted=True` (ERRATA 6)
#
# The chapter's PostgreSQL model declares the search vector as `Computed("to_tsvector(...)")`. What SQLAlchemy
# 2.1.9 renders depends on whether it knows the server: offline (a migration script, `CREATE TABLE` printed for
# review) it leaves out `STORED`, which PostgreSQL before 18 rejects:

# %%
from sqlalchemy import Column, Computed, Integer, MetaData, Table
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.schema import CreateColumn


def search_vector(persisted: bool | None) -> Column:
    table = Table(
        "posts",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column(
            "search_vector", TSVECTOR, Computed("to_tsvector('english', title || ' ' || content)", persisted=persisted)
        ),
    )
    return table.c.search_vector


for persisted in (None, True):
    ddl = CreateColumn(search_vector(persisted)).compile(dialect=postgresql.dialect())
    print(f"persisted={persisted}: {ddl}")

# %% [markdown]
# Connected to PostgreSQL 15 it warns and adds `STORED` itself; the offline DDL fails (open the cell's PostgreSQL
# tab on the site, or run this lesson with `DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/test`, to see
# both; PostgreSQL 15's [generated columns](https://www.postgresql.org/docs/15/ddl-generated-columns.html) are
# stored only):

# %%
from sqlalchemy.exc import ProgrammingError

from lessons import show_error

if db.backend == "postgresql":
    offline = CreateColumn(search_vector(None)).compile(dialect=postgresql.dialect())
    async with db.engine.connect() as conn:
        with show_error():
            print(CreateColumn(search_vector(None)).compile(dialect=conn.dialect))
        with show_error(expected=ProgrammingError):
            await conn.exec_driver_sql(f"ALTER TABLE posts ADD COLUMN {offline}")
else:
    print(f"PostgreSQL only; this lesson runs on {db.backend}.")

# %% [markdown]
# Say `persisted=True` and every version, online or offline, gets the same `STORED` column.
#
# **Your task, step 1:** `install_search_index(conn)` gets an `AsyncConnection` (inside `engine.begin()`) and builds
# a full-text index on `posts.title` and `posts.content`, filled with the posts already there and kept in sync with
# the table. Branch on `conn.dialect.name`, and build it where steps 2 and 3 will read it:
#
# - **SQLite** (`sqlite`): an FTS5 virtual table `posts_fts` whose `rowid` is the post's id, plus triggers on insert,
#   update and delete;
# - **PostgreSQL** (`postgresql`): a stored generated `tsvector` column `posts.search_vector` and a GIN index on it;
# - **MariaDB** (`mysql`): a `FULLTEXT` index on `posts (title, content)`.
#
# The checker plants posts with made-up words (`zorblax`, `quibbleton`…), so every backend's stemming and stopwords
# agree on them, runs your function, searches for a word of a title and a word of a body, then adds, edits and deletes
# posts and searches again. It runs on whichever database `DATABASE_URL` names: try all three.

# %%
from sqlalchemy.ext.asyncio import AsyncConnection

index_check = exercises.get("14.search_index")

# BEGIN SOLUTION
# STUB:
# STUB: async def install_search_index(conn: AsyncConnection) -> None:
# STUB:     raise NotImplementedError  # the index for conn.dialect.name, filled, and kept in sync with posts
# STUB:
# STUB:


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


# END SOLUTION

index_result = await index_check.check(install_search_index)
index_result

# %% [markdown]
# Stuck? `index_check.hint()`, then `hint(2)`, `hint(3)`; `index_check.solution()` shows one answer.

# %%
index_check.hint()

# %% [markdown]
# ### What your index runs
#
# Once it passes, install it on the lesson database (1,000 seeded posts) and watch the SQL. On SQLite it is the FTS5
# table, its three triggers and a `rebuild` that indexes the posts already there:

# %%
from lessons import show_sql

index_installed = index_result.passed
if index_installed:
    async with db.engine.begin() as conn:
        with show_sql(transactions=False):
            await install_search_index(conn)

# %% [markdown]
# ## Step 2 · What a user typed, as a safe query
#
# ### Careful: user input is not query syntax (ERRATA 6)
#
# The chapter ranks PostgreSQL results with `to_tsquery('english', query)`. `to_tsquery` parses a *query
# language* (`&`, `|`, `!`, `<->`), and so do SQLite's FTS5 `MATCH` and MariaDB's `BOOLEAN MODE`. Hand any of them
# what a user typed and ordinary input is a syntax error, a 500. Here is this backend's parser on three inputs
# (the cell's PostgreSQL and MariaDB tabs on the site show theirs, or run the lesson there):

# %%
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

if db.backend == "sqlite":
    parser = "SELECT count(*) FROM ex14_fts_demo WHERE ex14_fts_demo MATCH :q"
    setup = "CREATE VIRTUAL TABLE ex14_fts_demo USING fts5(body)"
elif db.backend == "postgresql":
    parser = "SELECT count(*) FROM posts WHERE to_tsvector('english', title) @@ to_tsquery('english', :q)"
    setup = None
else:
    parser = "SELECT count(*) FROM ex14_fts_demo WHERE MATCH (body) AGAINST (:q IN BOOLEAN MODE)"
    setup = "CREATE TABLE ex14_fts_demo (body TEXT, FULLTEXT (body))"
if setup:
    async with db.engine.begin() as conn:
        await conn.exec_driver_sql(setup)

for typed in ["python api", 'C++ & (rust) OR "unclosed', "'; DROP TABLE posts; --"]:
    print(f"{typed!r} →", end=" ")
    async with db.Session() as session:
        if db.backend == "postgresql" or typed != "python api":
            with show_error(expected=DBAPIError):
                await session.scalar(text(parser), {"q": typed})
        else:
            print(await session.scalar(text(parser), {"q": typed}), "rows")

# %% [markdown]
# (The SQLite and MariaDB demo tables are empty: `0 rows` says only that the text parsed.) On PostgreSQL even
# `python api` fails (`syntax error in tsquery`: two words need an operator between them). The
# fix there is `websearch_to_tsquery`, which reads what people type into a search box (words, `"quoted
# phrases"`, `or`, `-word`) and never raises; elsewhere, keep only the words and quote each one.

# %% [markdown]
# **Your task, step 2:** `matching_post_ids(session, query)` returns the ids of the posts that match what the
# user typed, in any order, from step 1's index (the checker installs its own copy of step 1, so this step does not
# depend on yours). Every word must match, in any letter case; a `"quoted phrase"` matches only those words side by
# side; input with no word in it (`%_%`, `"`, nothing) finds nothing; and any input at all returns a list, never an
# error.
#
# On PostgreSQL hand the text as typed to `websearch_to_tsquery`. On SQLite and MariaDB write `search_terms(query,
# backend)`, which keeps the quoted phrases and the words and drops every operator character, then quote each term.
# InnoDB indexes no word shorter than 3 letters and none of its stopwords, so a required `+the` matches nothing: on
# MariaDB leave those out (`INNODB_STOPWORDS` is given).

# %%
import re

from sqlalchemy.ext.asyncio import AsyncSession

from lessons.exercises.lesson14c import INNODB_STOPWORDS  # given: InnoDB's default stopwords

query_check = exercises.get("14.safe_search_query")

# BEGIN SOLUTION
# STUB:
# STUB: def search_terms(query: str, backend: str) -> list[str]:
# STUB:     raise NotImplementedError  # the "quoted phrases" and the words of query, no operator left
# STUB:
# STUB:
# STUB: async def matching_post_ids(session: AsyncSession, query: str) -> list[int]:
# STUB:     raise NotImplementedError  # the ids of the posts that match every term, in any order
# STUB:
# STUB:


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


# END SOLUTION

query_result = await query_check.check(matching_post_ids)
query_result

# %% [markdown]
# Hints: `query_check.hint()`, `hint(2)`, `hint(3)`; then `query_check.solution()`.

# %%
query_check.hint()

# %% [markdown]
# ### What your query runs
#
# The inputs that broke the raw parsers above are now just words (on PostgreSQL, `websearch_to_tsquery` reads them),
# bound as one parameter:

# %%
if index_installed and query_result.passed:
    async with db.Session() as session:
        with show_sql(transactions=False):
            await matching_post_ids(session, 'C++ & (rust) OR "unclosed')
        for typed in ["python api", "'; DROP TABLE posts; --", "%_%"]:
            print(f"{typed!r} → {len(await matching_post_ids(session, typed))} posts")

# %% [markdown]
# ## Step 3 · Ranked, best match first
#
# **Your task, step 3:** put it together in a class `PostSearch`: `install(conn)` is step 1's function, and
# `search(session, query)` returns the ids of the matching posts **best match first**. Order by `bm25(posts_fts)` on
# SQLite (lower is better), `ts_rank(search_vector, query)` on PostgreSQL and `MATCH … AGAINST` on MariaDB (higher is
# better), then by id. On PostgreSQL parse the query once, in `FROM`, for both the filter and the rank:
# `FROM posts, websearch_to_tsquery('english', :q) AS query`.
#
# The checker takes any design, not only step 1's: it installs your class on a database of its own, checks the
# order (a post with the word in its title and its body first), step 2's rules, and that the index follows inserts,
# updates and deletes.

# %%
search_check = exercises.get("14.full_text_search")

# BEGIN SOLUTION
# STUB:
# STUB: class PostSearch:
# STUB:     async def install(self, conn: AsyncConnection) -> None:
# STUB:         await install_search_index(conn)  # step 1
# STUB:
# STUB:     async def search(self, session: AsyncSession, query: str) -> list[int]:
# STUB:         raise NotImplementedError  # step 2's query, best match first
# STUB:
# STUB:


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


# END SOLUTION

search_result = await search_check.check(PostSearch)
search_result

# %% [markdown]
# Hints: `search_check.hint()`, `hint(2)`, `hint(3)`; then `search_check.solution()`.

# %%
search_check.hint()

# %% [markdown]
# ### What your search runs
#
# A search is one statement: the query is a bound parameter, reduced to quoted words on SQLite and MariaDB, parsed
# by `websearch_to_tsquery` on PostgreSQL, and the rank is computed in the same statement.

# %%
searcher = PostSearch()
if search_result.passed and not index_installed:  # step 1 did not pass, but your class builds an index
    async with db.engine.begin() as conn:
        await searcher.install(conn)
if search_result.passed:
    async with db.Session() as session:
        with show_sql(transactions=False):
            found = await searcher.search(session, "phone address")
        titles = (await session.scalars(select(Post.title).where(Post.id.in_(found)).order_by(Post.id))).all()
    print(found, titles)

# %% [markdown]
# The index follows the table: a post written now is found at once, through the trigger (SQLite), the generated
# column (PostgreSQL) or InnoDB's index update at `COMMIT` (MariaDB).

# %%
if search_result.passed:
    async with db.Session() as session:
        session.add(Post(title="Phone numbers and the address book", content="Call first.", user_id=1))
        await session.commit()
        print("after a new post:", await searcher.search(session, "phone address"))

# %% [markdown]
# Each database decides for itself what a word is:

# %%
if search_result.passed:
    async with db.Session() as session:
        for typed in ("phone", "phones", "the phone"):
            print(f"{typed!r}: {len(await searcher.search(session, typed))} posts")

# %% [markdown]
# FTS5's default tokenizer (`unicode61`) folds only case and accents, so `phones` is another word and `the` is
# required like any other (`tokenize='porter unicode61'` would stem). PostgreSQL's `english` configuration stems
# `phones` to `phone` and drops `the`; on MariaDB the solution drops InnoDB's stopwords itself. Results and ranks differ a little from
# one backend to the next, which is why the checker plants made-up words.

# %% [markdown]
# ## Key points
#
# - Full-text search is an index, not `LIKE`: FTS5 plus triggers and `bm25()` on SQLite, a stored generated
#   `tsvector` (`Computed(..., persisted=True)`) with a GIN index on PostgreSQL, `FULLTEXT` with `MATCH … AGAINST`
#   on MariaDB.
# - The index must follow the table: triggers on insert, update and delete, a generated column, or InnoDB's own
#   upkeep; and the rows already there must be indexed at install.
# - Never pass user input to a query parser: `websearch_to_tsquery` on PostgreSQL, quoted words elsewhere; one
#   parsed query for both the filter and the rank.
# - Each database has its own idea of a word (stemming, stopwords, minimum length): test with words they agree on.
#
# [Contents](00-setup.ipynb#Course-map) · Previous: [← 14b · Repository](14b-repository.ipynb) · Next: [14d · Audit log →](14d-audit-log.ipynb)
