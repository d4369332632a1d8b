"""Answers to lesson 12's practice (12.user_summary), written from the task statement alone.

Spec: route ``GET /users/{user_id}/summary`` answering ``{"id", "name", "posts", "comments"}``: how many posts and
comments the user WROTE; a missing user is a 404 with a reason; at most 3 statements however many posts.
"""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException
from sqlalchemy import bindparam, func, select, text

from lessons.blog.deps import SessionDep, UserId
from lessons.core.models import Comment, Post, User
from lessons.exercises.lesson12 import UserSummary
from tests.answers import right, wrong


def _not_found(user_id: int) -> HTTPException:
    return HTTPException(404, f"no user with id {user_id}")


@right("12.user_summary")
async def summary_three_statements(user_id: UserId, session: SessionDep) -> UserSummary:
    user = await session.get(User, user_id)
    if user is None:
        raise _not_found(user_id)
    posts = await session.scalar(select(func.count()).select_from(Post).where(Post.user_id == user_id))
    comments = await session.scalar(select(func.count()).select_from(Comment).where(Comment.user_id == user_id))
    return UserSummary(id=user.id, name=user.name, posts=posts, comments=comments)


@right("12.user_summary")
async def summary_one_statement(user_id: UserId, session: SessionDep) -> UserSummary:
    posts = select(func.count(Post.id)).where(Post.user_id == User.id).scalar_subquery()
    comments = select(func.count(Comment.id)).where(Comment.user_id == User.id).scalar_subquery()
    row = (await session.execute(select(User.id, User.name, posts, comments).where(User.id == user_id))).first()
    if row is None:
        raise _not_found(user_id)
    return UserSummary(id=row[0], name=row[1], posts=row[2], comments=row[3])


@right("12.user_summary")
async def summary_text_sql_dict(user_id: UserId, session: SessionDep) -> UserSummary:
    # Raw SQL with a bound parameter; a dict, which FastAPI validates against the response model.
    sql = text(
        "SELECT u.id, u.name, "
        "(SELECT COUNT(*) FROM posts p WHERE p.user_id = u.id) AS posts, "
        "(SELECT COUNT(*) FROM comments c WHERE c.user_id = u.id) AS comments "
        "FROM users u WHERE u.id = :user_id"
    ).bindparams(bindparam("user_id"))
    row = (await session.execute(sql, {"user_id": user_id})).mappings().first()
    if row is None:
        raise _not_found(user_id)
    return dict(row)  # type: ignore[return-value]


@right("12.user_summary")
async def summary_grouped_outer_joins(user_id: UserId, session: SessionDep) -> UserSummary:
    # Two outer joins would multiply rows: count DISTINCT ids.
    statement = (
        select(User.id, User.name, func.count(Post.id.distinct()), func.count(Comment.id.distinct()))
        .outerjoin(Post, Post.user_id == User.id)
        .outerjoin(Comment, Comment.user_id == User.id)
        .where(User.id == user_id)
        .group_by(User.id, User.name)
    )
    row = (await session.execute(statement)).first()
    if row is None:
        raise _not_found(user_id)
    user_id_, name, posts, comments = row
    return UserSummary(id=user_id_, name=name, posts=posts, comments=comments)


# A missing user answers 200 with zeros, not 404.
@wrong("12.user_summary", "no 404: a missing user gets zeros")
async def summary_no_404(user_id: UserId, session: SessionDep) -> UserSummary:
    user = await session.get(User, user_id)
    posts = await session.scalar(select(func.count()).select_from(Post).where(Post.user_id == user_id))
    comments = await session.scalar(select(func.count()).select_from(Comment).where(Comment.user_id == user_id))
    return UserSummary(id=user_id, name=user.name if user else "", posts=posts, comments=comments)


# A missing user crashes the route: 500 (AttributeError on None).
@wrong("12.user_summary", "500 on a missing user")
async def summary_crashes(user_id: UserId, session: SessionDep) -> UserSummary:
    user = await session.get(User, user_id)
    posts = await session.scalar(select(func.count()).select_from(Post).where(Post.user_id == user_id))
    comments = await session.scalar(select(func.count()).select_from(Comment).where(Comment.user_id == user_id))
    return UserSummary(id=user.id, name=user.name, posts=posts, comments=comments)  # type: ignore[union-attr]


# A missing user is a 400, not a 404.
@wrong("12.user_summary", "wrong status code for a missing user (400)")
async def summary_400(user_id: UserId, session: SessionDep) -> UserSummary:
    user = await session.get(User, user_id)
    if user is None:
        raise HTTPException(400, f"no user with id {user_id}")
    return await summary_three_statements(user_id, session)


