"""Answers to lesson 14's practice (14a to 14d), written from the task statements alone (not from the checkers).

Each answer is built by a small factory, so the module's names stay apart; a soft-deletes answer registers its
global scope on ``Session`` when the module is imported, as a learner's cell does (its criteria reach only the
models mapped on that answer's own mixin).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timezone
from typing import Any, Generic, TypeVar

from sqlalchemy import DateTime, delete, event, insert, inspect, literal_column, null, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import (
    Mapped,
    ORMExecuteState,
    Session,
    declared_attr,
    mapped_column,
    object_session,
    with_loader_criteria,
)

from lessons.core import clock
from lessons.core.models import Base, User
from lessons.core.types import UTCDateTime
from lessons.exercises.lesson14c import INNODB_STOPWORDS  # given to the learner by the notebook's import
from lessons.exercises.lesson14d import current_user  # named by the task statement
from tests.answers import right, wrong

# ---------------------------------------------------------------------------------------------------------------
# 14.soft_deletes: a mixin (deleted_at, soft_delete(), restore(), is_deleted) and a do_orm_execute global scope on
# Session adding with_loader_criteria(mixin, ...) to every SELECT unless include_deleted=True.
# ---------------------------------------------------------------------------------------------------------------


def _scope(mixin: type, *, aliases: bool = True, option: str = "include_deleted", skip_loads: bool = True) -> None:
    """Register the global scope of ``mixin`` on every Session (the reference's shape, with knobs for mistakes)."""

    def hide_trashed(state: ORMExecuteState) -> None:
        if not state.is_select:
            return
        if skip_loads and (state.is_column_load or state.is_relationship_load):
            return
        if state.execution_options.get(option, False):
            return
        state.statement = state.statement.options(
            with_loader_criteria(mixin, lambda cls: cls.deleted_at.is_(None), include_aliases=aliases)
        )

    event.listen(Session, "do_orm_execute", hide_trashed)


class SoftDeletesAsInTheLesson:
    """The lesson's pieces: UTCDateTime, datetime.now(timezone.utc), a module-level listener."""

    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    def soft_delete(self) -> None:
        self.deleted_at = datetime.now(timezone.utc)

    def restore(self) -> None:
        self.deleted_at = None

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


_scope(SoftDeletesAsInTheLesson)
right("14.soft_deletes")(SoftDeletesAsInTheLesson)


class SoftDeletesDeclaredAttr:
    """declared_attr column, the course's clock as the time, a listener that also filters relationship loads (harmless:
    the criteria are the same), a null() comparison."""

    @declared_attr
    def deleted_at(cls) -> Mapped[datetime | None]:
        return mapped_column(UTCDateTime, nullable=True)

    def soft_delete(self) -> None:
        self.deleted_at = clock.now()

    def restore(self) -> None:
        self.deleted_at = None

    @property
    def is_deleted(self) -> bool:
        return bool(self.deleted_at)


@event.listens_for(Session, "do_orm_execute")
def _hide_trashed_declared_attr(state: ORMExecuteState) -> None:
    if state.is_select and not state.execution_options.get("include_deleted"):
        state.statement = state.statement.options(
            with_loader_criteria(SoftDeletesDeclaredAttr, lambda cls: cls.deleted_at == null(), include_aliases=True)
        )


right("14.soft_deletes")(SoftDeletesDeclaredAttr)


class SoftDeletesListenOnFirstModel:
    """Registers its global scope lazily, the first time a model takes the mixin (__init_subclass__), and writes
    the timestamp from the course clock."""

    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    _scope_registered = False

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        if not SoftDeletesListenOnFirstModel._scope_registered:
            SoftDeletesListenOnFirstModel._scope_registered = True
            _scope(SoftDeletesListenOnFirstModel)

    def soft_delete(self) -> None:
        self.deleted_at = datetime.now(timezone.utc).replace(microsecond=0)

    def restore(self) -> None:
        self.deleted_at = None

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


right("14.soft_deletes")(SoftDeletesListenOnFirstModel)


# Differs on: any SELECT after soft_delete() + commit — the trashed row is still returned (no global scope).
@wrong("14.soft_deletes", "no global scope: the mixin alone, trashed rows still returned")
class SoftDeletesWithoutScope:
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    def soft_delete(self) -> None:
        self.deleted_at = datetime.now(timezone.utc)

    def restore(self) -> None:
        self.deleted_at = None

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


# Differs on: select(Model).execution_options(include_deleted=True) still hides trashed rows.
@wrong("14.soft_deletes", "withTrashed() switch ignored: include_deleted=True still hides trashed rows")
class SoftDeletesNoWithTrashed:
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    def soft_delete(self) -> None:
        self.deleted_at = datetime.now(timezone.utc)

    def restore(self) -> None:
        self.deleted_at = None

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


_scope(SoftDeletesNoWithTrashed, option="a_switch_nobody_sets")


# Differs on: execution_options(include_deleted=True) — the listener reads "with_trashed" (Laravel's name).
@wrong("14.soft_deletes", "reads the wrong execution option (with_trashed, not include_deleted)")
class SoftDeletesWrongOptionName:
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    def soft_delete(self) -> None:
        self.deleted_at = datetime.now(timezone.utc)

    def restore(self) -> None:
        self.deleted_at = None

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


_scope(SoftDeletesWrongOptionName, option="with_trashed")


# Differs on: soft_delete() then flush — UTCDateTime refuses the naive datetime.now() (ValueError).
@wrong("14.soft_deletes", "naive datetime.now() in soft_delete(): not timezone-aware")
class SoftDeletesNaiveNow:
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    def soft_delete(self) -> None:
        self.deleted_at = datetime.now()

    def restore(self) -> None:
        self.deleted_at = None

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


_scope(SoftDeletesNaiveNow)


# Differs on: reading deleted_at back on SQLite or MariaDB — a plain DateTime column hands back a naive datetime
# (PostgreSQL: TIMESTAMP WITHOUT TIME ZONE, asyncpg refuses the aware value or returns a naive one).
@wrong("14.soft_deletes", "deleted_at column is a plain DateTime: reads back naive")
class SoftDeletesNaiveColumn:
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)

    def soft_delete(self) -> None:
        self.deleted_at = datetime.now(timezone.utc)

    def restore(self) -> None:
        self.deleted_at = None

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


_scope(SoftDeletesNaiveColumn)


# Differs on: soft_delete() then commit — the row is DELETEd, withTrashed() cannot bring it back, restore() fails.
@wrong("14.soft_deletes", "soft_delete() really deletes the row")
class SoftDeletesHardDelete:
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    def soft_delete(self) -> None:
        self.deleted_at = datetime.now(timezone.utc)
        session = object_session(self)
        if session is not None:
            session.delete(self)

    def restore(self) -> None:
        self.deleted_at = None

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


_scope(SoftDeletesHardDelete)


# Differs on: a new row, never trashed — deleted_at defaults to the insert time, so every new row is hidden.
@wrong("14.soft_deletes", "deleted_at defaults to now: every new row is born trashed")
class SoftDeletesBornTrashed:
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=clock.now, nullable=True)

    def soft_delete(self) -> None:
        self.deleted_at = datetime.now(timezone.utc)

    def restore(self) -> None:
        self.deleted_at = None

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


_scope(SoftDeletesBornTrashed)


# Differs on: obj.is_deleted of a live row — a method, not a property, so it is a bound method (always truthy).
@wrong("14.soft_deletes", "is_deleted is a method, not a property: always truthy")
class SoftDeletesIsDeletedMethod:
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    def soft_delete(self) -> None:
        self.deleted_at = datetime.now(timezone.utc)

    def restore(self) -> None:
        self.deleted_at = None

    def is_deleted(self) -> bool:
        return self.deleted_at is not None


_scope(SoftDeletesIsDeletedMethod)


# Differs on: restore() then commit and query — the row stays trashed (restore only clears the Python flag).
@wrong("14.soft_deletes", "restore() does not clear deleted_at")
class SoftDeletesRestoreForgets:
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    def soft_delete(self) -> None:
        self.deleted_at = datetime.now(timezone.utc)
        self._trashed = True

    def restore(self) -> None:
        self._trashed = False  # the column keeps its timestamp

    @property
    def is_deleted(self) -> bool:
        return getattr(self, "_trashed", self.deleted_at is not None)


