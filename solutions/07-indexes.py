# %% [markdown]
# # 07 · Indexes
#
# [Contents](00-setup.ipynb#Course-map) · Previous: [← 06 · Pagination](06-pagination.ipynb) · Next: [08a · Transactions →](08a-transactions.ipynb)
#
# Without a usable index a query reads the whole table, however few rows it returns. In Laravel you add indexes in
# migrations; in SQLAlchemy you declare them on the model and they are created with the table. This lesson reads
# the query plan before and after each kind of index, on the large seed (10,000 users, 100,000 comments), and
# times the difference.
#
# **You will learn**
# - to read a query plan with `explain()`: `SCAN` reads every row, `SEARCH` jumps through an index
# - to find a foreign key with no index, and why SQLite and PostgreSQL never add one for you
# - to declare single-column, composite, unique and partial indexes on a model (`index=True`, `Index`,
#   `__table_args__`)
# - why a partial index needs `sqlite_where` beside `postgresql_where` (the chapter builds a full index on SQLite)
# - why `index=True` on a primary key only costs
#
# **Time:** about 45 minutes.

# %% [markdown]
# ## Your lesson database
#
# The large seed this time: an index pays off in proportion to the rows it lets the database skip. It is built the
# first time a lesson asks for it (about 15 seconds, once; lesson 06 may have built it already). The first cell
# builds it if it is missing, with a progress bar; its output is not compared.

# %% tags=["nbval-ignore-output"]
from lessons import prepare_seed

await prepare_seed("large")

# %%
from lessons import clock, fresh_database

clock.freeze()
db = await fresh_database("07-indexes", size="large")
db

# %% [markdown]
# ## Reading a query plan
#
# **In Laravel**
#
# ```php
# Comment::where('post_id', 4321)->explain()->dd();
# ```
#
# **In SQLAlchemy** the course's `explain()` runs `EXPLAIN` (SQLite: `EXPLAIN QUERY PLAN`) for any statement. Two
# look-ups on `comments`, each by a foreign key:

# %%
from sqlalchemy import select

from lessons import Comment, explain

by_post = select(Comment).where(Comment.post_id == 4321)
by_author = select(Comment).where(Comment.user_id == 4321)

print(await explain(by_post))
print(await explain(by_author))

# %% [markdown]
# `SEARCH comments USING INDEX ix_comments_post_id (post_id=?)`: the database looks 4321 up in the index and reads
# only the matching rows. `SCAN comments`: it reads all 100,000 comments and keeps the matching ones. PostgreSQL
# says `Index Scan` / `Bitmap Index Scan` for the first and `Seq Scan` for the second; MariaDB fills the `key`
# column of its table (the cell's tabs on the site show both).
#
# ## The missing index on a foreign key
#
# Both columns are foreign keys, but a `ForeignKey` is a constraint, not an index. `lessons.core.models` declares
# `index=True` on `comments.post_id` and, on purpose, not on `comments.user_id`. SQLite and PostgreSQL never index a
# foreign key for you. MySQL's and MariaDB's InnoDB does, which is why Laravel's `foreignId()->constrained()` gets
# one there (in the MariaDB tab the second plan above already says `fk_comments_user_id_users`). The manuals:
# [SQLite](https://www.sqlite.org/foreignkeys.html#fk_indexes),
# [PostgreSQL](https://www.postgresql.org/docs/15/ddl-constraints.html#DDL-CONSTRAINTS-FK),
# [MariaDB](https://mariadb.com/kb/en/foreign-keys/).
#
# How slow is the scan? Best of five runs, measured on this machine (so this output is not compared):

# %% tags=["nbval-ignore-output"]
from lessons import best_of


async def milliseconds(statement, repeat=5):
    async with db.engine.connect() as conn:
        async def run():
            return (await conn.execute(statement)).all()

        return await best_of(run, repeat) * 1000


author_before = await milliseconds(by_author)
print(f"measured on this machine: comments of one user, no index: {author_before:.2f} ms")

# %% [markdown]
# ### Find every unindexed foreign key
#
# SQLAlchemy's inspector reads the schema from the database. A foreign key is covered when an index (or the
# primary key, or a unique constraint) *starts* with its columns:

# %%
from sqlalchemy import inspect


