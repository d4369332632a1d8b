"""The blog domain every lesson uses: users, profiles, posts, comments and roles.

SQLAlchemy 2.x typed style (``Mapped``/``mapped_column``), portable to SQLite, PostgreSQL and MariaDB.

>>> from lessons.core.models import User
>>> User(name="Ada", email="ada@example.com")
User(id=None, name='Ada', email='ada@example.com')
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Column, ForeignKey, Integer, MetaData, String, Table, Text
from sqlalchemy.engine import ExecutionContext
from sqlalchemy.ext.asyncio import AsyncAttrs
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from lessons.core import clock
from lessons.core.types import UTCDateTime

#: The cascades of a parent's children: ``all`` without ``refresh-expire``. SQLAlchemy's asyncio guide advises
#: listing them: ``all`` implies ``refresh-expire``, so ``await session.refresh(user)`` would expire every loaded
#: post of the user without reloading it, and the next read of ``post.title`` would be an implicit (failing) load.
CHILD_CASCADE = "save-update, merge, expunge, delete, delete-orphan"

#: Constraint names spelled out, so the DDL is the same on every run and every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(AsyncAttrs, DeclarativeBase):
    """The declarative base. ``AsyncAttrs`` adds ``obj.awaitable_attrs.<relationship>`` for async lazy loads."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _same_as_created_at(context: ExecutionContext) -> datetime:
    # Laravel sets created_at and updated_at to the same moment on insert; so do we.
    return context.get_current_parameters()["created_at"]


class TimestampMixin:
    """``created_at`` and ``updated_at``, timezone-aware, both set on insert (Laravel's ``$timestamps``)."""

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_same_as_created_at, onupdate=clock.now)


user_roles = Table(
    "user_roles",
    Base.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("role_id", ForeignKey("roles.id", ondelete="CASCADE"), primary_key=True),
)


class User(TimestampMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(255), unique=True)
    age: Mapped[int | None] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(20), default="user")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Never serialised: every response schema in the course leaves it out.
    password_hash: Mapped[str] = mapped_column(String(255), default="")

    profile: Mapped[Profile | None] = relationship(
        back_populates="user", cascade=CHILD_CASCADE, passive_deletes=True
    )
    posts: Mapped[list[Post]] = relationship(
        back_populates="author", cascade=CHILD_CASCADE, passive_deletes=True, order_by="Post.id"
    )
    comments: Mapped[list[Comment]] = relationship(
        back_populates="author", cascade=CHILD_CASCADE, passive_deletes=True, order_by="Comment.id"
    )
    roles: Mapped[list[Role]] = relationship(
        secondary=user_roles, back_populates="users", passive_deletes=True, order_by="Role.id"
    )

    def __repr__(self) -> str:
        return f"User(id={self.id!r}, name={self.name!r}, email={self.email!r})"


class Profile(TimestampMixin, Base):
    __tablename__ = "profiles"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    bio: Mapped[str] = mapped_column(Text, default="")
    website: Mapped[str | None] = mapped_column(String(255))

    user: Mapped[User] = relationship(back_populates="profile")

    def __repr__(self) -> str:
        return f"Profile(id={self.id!r}, user_id={self.user_id!r})"


class Post(TimestampMixin, Base):
    __tablename__ = "posts"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    content: Mapped[str] = mapped_column(Text, default="")
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)

    author: Mapped[User] = relationship(back_populates="posts")
    comments: Mapped[list[Comment]] = relationship(
        back_populates="post", cascade=CHILD_CASCADE, passive_deletes=True, order_by="Comment.id"
    )

    def __repr__(self) -> str:
        return f"Post(id={self.id!r}, title={self.title!r}, user_id={self.user_id!r})"


class Comment(TimestampMixin, Base):
    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    body: Mapped[str] = mapped_column(Text)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    # Deliberately not indexed: lesson 07 finds this missing foreign-key index with EXPLAIN.
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))

    post: Mapped[Post] = relationship(back_populates="comments")
    author: Mapped[User] = relationship(back_populates="comments")

    def __repr__(self) -> str:
        return f"Comment(id={self.id!r}, post_id={self.post_id!r}, user_id={self.user_id!r})"


class Role(Base):
    __tablename__ = "roles"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)

    users: Mapped[list[User]] = relationship(secondary=user_roles, back_populates="roles", passive_deletes=True)

    def __repr__(self) -> str:
        return f"Role(id={self.id!r}, name={self.name!r})"