_scope(SoftDeletesRestoreForgets)


# Differs on: every SELECT — with_loader_criteria on an unmapped mixin applies only with include_aliases=True
# (sqlalchemy/orm/context.py:2628 keeps an option whose entity is None only if include_aliases), so without it the
# scope is silently a no-op: trashed rows come back everywhere, not only through aliases.
@wrong("14.soft_deletes", "no include_aliases=True: on a mixin the criteria never apply")
class SoftDeletesNoAliases:
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    def soft_delete(self) -> None:
        self.deleted_at = datetime.now(timezone.utc)

    def restore(self) -> None:
        self.deleted_at = None

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


_scope(SoftDeletesNoAliases, aliases=False)


# Differs on: a query that only joins the model (select(Other).join(Model)) or loads it through a relationship —
# the scope filters only the statement's selected entities, with .where(), so joined and loaded rows are not hidden.
@wrong("14.soft_deletes", "filters only the selected entity with where(): joins and loads leak trashed rows")
class SoftDeletesWhereOnSelectedEntity:
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    def soft_delete(self) -> None:
        self.deleted_at = datetime.now(timezone.utc)

    def restore(self) -> None:
        self.deleted_at = None

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


@event.listens_for(Session, "do_orm_execute")
def _hide_trashed_where(state: ORMExecuteState) -> None:
    if not state.is_select or state.execution_options.get("include_deleted"):
        return
    if state.is_column_load or state.is_relationship_load:
        return
    statement = state.statement
    for description in getattr(statement, "column_descriptions", []):
        entity = description.get("entity")
        if isinstance(entity, type) and issubclass(entity, SoftDeletesWhereOnSelectedEntity):
            statement = statement.where(entity.deleted_at.is_(None))
    state.statement = statement


# ---------------------------------------------------------------------------------------------------------------
# 14.repository: BaseRepository[T] (get, list(page, size) by id, create(**fields) committing and rolling back on a
# duplicate, update(id, **fields) for every field given, delete(id) -> bool) and UserRepository(session) with
# get_by_email(email).
# ---------------------------------------------------------------------------------------------------------------

ModelT = TypeVar("ModelT", bound=Base)


def _orm_repository() -> type:
    """The ORM version: session.get, setattr, session.delete; a subclass names its model."""

    class BaseRepository(Generic[ModelT]):
        model: type[ModelT]

        def __init__(self, session: AsyncSession) -> None:
            self.session = session

        async def get(self, id: int) -> ModelT | None:
            return await self.session.get(self.model, id)

        async def list(self, page: int = 1, size: int = 10) -> list[ModelT]:
            statement = select(self.model).order_by(self.model.id).offset((page - 1) * size).limit(size)
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

    return UserRepository


right("14.repository")(_orm_repository())


def _core_repository() -> type:
    """Core statements: update()/delete() by id with rowcount, get by a SELECT, flush-then-commit in create, the
    model class taken from the generic parameter of the subclass."""

    class BaseRepository(Generic[ModelT]):
        model: type[ModelT]

        def __init_subclass__(cls, **kw: Any) -> None:
            super().__init_subclass__(**kw)
            for base in getattr(cls, "__orig_bases__", ()):
                args = getattr(base, "__args__", ())
                if args and isinstance(args[0], type):
                    cls.model = args[0]

        def __init__(self, session: AsyncSession) -> None:
            self.session = session

        async def get(self, id: int) -> ModelT | None:
            statement = select(self.model).where(self.model.id == id)
            return (await self.session.scalars(statement)).one_or_none()

        async def list(self, page: int = 1, size: int = 10) -> list[ModelT]:
            page = max(page, 1)
            statement = select(self.model).order_by(self.model.id.asc()).limit(size).offset(size * (page - 1))
            return [obj for obj in await self.session.scalars(statement)]

        async def create(self, **fields: Any) -> ModelT:
            obj = self.model(**fields)
            try:
                self.session.add(obj)
                await self.session.flush()
                await self.session.commit()
            except IntegrityError:
                await self.session.rollback()
                raise
            return obj

        async def update(self, id: int, **fields: Any) -> ModelT | None:
            if fields:
                result = await self.session.execute(
                    update(self.model).where(self.model.id == id).values(**fields).execution_options(
                        synchronize_session=False
                    )
                )
                if result.rowcount == 0:
                    await self.session.rollback()
                    return None
                await self.session.commit()
            statement = select(self.model).where(self.model.id == id).execution_options(populate_existing=True)
            return (await self.session.scalars(statement)).one_or_none()

        async def delete(self, id: int) -> bool:
            result = await self.session.execute(delete(self.model).where(self.model.id == id))
            await self.session.commit()
            return result.rowcount > 0

    class UserRepository(BaseRepository[User]):
        async def get_by_email(self, email: str) -> User | None:
            return (await self.session.scalars(select(User).where(User.email == email).limit(1))).first()

    return UserRepository


right("14.repository")(_core_repository())


def _savepoint_repository() -> type:
    """create() inside a SAVEPOINT (begin_nested), update() through the mapper's attributes, get() through a
    filter_by; the model is an argument of BaseRepository that UserRepository fills in."""

    class BaseRepository(Generic[ModelT]):
        def __init__(self, session: AsyncSession, model: type[ModelT]) -> None:
            self.session = session
            self.model = model

        async def get(self, id: int) -> ModelT | None:
            return await self.session.scalar(select(self.model).filter_by(id=id))

        async def list(self, page: int = 1, size: int = 10) -> list[ModelT]:
            start = (page - 1) * size
            statement = select(self.model).order_by(self.model.id).slice(start, start + size)
            return list(await self.session.scalars(statement))

        async def create(self, **fields: Any) -> ModelT:
            obj = self.model(**fields)
            try:
                async with self.session.begin_nested():
                    self.session.add(obj)
            except IntegrityError:
                await self.session.rollback()
                raise
            await self.session.commit()
            return obj

        async def update(self, id: int, **fields: Any) -> ModelT | None:
            obj = await self.get(id)
            if obj is None:
                return None
            columns = inspect(self.model).attrs
            for name, value in fields.items():
                if name not in columns:
                    raise AttributeError(f"{self.model.__name__} has no attribute {name!r}")
                setattr(obj, name, value)
            await self.session.commit()
            return obj

        async def delete(self, id: int) -> bool:
            obj = await self.get(id)
            if obj is not None:
                await self.session.delete(obj)
                await self.session.commit()
            return obj is not None

    class UserRepository(BaseRepository[User]):
        def __init__(self, session: AsyncSession) -> None:
            super().__init__(session, User)

        async def get_by_email(self, email: str) -> User | None:
            return (await self.session.execute(select(User).where(User.email == email))).scalar_one_or_none()

    return UserRepository


right("14.repository")(_savepoint_repository())


def _repository(**mistakes: bool) -> type:
    """The ORM version with one mistake switched on (each wrong answer below names its own)."""

    class BaseRepository(Generic[ModelT]):
        model: type[ModelT]

        def __init__(self, session: AsyncSession) -> None:
            self.session = session

        async def get(self, id: int) -> ModelT | None:
            if mistakes.get("get_raises"):
                return (await self.session.scalars(select(self.model).where(self.model.id == id))).one()
            return await self.session.get(self.model, id)

        async def list(self, page: int = 1, size: int = 10) -> list[ModelT]:
            statement = select(self.model)
            if not mistakes.get("no_order"):
                statement = statement.order_by(self.model.id)
            offset = page * size if mistakes.get("page_off_by_one") else (page - 1) * size
            statement = statement.offset(offset).limit(size)
            if mistakes.get("rows"):
                return list((await self.session.execute(statement)).all())
            return list((await self.session.scalars(statement)).all())

        async def create(self, **fields: Any) -> ModelT:
            obj = self.model(**fields)
            self.session.add(obj)
            try:
                await self.session.commit()
            except IntegrityError:
                if mistakes.get("no_rollback"):
                    raise
                await self.session.rollback()
                if mistakes.get("swallow"):
                    return None  # type: ignore[return-value]
                raise
            return obj

        async def update(self, id: int, **fields: Any) -> ModelT | None:
            obj = await self.get(id)
            if obj is None:
                return None
            for name, value in fields.items():
                if mistakes.get("skip_falsy") and not value:
                    continue
                setattr(obj, name, value)
            if mistakes.get("update_no_commit"):
                await self.session.flush()
            else:
                await self.session.commit()
            return obj

        async def delete(self, id: int) -> bool:
            obj = await self.get(id)
            if obj is None:
                return bool(mistakes.get("delete_always_true"))
            await self.session.delete(obj)
            if mistakes.get("delete_no_commit"):
                await self.session.flush()
            else:
                await self.session.commit()
            return True

    class UserRepository(BaseRepository[User]):
        model = User

        async def get_by_email(self, email: str) -> User | None:
            if mistakes.get("ilike"):
                return await self.session.scalar(select(User).where(User.email.ilike(email)))
            return await self.session.scalar(select(User).where(User.email == email))

    UserRepository.__name__ = "UserRepository_" + "_".join(mistakes)
    return UserRepository


