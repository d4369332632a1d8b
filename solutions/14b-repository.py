# %% [markdown]
# # 14b · A repository: one class per model, so controllers never build queries
#
# [Contents](00-setup.ipynb#Course-map) · Previous: [← 14a · Soft deletes](14a-soft-deletes.ipynb) · Next: [14c · Full-text search →](14c-full-text-search.ipynb)
#
# The second of lesson 14's four exercises. Each exercise names the Laravel feature, gives you a stub to complete, and checks it with `await ….check(...)`:
# the checker runs your code **on a fresh database of its own** and judges what it does (rows, errors, what survives
# a rollback), so any correct design passes, not only ours. Stuck? `.hint()`, then `.hint(2)`; `.solution()` prints
# one answer.
#
# Here you build a generic repository, the pattern many Laravel teams wrap around Eloquent: `find`, `paginate`,
# `create`, `update`, `delete` on any model, plus the queries of one model, and a session that stays usable after a
# failed `INSERT`.
#
# **You will learn**
# - what the chapter's `BaseRepository` really does: its SQL, the delete that deletes nothing, the session a
#   duplicate leaves unusable
# - a generic `BaseRepository[T]` with typed methods over an `AsyncSession`
# - commit per call, its price (two calls never share a transaction), and roll back on `IntegrityError`
# - what a rollback does to the objects you had loaded, and how to read them again
#
# **Time:** about 20 minutes.

# %% [markdown]
# ## Your lesson database
#
# A fresh copy of the seeded blog (200 users, 1,000 posts), clock frozen at 2025-01-15 09:00 UTC. The checkers
# never touch it: each builds its own.

# %%
from lessons import clock, fresh_database

clock.freeze()
db = await fresh_database("14b-repository")
db

# %% [markdown]
# ## The Laravel feature
#
# Repositories are not built in, but many Laravel teams wrap Eloquent in them so controllers never build queries:
#
# ```php
# class UserRepository {
#     public function find(int $id): ?User { return User::find($id); }
#     public function paginate(int $perPage) { return User::orderBy('id')->paginate($perPage); }
#     public function findByEmail(string $email): ?User { return User::where('email', $email)->first(); }
# }
# ```
#
# ## The chapter's repository, run as written
#
# The chapter's `BaseRepository` takes the model and a session, and commits in every method. Here it is with its
# `get`, `create` and `delete` as printed (its `delete` calls `self.db.delete(obj)` without `await`, ERRATA 1).
# Its `list(skip, limit)` is left out: it has no `ORDER BY`, and without one SQL promises no order, so pages may
# overlap or skip rows (PostgreSQL's manual, *LIMIT and OFFSET*); yours orders by id.

# %%
from typing import Generic, TypeVar

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from lessons import Base, User, show_error, show_sql

T = TypeVar("T", bound=Base)


class ChapterRepository(Generic[T]):
    def __init__(self, model: type[T], db: AsyncSession) -> None:
        self.model = model
        self.db = db

    async def get(self, id: int) -> T | None:
        return await self.db.get(self.model, id)

    async def create(self, obj: T) -> T:
        self.db.add(obj)
        await self.db.commit()
        await self.db.refresh(obj)
        return obj

    async def delete(self, obj: T) -> None:
        self.db.delete(obj)  # as printed: "synchronous", the chapter says
        await self.db.commit()


# %% [markdown]
# `create` is an `INSERT` and a `COMMIT`, then a second round trip: `refresh()` reads the row back. With the
# course's `expire_on_commit=False` the object still holds every value it was inserted with, so that `SELECT` is
# only worth it for values the database computed (lesson 02). Then `delete`:

# %%
async with db.Session() as session:
    users = ChapterRepository(User, session)
    with show_sql(parameters=False):
        grace = await users.create(User(name="Grace Hopper", email="grace@example.org"))
    print("delete(grace):")
    with show_sql(), show_error():
        await users.delete(grace)
    still_there = await session.scalar(select(func.count()).select_from(User).where(User.id == grace.id))
print(f"rows with id {grace.id} after the delete: {still_there}")

# %% [markdown]
# No `DELETE` was sent: `self.db.delete(obj)` made a coroutine that never ran, and the `COMMIT` committed nothing.
# Next, a duplicate email. The session rolls the database transaction back itself (the `ROLLBACK` below), but
# stays in a failed state: every later call through the same session fails until someone calls
# `session.rollback()`, which the chapter's class never does:

# %%
from sqlalchemy.exc import IntegrityError, PendingRollbackError

async with db.Session() as session:
    users = ChapterRepository(User, session)
    with show_sql(parameters=False), show_error(expected=IntegrityError):
        await users.create(User(name="Grace again", email="grace@example.org"))
    with show_error(expected=PendingRollbackError):
        await users.get(1)