def unindexed_foreign_keys(connection):
    inspector = inspect(connection)
    missing = []
    for table in inspector.get_table_names():
        covered = [index["column_names"] for index in inspector.get_indexes(table)]
        covered += [unique["column_names"] for unique in inspector.get_unique_constraints(table)]
        covered.append(inspector.get_pk_constraint(table)["constrained_columns"])
        for key in inspector.get_foreign_keys(table):
            columns = key["constrained_columns"]
            if not any(index[: len(columns)] == columns for index in covered):
                missing.append(f"{table}.{', '.join(columns)}")
    return missing


async with db.engine.connect() as conn:
    print(await conn.run_sync(unindexed_foreign_keys))


# %% [markdown]
# `comments.user_id`, and `user_roles.role_id`: the primary key `(user_id, role_id)` serves look-ups by user, not by
# role. It matters beyond `WHERE`: deleting a user makes the database find that user's comments for
# `ON DELETE CASCADE`, a full scan of `comments` per deleted user. (In the MariaDB tab the list is empty: InnoDB
# indexed them.)
#
# In your own models, add `index=True` next to the `ForeignKey`:
#
# ```python
# user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
# ```
#
# `lessons.core.models` is shared by every lesson, so here we add the index the way a migration would, with one
# `CREATE INDEX`:

# %%
from sqlalchemy import text

add_author_index = text("CREATE INDEX ix_comments_user_id ON comments (user_id)")

async with db.engine.begin() as conn:
    await conn.execute(add_author_index)

print(await explain(by_author))

# %% [markdown]
# `SCAN` became `SEARCH … USING INDEX ix_comments_user_id`.
#
# ### Careful: run that migration twice
#
# The chapter creates an index with `text("CREATE INDEX …")` inside a function. Call it a second time (a re-run
# notebook cell, a second deploy) and the database refuses:

# %%
from sqlalchemy.exc import DBAPIError

from lessons import show_error

async with db.engine.connect() as conn:
    with show_error(expected=DBAPIError):
        await conn.execute(add_author_index)


# %% [markdown]
# `CREATE INDEX` is not idempotent. Say `IF NOT EXISTS` (SQLite, PostgreSQL and MariaDB all accept it), or let
# SQLAlchemy check first: `Index(...).create(conn, checkfirst=True)` skips an index that exists. (So does
# `metadata.create_all()`, but by skipping a table that exists together with its indexes: it never adds a new index
# to an existing table. That is a migration's job, Alembic's `op.create_index()`.)

# %%
async with db.engine.begin() as conn:
    await conn.execute(text("CREATE INDEX IF NOT EXISTS ix_comments_user_id ON comments (user_id)"))
print(await explain(by_author))

# %% [markdown]
# And the speed-up, measured on this machine:

# %% tags=["nbval-ignore-output"]
author_after = await milliseconds(by_author)
print(f"measured on this machine: before {author_before:.2f} ms, after {author_after:.3f} ms "
      f"({author_before / author_after:.0f}× faster)")

# %% [markdown]
# The factor changes from run to run, and a busy machine can shrink it. What does not change is the work each
# plan implies: the `SCAN` reads every comment, the `SEARCH` only the ones that match.

# %%
from sqlalchemy import func

async with db.engine.connect() as conn:
    total = await conn.scalar(select(func.count()).select_from(Comment))
    matching = await conn.scalar(select(func.count()).select_from(by_author.subquery()))
print(f"SCAN reads {total:,} comments; SEARCH reads the {matching} that match")

# %% [markdown]
# ## Declaring indexes on a model
#
# **In Laravel**
#
# ```php
# Schema::create('members', function (Blueprint $table) {
#     $table->id();
#     $table->string('email')->unique();
#     $table->string('name')->index();
#     $table->string('role', 20);
#     $table->timestamp('email_verified_at')->nullable();
#     $table->timestamp('created_at');
#     $table->index(['role', 'created_at']);
# });
# // A partial index has no Blueprint method: DB::statement('CREATE INDEX … WHERE …').
# ```
#
# **In SQLAlchemy** a lesson-local copy of the users table, with a base and metadata of its own (so it never touches
# `lessons.core.models`). `unique=True` and `index=True` sit on the column; an index over several columns, or with a
# condition, goes in `__table_args__`:

# %%
from datetime import datetime

from sqlalchemy import Boolean, Index, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from lessons import UTCDateTime


class LessonBase(DeclarativeBase):
    metadata = MetaData(naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    })


