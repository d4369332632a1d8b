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
from sqlalchemy import distinct, func, select

from lessons.blog import create_app
from lessons.blog.deps import SessionDep, UserId
from lessons.database import LessonDatabase
from lessons.exercises.framework import (
    Exercise,
    Incorrect,
    Unattempted,
    count_statements,
    describe,
    is_stub,
    register,
    statements,
)
from lessons.models import Comment, Post, User

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


async def _right_outer_joins_grouped(user_id: UserId, session: SessionDep) -> UserSummary:
    # LEFT JOINs keep a user with no posts; DISTINCT keeps posts × comments from multiplying the counts.
    statement = (
        select(User.id, User.name, func.count(distinct(Post.id)), func.count(distinct(Comment.id)))
        .outerjoin(Post, Post.user_id == User.id)
        .outerjoin(Comment, Comment.user_id == User.id)
        .where(User.id == user_id)
        .group_by(User.id, User.name)
    )
    row = (await session.execute(statement)).one_or_none()
    if row is None:
        raise HTTPException(status_code=404, detail=f"user {user_id} not found")
    user_id, name, posts, comments = row
    return UserSummary(id=user_id, name=name, posts=posts, comments=comments)


async def _wrong_inner_join(user_id: UserId, session: SessionDep) -> UserSummary:
    # An inner join has no row for a user without posts: that user is answered 404.
    statement = (
        select(User.id, User.name, func.count(Post.id))
        .join(Post, Post.user_id == User.id)
        .where(User.id == user_id)
        .group_by(User.id, User.name)
    )
    row = (await session.execute(statement)).first()
    if row is None:
        raise HTTPException(404, f"no user with id {user_id}")
    comments = await session.scalar(select(func.count()).where(Comment.user_id == user_id))
    return UserSummary(id=row[0], name=row[1], posts=row[2], comments=comments)


async def _wrong_two_joins_multiply(user_id: UserId, session: SessionDep) -> UserSummary:
    # Posts and comments joined side by side: each post is counted once per comment, and the other way round.
    statement = (
        select(User.id, User.name, func.count(Post.id), func.count(Comment.id))
        .outerjoin(Post, Post.user_id == User.id)
        .outerjoin(Comment, Comment.user_id == User.id)
        .where(User.id == user_id)
        .group_by(User.id, User.name)
    )
    row = (await session.execute(statement)).first()
    if row is None:
        raise HTTPException(404, f"no user with id {user_id}")
    return UserSummary(id=row[0], name=row[1], posts=row[2], comments=row[3])


async def _wrong_counted_by_name(user_id: UserId, session: SessionDep) -> UserSummary:
    user = await session.get(User, user_id)
    if user is None:
        raise HTTPException(404, f"no user with id {user_id}")
    # Joined on the author's name: every user called the same is counted together.
    posts = await session.scalar(select(func.count(Post.id)).join(User).where(User.name == user.name))
    comments = await session.scalar(select(func.count(Comment.id)).join(User).where(User.name == user.name))
    return UserSummary(id=user.id, name=user.name, posts=posts, comments=comments)


async def _wrong_none_for_missing(user_id: UserId, session: SessionDep) -> UserSummary:
    user = await session.get(User, user_id)
    posts = await session.scalar(select(func.count()).where(Post.user_id == user_id))
    comments = await session.scalar(select(func.count()).where(Comment.user_id == user_id))
    return UserSummary(id=user.id, name=user.name, posts=posts, comments=comments)  # AttributeError → 500


