# %% [markdown]
# # 13b · Hybrids and custom types: attributes that are also SQL, and columns of your own
#
# [Contents](00-setup.ipynb#Course-map) · Previous: [← 13a · Pools and raw SQL](13a-pools-and-raw-sql.ipynb) · Next: [13c · Events →](13c-events.ipynb)
#
# Computed attributes that also work in a `WHERE`, and column types that convert values on their way in and out.
# The chapter's hybrid works, but only by defining the same name twice, which type checkers reject; rename it
# the obvious way and it silently matches nothing. Its JSON column loses edits without an error. This lesson runs
# all three, so you recognise them.
#
# **You will learn**
# - hybrid properties and methods: Python on an instance, SQL on the class, with `.inplace.expression`
# - why a renamed expression without `.inplace` turns a query into `WHERE 0 = 1`
# - a `TypeDecorator` of your own, and the built-in `JSON` type
# - which in-place edits of a JSON column are saved: `MutableDict`, and `flag_modified()` for nested ones
#
# **Time:** about 25 minutes.

# %% [markdown]
# ## Your lesson database
#
# A fresh copy of the seeded blog, clock frozen at 2025-01-15 09:00 UTC. This lesson adds tables of its own
# (`l13_members`, `l13_accounts`) beside the blog's.

# %%
from lessons import clock, fresh_database

clock.freeze()
db = await fresh_database("13b-hybrids-and-custom-types")
db

# %% [markdown]
# ## Hybrid properties and methods
#
# **In Laravel** an accessor works on a model instance, but a query needs the SQL spelled out again:
#
# ```php
# public function getFullNameAttribute() { return "{$this->first_name} {$this->last_name}"; }
# User::whereRaw("first_name || ' ' || last_name = ?", ['Ada Lovelace'])->get();
# ```
#
# **In SQLAlchemy** a hybrid property is both: Python on an instance, SQL on the class. The model is a small
# members table of the lesson's own; its columns (`id`, `first_name`, `last_name`, `joined_at`) come from
# `MemberColumns` in `lessons/scenery/lesson13_member_table.py`, so the cell holds only what is new, the hybrids:

# %%
from sqlalchemy import ColumnElement, MetaData, func
from sqlalchemy.ext.hybrid import hybrid_method, hybrid_property
from sqlalchemy.orm import DeclarativeBase

from lessons.scenery.lesson13_member_table import MemberColumns, add_members


class LessonBase(DeclarativeBase):
    metadata = MetaData()  # the lesson's own tables: the course's models are left alone


class Member(MemberColumns, LessonBase):
    __tablename__ = "l13_members"

    @hybrid_property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @full_name.inplace.expression
    @classmethod
    def _full_name_expression(cls) -> ColumnElement[str]:
        return cls.first_name + " " + cls.last_name

    @hybrid_method
    def name_longer_than(self, length: int) -> bool:
        return len(self.full_name) > length

    @name_longer_than.inplace.expression
    @classmethod
    def _name_longer_than_expression(cls, length: int) -> ColumnElement[bool]:
        return func.length(cls.full_name) > length


# %% [markdown]
# `add_members` (from the same module) creates the table and adds a member per name. On an instance,
# `full_name` is Python; on the class, it is SQL you can filter and sort by, in each database's own dialect: on
# MariaDB and MySQL `||` is OR by default, so there `+` compiles to `concat()`, where the `whereRaw` string above would
# have to be rewritten by hand:

# %%
from sqlalchemy import select

from lessons import show_sql, to_sql

await add_members(db, Member, "Ada Lovelace", "Grace Hopper", "Margaret Hamilton")

ada = Member(first_name="Ada", last_name="Lovelace")
print(ada.full_name, "·", ada.name_longer_than(12))
where_ada = select(Member.id).where(Member.full_name == "Ada Lovelace")
print(to_sql(where_ada))
print(to_sql(where_ada, "mariadb"))
async with db.Session() as session:
    with show_sql():
        long_names = (await session.scalars(select(Member).where(Member.name_longer_than(12)))).all()
[member.full_name for member in long_names]