# %%
class Member(LessonBase):
    __tablename__ = "l07_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(255), unique=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    role: Mapped[str] = mapped_column(String(20))
    is_active: Mapped[bool] = mapped_column(Boolean)
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_l07_users_role_created_at", "role", "created_at"),
        Index(
            "ix_l07_users_unverified_created_at",
            "created_at",
            sqlite_where=email_verified_at.is_(None),
            postgresql_where=email_verified_at.is_(None),
        ),
    )


# %% [markdown]
# `create_all()` would create the table and its indexes together. To see each index at work we create the table
# alone first, fill it with the 10,000 seeded users (one `INSERT … SELECT`, run by the database), and read the plans:

# %%
from sqlalchemy import insert
from sqlalchemy.schema import CreateTable

from lessons import User, show_sql

columns = ["id", "email", "name", "role", "is_active", "email_verified_at", "created_at"]
async with db.engine.begin() as conn:
    with show_sql():
        await conn.execute(CreateTable(Member.__table__))
        await conn.execute(insert(Member).from_select(columns, select(*(getattr(User, c) for c in columns))))


# %% [markdown]
# `unique=True` became a `UNIQUE` constraint inside `CREATE TABLE`: the database enforces it with an index of its
# own, so it exists from the start. Four questions for this table:

# %%
from datetime import timezone

async with db.Session() as session:
    someone = await session.get(Member, 4321)

christmas_eve = datetime(2024, 12, 24, tzinfo=timezone.utc)
questions = {
    "by name": select(Member).where(Member.name == someone.name),
    "latest editors": select(Member).where(Member.role == "editor").order_by(Member.created_at.desc()).limit(10),
    "unverified since 24 Dec": select(Member).where(
        Member.email_verified_at.is_(None), Member.created_at >= christmas_eve
    ),
    "by email": select(Member).where(Member.email == someone.email),
}


async def plans():
    for label, statement in questions.items():
        print(f"{label}:\n{await explain(statement)}")


await plans()

# %% [markdown]
# Only the e-mail look-up searches (through `sqlite_autoindex_l07_users_1`, SQLite's index for the `UNIQUE`
# constraint). The others scan, and "latest editors" sorts as well (`USE TEMP B-TREE FOR ORDER BY`). We time the
# four now and again after adding indexes; the e-mail look-up, whose index exists both times, is the control: its
# change between the two measurements is the machine's noise, not an index's work.

# %% tags=["nbval-ignore-output"]
before = {label: await milliseconds(statement, repeat=20) for label, statement in questions.items()}

# %% [markdown]
# Now the indexes the model declares, created one by one:

# %%
from lessons import count_queries


async def create_indexes():
    with count_queries() as ran:
        async with db.engine.begin() as conn:
            for index in sorted(Member.__table__.indexes, key=lambda index: index.name):
                await conn.run_sync(index.create, checkfirst=True)
    created = [statement.sql for statement in ran.statements if statement.sql.startswith("CREATE")]
    print("\n".join(created) or "nothing created")


await create_indexes()

# %% [markdown]
# `checkfirst=True` asks the database whether each index exists before creating it, so a second run is harmless:

# %%
await create_indexes()

# %% [markdown]
# The partial index carries its `WHERE`: it holds only the unverified users. The plans again:

# %%
await plans()

# %% [markdown]
# What to notice:
#
# - **single column** (`index=True`): `by name` searches `ix_l07_users_name`.
# - **composite** `(role, created_at)`: `latest editors` searches on `role` *and* reads the rows already in
#   `created_at` order: the `TEMP B-TREE` sort is gone. Laravel's `$table->index(['role', 'created_at'])`.
# - **partial**: `unverified since 24 Dec` searches a small index holding unverified users only.
# - **unique**: unchanged, it was there all along.

# %% tags=["nbval-ignore-output"]
import pandas as pd

print("measured on this machine (best of 20 runs each):")
after = {label: await milliseconds(statement, repeat=20) for label, statement in questions.items()}
speed = pd.DataFrame({"before (ms)": before, "after (ms)": after})
speed["× faster"] = speed["before (ms)"] / speed["after (ms)"]
speed.rename(index={"by email": "by email (control: indexed both times)"}).round(3)


# %% [markdown]
# Read each gain against the control's: the control's plan did not change, so whatever its ratio shows (a warmer
# cache, less other work on the machine) is in the other rows too. On tables this small (10,000 rows) the real
# gains are a few times, and on a busy machine they can vanish into the noise. The plans above are the part that
# holds everywhere; with them, what each question needs of the table:

