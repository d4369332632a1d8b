# %% [markdown]
# # 01 · Models: Eloquent classes as typed SQLAlchemy models
#
# [Contents](00-setup.ipynb#Course-map) · Previous: [← 00 · Setup](00-setup.ipynb) · Next: [02 · CRUD →](02-crud.ipynb)
#
# An Eloquent model finds its columns in the database at run time; the table lives in a migration. A SQLAlchemy
# model *declares* its columns: one class says what the table is and how its rows behave in Python. This lesson
# writes that class in the typed style, gives it Laravel's timestamps, and finds a home for `$fillable`, `$hidden`
# and `$casts`.
#
# **You will learn**
# - the classic `Column` style beside the typed `Mapped`/`mapped_column` style, and why the course uses the second
# - to read the `CREATE TABLE` a model produces on SQLite, PostgreSQL and MySQL
# - why a primary key never needs `index=True`
# - timestamps that are set together on insert and timezone-aware on every backend
# - `$casts` → column types, `$fillable` → a create schema, `$hidden` → a response schema
#
# **Time:** about 45 minutes.

# %% [markdown]
# A fresh copy of the seeded blog database, and the frozen lesson clock (2025-01-15 09:00 UTC):

# %%
from lessons import clock, fresh_database

clock.freeze()
db = await fresh_database("01-models")
db

# %% [markdown]
# ## One model, two styles
#
# **In Laravel** the model names the rules; the columns come from the migration.
#
# ```php
# class User extends Model
# {
#     protected $fillable = ['name', 'email', 'age'];
#     protected $hidden = ['password'];
#     protected $casts = ['is_active' => 'boolean', 'email_verified_at' => 'datetime'];
# }
# ```
#
# **In SQLAlchemy**, first the *classic* style of older code and tutorials (and of the chapter this course
# follows). Each lesson-local model gets a `DeclarativeBase` of its own and an `l01_` table name.

# %%
from sqlalchemy import Boolean, Column, Integer, String
from sqlalchemy.orm import DeclarativeBase


class ClassicBase(DeclarativeBase):
    pass


class ClassicUser(ClassicBase):
    __tablename__ = "l01_classic_users"

    id = Column(Integer, primary_key=True, index=True)
    name = Column(String(255))
    email = Column(String(255), unique=True, index=True)
    age = Column(Integer)
    is_active = Column(Boolean, default=True)


# %% [markdown]
# The same table in the *typed* style of SQLAlchemy 2.x. The annotation `Mapped[...]` carries the Python type;
# `mapped_column()` adds only what the type cannot say (a length, a key, a default).

# %%
from sqlalchemy.orm import Mapped, mapped_column


class TypedBase(DeclarativeBase):
    pass


class TypedUser(TypedBase):
    __tablename__ = "l01_typed_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    email: Mapped[str] = mapped_column(String(255), unique=True)
    age: Mapped[int | None]
    is_active: Mapped[bool] = mapped_column(default=True)


# %% [markdown]
# `age` needs no `mapped_column()` at all: `int | None` already says INTEGER, and NULL allowed. Put the two
# tables side by side and look at which columns accept NULL:

# %%
import pandas as pd

pd.DataFrame(
    {
        "classic: nullable": {column.name: column.nullable for column in ClassicUser.__table__.columns},
        "typed: nullable": {column.name: column.nullable for column in TypedUser.__table__.columns},
    }
)

# %% [markdown]
# A classic `Column()` is nullable unless you write `nullable=False`, so the chapter's `name` and `email` accept
# NULL without anyone deciding they should. In the typed style the annotation decides: `Mapped[str]` is NOT NULL,
# `Mapped[int | None]` is nullable.
#
# ### Careful: a classic column takes NULL silently
#
# `run_sync(metadata.create_all)` creates the tables (the async engine runs the synchronous schema code). What ran
# for the typed table:

# %%
from lessons import show_sql

async with db.engine.begin() as conn:
    await conn.run_sync(ClassicBase.metadata.create_all)
    with show_sql():
        await conn.run_sync(TypedBase.metadata.create_all)


# %% [markdown]
# A user with no name goes into the classic table without complaint; the typed table refuses it, as a Laravel
# migration's `$table->string('name')` would (NOT NULL unless you add `->nullable()`):