# %% [markdown]
# ### Careful: renaming the expression without `.inplace`
#
# The chapter decorates a second `def full_name` with `@full_name.expression`. That works: `.expression` returns
# a *copy* of the hybrid with the SQL form added, and the second `def full_name` binds the copy to the same name.
# Mapped onto the same `l13_members` table, it finds Ada:

# %%
class ChapterMember(LessonBase):
    __table__ = Member.__table__  # the same rows, mapped by a second class

    @hybrid_property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @full_name.expression
    def full_name(cls):  # the same name again: mypy reports 'Name "full_name" already defined'
        return cls.first_name + " " + cls.last_name


async with db.Session() as session:
    with show_sql(transactions=False):
        found = await session.scalars(select(ChapterMember.id).where(ChapterMember.full_name == "Ada Lovelace"))
    print("ids found:", found.all())


# %% [markdown]
# The right SQL, but a class that defines one name twice is what type checkers reject (SQLAlchemy's docs: this
# style "is not compatible with typing tools such as mypy and pyright"). The obvious rename is where it goes
# wrong: without `.inplace`, the copy is stored under the *new* name, and `full_name` keeps no SQL form. On the
# class it then runs the Python f-string on the columns:

# %%
class RenamedMember(LessonBase):
    __table__ = Member.__table__

    @hybrid_property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @full_name.expression
    def _full_name_expression(cls):
        return cls.first_name + " " + cls.last_name


print("RenamedMember.full_name == 'Ada Lovelace' is", RenamedMember.full_name == "Ada Lovelace")
async with db.Session() as session:
    with show_sql(transactions=False):
        found = await session.scalars(select(RenamedMember.id).where(RenamedMember.full_name == "Ada Lovelace"))
    print("ids found:", found.all())


# %% [markdown]
# The f-string made the text `'RenamedMember.first_name RenamedMember.last_name'`; compared with `'Ada Lovelace'`
# that is plain Python `False`, and the query became `WHERE 0 = 1` (SQLite's spelling of false; PostgreSQL
# prints `WHERE false`, MariaDB `WHERE false = 1`, in their tabs on the site): no error, no rows, ever. (The SQL form now
# lives under `RenamedMember._full_name_expression`, where no query looks for it.)
# `@full_name.inplace.expression` with a `@classmethod` under a new name, as in `Member`, changes the hybrid
# *in place*: one name, a SQL form, and nothing for a type checker to complain about.
#
# ## Custom column types
#
# **In Laravel** a cast turns a JSON column into a PHP array: `protected $casts = ['preferences' => 'array'];`.
# **In SQLAlchemy** a `TypeDecorator` wraps an existing type with your own conversion in and out. The chapter's
# example stores a dict as JSON text:

# %%
import json
from typing import Any