# %%
async with db.engine.connect() as conn:
    members = await conn.scalar(select(func.count()).select_from(Member))
    for label, statement in questions.items():
        print(f"{label}: {len((await conn.execute(statement)).all())} of {members:,} rows")


# %% [markdown]
# ### An index is read from its first column
#
# A composite index is sorted by its first column, then by the second within it, like a phone book sorted by last
# name, then first name. A query on the second column alone cannot jump to one place in it: the matching entries
# are spread through every first-column value. Two such queries (the partial index on `created_at` cannot help
# either: neither asks for unverified users only):

# %%
since_christmas_eve = select(Member).where(Member.created_at >= christmas_eve)
verified_since = select(Member).where(Member.email_verified_at.is_not(None), Member.created_at >= christmas_eve)
print(await explain(since_christmas_eve))
print(await explain(verified_since))


# %% [markdown]
# SQLite reads the table: `created_at` is second in `(role, created_at)`. (In the MariaDB tab both plans use
# `ix_l07_users_unverified_created_at`: MariaDB has no partial indexes, so there it indexes every user's
# `created_at`. More on that below.)
#
# "Cannot jump" is not "cannot use". A planner that knows the first column has few values can search the index
# once per value: SQLite calls it a *skip-scan* ([query optimizer overview, "The Skip-Scan
# Optimization"](https://www.sqlite.org/optoverview.html#the_skip_scan_optimization)), and considers it only once
# `ANALYZE` has stored statistics. Our table has none yet, and `role` has three values (user, editor, admin):

# %%
async with db.engine.begin() as conn:
    await conn.execute(text("ANALYZE TABLE l07_users" if db.backend == "mysql" else "ANALYZE l07_users"))
print(await explain(since_christmas_eve))

# %% [markdown]
# `ANY(role) AND created_at>?`: with statistics, SQLite searches `(role, created_at)` three times, once per role,
# instead of reading the table. PostgreSQL can use a multicolumn B-tree index with a condition on any of its
# columns, but it then reads the whole index, "most efficient when there are constraints on the leading (leftmost)
# columns" ([PostgreSQL docs, 11.3 Multicolumn Indexes](https://www.postgresql.org/docs/15/indexes-multicolumn.html));
# whether it does depends on its own statistics. So the rule is about what an index is good at: order the columns of
# a composite index as your queries filter, equality columns first, then the one you sort or range on, and don't
# count on a skip-scan to rescue a second column.

# %% [markdown]
# ### Unique: an index that refuses duplicates
#
# **In Laravel** `$table->string('email')->unique()`; **in SQLAlchemy** `unique=True`. The database, not your code,
# stops a second row with the same e-mail (the new id is free, so only the e-mail clashes):

# %%
from sqlalchemy.exc import IntegrityError

async with db.Session() as session:
    session.add(
        Member(id=10_001, email=someone.email, name="Copycat", role="user", is_active=True, created_at=clock.now())
    )
    with show_error(expected=IntegrityError):
        await session.commit()


# %% [markdown]
# ### Careful: a partial index with `postgresql_where` only
#
# The chapter declares its partial index with `postgresql_where=...` alone. That argument belongs to the
# PostgreSQL dialect; every other database ignores it, silently. Here is that declaration and the DDL each
# database gets:

# %%
from sqlalchemy.schema import CreateIndex

from lessons import dialect_named


class ChapterMember(LessonBase):
    __tablename__ = "l07_chapter_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_l07_chapter_users_unverified", "created_at", postgresql_where=email_verified_at.is_(None)),
    )


(chapter_index,) = ChapterMember.__table__.indexes
for dialect in ["postgresql", "sqlite", "mariadb"]:
    print(f"{dialect:>10}: {CreateIndex(chapter_index).compile(dialect=dialect_named(dialect))}")

# %% [markdown]
# On SQLite the index has no `WHERE`: a full index of every user, bigger and slower to write, and no error to tell
# you. `sqlite_where=` beside `postgresql_where=`, as `Member` does, gives both databases the partial index:

# %%
(member_partial,) = [index for index in Member.__table__.indexes if "unverified" in index.name]
for dialect in ["postgresql", "sqlite", "mariadb"]:
    print(f"{dialect:>10}: {CreateIndex(member_partial).compile(dialect=dialect_named(dialect))}")