# Differs on: a duplicate email, then any call — the session is left in a failed transaction (PendingRollbackError).
wrong("14.repository", "no rollback after a duplicate: session left unusable")(_repository(no_rollback=True))
# Differs on: a duplicate email — returns None instead of raising.
wrong("14.repository", "swallows the IntegrityError: no error on a duplicate")(_repository(swallow=True))
# Differs on: list() — no ORDER BY, so pages follow whatever order the database picks (e.g. after updates on MariaDB
# or PostgreSQL, or rows inserted with ids out of order).
wrong("14.repository", "list() has no ORDER BY")(_repository(no_order=True))
# Differs on: list(page=1) — skips the first page (offset page*size).
wrong("14.repository", "page off by one: offset page*size")(_repository(page_off_by_one=True))
# Differs on: list() — a list of Row tuples, not User objects.
wrong("14.repository", "list() returns Rows, not model objects")(_repository(rows=True))
# Differs on: get(missing id) — raises NoResultFound instead of returning None.
wrong("14.repository", "get() raises on a missing id instead of returning None")(_repository(get_raises=True))
# Differs on: update(id, is_active=False) or update(id, age=None) — the field is left unchanged.
wrong("14.repository", "update() skips falsy values (False, None, 0, '')")(_repository(skip_falsy=True))
# Differs on: update() then a new session — the change was never committed.
wrong("14.repository", "update() flushes but never commits")(_repository(update_no_commit=True))
# Differs on: delete() then a new session — the row is still there (flushed, never committed).
wrong("14.repository", "delete() flushes but never commits")(_repository(delete_no_commit=True))
# Differs on: delete(missing id) — returns True.
wrong("14.repository", "delete() of a missing id returns True")(_repository(delete_always_true=True))
# Differs on: get_by_email("a_b@x.org") finds "axb@x.org"; and get_by_email("ADA@X.ORG") finds "ada@x.org".
wrong("14.repository", "get_by_email uses ILIKE: wildcards and case folding")(_repository(ilike=True))


# Differs on: UserRepository(session) — TypeError, the constructor wants the model too (the chapter's signature).
@wrong("14.repository", "UserRepository(session) fails: the constructor needs the model class")
class UserRepositoryNeedsModel(Generic[ModelT]):
    def __init__(self, model: type[ModelT], session: AsyncSession) -> None:
        self.model, self.session = model, session

    async def get(self, id: int) -> ModelT | None:
        return await self.session.get(self.model, id)

    async def get_by_email(self, email: str) -> User | None:
        return await self.session.scalar(select(User).where(User.email == email))


# ---------------------------------------------------------------------------------------------------------------
# 14.search_index: install_search_index(conn) — SQLite posts_fts (rowid = post id) + triggers, PostgreSQL stored
# generated posts.search_vector + GIN index, MariaDB FULLTEXT (title, content); filled, and kept in sync.
# ---------------------------------------------------------------------------------------------------------------

_PG_DOCUMENT = "to_tsvector('english', coalesce(title, '') || ' ' || coalesce(content, ''))"
_SQLITE_EXTERNAL_CONTENT = [
    "CREATE VIRTUAL TABLE posts_fts USING fts5(title, content, content='posts', content_rowid='id')",
    "CREATE TRIGGER posts_fts_ai AFTER INSERT ON posts BEGIN "
    "INSERT INTO posts_fts(rowid, title, content) VALUES (new.id, new.title, new.content); END",
    "CREATE TRIGGER posts_fts_ad AFTER DELETE ON posts BEGIN "
    "INSERT INTO posts_fts(posts_fts, rowid, title, content) VALUES ('delete', old.id, old.title, old.content); END",
    "CREATE TRIGGER posts_fts_au AFTER UPDATE ON posts BEGIN "
    "INSERT INTO posts_fts(posts_fts, rowid, title, content) VALUES ('delete', old.id, old.title, old.content); "
    "INSERT INTO posts_fts(rowid, title, content) VALUES (new.id, new.title, new.content); END",
    "INSERT INTO posts_fts(posts_fts) VALUES ('rebuild')",
]


@right("14.search_index")
async def install_search_index_external_content(conn: AsyncConnection) -> None:
    """External-content FTS5 + three triggers + rebuild; raw DDL for the generated column; CREATE FULLTEXT INDEX."""
    name = conn.dialect.name
    if name == "sqlite":
        for statement in _SQLITE_EXTERNAL_CONTENT:
            await conn.exec_driver_sql(statement)
    elif name == "postgresql":
        await conn.exec_driver_sql(
            f"ALTER TABLE posts ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ({_PG_DOCUMENT}) STORED"
        )
        await conn.exec_driver_sql("CREATE INDEX posts_search_vector_gin ON posts USING gin (search_vector)")
    else:
        await conn.exec_driver_sql("CREATE FULLTEXT INDEX posts_title_content_ft ON posts (title, content)")


@right("14.search_index")
async def install_search_index_own_copy(conn: AsyncConnection) -> None:
    """A standalone FTS5 table holding its own copy (filled by INSERT … SELECT, triggers that DELETE/INSERT by
    rowid); PostgreSQL via text(); MariaDB via ALTER TABLE … ADD FULLTEXT."""
    name = conn.dialect.name
    if name == "sqlite":
        for statement in (
            "CREATE VIRTUAL TABLE posts_fts USING fts5(title, content)",
            "INSERT INTO posts_fts(rowid, title, content) SELECT id, title, content FROM posts",
            "CREATE TRIGGER posts_fts_insert AFTER INSERT ON posts BEGIN "
            "INSERT INTO posts_fts(rowid, title, content) VALUES (new.id, new.title, new.content); END",
            "CREATE TRIGGER posts_fts_update AFTER UPDATE OF title, content ON posts BEGIN "
            "UPDATE posts_fts SET title = new.title, content = new.content WHERE rowid = old.id; END",
            "CREATE TRIGGER posts_fts_delete AFTER DELETE ON posts BEGIN "
            "DELETE FROM posts_fts WHERE rowid = old.id; END",
        ):
            await conn.execute(text(statement))
    elif name == "postgresql":
        await conn.execute(
            text(
                "ALTER TABLE posts ADD COLUMN search_vector tsvector GENERATED ALWAYS AS "
                "(setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', content), 'B')) "
                "STORED"
            )
        )
        await conn.execute(text("CREATE INDEX ix_posts_fts ON posts USING GIN (search_vector)"))
    elif name in {"mysql", "mariadb"}:
        await conn.execute(text("ALTER TABLE posts ADD FULLTEXT INDEX ft_posts (title, content)"))
    else:
        raise NotImplementedError(name)


@right("14.search_index")
async def install_search_index_sqlalchemy_ddl(conn: AsyncConnection) -> None:
    """SQLAlchemy constructs where they exist: Computed(persisted=True) compiled by the connection's dialect and an
    Index(postgresql_using='gin'); a mysql_prefix='FULLTEXT' Index; FTS5 with the 'porter' tokenizer on SQLite."""
    from sqlalchemy import Column, Computed, Index, Integer, MetaData, Table, Text
    from sqlalchemy.dialects.postgresql import TSVECTOR
    from sqlalchemy.schema import CreateColumn, CreateIndex

    name = conn.dialect.name
    if name == "sqlite":
        statements = list(_SQLITE_EXTERNAL_CONTENT)
        statements[0] = (
            "CREATE VIRTUAL TABLE posts_fts USING fts5(title, content, content='posts', content_rowid='id', "
            "tokenize='porter unicode61')"
        )
        for statement in statements:
            await conn.exec_driver_sql(statement)
        return
    metadata = MetaData()
    vector = Column("search_vector", TSVECTOR, Computed(_PG_DOCUMENT, persisted=True))
    posts = Table("posts", metadata, Column("id", Integer, primary_key=True), Column("title", Text),
                  Column("content", Text), vector)
    if name == "postgresql":
        await conn.exec_driver_sql(f"ALTER TABLE posts ADD COLUMN {CreateColumn(vector).compile(dialect=conn.dialect)}")
        await conn.execute(CreateIndex(Index("ix_posts_search_vector", posts.c.search_vector, postgresql_using="gin")))
    else:
        index = Index("ix_posts_fulltext", posts.c.title, posts.c.content, mysql_prefix="FULLTEXT")
        await conn.execute(CreateIndex(index))