# %%
from sqlalchemy.exc import IntegrityError

from lessons import show_error

async with db.Session() as session:
    with show_sql():
        session.add(ClassicUser(email="nameless@example.com"))
        await session.commit()

async with db.Session() as session:
    with show_error(expected=IntegrityError):
        session.add(TypedUser(name=None, email="nameless@example.com"))
        await session.commit()


# %% [markdown]
# The second reason to prefer the typed style: the types live in the class, where your editor, mypy and Pyright
# read them (`user.age` is an `int | None`). The classic class has none to read:

# %%
from typing import get_type_hints

print("classic:", get_type_hints(ClassicUser))
for name, hint in get_type_hints(TypedUser).items():
    print(f"typed:   {name}: {hint}")

# %% [markdown]
# Both styles build the same kind of `Table`, and `mapped_column()` takes every argument `Column()` takes, so you
# can move a model over one column at a time. The course's models (`lessons/core/models.py`) are all typed.
#
# ## The `CREATE TABLE` a model produces
#
# **In Laravel** `php artisan migrate --pretend` prints the SQL a migration would run.
#
# **In SQLAlchemy** `CreateTable(table)` is that statement; compile it for a dialect to read it without running
# it. Here is the course's `User` for SQLite:

# %%
from sqlalchemy.schema import CreateTable

from lessons import User, dialect_named

print(CreateTable(User.__table__).compile(dialect=dialect_named("sqlite")))

# %% [markdown]
# The same statement compiled for the three backends the course runs on, line by line (`lessons/scenery/lesson01_ddl.py` lines
# them up):

# %%
from lessons.scenery.lesson01_ddl import ddl_by_backend

ddl_by_backend(User.__table__)

# %% [markdown]
# What to notice:
#
# - **Auto-increment**: PostgreSQL says `SERIAL`, MySQL `AUTO_INCREMENT`; SQLite needs nothing, because an
#   `INTEGER` primary key *is* the row id.
# - **Booleans**: MySQL has no real boolean type; `BOOL` is `TINYINT(1)`, and SQLAlchemy turns 0/1 back into
#   `False`/`True`.
# - **Timestamps**: PostgreSQL stores `TIMESTAMP WITH TIME ZONE`; SQLite and MySQL have a `DATETIME` with no time
#   zone at all. The section on `UTCDateTime` below deals with that.
# - **Quoting**: MySQL writes `` `role` `` in backquotes, because `role` is on the MySQL dialect's list of
#   reserved words (`sqlalchemy/dialects/mysql/reserved_words.py`); SQLAlchemy quotes a name only where a
#   dialect's list says it must.
# - **Names**: `pk_users` and `uq_users_email` come from the naming convention on the course's `Base`
#   (`MetaData(naming_convention=...)`), the same on every backend, so a later migration can refer to them.
#
# ## A primary key is already indexed
#
# `CreateTable` covers the table; each index is its own `CREATE INDEX`. The classic model above copies the chapter:
# `Column(Integer, primary_key=True, index=True)`. `inspect()` on a connection reads back the indexes the database
# built (Laravel's `Schema::getIndexes()`):

# %%
from sqlalchemy import inspect


def index_names(connection, table_name: str) -> list[str]:
    return sorted(index["name"] for index in inspect(connection).get_indexes(table_name))


async with db.engine.connect() as conn:
    for table_name in ("l01_classic_users", "l01_typed_users"):
        print(table_name, await conn.run_sync(index_names, table_name))


# %% [markdown]
# `ix_l01_classic_users_id` copies an index the database built anyway: every backend indexes a primary key (SQLite
# uses the row id, PostgreSQL a `_pkey` index, InnoDB stores the table in key order). Ask SQLite how it finds one
# user by id:

# %%
from sqlalchemy import select

from lessons import explain

await explain(select(ClassicUser).where(ClassicUser.id == 5))