async def _wrong_404_without_reason(user_id: UserId, session: SessionDep) -> UserSummary:
    user = await session.get(User, user_id)
    if user is None:
        raise HTTPException(404)  # detail: "Not Found", which names nothing
    posts = await session.scalar(select(func.count()).where(Post.user_id == user_id))
    comments = await session.scalar(select(func.count()).where(Comment.user_id == user_id))
    return UserSummary(id=user.id, name=user.name, posts=posts, comments=comments)


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
    right_answers = [user_summary, _right_one_query, _right_outer_joins_grouped]
    wrong_answers = [
        _wrong_inner_join,
        _wrong_two_joins_multiply,
        _wrong_counted_by_name,
        _wrong_none_for_missing,
        _wrong_404_without_reason,
        _wrong_lazy_loads,
        _wrong_counts_everyones_posts,
        _wrong_one_query_per_post,
    ]

    async def judge(self, answer: Any, db: LessonDatabase) -> str:
        if is_stub(answer):
            raise Unattempted
        router = APIRouter()
        router.get("/users/{user_id}/summary", response_model=UserSummary)(answer)
        app = create_app(db.Session)
        app.include_router(router)
        async with db.Session() as session:
            busiest = (
                await session.execute(
                    select(Post.user_id, func.count())
                    .group_by(Post.user_id)
                    .order_by(func.count().desc(), Post.user_id)
                    .limit(1)
                )
            ).first()
            user_id = busiest[0]
            name = await session.scalar(select(User.name).where(User.id == user_id))
            # The checker's own rows: a second user with the busiest user's name (one post, one comment), and a
            # user with no posts and no comments at all.
            namesake = User(name=name, email="namesake@example.net")
            idle = User(name="Nobody Writes", email="idle@example.net")
            session.add_all([namesake, idle])
            await session.flush()
            post = Post(user_id=namesake.id, title="By the namesake", content="")
            session.add(post)
            await session.flush()
            session.add(Comment(user_id=namesake.id, post_id=post.id, body="The namesake's comment"))
            await session.commit()
            cases = []
            for who in (user_id, namesake.id, idle.id):
                cases.append(
                    {
                        "id": who,
                        "name": await session.scalar(select(User.name).where(User.id == who)),
                        "posts": await session.scalar(select(func.count()).where(Post.user_id == who)),
                        "comments": await session.scalar(select(func.count()).where(Comment.user_id == who)),
                    }
                )
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=True)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:

            async def get(url: str) -> httpx.Response:
                try:
                    return await client.get(url)
                except Exception as error:  # the route raised: a real client gets a 500
                    raise Incorrect(f"GET {url} answered 500: the route raised {describe(error)}") from None

            counted = 0
            for expected in cases:
                url = f"/users/{expected['id']}/summary"
                with count_statements() as queries:
                    response = await get(url)
                who = {user_id: "the user with the most posts", namesake.id: f"another user also named {name!r}",
                       idle.id: "a user with no posts and no comments"}[expected["id"]]
                if response.status_code != 200:
                    raise Incorrect(
                        f"GET {url} ({who}) answered {response.status_code} {response.text[:160]}; expected 200 "
                        f"with {expected}."
                    )
                if response.json() != expected:
                    got = response.json()
                    # The namesake wrote 1 post and 1 comment: counts one too high each point at them.
                    by_name = isinstance(got, dict) and expected["id"] == user_id and (
                        got.get("posts") == expected["posts"] + 1 or got.get("comments") == expected["comments"] + 1
                    )
                    aside = (
                        f"; user {namesake.id} has the same name and wrote exactly 1 post and 1 comment, the difference"
                        if by_name
                        else ""
                    )
                    raise Incorrect(f"GET {url} ({who}) answered {response.json()}, expected {expected}{aside}.")
                if queries.count > MAX_STATEMENTS:
                    listing = "\n".join(
                        f"{n}. {s.sql.splitlines()[0][:100]}" for n, s in enumerate(queries.statements[:6], 1)
                    ) + ("\n…" if queries.count > 6 else "")
                    raise Incorrect(
                        f"right numbers, but GET {url} took {statements(queries.count)} for a user with "
                        f"{expected['posts']} posts; a summary needs at most {MAX_STATEMENTS}, however many posts "
                        f"there are:\n{listing}"
                    )
                counted = max(counted, queries.count)
            missing = await get("/users/999999/summary")
            if missing.status_code != 404:
                raise Incorrect(
                    f"GET /users/999999/summary (no such user) answered {missing.status_code} {missing.text[:160]}; "
                    "a missing user should be a 404 with a reason."
                )
            detail = missing.json().get("detail")
            # HTTPException(404) with no detail answers Starlette's generic "Not Found": no reason either.
            if not detail or detail == "Not Found":
                raise Incorrect(
                    f"GET /users/999999/summary answered 404 with detail {detail!r}: say which user was not found, "
                    "e.g. HTTPException(404, f\"no user with id {user_id}\")."
                )
        busy = cases[0]
        return (
            f"user {busy['id']}: {busy['posts']} posts and {busy['comments']} comments in at most "
            f"{statements(counted)}; a namesake and a user with nothing written are counted right; a missing user "
            "is a 404 with a reason."
        )