async def _sqlite_fts(conn: AsyncConnection, *, columns: str = "title, content", rebuild: bool = True,
                      triggers: tuple[str, ...] = ("insert", "update", "delete")) -> None:
    """SQLite external-content FTS5 with some of its upkeep left out."""
    await conn.exec_driver_sql(
        f"CREATE VIRTUAL TABLE posts_fts USING fts5({columns}, content='posts', content_rowid='id')"
    )
    new = ", ".join(f"new.{c.strip()}" for c in columns.split(","))
    old = ", ".join(f"old.{c.strip()}" for c in columns.split(","))
    if "insert" in triggers:
        await conn.exec_driver_sql(
            f"CREATE TRIGGER posts_fts_ai AFTER INSERT ON posts BEGIN "
            f"INSERT INTO posts_fts(rowid, {columns}) VALUES (new.id, {new}); END"
        )
    if "delete" in triggers:
        await conn.exec_driver_sql(
            f"CREATE TRIGGER posts_fts_ad AFTER DELETE ON posts BEGIN "
            f"INSERT INTO posts_fts(posts_fts, rowid, {columns}) VALUES ('delete', old.id, {old}); END"
        )
    if "update" in triggers:
        await conn.exec_driver_sql(
            f"CREATE TRIGGER posts_fts_au AFTER UPDATE ON posts BEGIN "
            f"INSERT INTO posts_fts(posts_fts, rowid, {columns}) VALUES ('delete', old.id, {old}); "
            f"INSERT INTO posts_fts(rowid, {columns}) VALUES (new.id, {new}); END"
        )
    if rebuild:
        await conn.exec_driver_sql("INSERT INTO posts_fts(posts_fts) VALUES ('rebuild')")


async def _pg_plain_vector(conn: AsyncConnection, *, backfill: bool, on_update: bool) -> None:
    """PostgreSQL: a plain tsvector column kept by a trigger function (instead of a generated column)."""
    await conn.exec_driver_sql("ALTER TABLE posts ADD COLUMN search_vector tsvector")
    await conn.exec_driver_sql(
        "CREATE FUNCTION posts_search_vector_fill() RETURNS trigger AS $$ BEGIN "
        "NEW.search_vector := to_tsvector('english', coalesce(NEW.title, '') || ' ' || coalesce(NEW.content, '')); "
        "RETURN NEW; END $$ LANGUAGE plpgsql"
    )
    events = "INSERT OR UPDATE" if on_update else "INSERT"
    await conn.exec_driver_sql(
        f"CREATE TRIGGER posts_search_vector_trigger BEFORE {events} ON posts "
        "FOR EACH ROW EXECUTE FUNCTION posts_search_vector_fill()"
    )
    if backfill:
        await conn.exec_driver_sql(f"UPDATE posts SET search_vector = {_PG_DOCUMENT}")
    await conn.exec_driver_sql("CREATE INDEX ix_posts_search_vector ON posts USING gin (search_vector)")


# Differs on: a word found only in a post's body — not indexed on any backend.
@wrong("14.search_index", "indexes the title only, not the content")
async def install_search_index_title_only(conn: AsyncConnection) -> None:
    name = conn.dialect.name
    if name == "sqlite":
        await _sqlite_fts(conn, columns="title")
    elif name == "postgresql":
        await conn.exec_driver_sql(
            "ALTER TABLE posts ADD COLUMN search_vector tsvector "
            "GENERATED ALWAYS AS (to_tsvector('english', title)) STORED"
        )
        await conn.exec_driver_sql("CREATE INDEX ix_posts_search_vector ON posts USING gin (search_vector)")
    else:
        await conn.exec_driver_sql("CREATE FULLTEXT INDEX ft_posts_title ON posts (title)")


# Differs on: a post that was there before install (SQLite: no 'rebuild'; PostgreSQL: trigger column, no backfill);
# on MariaDB, where InnoDB always fills the index, the mistake is two one-column indexes (MATCH (title, content) has
# no index to use).
@wrong("14.search_index", "posts already there are not indexed (MariaDB: one index per column)")
async def install_search_index_no_backfill(conn: AsyncConnection) -> None:
    name = conn.dialect.name
    if name == "sqlite":
        await _sqlite_fts(conn, rebuild=False)
    elif name == "postgresql":
        await _pg_plain_vector(conn, backfill=False, on_update=True)
    else:
        await conn.exec_driver_sql("CREATE FULLTEXT INDEX ft_posts_title ON posts (title)")
        await conn.exec_driver_sql("CREATE FULLTEXT INDEX ft_posts_content ON posts (content)")


# Differs on: a post edited after install — its new words are not found (SQLite: no UPDATE trigger; PostgreSQL:
# trigger on INSERT only); on MariaDB the index is missing altogether (the branch tested for "mariadb", but the
# dialect's name is "mysql").
@wrong("14.search_index", "edits not followed (no UPDATE upkeep); MariaDB branch never taken")
async def install_search_index_no_update_trigger(conn: AsyncConnection) -> None:
    name = conn.dialect.name
    if name == "sqlite":
        await _sqlite_fts(conn, triggers=("insert", "delete"))
    elif name == "postgresql":
        await _pg_plain_vector(conn, backfill=True, on_update=False)
    elif name == "mariadb":
        await conn.exec_driver_sql("CREATE FULLTEXT INDEX ft_posts ON posts (title, content)")


# Differs on: a post added after install — not found (SQLite: no INSERT trigger; PostgreSQL: a plain column filled once
# by UPDATE); MariaDB: an index on content only.
@wrong("14.search_index", "filled once, new posts never indexed (MariaDB: content only)")
async def install_search_index_filled_once(conn: AsyncConnection) -> None:
    name = conn.dialect.name
    if name == "sqlite":
        await _sqlite_fts(conn, triggers=("update", "delete"))
    elif name == "postgresql":
        await conn.exec_driver_sql("ALTER TABLE posts ADD COLUMN search_vector tsvector")
        await conn.exec_driver_sql(f"UPDATE posts SET search_vector = {_PG_DOCUMENT}")
        await conn.exec_driver_sql("CREATE INDEX ix_posts_search_vector ON posts USING gin (search_vector)")
    else:
        await conn.exec_driver_sql("CREATE FULLTEXT INDEX ft_posts_content ON posts (content)")


# Differs on: a post deleted after install — SQLite still finds its id (no DELETE trigger, the external-content index
# keeps the entry); PostgreSQL: a search_vector column under another name (tsv), so steps 2 and 3 find no
# search_vector; MariaDB: a FULLTEXT index on a copy table, not on posts.
@wrong("14.search_index", "deleted posts still found (SQLite); built where steps 2 and 3 do not read it")
async def install_search_index_no_delete_trigger(conn: AsyncConnection) -> None:
    name = conn.dialect.name
    if name == "sqlite":
        await _sqlite_fts(conn, triggers=("insert", "update"))
    elif name == "postgresql":
        await conn.exec_driver_sql(
            f"ALTER TABLE posts ADD COLUMN tsv tsvector GENERATED ALWAYS AS ({_PG_DOCUMENT}) STORED"
        )
        await conn.exec_driver_sql("CREATE INDEX ix_posts_tsv ON posts USING gin (tsv)")
    else:
        await conn.exec_driver_sql(
            "CREATE TABLE posts_search (id INT PRIMARY KEY, title TEXT, content TEXT, FULLTEXT (title, content))"
        )
        await conn.exec_driver_sql("INSERT INTO posts_search SELECT id, title, content FROM posts")


