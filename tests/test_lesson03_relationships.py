"""Lesson 03: the checkers' reasons, and the relationship facts the lesson teaches, on every backend."""

from __future__ import annotations

import pytest
from sqlalchemy import ForeignKey, String, func, inspect, select
from sqlalchemy.exc import ArgumentError, IntegrityError, MissingGreenlet
from sqlalchemy.ext.asyncio import AsyncAttrs
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, selectinload

from lessons import exercises
from lessons.database import LessonDatabase
from lessons.exercises import lesson03
from lessons.models import Post, Profile, User
from lessons.sql import count_queries
from lessons.traps import show_error

GRANT_ROLE = exercises.get("03.grant_role")
MOVE_POST = exercises.get("03.move_post")

EXPECTED_REASONS = {
    (GRANT_ROLE, lesson03._wrong_replaces_the_roles): "replaces the whole collection",
    (GRANT_ROLE, lesson03._wrong_adds_it_twice): "already had 'editor'",
    (GRANT_ROLE, lesson03._wrong_touches_an_unloaded_collection): "not loaded yet",
    (GRANT_ROLE, lesson03._wrong_grant_forgets_to_commit): "the change was not committed",
    (
        GRANT_ROLE,
        lesson03._wrong_inner_join_drops_users_without_roles,
    ): "(a user of the checker's own with no roles yet)",
    (GRANT_ROLE, lesson03._wrong_returns_a_string): "returned 'author, editor' (a str)",
    (GRANT_ROLE, lesson03._wrong_creates_a_new_role): "second role named 'editor'",
    (MOVE_POST, lesson03._wrong_uses_unloaded_relationships): "not loaded yet",
    (MOVE_POST, lesson03._wrong_only_removes_it): "delete-orphan",
    (MOVE_POST, lesson03._wrong_copies_it): "a copy under a new id",
    (MOVE_POST, lesson03._wrong_delete_not_awaited): "'AsyncSession.delete' was never awaited",
    (MOVE_POST, lesson03._wrong_move_forgets_to_commit): "the change was not committed",
    (MOVE_POST, lesson03._wrong_returns_a_stale_post): "still says user_id=",
    (MOVE_POST, lesson03._wrong_finds_the_author_through_posts): "with no posts yet) gave it away",
    (MOVE_POST, lesson03._wrong_delete_and_reinsert): "ON DELETE CASCADE",
}


def test_every_wrong_answer_has_a_reason() -> None:
    for exercise in (GRANT_ROLE, MOVE_POST):
        assert {answer for (owner, answer) in EXPECTED_REASONS if owner is exercise} == set(exercise.wrong_answers)


# On DATABASE_URL only: tests/test_exercises.py already runs every answer on the whole matrix.
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

        with pytest.raises(lesson03.LazyLoad):
            await lesson03.attempt(GRANT_ROLE, remove_unloaded)

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