# Counts the comments left on the user's posts (by anyone), not the comments the user wrote.
@wrong("12.user_summary", "counts comments received, not written")
async def summary_comments_received(user_id: UserId, session: SessionDep) -> UserSummary:
    user = await session.get(User, user_id)
    if user is None:
        raise _not_found(user_id)
    posts = await session.scalar(select(func.count()).select_from(Post).where(Post.user_id == user_id))
    comments = await session.scalar(
        select(func.count()).select_from(Comment).join(Post, Comment.post_id == Post.id).where(Post.user_id == user_id)
    )
    return UserSummary(id=user.id, name=user.name, posts=posts, comments=comments)


# N+1: one SELECT per post, so more than 3 statements for any user with posts.
@wrong("12.user_summary", "N+1: a statement per post")
async def summary_post_by_post(user_id: UserId, session: SessionDep) -> UserSummary:
    user = await session.get(User, user_id)
    if user is None:
        raise _not_found(user_id)
    ids = (await session.scalars(select(Post.id).where(Post.user_id == user_id))).all()
    posts = [await session.get(Post, post_id) for post_id in ids]
    comments = await session.scalar(select(func.count()).select_from(Comment).where(Comment.user_id == user_id))
    return UserSummary(id=user.id, name=user.name, posts=len(posts), comments=comments)


# Two outer joins, plain COUNT: each count is multiplied by the other (posts × comments rows).
@wrong("12.user_summary", "join product: counts multiplied")
async def summary_join_product(user_id: UserId, session: SessionDep) -> UserSummary:
    statement = (
        select(User.id, User.name, func.count(Post.id), func.count(Comment.id))
        .outerjoin(Post, Post.user_id == User.id)
        .outerjoin(Comment, Comment.user_id == User.id)
        .where(User.id == user_id)
        .group_by(User.id, User.name)
    )
    row = (await session.execute(statement)).first()
    if row is None:
        raise _not_found(user_id)
    return UserSummary(id=row[0], name=row[1], posts=row[2], comments=row[3])


# Inner join to posts: a real user with no posts gets a 404.
@wrong("12.user_summary", "inner join: 404 for a user with no posts")
async def summary_inner_join(user_id: UserId, session: SessionDep) -> UserSummary:
    comments = select(func.count(Comment.id)).where(Comment.user_id == User.id).scalar_subquery()
    statement = (
        select(User.id, User.name, func.count(Post.id), comments)
        .join(Post, Post.user_id == User.id)
        .where(User.id == user_id)
        .group_by(User.id, User.name)
    )
    row = (await session.execute(statement)).first()
    if row is None:
        raise _not_found(user_id)
    return UserSummary(id=row[0], name=row[1], posts=row[2], comments=row[3])


# No response model: the body carries the user's email too.
@wrong("12.user_summary", "leaks the email (no response model)")
async def summary_leaks_email(user_id: UserId, session: SessionDep) -> dict[str, Any]:
    summary = await summary_three_statements(user_id, session)
    user = await session.get(User, user_id)
    return {**summary.model_dump(), "email": user.email}  # type: ignore[union-attr]


# Wrong body shape: Laravel-style keys.
@wrong("12.user_summary", "wrong body shape (posts_count, comments_count)")
async def summary_laravel_keys(user_id: UserId, session: SessionDep) -> dict[str, Any]:
    summary = await summary_three_statements(user_id, session)
    return {"id": summary.id, "name": summary.name, "posts_count": summary.posts, "comments_count": summary.comments}


# Only the published posts: drafts were written too.
@wrong("12.user_summary", "counts published posts only")
async def summary_published_only(user_id: UserId, session: SessionDep) -> UserSummary:
    user = await session.get(User, user_id)
    if user is None:
        raise _not_found(user_id)
    posts = await session.scalar(select(func.count()).select_from(Post).where(Post.user_id == user_id, Post.published))
    comments = await session.scalar(select(func.count()).select_from(Comment).where(Comment.user_id == user_id))
    return UserSummary(id=user.id, name=user.name, posts=posts, comments=comments)


# Posts and comments swapped.
@wrong("12.user_summary", "posts and comments swapped")
async def summary_swapped(user_id: UserId, session: SessionDep) -> UserSummary:
    summary = await summary_three_statements(user_id, session)
    return UserSummary(id=summary.id, name=summary.name, posts=summary.comments, comments=summary.posts)
