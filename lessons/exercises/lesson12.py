"""Practice for lesson 12: add a ``GET /users/{user_id}/summary`` route to the blog API.

The learner writes the route function; the checker mounts it on a fresh blog application (FastAPI takes the
response model from its return annotation, as ``@router.get`` would) and sends the same requests to it and to the
reference: each response's status code and body are compared, a 404's detail only for being a reason.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx
from fastapi import APIRouter, HTTPException
from pydantic import BaseModel
from sqlalchemy import func, select

from lessons.blog import create_app
from lessons.blog.deps import SessionDep, UserId
from lessons.core.database import LessonDatabase
from lessons.core.models import Comment, Post, User
from lessons.exercises.differential import Call, Differential, Run, at_most
from lessons.exercises.framework import Unattempted, is_stub, register
from lessons.exercises.worlds import World


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


#: What a detail of Starlette's own says: no reason.
_NO_REASON = {"Not Found", "Bad Request", "Internal Server Error"}


async def _get(client: httpx.AsyncClient, url: str) -> dict[str, Any]:
    """One request, as observed: its status code and body (a 4xx's detail only for whether it gives a reason)."""
    response = await client.get(url)
    try:
        body = response.json()
    except ValueError:
        body = response.text
    if response.status_code >= 400 and isinstance(body, dict) and set(body) == {"detail"}:
        detail = body["detail"]
        body = {"detail": "(a reason)" if isinstance(detail, str) and detail and detail not in _NO_REASON else detail}
    return {"status": response.status_code, "body": body}


@register
class UserSummaryRoute(Differential):
    id = "12.user_summary"
    title = "Add GET /users/{user_id}/summary to the blog API"
    hints = [
        "Fetch the user with session.get(); if it is None, raise HTTPException(404, 'no user with id ...').",
        "Count with the database: select(func.count()).where(Post.user_id == user_id), and the same for Comment.",
        "Never touch user.posts: under asyncio an unloaded relationship raises instead of loading.",
    ]
    reference = user_summary

    def world(self, seed: int) -> World:
        world = super().world(seed)
        # A namesake of the busiest author, who wrote one post and one comment (a count by name adds them).
        counts = Counter(post["user_id"] for post in world.rows["posts"])
        busiest = world.where("users", id=min(counts, key=lambda user: (-counts[user], user)))[0]
        twin = world.add("users", name=busiest["name"], email=f"twin.{seed}@example.test")
        post = world.add("posts", title="By the namesake", user_id=twin["id"], published=False)
        world.add("comments", body="The namesake's comment", post_id=post["id"], user_id=twin["id"])
        return world

    def calls(self, world: World) -> list[Call]:
        counts = Counter(post["user_id"] for post in world.rows["posts"])
        busiest = min(counts, key=lambda user: (-counts[user], user))
        commenters = {row["user_id"] for row in world.rows["comments"]}
        cases = [
            (busiest, "the user with the most posts"),
            (world.where("posts", title="By the namesake")[0]["user_id"], "a namesake"),
            (world.ids("users")[0], "a user who wrote nothing"),
            *[(user, "a commenter without posts") for user in sorted(commenters - set(counts))[:1]],
            (world.rng.choice(world.ids("users")), "any user"),
            (world.missing_id("users"), "an unknown id"),
        ]
        return [Call((f"/users/{user}/summary",), f"GET /users/{user}/summary ({about})", about)
                for user, about in cases]

    async def run(self, function: Callable[..., Any], db: LessonDatabase, world: World, run: Run, answer: bool) -> None:
        if is_stub(function):
            raise Unattempted
        router = APIRouter()
        router.get("/users/{user_id}/summary")(function)  # the response model: the function's return annotation
        app = create_app(db.Session)
        app.include_router(router)
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=True)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            for call in self.calls(world):
                run.abouts.append(call.about)
                # The answer runs inside the request: what the route raises is the answer's (a client gets a 500).
                await self.one_call(_get, client, call.args, call.label, run, answer)

    def properties(self, reference: Run, answer: Run, world: World) -> str | None:
        found = at_most(3, answer.statements)
        return found and f"{found} however many posts the user has (count in the database: func.count())"