# %% [markdown]
# SQLite goes through the primary key and never touches `ix_l01_classic_users_id`. (In its tab on the site,
# PostgreSQL picks that copy over `l01_classic_users_pkey`: either serves. MariaDB's table is empty, so its plan
# says `Impossible WHERE`.) The extra index is written on every INSERT and DELETE and buys nothing: leave
# `index=True` off primary keys. (`email` is different: `unique=True, index=True` make *one* `CREATE UNIQUE INDEX`.
# The typed model's list is empty because SQLite builds the index behind a UNIQUE constraint itself, as
# `sqlite_autoindex_…`, and SQLAlchemy's SQLite dialect leaves those out; PostgreSQL and MariaDB list it, in the
# cell's tabs on the site.)
#
# ## Timestamps: Laravel's `$timestamps`
#
# **In Laravel** both columns are filled when a row is created, and `updated_at` moves on every save:
#
# ```php
# $post = Post::create(['title' => 'Hello']);   // created_at = updated_at = now()
# $post->update(['title' => 'Hi']);             // only updated_at moves
# ```
#
# ### Careful: the chapter's mixin leaves `updated_at` empty
#
# The chapter's mixin asks the database for `now()` on insert and sets `updated_at` only on update:

# %%
from datetime import datetime

from sqlalchemy import DateTime, func


class ChapterBase(DeclarativeBase):
    pass


class ChapterTimestamps:
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), onupdate=func.now())


class ChapterNote(ChapterTimestamps, ChapterBase):
    __tablename__ = "l01_chapter_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(100))


async with db.engine.begin() as conn:
    await conn.run_sync(ChapterBase.metadata.create_all)


# %%
async with db.Session() as session:
    with show_sql():
        note = ChapterNote(title="Hello")
        session.add(note)
        await session.commit()
print("updated_at:", note.updated_at)
print("created_at is naive:", note.created_at.tzinfo is None)

# %% [markdown]
# Three problems in one insert:
#
# - `updated_at` is NULL: the INSERT sent `None` for it. Laravel would have set both.
# - `created_at` came from the database's clock (`RETURNING id, created_at` fetched it), so no test can freeze it
#   the way `Carbon::setTestNow()` freezes Laravel's (this cell prints only facts about it).
# - On SQLite (and MariaDB) it comes back *naive*, although the column says `timezone=True`. PostgreSQL answers
#   `False` here (its tab on the site).
#
# A fourth waits for lesson 02: after an UPDATE, the new `updated_at` exists only in the database, and reading it
# raises. The course avoids all four: its timestamps are computed in Python, from the course clock.
#
# ### The course's mixin
#
# `lessons.core.models.TimestampMixin` is Laravel's `HasTimestamps` trait. Its `updated_at` default copies the value
# just computed for `created_at` from the INSERT's own parameters, so the two are the same moment even when the
# clock is not frozen:

# %%
from inspect import getsource

from lessons import models

print(getsource(models._same_as_created_at))
print(getsource(models.TimestampMixin))

# %% [markdown]
# Every course model mixes it in. A new post at the frozen 09:00, then an update five minutes later (Laravel's
# `$this->travel(5)->minutes()`):

# %%
from lessons import Post

async with db.Session() as session:
    with show_sql():
        post = Post(title="Typed models", user_id=1)
        session.add(post)
        await session.commit()
    print(post.created_at, "|", post.updated_at)

    clock.travel(minutes=5)
    with show_sql():
        post.title = "Typed models, with timestamps"
        await session.commit()
    print(post.created_at, "|", post.updated_at)


# %% [markdown]
# Both stamps went out in the INSERT with the same value, and the object has them without another query; the
# UPDATE moved `updated_at` alone.
#
# ### Careful: `datetime.utcnow()`
#
# The chapter stamps rows with `datetime.utcnow()`. It returns a *naive* datetime, and Python 3.12 deprecates it
# (on 3.12 and later, the next cell prints that `DeprecationWarning`; 3.11 stays silent):

# %% tags=["nbval-ignore-output"]
from datetime import timezone

with show_error():
    stamp = datetime.utcnow()

# %%
print("datetime.utcnow():            ", stamp.tzinfo)
print("datetime.now(timezone.utc):   ", datetime.now(timezone.utc).tzinfo)
print("clock.now() (course's clock): ", clock.now().tzinfo)

