"""Practice for lesson 12: add a ``GET /users/{user_id}/summary`` route to the blog API.

The learner writes the route function; the checker mounts it on a fresh blog application and calls it over
ASGI: right counts for a user with posts and comments, a 404 with a reason for a missing user, no 5xx, and
a constant number of statements however many posts the user has.
"""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import APIRouter, HTTPException
from pydantic import BaseModel
from sqlalchemy import func, select

from lessons.blog import create_app
from lessons.blog.deps import SessionDep, UserId
from lessons.database import LessonDatabase
from lessons.exercises.framework import Exercise, Incorrect, Unattempted, register, statements
from lessons.models import Comment, Post, User
from lessons.sql import count_queries

#: The most statements a summary may take: fetch the user, count posts, count comments.
MAX_STATEMENTS = 3


class UserSummary(BaseModel):
    """What ``GET /users/{user_id}/summary`` answers."""

    id: int
    name: str
    posts: int
    comments: int


async def user_summary(user_id: UserId, session: SessionDep) -> UserSummary:
    user = await session.get(User, user_id)
    if user is None:
        raise HTTPException(404, f"no user with id {user_id}")
    posts = await session.scalar(select(func.count()).where(Post.user_id == user_id))
    comments = await session.scalar(select(func.count()).where(Comment.user_id == user_id))
    return UserSummary(id=user.id, name=user.name, posts=posts, comments=comments)


async def _right_one_query(user_id: UserId, session: SessionDep) -> UserSummary:
    posts = select(func.count()).where(Post.user_id == User.id).scalar_subquery()
    comments = select(func.count()).where(Comment.user_id == User.id).scalar_subquery()
    row = (await session.execute(select(User.id, User.name, posts, comments).where(User.id == user_id))).first()
    if row is None:
        raise HTTPException(404, detail=f"user {user_id} does not exist")
    return UserSummary(id=row[0], name=row[1], posts=row[2], comments=row[3])


async def _wrong_none_for_missing(user_id: UserId, session: SessionDep) -> UserSummary:
    user = await session.get(User, user_id)
    posts = await session.scalar(select(func.count()).where(Post.user_id == user_id))
    comments = await session.scalar(select(func.count()).where(Comment.user_id == user_id))
    return UserSummary(id=user.id, name=user.name, posts=posts, comments=comments)  # AttributeError → 500


async def _wrong_lazy_loads(user_id: UserId, session: SessionDep) -> UserSummary:
    user = await session.get(User, user_id)
    if user is None:
        raise HTTPException(404, f"no user with id {user_id}")
    return UserSummary(id=user.id, name=user.name, posts=len(user.posts), comments=len(user.comments))


async def _wrong_counts_everyones_posts(user_id: UserId, session: SessionDep) -> UserSummary:
    user = await session.get(User, user_id)
    if user is None:
        raise HTTPException(404, f"no user with id {user_id}")
    posts = await session.scalar(select(func.count()).select_from(Post))
    comments = await session.scalar(select(func.count()).where(Comment.user_id == user_id))
    return UserSummary(id=user.id, name=user.name, posts=posts, comments=comments)


async def _wrong_one_query_per_post(user_id: UserId, session: SessionDep) -> UserSummary:
    user = await session.get(User, user_id)
    if user is None:
        raise HTTPException(404, f"no user with id {user_id}")
    posts = (await session.scalars(select(Post.id).where(Post.user_id == user_id))).all()
    comments = await session.scalar(select(func.count()).where(Comment.user_id == user_id))
    for post_id in posts:  # a statement per post: the N+1 shape
        await session.get(Post, post_id)
    return UserSummary(id=user.id, name=user.name, posts=len(posts), comments=comments)


@register
class UserSummaryRoute(Exercise):
    id = "12.user_summary"
    title = "Add GET /users/{user_id}/summary to the blog API"
    hints = [
        "Fetch the user with session.get(); if it is None, raise HTTPException(404, 'no user with id ...').",
        "Count with the database: select(func.count()).where(Post.user_id == user_id), and the same for Comment.",
        "Never touch user.posts: under asyncio an unloaded relationship raises instead of loading.",
    ]
    reference = user_summary
    right_answers = [user_summary, _right_one_query]
    wrong_answers = [
        _wrong_none_for_missing,
        _wrong_lazy_loads,
        _wrong_counts_everyones_posts,
        _wrong_one_query_per_post,
    ]

    async def judge(self, answer: Any, db: LessonDatabase) -> str:
        await self._raise_unattempted_if_stub(answer, db)
        router = APIRouter()
        router.get("/users/{user_id}/summary", response_model=UserSummary)(answer)
        app = create_app(db.Session)
        app.include_router(router)
        async with db.Session() as session:
            busiest = (
                await session.execute(
                    select(Post.user_id, func.count()).group_by(Post.user_id).order_by(func.count().desc()).limit(1)
                )
            ).first()
            user_id, post_count = busiest
            comment_count = await session.scalar(select(func.count()).where(Comment.user_id == user_id))
            name = await session.scalar(select(User.name).where(User.id == user_id))
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            with count_queries() as queries:
                response = await client.get(f"/users/{user_id}/summary")
            if response.status_code == 500:
                raise Incorrect(
                    f"GET /users/{user_id}/summary answered 500: the route raised. Run it in a cell to see why "
                    "(touching user.posts under asyncio raises; count with select(func.count()) instead)."
                )
            if response.status_code != 200:
                raise Incorrect(f"GET /users/{user_id}/summary answered {response.status_code}, not 200.")
            expected = {"id": user_id, "name": name, "posts": post_count, "comments": comment_count}
            if response.json() != expected:
                raise Incorrect(f"for user {user_id} you answered {response.json()}, expected {expected}.")
            if queries.count > MAX_STATEMENTS:
                raise Incorrect(
                    f"right numbers, but {statements(queries.count)} for a user with {post_count} posts; "
                    f"a summary needs at most {MAX_STATEMENTS}, however many posts there are."
                )
            missing = await client.get("/users/999999/summary")
            if missing.status_code != 404:
                raise Incorrect(f"a missing user should be a 404 with a reason; yours answered {missing.status_code}.")
            if not missing.json().get("detail"):
                raise Incorrect("your 404 has no detail: say which user was not found.")
        return (
            f"user {user_id}: {post_count} posts and {comment_count} comments in {statements(queries.count)}; "
            "a missing user is a 404 with a reason."
        )

    async def _raise_unattempted_if_stub(self, answer: Any, db: LessonDatabase) -> None:
        # Called directly first: the untouched stub raises NotImplementedError, whatever its signature.
        async with db.Session() as session:
            try:
                await answer(user_id=1, session=session)
            except NotImplementedError:
                raise Unattempted from None
            except Exception:  # any other error is the learner's bug, reported by judge
                return