# %% [markdown]
# ### What commit-per-call costs
#
# A method that commits ends the transaction. Two calls can never be one unit: sign a user up and create their
# first post, and when the post fails, the user is already committed. Here the post has no title (`NOT NULL`):

# %%
from lessons import Post

async with db.Session() as session:
    users, posts = ChapterRepository(User, session), ChapterRepository(Post, session)
    with show_sql(parameters=False, transactions=True):
        alan = await users.create(User(name="Alan Turing", email="alan@example.org"))
        with show_error(expected=IntegrityError):
            await posts.create(Post(title=None, content="Hello", user_id=alan.id))
async with db.Session() as session:
    print("Alan is still there:", await session.scalar(select(User.name).where(User.email == "alan@example.org")))


# %% [markdown]
# Half a sign-up was kept. When calls must succeed or fail together, the repository `flush()`es (the `INSERT`
# runs, the transaction stays open) and the caller commits once, or rolls back once (lesson 08a). Commit per call
# is simpler, and fine when each call is a unit of its own, as in the task below.
#
# ## Your turn: the repository pattern
#
# **Your task:** a generic `BaseRepository[T]` holding a session and a model class, with `get(id)` (`None` when
# missing), `list(page=1, size=10)` (`ORDER BY id`: without it the database returns rows in any order; `[]` past
# the last page), `create(**fields)` (commits, and on a duplicate email raises, saves nothing *and leaves the
# session usable*), `update(id, **fields)` (sets every field given, `False` and `None` too, and commits; returns the
# updated object, or `None`), and `delete(id)` (returns whether a row was deleted, and really deletes it: ERRATA 1);
# then `UserRepository(BaseRepository[User])` with `get_by_email(email)` (`None` when unknown).
# `UserRepository(session)` builds one (the model class is the subclass's business, not the caller's): check the
# `UserRepository` class.

# %%
from typing import Any

from lessons import exercises

repository_check = exercises.get("14.repository")
ModelT = TypeVar("ModelT", bound=Base)

# BEGIN SOLUTION
# STUB: UserRepository = None  # your BaseRepository[T] and UserRepository here


class BaseRepository(Generic[ModelT]):
    model: type[ModelT]

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, id: int) -> ModelT | None:
        return await self.session.get(self.model, id)

    async def list(self, page: int = 1, size: int = 10) -> list[ModelT]:
        statement = select(self.model).order_by(self.model.id).limit(size).offset((page - 1) * size)
        return list((await self.session.scalars(statement)).all())

    async def create(self, **fields: Any) -> ModelT:
        obj = self.model(**fields)
        self.session.add(obj)
        try:
            await self.session.commit()
        except IntegrityError:
            await self.session.rollback()
            raise
        return obj

    async def update(self, id: int, **fields: Any) -> ModelT | None:
        obj = await self.get(id)
        if obj is None:
            return None
        for name, value in fields.items():
            setattr(obj, name, value)
        await self.session.commit()
        return obj

    async def delete(self, id: int) -> bool:
        obj = await self.get(id)
        if obj is None:
            return False
        await self.session.delete(obj)
        await self.session.commit()
        return True


class UserRepository(BaseRepository[User]):
    model = User

    async def get_by_email(self, email: str) -> User | None:
        return await self.session.scalar(select(User).where(User.email == email))


# END SOLUTION

await repository_check.check(UserRepository)

# %% [markdown]
# Stuck? `repository_check.hint()` gives four hints, gentlest first.

# %%
repository_check.hint()

# %% [markdown]
# ### Careful: a rollback expires everything
#
# After a failed `create()`, `rollback()` makes the session usable again, and also *expires* every object it
# had loaded. Under asyncio, reading an expired attribute raises, so keep what you need (an id) before the risky
# call, or `await session.refresh(obj)` after it:

# %%
if UserRepository is not None:
    async with db.Session() as session:
        users = UserRepository(session)
        ada = await users.create(name="Ada Lovelace", email="ada@example.org")
        ada_id = ada.id
        with show_sql(parameters=False), show_error(expected=IntegrityError):
            await users.create(name="Copy", email="ada@example.org")
        with show_error():
            print(ada.name)
        await session.refresh(ada)
        print(ada.name, "·", (await users.get(ada_id)).email)

# %% [markdown]
# ## Key points
#
# - A repository holds a session and a model class; `BaseRepository[T]` gives every model `get`, `list`, `create`,
#   `update` and `delete`, and a subclass adds one model's own queries (`get_by_email`).
# - It commits per call and rolls back on `IntegrityError`, so one failed `INSERT` does not poison the session.
# - `await session.delete(obj)` is a coroutine: without `await` nothing is deleted (ERRATA 1).
# - A rollback expires every loaded object: keep the ids you need before a risky call, or `await session.refresh(obj)`.
#
# [Contents](00-setup.ipynb#Course-map) · Previous: [← 14a · Soft deletes](14a-soft-deletes.ipynb) · Next: [14c · Full-text search →](14c-full-text-search.ipynb)