# %% [markdown]
# Write `datetime.now(timezone.utc)` in your own code, and `clock.now` in the course's models (it is
# `datetime.now(timezone.utc)` until a lesson freezes it).
#
# ## Aware on every backend: `UTCDateTime`
#
# PostgreSQL keeps the time zone; SQLite and MySQL/MariaDB have nowhere to put it, so `DateTime(timezone=True)`
# writes the clock time, drops the offset and reads back a naive value. The course's fix is a column type of its
# own. A `TypeDecorator` wraps an existing type (`impl`) and adds one step on the way in and one on the way out:
# Laravel's custom cast, a class with `set()` and `get()`. Here is `UTCDateTime`, from `lessons/core/types.py`:

# %%
from lessons import UTCDateTime

print(getsource(UTCDateTime))

# %% [markdown]
# - `impl` is the type underneath, and `load_dialect_impl` picks it per backend (MariaDB's `DATETIME(6)` keeps
#   the microseconds its plain `DATETIME` would drop).
# - `process_bind_param` is `set()`: it refuses a naive value, converts to UTC, and drops the zone where the
#   column cannot hold one. `process_result_value` is `get()`: it marks what comes back as UTC.
# - `cache_ok = True` tells SQLAlchemy the type has no state that changes the SQL, so statements that use it
#   may be cached (without it, SQLAlchemy warns).
#
# Write those two `process_*` methods, not `bind_processor()` or `result_processor()`: SQLAlchemy runs your
# `process_bind_param` and then the `impl`'s own conversion (on SQLite, the `datetime` becomes text), and
# overriding `bind_processor` would skip that second step. SQLAlchemy's docstring for
# `TypeDecorator.bind_processor` says so.
#
# Store the same 10:00 Amsterdam time (UTC+1 in January) in both kinds of column:

# %%
from datetime import timedelta


class EventBase(DeclarativeBase):
    pass


class Event(EventBase):
    __tablename__ = "l01_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    plain_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    utc_at: Mapped[datetime] = mapped_column(UTCDateTime)


async with db.engine.begin() as conn:
    await conn.run_sync(EventBase.metadata.create_all)

amsterdam = timezone(timedelta(hours=1), "CET")
meeting = datetime(2025, 1, 15, 10, 0, tzinfo=amsterdam)

async with db.Session() as session:
    with show_sql():
        session.add(Event(plain_at=meeting, utc_at=meeting))
        await session.commit()


# %% [markdown]
# On SQLite the plain column was sent `10:00` with the `+01:00` gone; `UTCDateTime` sent `09:00`, the UTC time:
# its `process_bind_param` made the value UTC, then SQLite's own `DATETIME` processing wrote it as that text.
# Read both back:

# %%
async with db.Session() as session:
    event = await session.scalar(select(Event))
print("DateTime(timezone=True):", repr(event.plain_at))
print("UTCDateTime:            ", repr(event.utc_at))
print("UTCDateTime is the meeting time:", event.utc_at == meeting)

# %% [markdown]
# The plain column's `10:00` has lost its zone: read as UTC it is an hour late, read as local time it depends on
# the server. On PostgreSQL (its tab on the site) both lines show 09:00 with `tzinfo=datetime.timezone.utc`: asyncpg
# returns `TIMESTAMP WITH TIME ZONE` as an aware UTC `datetime`. `UTCDateTime` gives every backend PostgreSQL's
# behaviour, and it refuses a naive value instead of guessing what zone it meant:

# %%
with show_error(expected=ValueError):
    async with db.Session() as session:
        session.add(Event(plain_at=meeting, utc_at=datetime(2025, 1, 15, 9, 0)))
        await session.commit()

# %% [markdown]
# (`StatementError` is SQLAlchemy's wrapper; the `ValueError` inside it is the type's own message.)
#
# ## `$casts` are column types
#
# **In Laravel** a cast turns the stored value into a PHP type when you read the attribute:
#
# ```php
# protected $casts = ['is_active' => 'boolean', 'email_verified_at' => 'datetime'];
# $user->is_active;          // false, not 0
# $user->email_verified_at;  // a Carbon instance, not a string
# ```
#
# **In SQLAlchemy** the column's type does the same job in both directions. Raw SQL through `text()` skips the
# types; the model applies them:

# %%
from sqlalchemy import text

async with db.Session() as session:
    raw = (await session.execute(text("SELECT is_active, email_verified_at FROM users WHERE id = 1"))).one()
    user = await session.get(User, 1)
print("text():", repr(raw.is_active), repr(raw.email_verified_at))
print("User:  ", repr(user.is_active), repr(user.email_verified_at))

# %% [markdown]
# SQLite stores a boolean as `0`/`1` and a datetime as text (in the cell's tabs, MariaDB gives `0` and a naive
# datetime; PostgreSQL's driver already returns typed values); `Boolean` and `UTCDateTime` give back `False` and an
# aware `datetime` everywhere. A custom cast (Laravel's `CastsAttributes`) is a `TypeDecorator`, as `UTCDateTime` is;
# [13b · Hybrids and custom types](13b-hybrids-and-custom-types.ipynb) writes more of them.
#
# ## `$fillable`: a create schema
#
# **In Laravel** mass assignment takes only the fillable keys:
#
# ```php
# protected $fillable = ['name', 'email', 'age'];
# User::create($request->all());   // a 'role' => 'admin' in the request is dropped
# ```
#
# ### Careful: the model's constructor is not a guard
#
# A SQLAlchemy constructor accepts every mapped attribute, so building a user straight from request data lets the
# client choose its own role:

# %%
payload = {"name": "Mallory", "email": "mallory@example.com", "role": "admin"}
print("role:", User(**payload).role)

with show_error(expected=TypeError):  # it refuses only names that are no attribute at all
    User(name="Mallory", is_admin=True)

# %% [markdown]
# The guard is a Pydantic schema listing what a client may send, with `extra="forbid"` so anything else is an
# error. (Pydantic's default, `extra="ignore"`, drops unknown keys silently, as `$fillable` does; forbidding
# them is Laravel's `Model::preventSilentlyDiscardingAttributes()`, and tells the client what went wrong.)

# %%
from pydantic import BaseModel, ConfigDict, Field, ValidationError


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=100)
    email: str = Field(max_length=255)
    age: int | None = None


with show_error(expected=ValidationError) as caught:
    UserCreate.model_validate(payload)
for problem in caught.error.errors():
    print(problem["loc"], problem["msg"])

# %% [markdown]
# A valid payload builds the model from the schema's fields only, and the model's defaults fill in the rest:

# %%
data = UserCreate.model_validate({"name": "Grace", "email": "grace@example.com", "age": 36})

async with db.Session() as session:
    with show_sql():
        grace = User(**data.model_dump())
        session.add(grace)
        await session.commit()
grace.role, grace.is_active


# %% [markdown]
# ## `$hidden`: a response schema
#
# **In Laravel** `$hidden` removes attributes when a model becomes JSON:
#
# ```php
# protected $hidden = ['password'];
# return $user;   // JSON without the password
# ```
#
# **In SQLAlchemy** the model has no JSON form of its own; a response schema says what goes out.
# `from_attributes=True` lets the schema read a model's attributes (by default Pydantic takes only a dict, or an
# instance of the schema itself). Every seeded user has a password hash; the response has none:

# %%
class UserResponse(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    email: str
    is_active: bool
    created_at: datetime


async with db.Session() as session:
    user = await session.get(User, 2)
body = UserResponse.model_validate(user).model_dump()
print("the model's password_hash:", user.password_hash[:26] + "…")
print("password_hash in the response:", "password_hash" in body)
body

# %% [markdown]
# A response schema is an allow-list, safer than `$hidden`'s deny-list: a column you add tomorrow stays private
# until you add it to the schema.
#
# ### Both schemas in a FastAPI route
#
# The request body is validated against `UserCreate` before the route runs, and the return annotation
# `-> UserResponse` is the response model: FastAPI sends only its fields.

# %%
from typing import Annotated

import httpx
from fastapi import Depends, FastAPI
from sqlalchemy.ext.asyncio import AsyncSession


async def lesson_session():
    async with db.Session() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(lesson_session)]
app = FastAPI()