# Differs on: every search — the FTS5 table is named posts_search (SQLite), the generated column has no GIN index
# and a stemming-less 'simple' configuration (PostgreSQL), and MariaDB gets nothing (unknown backends ignored).
@wrong("14.search_index", "index built under another name / without its GIN index; MariaDB skipped")
async def install_search_index_wrong_place(conn: AsyncConnection) -> None:
    name = conn.dialect.name
    if name == "sqlite":
        await conn.exec_driver_sql("CREATE VIRTUAL TABLE posts_search USING fts5(title, content, content='posts', "
                                   "content_rowid='id')")
        await conn.exec_driver_sql("INSERT INTO posts_search(posts_search) VALUES ('rebuild')")
    elif name == "postgresql":
        await conn.exec_driver_sql(
            "ALTER TABLE posts ADD COLUMN search_vector tsvector GENERATED ALWAYS AS "
            "(to_tsvector('simple', title || ' ' || content)) STORED"
        )


# Differs on: SQLite, any search after install — rowid is a counter of its own, not the post's id (ids with gaps,
# e.g. after a delete, or posts not inserted in id order, shift every result); PostgreSQL: the GIN index is on
# to_tsvector(title) only (an expression index), and search_vector is not created; MariaDB: the FULLTEXT index is
# created and then dropped again ("tidy up").
@wrong("14.search_index", "FTS rowid is not the post id (SQLite); no search_vector (PostgreSQL); index dropped")
async def install_search_index_rowid_not_id(conn: AsyncConnection) -> None:
    name = conn.dialect.name
    if name == "sqlite":
        await conn.exec_driver_sql("CREATE VIRTUAL TABLE posts_fts USING fts5(title, content)")
        await conn.exec_driver_sql("INSERT INTO posts_fts(title, content) SELECT title, content FROM posts "
                                   "ORDER BY created_at DESC, id DESC")
        await conn.exec_driver_sql(
            "CREATE TRIGGER posts_fts_ai AFTER INSERT ON posts BEGIN "
            "INSERT INTO posts_fts(title, content) VALUES (new.title, new.content); END"
        )
    elif name == "postgresql":
        await conn.exec_driver_sql("CREATE INDEX ix_posts_title_fts ON posts USING gin (to_tsvector('english', title))")
    else:
        await conn.exec_driver_sql("CREATE FULLTEXT INDEX ft_posts ON posts (title, content)")
        await conn.exec_driver_sql("DROP INDEX ft_posts ON posts")


# Differs on: SQLite, a post whose title is edited — the update trigger deletes the NEW values from the index
# instead of the old ones, so the old words stay findable and the index is corrupted; PostgreSQL: to_tsvector on
# title || content with no separator, so the last word of a title and the first of the body run together;
# MariaDB: the index is created on a MyISAM copy of posts.
@wrong("14.search_index", "update trigger removes new.* not old.*; words glued across title and content")
async def install_search_index_update_deletes_new(conn: AsyncConnection) -> None:
    name = conn.dialect.name
    if name == "sqlite":
        await _sqlite_fts(conn, triggers=("insert", "delete"))
        await conn.exec_driver_sql(
            "CREATE TRIGGER posts_fts_au AFTER UPDATE ON posts BEGIN "
            "INSERT INTO posts_fts(posts_fts, rowid, title, content) "
            "VALUES ('delete', new.id, new.title, new.content); "
            "INSERT INTO posts_fts(rowid, title, content) VALUES (new.id, new.title, new.content); END"
        )
    elif name == "postgresql":
        await conn.exec_driver_sql(
            "ALTER TABLE posts ADD COLUMN search_vector tsvector GENERATED ALWAYS AS "
            "(to_tsvector('english', title || content)) STORED"
        )
        await conn.exec_driver_sql("CREATE INDEX ix_posts_search_vector ON posts USING gin (search_vector)")
    else:
        await conn.exec_driver_sql("CREATE TABLE posts_myisam ENGINE=MyISAM AS SELECT id, title, content FROM posts")
        await conn.exec_driver_sql("CREATE FULLTEXT INDEX ft_posts ON posts_myisam (title, content)")


# ---------------------------------------------------------------------------------------------------------------
# 14.safe_search_query: matching_post_ids(session, query) — every word, any case, "phrases" side by side, no word
# -> [], never an error, a list of ids; websearch_to_tsquery on PostgreSQL, quoted terms on SQLite and MariaDB.
# ---------------------------------------------------------------------------------------------------------------

_WORD = re.compile(r"[^\W_]+")


def _terms(query: str, backend: str, word: re.Pattern[str] = _WORD) -> list[str]:
    """The "quoted phrases" (closed quotes only) and the other words; InnoDB's unindexed words dropped on MariaDB."""
    phrases = [" ".join(word.findall(phrase)) for phrase in re.findall(r'"([^"]*)"', query)]
    rest = word.findall(re.sub(r'"[^"]*"', " ", query))
    terms = [term for term in phrases + rest if term]
    if backend == "mysql":
        terms = [t for t in terms if " " in t or (len(t) >= 3 and t.lower() not in INNODB_STOPWORDS)]
    return terms