# %% [markdown]
# MariaDB and MySQL have no partial indexes at all: there the same model builds a full index, which is still correct,
# only larger.
#
# ## `index=True` on a primary key
#
# The chapter writes `id = Column(Integer, primary_key=True, index=True)`. A primary key is already indexed (on
# SQLite the table *is* a B-tree on it; PostgreSQL and MariaDB build a unique index for it), so `index=True` adds a
# second index on the same column:

# %%
class Tag(LessonBase):
    __tablename__ = "l07_tags"

    id: Mapped[int] = mapped_column(primary_key=True, index=True)
    name: Mapped[str] = mapped_column(String(50))


async with db.engine.begin() as conn:
    with show_sql(transactions=False):
        await conn.run_sync(Tag.__table__.create)

print(await explain(select(Tag).where(Tag.id == 3)))

# %% [markdown]
# SQLite looks `id` up through the primary key (`USING INTEGER PRIMARY KEY`) and never reads `ix_l07_tags_id`;
# PostgreSQL may pick either of its two identical indexes (its tab shows the one it took). Either way one of them is pure cost: every insert,
# update and delete writes it too. Leave `index=True` off primary keys.
#
# ## Full-text search
#
# `LIKE '%word%'` cannot use a B-tree index: it scans. Full-text indexes (PostgreSQL `tsvector` + GIN, SQLite
# FTS5, MariaDB `FULLTEXT`) are lesson [14c · Full-text search](14c-full-text-search.ipynb).
#
# ## Your turn
#
# A user's page shows their ten latest comments. On this database the query already searches by `user_id` (you
# added that index), yet it still sorts:

# %%
from lessons.exercises.lesson07 import latest_comments

comments = Comment.__table__
print(await explain(latest_comments(comments, 42)))

# %% [markdown]
# Write `latest_comments_index(comments)`: return the `Index` (built on the `comments` table it receives) that makes
# this query a `SEARCH` with no `TEMP B-TREE`, as you would put it in `__table_args__` (columns or their names as
# strings: the checker adds the index to the table). Leave it not unique: a unique
# index on `(user_id, created_at)` cannot be built, since two comments by one user can share a `created_at` (the
# seeded data has such a pair). The checker creates it and the reference's on generated databases of its own (where `comments.user_id` has
# no index yet), checks that the query returns the same rows, and compares the plan (SQLite) or the index's columns,
# `user_id` first and `created_at` second (PostgreSQL and MariaDB).

# %%
from sqlalchemy import Table

from lessons import exercises

q1 = exercises.get("07.latest_comments_index")


def latest_comments_index(comments: Table) -> Index:
    # BEGIN SOLUTION
    return Index("ix_comments_user_id_created_at", comments.c.user_id, comments.c.created_at)
    # END SOLUTION


await q1.check(latest_comments_index)

# %% [markdown]
# Stuck? `q1.hint()`, then `q1.hint(2)`; `q1.solution()` shows one answer.

# %%
q1.hint()

# %%
# q1.hint(2)
# q1.solution()

# %% [markdown]
# ## Key points
#
# - `explain()` before you add an index, and after: `SCAN` reads every row, `SEARCH … USING INDEX` jumps to the
#   rows it needs. How much faster that is depends on the table and the machine; the plan does not.
# - A `ForeignKey` is not an index. SQLite and PostgreSQL never add one (InnoDB does): put `index=True` on foreign
#   keys you query or cascade through, and use the inspector to find the ones you missed.
# - `index=True` and `unique=True` on a column; `Index(...)` in `__table_args__` for composite and partial indexes.
#   `create_all()` creates a table's indexes with it; `CREATE INDEX` through `text()` fails the second time.
# - A composite index serves its leading columns best: equality columns first, then the sort or range column. A
#   condition on a later column alone needs a skip-scan (SQLite, with `ANALYZE` statistics) or a full read of the
#   index (PostgreSQL), if the planner uses the index at all.
# - Partial indexes: `sqlite_where=` beside `postgresql_where=`, or SQLite silently builds a full index; MariaDB has
#   none.
# - Never `index=True` on a primary key: it is indexed already.
#
# [Contents](00-setup.ipynb#Course-map) · Previous: [← 06 · Pagination](06-pagination.ipynb) · Next: [08a · Transactions →](08a-transactions.ipynb)