@app.post("/users", status_code=201)
async def create_user(data: UserCreate, session: SessionDep) -> UserResponse:
    user = User(**data.model_dump())
    session.add(user)
    await session.commit()
    return UserResponse.model_validate(user)


async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
    refused = await client.post("/users", json=payload)
    created = await client.post("/users", json={"name": "Linus", "email": "linus@example.com"})
print(refused.status_code, refused.json()["detail"][0]["loc"], refused.json()["detail"][0]["msg"])
print(created.status_code, created.json())


# %% [markdown]
# Mallory's `role` is a 422 before any SQL runs; Linus is created with the default role, and the JSON has no
# `password_hash`.
#
# ### Careful: without `from_attributes`, and `class Config`
#
# A schema without `from_attributes` rejects the model object. The chapter writes the setting as an inner
# `class Config`: that is Pydantic 1, which Pydantic 2 still accepts with a deprecation warning that says
# version 3 will remove it:

# %%
class UserSummary(BaseModel):
    id: int
    name: str


with show_error(expected=ValidationError) as caught:
    UserSummary.model_validate(user)
print(caught.error.errors()[0]["msg"])

with show_error():

    class UserResponseOldStyle(BaseModel):
        id: int

        class Config:
            from_attributes = True


UserResponseOldStyle.model_config

# %% [markdown]
# Write `model_config = ConfigDict(from_attributes=True)`, as above. (Settings classes follow suit:
# `model_config = SettingsConfigDict(env_file=".env")`, see `lessons/core/settings.py`.)
#
# ## Your turn
#
# Laravel's blog needs tags. Write `define_tag_model()` so it returns a typed `Tag` model:
#
# - on a `DeclarativeBase` of its own, table `l01_tags`;
# - `id`, an integer primary key (and no extra index);
# - `name`, required, unique, at most 50 characters;
# - `created_at` and `updated_at`, read back timezone-aware on every backend (SQLite too), equal on insert (one
#   moment, even while the clock runs), with `updated_at` (and only `updated_at`) moving on every update, both from
#   the course clock (`clock.now`) so a test can freeze them; set by the columns themselves, so that a Core
#   `insert()` or `update()` statement stamps them as the ORM does.
#
# The checker creates your table next to the reference's on generated databases, compares the tables as created,
# then inserts, updates and breaks the rules on purpose, through the ORM and through Core statements, with the clock
# frozen and running, and tells you the first thing your model does differently.

# %%
from lessons import TimestampMixin, exercises

q1 = exercises.get("01.tag_model")


def define_tag_model() -> type:
    # BEGIN SOLUTION
    class TagBase(DeclarativeBase):
        pass

    class Tag(TimestampMixin, TagBase):
        __tablename__ = "l01_tags"

        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(50), unique=True)

    return Tag
    # STUB: raise NotImplementedError  # define TagBase and Tag here, then `return Tag`
    # END SOLUTION


await q1.check(define_tag_model)

# %% [markdown]
# Stuck? Ask for a hint, then another; `q1.solution()` shows one answer (yours may differ and still pass).

# %%
q1.hint()
# q1.hint(2)
# q1.solution()

# %% [markdown]
# ## Key points
#
# - Write models in the typed style: `Mapped[str]` is NOT NULL, `Mapped[str | None]` nullable, and the types are
#   there for your editor. A classic `Column()` is nullable until you say otherwise.
# - `CreateTable(Model.__table__).compile(dialect=...)` (or `to_sql`) shows the DDL for any backend, like
#   `migrate --pretend`.
# - A primary key is indexed already: `index=True` on it only adds a second, useless index.
# - Timestamps like Laravel's: both set on insert, `updated_at` on update, computed in Python from a clock you can
#   freeze (`TimestampMixin`); never `datetime.utcnow()`.
# - `UTCDateTime` keeps times aware on SQLite and MariaDB, where `DateTime(timezone=True)` reads back naive.
# - `$casts` → column types; `$fillable` → a create schema with `extra="forbid"`; `$hidden` → a response schema
#   with `ConfigDict(from_attributes=True)` that leaves `password_hash` out.
#
# [Contents](00-setup.ipynb#Course-map) · Previous: [← 00 · Setup](00-setup.ipynb) · Next: [02 · CRUD →](02-crud.ipynb)