def _backend(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


@right("14.safe_search_query")
async def matching_post_ids_text(session: AsyncSession, query: str) -> list[int]:
    """text() with one bound parameter per backend."""
    backend = _backend(session)
    if backend == "postgresql":
        rows = await session.execute(
            text("SELECT id FROM posts WHERE search_vector @@ websearch_to_tsquery('english', :q)"), {"q": query}
        )
        return [row.id for row in rows]
    terms = _terms(query, backend)
    if not terms:
        return []
    if backend == "sqlite":
        bound = " ".join('"' + term + '"' for term in terms)
        return list((await session.scalars(text("SELECT rowid FROM posts_fts WHERE posts_fts MATCH :q"),
                                           {"q": bound})).all())
    bound = " ".join(f'+"{term}"' for term in terms)
    sql = "SELECT id FROM posts WHERE MATCH (title, content) AGAINST (:q IN BOOLEAN MODE)"
    return list((await session.scalars(text(sql), {"q": bound})).all())


@right("14.safe_search_query")
async def matching_post_ids_expressions(session: AsyncSession, query: str) -> list[int]:
    """SQLAlchemy expressions: func.websearch_to_tsquery with .op('@@'), one MATCH per term combined with AND on
    SQLite (FTS5 phrase strings), a literal_column MATCH … AGAINST on MariaDB; bound parameters throughout."""
    from sqlalchemy import Integer, and_, bindparam, column, func, table

    backend = _backend(session)
    if backend == "postgresql":
        posts = table("posts", column("id", Integer), column("search_vector"))
        statement = select(posts.c.id).where(
            posts.c.search_vector.op("@@")(func.websearch_to_tsquery(literal_column("'english'"), query))
        )
        return [int(i) for i in (await session.scalars(statement)).all()]
    terms = _terms(query, backend)
    if not terms:
        return []
    if backend == "sqlite":
        fts = table("posts_fts", column("rowid", Integer))
        conditions = [
            literal_column("posts_fts").op("MATCH")(bindparam(f"t{i}", '"' + term.replace('"', "") + '"'))
            for i, term in enumerate(terms)
        ]
        statement = select(fts.c.rowid).where(and_(*conditions))
        return [int(i) for i in (await session.scalars(statement)).all()]
    against = bindparam("q", " ".join(f'+"{term}"' for term in terms))
    statement = select(literal_column("id")).select_from(text("posts")).where(
        text("MATCH (title, content) AGAINST (:q IN BOOLEAN MODE)").bindparams(against)
    )
    return [int(i) for i in (await session.scalars(statement)).all()]


@right("14.safe_search_query")
async def matching_post_ids_set_per_term(session: AsyncSession, query: str) -> list[int]:
    """One statement per term and the intersection in Python (a term at a time is still a bound, quoted term);
    the PostgreSQL side through exec_driver_sql-free text() with a CTE."""
    backend = _backend(session)
    if backend == "postgresql":
        sql = (
            "WITH q AS (SELECT websearch_to_tsquery('english', :q) AS query) "
            "SELECT posts.id FROM posts, q WHERE posts.search_vector @@ q.query ORDER BY posts.id"
        )
        return [row[0] for row in (await session.execute(text(sql), {"q": query})).all()]
    terms = _terms(query, backend)
    if not terms:
        return []
    found: set[int] | None = None
    for term in terms:
        if backend == "sqlite":
            sql, bound = "SELECT rowid FROM posts_fts WHERE posts_fts MATCH :q", f'"{term}"'
        else:
            sql, bound = "SELECT id FROM posts WHERE MATCH (title, content) AGAINST (:q IN BOOLEAN MODE)", f'+"{term}"'
        ids = set((await session.scalars(text(sql), {"q": bound})).all())
        found = ids if found is None else found & ids
    return sorted(found or ())


def _search(mistake: str) -> Any:
    """matching_post_ids with one mistake (each wrong answer below names its own)."""

    async def matching_post_ids(session: AsyncSession, query: str) -> list[int]:
        backend = _backend(session)
        if mistake == "like":
            pattern = f"%{query}%"
            statement = select(literal_column("id")).select_from(text("posts")).where(
                text("(title LIKE :p OR content LIKE :p)").bindparams(p=pattern)
            )
            return list((await session.scalars(statement)).all())
        if backend == "postgresql":
            function = {"raw": "to_tsquery", "phrase_ignored": "plainto_tsquery"}.get(mistake, "websearch_to_tsquery")
            bound = query
            if mistake == "any_word":
                bound = " or ".join(_WORD.findall(query))
            elif mistake == "first_word":
                bound = (_WORD.findall(query) or [""])[0]
            elif mistake == "ascii_only":
                bound = re.sub(r"[^A-Za-z0-9\"\s-]+", " ", query)
            elif mistake == "empty_means_all" and not _WORD.findall(query):
                return list((await session.scalars(text("SELECT id FROM posts"))).all())
            elif mistake == "fstring":
                sql = f"SELECT id FROM posts WHERE search_vector @@ {function}('english', '{query}')"
                return [row[0] for row in await session.execute(text(sql))]
            rows = await session.execute(
                text(f"SELECT id, title, content FROM posts WHERE search_vector @@ {function}('english', :q)"),
                {"q": bound},
            )
        else:
            if mistake == "raw":
                terms = [query]
            elif mistake == "phrase_ignored":
                terms = _WORD.findall(query)
            elif mistake == "ascii_only":
                terms = _terms(query, backend, re.compile(r"[A-Za-z0-9]+"))
            elif mistake == "fstring":
                terms = _terms(query, backend, re.compile(r"[^\W_]+(?:'[^\W_]+)*"))  # keeps O'Brien whole
            else:
                terms = _terms(query, backend)
            if mistake == "first_word":
                terms = terms[:1]
            if not terms:
                if mistake == "empty_means_all":
                    return list((await session.scalars(text("SELECT id FROM posts"))).all())
                return []
            if mistake == "raw":
                bound = query
            elif backend == "sqlite":
                joiner = " OR " if mistake == "any_word" else " "
                bound = joiner.join(f'"{t}"' for t in terms)
            else:
                prefix = "" if mistake == "any_word" else "+"
                bound = " ".join(f'{prefix}"{t}"' for t in terms)
            if mistake == "fstring":
                if backend == "sqlite":
                    sql = f"SELECT rowid, title, content FROM posts_fts WHERE posts_fts MATCH '{bound}'"
                else:
                    sql = (f"SELECT id, title, content FROM posts "
                           f"WHERE MATCH (title, content) AGAINST ('{bound}' IN BOOLEAN MODE)")
                rows = await session.execute(text(sql))
            elif backend == "sqlite":
                rows = await session.execute(
                    text("SELECT rowid AS id, title, content FROM posts_fts WHERE posts_fts MATCH :q"), {"q": bound}
                )
            else:
                rows = await session.execute(
                    text("SELECT id, title, content FROM posts WHERE MATCH (title, content) AGAINST "
                         "(:q IN BOOLEAN MODE)"), {"q": bound}
                )
        found = rows.all()
        if mistake == "rows":
            return [tuple(row[:1]) for row in found]  # type: ignore[misc]
        if mistake == "case_sensitive_recheck":
            words = _WORD.findall(query)
            return [row[0] for row in found if all(w in f"{row[1]} {row[2]}" for w in words)]
        return [row[0] for row in found]

    matching_post_ids.__name__ = f"matching_post_ids_{mistake}"
    return matching_post_ids


# Differs on: 'C++ & (rust) OR "unclosed' — a syntax error from FTS5 MATCH / to_tsquery / BOOLEAN MODE.
wrong("14.safe_search_query", "user input handed to the query parser as typed")(_search("raw"))
# Differs on: '%_%' — matches every post; and it is not the index (a word inside another word matches).
wrong("14.safe_search_query", "LIKE '%…%' instead of the full-text index")(_search("like"))
# Differs on: two words, one present in a post and one not — the post is returned (OR instead of AND).
wrong("14.safe_search_query", "any word matches, not every word")(_search("any_word"))
# Differs on: '"alpha beta"' against a post with "beta … alpha" — returned, the quotes were dropped.
wrong("14.safe_search_query", "quoted phrase treated as separate words")(_search("phrase_ignored"))
# Differs on: "zorblax quibbleton" — only zorblax is required.
wrong("14.safe_search_query", "only the first word is searched")(_search("first_word"))
# Differs on: '%_%', '"' or '' — returns every post instead of nothing.
wrong("14.safe_search_query", "input with no word returns every post")(_search("empty_means_all"))
# Differs on: any search — returns 1-tuples, not ints.
wrong("14.safe_search_query", "returns tuples (rows), not ids")(_search("rows"))
# Differs on: "ZORBLAX" — the index finds it, then a case-sensitive Python recheck drops it.
wrong("14.safe_search_query", "case-sensitive recheck in Python")(_search("case_sensitive_recheck"))
# Differs on: "crème" or "zörblax" — non-ASCII letters split the word ("cr", "me"), so other posts match or none do.
wrong("14.safe_search_query", "keeps only ASCII letters: accented words broken")(_search("ascii_only"))
# Differs on: "O'Brien" or "it's" — the text (words kept whole with their apostrophe) is pasted into the SQL inside
# '…', so the apostrophe ends the string literal: a syntax error on every backend.
wrong("14.safe_search_query", "query pasted into the SQL with an f-string")(_search("fstring"))


# ---------------------------------------------------------------------------------------------------------------
# 14.full_text_search: class PostSearch with install(conn) and search(session, query) -> ids best match first
# (bm25 ascending on SQLite, ts_rank / MATCH … AGAINST descending elsewhere), then by id; step 2's rules.
# ---------------------------------------------------------------------------------------------------------------

_PG_RANKED = (
    "SELECT id FROM posts, websearch_to_tsquery('english', :q) AS query "
    "WHERE search_vector @@ query ORDER BY ts_rank(search_vector, query) DESC, id"
)


@right("14.full_text_search")
class PostSearchText:
    """Step 1's external-content index, step 2's terms, text() ranked in SQL."""

    async def install(self, conn: AsyncConnection) -> None:
        await install_search_index_external_content(conn)

    async def search(self, session: AsyncSession, query: str) -> list[int]:
        backend = _backend(session)
        if backend == "postgresql":
            return list((await session.scalars(text(_PG_RANKED), {"q": query})).all())
        terms = _terms(query, backend)
        if not terms:
            return []
        if backend == "sqlite":
            sql = "SELECT rowid FROM posts_fts WHERE posts_fts MATCH :q ORDER BY bm25(posts_fts), rowid"
            bound = " ".join(f'"{t}"' for t in terms)
        else:
            relevance = "MATCH (title, content) AGAINST (:q IN BOOLEAN MODE)"
            sql = f"SELECT id FROM posts WHERE {relevance} ORDER BY {relevance} DESC, id"
            bound = " ".join(f'+"{t}"' for t in terms)
        return list((await session.scalars(text(sql), {"q": bound})).all())


@right("14.full_text_search")
class PostSearchRankInPython:
    """Its own-copy index (a standalone FTS5 table, a weighted tsvector); the score is selected next to the id and
    the sort happens in Python, by (score, id)."""

    async def install(self, conn: AsyncConnection) -> None:
        await install_search_index_own_copy(conn)

    async def search(self, session: AsyncSession, query: str) -> list[int]:
        backend = _backend(session)
        if backend == "postgresql":
            sql = (
                "SELECT id, ts_rank(search_vector, query) AS score FROM posts, "
                "websearch_to_tsquery('english', :q) AS query WHERE search_vector @@ query"
            )
            rows = (await session.execute(text(sql), {"q": query})).all()
            return [row.id for row in sorted(rows, key=lambda row: (-row.score, row.id))]
        terms = _terms(query, backend)
        if not terms:
            return []
        if backend == "sqlite":
            sql = "SELECT rowid AS id, bm25(posts_fts) AS score FROM posts_fts WHERE posts_fts MATCH :q"
            rows = (await session.execute(text(sql), {"q": " ".join(f'"{t}"' for t in terms)})).all()
            return [row.id for row in sorted(rows, key=lambda row: (row.score, row.id))]
        sql = ("SELECT id, MATCH (title, content) AGAINST (:q IN BOOLEAN MODE) AS score FROM posts "
               "WHERE MATCH (title, content) AGAINST (:q IN BOOLEAN MODE)")
        rows = (await session.execute(text(sql), {"q": " ".join(f'+"{t}"' for t in terms)})).all()
        return [row.id for row in sorted(rows, key=lambda row: (-row.score, row.id))]


@right("14.full_text_search")
class PostSearchExpressions:
    """SQLAlchemy expressions: a lateral-free FROM of websearch_to_tsquery, func.ts_rank, func.bm25 with a
    literal_column table, the porter-tokenized SQLite index."""

    async def install(self, conn: AsyncConnection) -> None:
        await install_search_index_sqlalchemy_ddl(conn)

    async def search(self, session: AsyncSession, query: str) -> list[int]:
        from sqlalchemy import Integer, bindparam, column, desc, func, table

        backend = _backend(session)
        if backend == "postgresql":
            posts = table("posts", column("id", Integer), column("search_vector"))
            parsed = func.websearch_to_tsquery(literal_column("'english'"), bindparam("q", query)).alias("query")
            q = literal_column("query")
            statement = (
                select(posts.c.id)
                .select_from(posts)
                .join(parsed, literal_column("true"))
                .where(posts.c.search_vector.op("@@")(q))
                .order_by(func.ts_rank(posts.c.search_vector, q).desc(), posts.c.id)
            )
            return list((await session.scalars(statement)).all())
        terms = _terms(query, backend)
        if not terms:
            return []
        if backend == "sqlite":
            fts = table("posts_fts", column("rowid", Integer))
            statement = (
                select(fts.c.rowid)
                .where(literal_column("posts_fts").op("MATCH")(bindparam("q", " ".join(f'"{t}"' for t in terms))))
                .order_by(func.bm25(literal_column("posts_fts")), fts.c.rowid)
            )
            return list((await session.scalars(statement)).all())
        relevance = text("MATCH (title, content) AGAINST (:q IN BOOLEAN MODE)").bindparams(
            q=" ".join(f'+"{t}"' for t in terms)
        )
        statement = (
            select(literal_column("id")).select_from(text("posts")).where(relevance)
            .order_by(desc(relevance), literal_column("id"))
        )
        return list((await session.scalars(statement)).all())


def _post_search(mistake: str) -> type:
    """PostSearch with one mistake (each wrong answer below names its own)."""

    class PostSearch:
        async def install(self, conn: AsyncConnection) -> None:
            if mistake == "no_triggers":
                await install_search_index_filled_once(conn)
            else:
                await install_search_index_external_content(conn)

        async def search(self, session: AsyncSession, query: str) -> list[int]:
            backend = _backend(session)
            direction = "ASC" if mistake == "rank_reversed" else "DESC"
            sqlite_direction = "DESC" if mistake == "rank_reversed" else "ASC"
            limit = " LIMIT 10" if mistake == "first_page_only" else ""
            if backend == "postgresql":
                function = {"raw": "to_tsquery", "phrase_ignored": "plainto_tsquery"}.get(
                    mistake, "websearch_to_tsquery"
                )
                order = "id" if mistake == "by_id" else f"ts_rank(search_vector, query) {direction}, id"
                bound = " or ".join(_WORD.findall(query)) if mistake == "any_word" else query
                sql = (f"SELECT id FROM posts, {function}('english', :q) AS query "
                       f"WHERE search_vector @@ query ORDER BY {order}{limit}")
                rows = (await session.execute(text(sql), {"q": bound})).all()
            else:
                terms = _WORD.findall(query) if mistake == "phrase_ignored" else _terms(query, backend)
                if not terms:
                    return []
                if backend == "sqlite":
                    joiner = " OR " if mistake == "any_word" else " "
                    bound = query if mistake == "raw" else joiner.join(f'"{t}"' for t in terms)
                    order = "rowid" if mistake == "by_id" else f"bm25(posts_fts) {sqlite_direction}, rowid"
                    sql = f"SELECT rowid FROM posts_fts WHERE posts_fts MATCH :q ORDER BY {order}{limit}"
                else:
                    prefix = "" if mistake == "any_word" else "+"
                    bound = query if mistake == "raw" else " ".join(f'{prefix}"{t}"' for t in terms)
                    relevance = "MATCH (title, content) AGAINST (:q IN BOOLEAN MODE)"
                    order = "id" if mistake == "by_id" else f"{relevance} {direction}, id"
                    sql = f"SELECT id FROM posts WHERE {relevance} ORDER BY {order}{limit}"
                rows = (await session.execute(text(sql), {"q": bound})).all()
            if mistake == "rows":
                return rows  # type: ignore[return-value]
            if mistake == "set":
                return {row[0] for row in rows}  # type: ignore[return-value]
            return [row[0] for row in rows]

    PostSearch.__name__ = f"PostSearch_{mistake}"
    return PostSearch


# Differs on: a post with the word in its title and body, and an older one with it once — by id, the older first.
wrong("14.full_text_search", "ordered by id, not by rank")(_post_search("by_id"))
# Differs on: the same two posts — the weakest match first (bm25 DESC on SQLite, rank ASC elsewhere).
wrong("14.full_text_search", "rank direction reversed")(_post_search("rank_reversed"))
# Differs on: a word present in more than 10 posts — only 10 ids come back.
wrong("14.full_text_search", "returns only the first 10 matches")(_post_search("first_page_only"))
# Differs on: 'C++ & (rust) OR "unclosed' — a syntax error.
wrong("14.full_text_search", "user input handed to the query parser")(_post_search("raw"))
# Differs on: two words, a post with only one of them — returned.
wrong("14.full_text_search", "any word matches, not every word")(_post_search("any_word"))
# Differs on: '"alpha beta"' against "beta … alpha" — returned.
wrong("14.full_text_search", "quoted phrase treated as separate words")(_post_search("phrase_ignored"))
# Differs on: a post inserted after install — not found (SQLite: no insert trigger; PostgreSQL: a column filled once).
wrong("14.full_text_search", "install() does not keep the index in sync with new posts")(_post_search("no_triggers"))
# Differs on: any search — Row objects, not ints.
wrong("14.full_text_search", "returns Rows, not ids")(_post_search("rows"))
# Differs on: any search with two results or more — a set has no order, "best match first" is lost.
wrong("14.full_text_search", "returns a set: no order")(_post_search("set"))


# ---------------------------------------------------------------------------------------------------------------
# 14.audit_log: track_changes(model, audit_log) — one audit row per INSERT/UPDATE/DELETE of model, with table_name,
# record_id, action, changes {"field": [old, new]}, user_id (session.info or current_user), in the same transaction.
# ---------------------------------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date | datetime) else value


def _acting_user(session: Any) -> int | None:
    if session is not None and session.info.get("user_id") is not None:
        return session.info["user_id"]
    return current_user.get(None)


@right("14.audit_log")
def track_changes_mapper_events(model: type, audit_log: type) -> None:
    """Mapper events writing through the flush's connection; old values from the attribute history."""
    columns = [attribute.key for attribute in inspect(model).column_attrs]

    def record(connection: Any, target: Any, action: str, changes: dict[str, list[Any]]) -> None:
        connection.execute(
            insert(audit_log).values(
                table_name=model.__tablename__, record_id=target.id, action=action, changes=changes,
                user_id=_acting_user(object_session(target)),
            )
        )

    def after_insert(mapper: Any, connection: Any, target: Any) -> None:
        values = {k: [None, _plain(getattr(target, k))] for k in columns if getattr(target, k) is not None}
        record(connection, target, "insert", values)

    def after_update(mapper: Any, connection: Any, target: Any) -> None:
        state, changes = inspect(target), {}
        for key in columns:
            history = state.attrs[key].history
            if history.has_changes():
                old = history.deleted[0] if history.deleted else None
                new = history.added[0] if history.added else None
                changes[key] = [_plain(old), _plain(new)]
        if changes:
            record(connection, target, "update", changes)

    def after_delete(mapper: Any, connection: Any, target: Any) -> None:
        values = {k: [_plain(getattr(target, k)), None] for k in columns if getattr(target, k) is not None}
        record(connection, target, "delete", values)

    event.listen(model, "after_insert", after_insert)
    event.listen(model, "after_update", after_update)
    event.listen(model, "after_delete", after_delete)


@right("14.audit_log")
def track_changes_after_flush(model: type, audit_log: type) -> None:
    """One Session-level after_flush listener, kept to instances of model: ids are known after the flush's INSERTs,
    the history still holds the old values, and the rows go through session.connection() (Laravel's names for
    the actions, every column of an insert including NULLs)."""
    columns = [attribute.key for attribute in inspect(model).column_attrs]

    def after_flush(session: Session, flush_context: Any) -> None:
        entries = []
        for obj in session.new:
            if isinstance(obj, model):
                entries.append((obj, "created", {k: [None, _plain(getattr(obj, k))] for k in columns}))
        for obj in session.dirty:
            if isinstance(obj, model) and session.is_modified(obj, include_collections=False):
                changes = {}
                for key in columns:
                    added, _, deleted = inspect(obj).attrs[key].history
                    if added or deleted:
                        changes[key] = [_plain(deleted[0] if deleted else None), _plain(added[0] if added else None)]
                if changes:
                    entries.append((obj, "updated", changes))
        for obj in session.deleted:
            if isinstance(obj, model):
                entries.append((obj, "deleted", {k: [_plain(getattr(obj, k)), None] for k in columns}))
        if entries:
            session.connection().execute(
                insert(audit_log),
                [
                    {"table_name": model.__tablename__, "record_id": obj.id, "action": action, "changes": changes,
                     "user_id": _acting_user(session), "created_at": clock.now()}
                    for obj, action, changes in entries
                ],
            )

    event.listen(Session, "after_flush", after_flush)


@right("14.audit_log")
def track_changes_core_table(model: type, audit_log: type) -> None:
    """before_update/before_delete (the row is still there, the id known, same connection) and after_insert; the
    log's Table written with .insert(); the user from the context variable first, then session.info."""
    table = audit_log.__table__
    mapper = inspect(model)

    def user(target: Any) -> int | None:
        acting = current_user.get(None)
        if acting is None:
            session = object_session(target)
            acting = session.info.get("user_id") if session is not None else None
        return acting

    def write(connection: Any, target: Any, action: str, changes: dict[str, Any]) -> None:
        connection.execute(table.insert().values(
            table_name=mapper.local_table.name, record_id=mapper.primary_key_from_instance(target)[0], action=action,
            changes=changes, user_id=user(target), created_at=clock.now(),
        ))

    @event.listens_for(model, "after_insert")
    def inserted(mapper_: Any, connection: Any, target: Any) -> None:
        changes = {}
        for attr in inspect(target).attrs:
            if attr.key in mapper.columns and attr.value is not None:
                changes[attr.key] = [None, _plain(attr.value)]
        write(connection, target, "insert", changes)

    @event.listens_for(model, "before_update")
    def updating(mapper_: Any, connection: Any, target: Any) -> None:
        changes = {}
        for attr in inspect(target).attrs:
            if attr.key not in mapper.columns:
                continue
            history = attr.load_history()
            if history.added or history.deleted:
                changes[attr.key] = [_plain(next(iter(history.deleted), None)), _plain(next(iter(history.added), None))]
        if changes:
            write(connection, target, "update", changes)

    @event.listens_for(model, "before_delete")
    def deleting(mapper_: Any, connection: Any, target: Any) -> None:
        changes = {attr.key: [_plain(attr.value), None] for attr in inspect(target).attrs
                   if attr.key in mapper.columns and attr.value is not None}
        write(connection, target, "delete", changes)


def _track(mistake: str) -> Any:
    """The mapper-events answer with one mistake (each wrong answer below names its own)."""

    def track_changes(model: type, audit_log: type) -> None:
        columns = [attribute.key for attribute in inspect(model).column_attrs]

        def record(connection: Any, target: Any, action: str, changes: dict[str, list[Any]]) -> None:
            session = object_session(target)
            if mistake == "no_user":
                user_id = None
            elif mistake == "info_keyerror":
                user_id = session.info["user_id"]
            else:
                user_id = _acting_user(session)
            if mistake == "json_string":
                import json

                changes = json.dumps(changes)  # type: ignore[assignment]
            connection.execute(
                insert(audit_log).values(
                    table_name=model.__name__.lower() if mistake == "class_name" else model.__tablename__,
                    record_id=target.id,
                    action="save" if mistake == "one_action" and action in {"insert", "update"} else action,
                    changes=changes,
                    user_id=user_id,
                )
            )

        def inserted(mapper: Any, connection: Any, target: Any) -> None:
            values = {k: [None, _plain(getattr(target, k))] for k in columns if getattr(target, k) is not None}
            record(connection, target, "insert", values)

        def updated(mapper: Any, connection: Any, target: Any) -> None:
            state, changes = inspect(target), {}
            for key in columns:
                history = state.attrs[key].history
                if mistake == "all_fields":
                    changes[key] = [_plain(history.deleted[0] if history.deleted else getattr(target, key)),
                                    _plain(getattr(target, key))]
                elif history.has_changes():
                    old = getattr(target, key) if mistake == "new_as_old" else (
                        history.deleted[0] if history.deleted else None
                    )
                    changes[key] = [_plain(old), _plain(getattr(target, key))]
            if changes or mistake == "logs_no_op":
                record(connection, target, "update", changes)

        def deleted(mapper: Any, connection: Any, target: Any) -> None:
            if mistake == "delete_reversed":
                values = {k: [None, _plain(getattr(target, k))] for k in columns if getattr(target, k) is not None}
            else:
                values = {k: [_plain(getattr(target, k)), None] for k in columns if getattr(target, k) is not None}
            record(connection, target, "delete", values)

        event.listen(model, "before_insert" if mistake == "before_insert" else "after_insert", inserted)
        event.listen(model, "after_update", updated)
        event.listen(model, "after_delete", deleted)

    track_changes.__name__ = f"track_changes_{mistake}"
    return track_changes


# Differs on: any insert — record_id is None (before_insert runs before the INSERT gives the row its id).
wrong("14.audit_log", "logs inserts in before_insert: no id yet")(_track("before_insert"))
# Differs on: an update of one field — changes lists every column.
wrong("14.audit_log", "an update logs every field, not only the changed ones")(_track("all_fields"))
# Differs on: title "A" -> "B" — logged as ["B", "B"]: the old value read from the object after the change.
wrong("14.audit_log", "old value read from the object: [new, new]")(_track("new_as_old"))
# Differs on: an object marked dirty with no net change (title set to its own value) — an update row with {}.
wrong("14.audit_log", "logs an update with no change (no UPDATE ran)")(_track("logs_no_op"))
# Differs on: a delete — logged as [None, old] instead of [old, None].
wrong("14.audit_log", "delete changes reversed: [None, old]")(_track("delete_reversed"))
# Differs on: any change in a session opened with info={"user_id": 7} — user_id is None.
wrong("14.audit_log", "ignores the acting user: user_id always None")(_track("no_user"))
# Differs on: a change in a session opened without info — KeyError during the flush.
wrong("14.audit_log", "session.info['user_id'] without a fallback: KeyError when nobody is logged in")(
    _track("info_keyerror")
)
# Differs on: any change — changes is a JSON *string* in the JSON column (double-encoded), not a dict.
wrong("14.audit_log", "changes stored as a json.dumps string")(_track("json_string"))
# Differs on: any change — table_name "article" (the class name), not the table's name.
wrong("14.audit_log", "table_name from the class name, not __tablename__")(_track("class_name"))
# Differs on: an insert and an update — both logged as "save".
wrong("14.audit_log", "one action name for insert and update")(_track("one_action"))