from sqlalchemy import Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class JSONEncodedDict(TypeDecorator[dict[str, Any]]):
    """A dict stored as JSON text."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: dict[str, Any] | None, dialect: Dialect) -> str | None:
        return None if value is None else json.dumps(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> dict[str, Any] | None:
        return None if value is None else json.loads(value)


# %% [markdown]
# An account keeps its preferences twice: in that type, and in the built-in `JSON` type wrapped in `MutableDict`
# (why, in a moment). The built-in `JSON` works on SQLite, PostgreSQL and MariaDB alike:

# %%
from sqlalchemy import JSON
from sqlalchemy.ext.mutable import MutableDict
from sqlalchemy.orm import Mapped, mapped_column


class Account(LessonBase):
    __tablename__ = "l13_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    legacy_preferences: Mapped[dict[str, Any]] = mapped_column(JSONEncodedDict, default=dict)
    preferences: Mapped[dict[str, Any]] = mapped_column(MutableDict.as_mutable(JSON), default=dict)


async with db.engine.begin() as conn:
    await conn.run_sync(Account.__table__.create)

async with db.Session() as session:
    session.add(Account(id=1, legacy_preferences={"theme": "dark"}, preferences={"theme": "dark"}))
    await session.commit()


# %% [markdown]
# ### Careful: in-place edits of a plain JSON column are lost
#
# Change one key of `legacy_preferences` and commit:

# %%
async with db.Session() as session:
    account = await session.get(Account, 1)
    account.legacy_preferences["theme"] = "light"
    with show_sql():
        await session.commit()

async with db.Session() as session:
    print((await session.get(Account, 1)).legacy_preferences)


# %% [markdown]
# No `UPDATE`, and the database still says `dark`. The session notices when you *assign* an attribute; changing a
# key inside the dict is not an assignment, so nothing is marked dirty. (Laravel's `array` cast cannot save that
# line either, but it says so: its docs warn that `$user->options['theme'] = 'light'` "will trigger a PHP error",
# which is why `AsArrayObject` exists. Here nothing warns you.)
# `MutableDict.as_mutable(...)` wraps the value in a dict that reports its own changes:

# %%
async with db.Session() as session:
    account = await session.get(Account, 1)
    account.preferences["theme"] = "light"
    with show_sql():
        await session.commit()

async with db.Session() as session:
    print((await session.get(Account, 1)).preferences)


# %% [markdown]
# ### Careful: `MutableDict` does not see inside a nested dict
#
# Its docstring says so: it "does **not** apply mutable tracking to the *values themselves* inside the
# dictionary", so it is "not a sufficient solution" for a JSON document with levels. A change one level down:

# %%
async with db.Session() as session:
    account = await session.get(Account, 1)
    account.preferences["editor"] = {"font": "mono"}  # a top-level key: tracked
    await session.commit()
    account.preferences["editor"]["font"] = "serif"  # a key of the inner dict: not tracked
    print("dirty after the nested change:", account in session.dirty)
    with show_sql():
        await session.commit()

async with db.Session() as session:
    print((await session.get(Account, 1)).preferences)


# %% [markdown]
# Not one statement: the session saw nothing to write (the inner dict is a plain `dict`), and the font stayed
# `mono`. Tell the session yourself with
# `flag_modified()` (or assign a new dict to the top-level key, which `MutableDict` does see):

# %%
from sqlalchemy.orm.attributes import flag_modified

async with db.Session() as session:
    account = await session.get(Account, 1)
    account.preferences["editor"]["font"] = "serif"
    flag_modified(account, "preferences")  # the whole column is written again
    with show_sql():
        await session.commit()

async with db.Session() as session:
    print((await session.get(Account, 1)).preferences)


# %% [markdown]
# The `UPDATE` writes the whole document, and the font is `serif`. For documents edited deep down in many
# places, the docstring's own suggestion is a subclass of `MutableDict` that wraps every inner dict and reports
# its changes to the parent; `flag_modified()` is the one-line fix where you make the change.

# %% [markdown]
# ## Your turn
#
# A settings page changes one editor setting. Write `set_editor_font(session, account, font)` so that it sets
# `account.preferences["editor"]["font"]` to `font` and **saves it**, keeping every other setting. The account
# is loaded in `session`; its `preferences` is a `MutableDict` JSON column like `Account.preferences`, holding
# `{"theme": "dark", "editor": {"font": "mono", "size": 14}}`. The checker reads the row back from another
# connection.

# %%
from sqlalchemy.ext.asyncio import AsyncSession

from lessons import exercises

q1 = exercises.get("13.set_editor_font")


async def set_editor_font(session: AsyncSession, account: Account, font: str) -> None:
    # BEGIN SOLUTION
    account.preferences["editor"]["font"] = font
    flag_modified(account, "preferences")  # the inner dict is a plain dict: tell the session
    await session.commit()
    # END SOLUTION


await q1.check(set_editor_font)

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
# - A hybrid is Python on an instance and SQL on the class: `@prop.inplace.expression` on a `@classmethod` with a
#   new name. Without `.inplace`, a renamed expression silently leaves the property without SQL (`WHERE 0 = 1`).
# - A `TypeDecorator` converts values on the way in (`process_bind_param`) and out (`process_result_value`).
# - The session sees assignments, not changes inside a value: in-place edits of a plain JSON column are lost.
#   `MutableDict.as_mutable(JSON)` saves edits of its own keys.
# - A change inside a nested dict needs `flag_modified(obj, "column")` (or a new top-level value).
#
# [Contents](00-setup.ipynb#Course-map) · Previous: [← 13a · Pools and raw SQL](13a-pools-and-raw-sql.ipynb) · Next: [13c · Events →](13c-events.ipynb)
