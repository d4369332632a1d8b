"""Lesson 03: the checkers' reasons, and the relationship facts the lesson teaches, on every backend."""

from __future__ import annotations

import pytest
from sqlalchemy import ForeignKey, String, func, inspect, select
from sqlalchemy.exc import ArgumentError, IntegrityError, MissingGreenlet
from sqlalchemy.ext.asyncio import AsyncAttrs
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, selectinload

from lessons import exercises
from lessons.core.database import LessonDatabase
from lessons.core.models import Post, Profile, User
from lessons.lens.sql import count_queries
from lessons.lens.traps import show_error
from tests.answers import lesson03

GRANT_ROLE = exercises.get("03.grant_role")
MOVE_POST = exercises.get("03.move_post")

EXPECTED_REASONS = {
    (GRANT_ROLE, lesson03.wrong_replaces_the_roles): "is missing",
    (GRANT_ROLE, lesson03.wrong_adds_it_twice): "your code raised IntegrityError",
    (GRANT_ROLE, lesson03.wrong_touches_an_unloaded_collection): "MissingGreenlet (your code read a relationship",
    (GRANT_ROLE, lesson03.wrong_grant_forgets_to_commit): "your changes were never committed",
    (GRANT_ROLE, lesson03.wrong_returns_a_string): "(a str); the reference returns",
    (MOVE_POST, lesson03.wrong_uses_unloaded_relationships): "MissingGreenlet (your code read a relationship",
    (MOVE_POST, lesson03.wrong_only_removes_it): "Post.user_id",
    (MOVE_POST, lesson03.wrong_delete_not_awaited): "'AsyncSession.delete' was never awaited",
    (MOVE_POST, lesson03.wrong_move_forgets_to_commit): "your changes were never committed",
    (MOVE_POST, lesson03.wrong_returns_a_stale_post): "Post.user_id",
}


# On DATABASE_URL only: tests/test_answers.py runs every known answer for its verdict.
@pytest.mark.parametrize(
    ("exercise", "answer", "reason"),
    [(exercise, answer, reason) for (exercise, answer), reason in EXPECTED_REASONS.items()],
    ids=[f"{exercise.id}-{answer.__name__}" for exercise, answer in EXPECTED_REASONS],
)
async def test_wrong_answer_is_told_what_to_fix(exercise, answer, reason: str) -> None:
    result = await exercise.check(answer)
    assert result.status == "failed"
    assert reason in result.message, result.message


def test_the_mapper_facts_the_lesson_shows() -> None:
    posts = inspect(User).relationships["posts"]
    assert posts.lazy == "select"
    assert posts.passive_deletes is True
    # `all` minus refresh-expire, as SQLAlchemy's asyncio guide advises, on every parent-to-children relationship.
    for parent, name in [(User, "profile"), (User, "posts"), (User, "comments"), (Post, "comments")]:
        cascade = inspect(parent).relationships[name].cascade
        assert set(cascade) == {"save-update", "merge", "expunge", "delete", "delete-orphan"}, (parent, name)
    assert inspect(User).relationships["profile"].uselist is False
    with pytest.raises(ArgumentError, match="'refresh'"):
        relationship("Post", cascade="save-update, refresh")


async def test_collections_change_with_the_sql_the_lesson_shows(db: LessonDatabase) -> None:
    # An unloaded collection cannot be changed under asyncio (bare or wrapped MissingGreenlet, per driver).
    async with db.Session() as session:
        user = await session.get(User, 7)
        post = await session.scalar(select(Post).where(Post.user_id == 7).order_by(Post.id).limit(1))

        async def remove_unloaded() -> None:
            user.posts.remove(post)

        with show_error(expected=MissingGreenlet) as caught:
            await remove_unloaded()
        assert caught.error is not None

    # delete-orphan: removing from the loaded collection is one DELETE.
    async with db.Session() as session:
        user = await session.scalar(select(User).options(selectinload(User.posts)).where(User.id == 7))
        with count_queries() as queries:
            user.posts.remove(user.posts[0])
            await session.commit()
    assert [statement.sql.split()[0] for statement in queries.statements] == ["DELETE"], queries.statements

    # Replacing a one-to-one in one flush inserts before it deletes: the UNIQUE user_id refuses.
    async with db.Session() as session:
        user = await session.scalar(select(User).options(selectinload(User.profile)).where(User.id == 1))
        user.profile = Profile(bio="new")
        with pytest.raises(IntegrityError):
            await session.commit()

    # passive_deletes + ON DELETE CASCADE: one DELETE, and the database removes the posts.
    async with db.Session() as session:
        user = await session.get(User, 11)
        with count_queries() as queries:
            await session.delete(user)
            await session.commit()
        left = await session.scalar(select(func.count()).select_from(Post).where(Post.user_id == 11))
    assert queries.count == 1 and left == 0


class _AllBase(AsyncAttrs, DeclarativeBase):
    pass


class _Shelf(_AllBase):
    __tablename__ = "t03_shelves"

    id: Mapped[int] = mapped_column(primary_key=True)
    books: Mapped[list[_Book]] = relationship(cascade="all, delete-orphan")


class _Book(_AllBase):
    __tablename__ = "t03_books"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(50))
    shelf_id: Mapped[int] = mapped_column(ForeignKey("t03_shelves.id"))


async def test_refresh_keeps_loaded_children_readable(db: LessonDatabase) -> None:
    # The course's cascade: refresh(user) leaves the loaded posts loaded, readable without I/O.
    async with db.Session() as session:
        user = await session.get(User, 7)
        post = (await user.awaitable_attrs.posts)[0]
        await session.refresh(user)
        assert not inspect(post).expired
        assert post.title

    # What `all` would do: refresh(shelf) expires its books (refresh-expire) and reloads only the shelf; reading a
    # book is then an implicit load, which raises. (A collection loaded by a loader option would be reloaded.)
    async with db.engine.begin() as conn:
        await conn.run_sync(_AllBase.metadata.create_all)
    async with db.Session() as session:
        session.add(_Shelf(id=1, books=[_Book(title="Emma")]))
        await session.commit()
    async with db.Session() as session:
        shelf = await session.get(_Shelf, 1)
        book = (await shelf.awaitable_attrs.books)[0]
        await session.refresh(shelf)
        assert inspect(book).expired
        with show_error(expected=MissingGreenlet):  # bare or wrapped in StatementError, per driver
            _ = book.title
