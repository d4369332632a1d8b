"""Practice for lesson 03: change relationships the way the ORM wants it, loaded first and committed.

- ``03.grant_role``: give a user a role through the many-to-many ``User.roles`` (Laravel's
  ``syncWithoutDetaching``), keeping their other roles and never adding one twice.
- ``03.move_post``: hand a post to another author without losing it (``User.posts`` has ``delete-orphan``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from lessons.core.models import Post, Role, User
from lessons.exercises.differential import Call, Differential, Note, observe
from lessons.exercises.framework import register
from lessons.exercises.worlds import World


async def grant_role(session: AsyncSession, user_id: int, role_name: str) -> list[str]:
    user = await session.scalar(select(User).options(selectinload(User.roles)).where(User.id == user_id))
    role = await session.scalar(select(Role).where(Role.name == role_name))
    if role not in user.roles:
        user.roles.append(role)
    await session.commit()
    return [role.name for role in user.roles]


@register
class GrantRole(Differential):
    id = "03.grant_role"
    title = "Give a user a role, once, and keep the others"
    hints = [
        "Laravel's $user->roles()->syncWithoutDetaching([$role->id]): load the user *with* their roles, "
        "look the role up by name, append it only if it is not there yet, then commit.",
        "select(User).options(selectinload(User.roles)).where(User.id == user_id) loads the collection; "
        "select(Role).where(Role.name == role_name) finds the role; `if role not in user.roles: "
        "user.roles.append(role)`; `await session.commit()`; return [r.name for r in user.roles].",
    ]
    reference = grant_role
    ordered = False  # "return all their role names (any order)"

    def calls(self, world: World) -> list[Call]:
        roles = {row["id"]: row["name"] for row in world.rows["roles"]}
        held: dict[int, set[str]] = {}
        for grant in world.rows["user_roles"]:
            held.setdefault(grant["user_id"], set()).add(roles[grant["role_id"]])
        lonely = world.rows["users"][0]["id"]  # no roles at all: an inner join on user_roles misses them
        some = sorted(user for user, names in held.items() if names != set(roles.values()))
        # A name another name contains ("admin" in "sysadmin", which has the lower id) when the world has one.
        names = sorted(roles.values())
        contained = [name for name in names if any(name in other and other != name for other in names)]
        calls = [Call((lonely, world.rng.choice(contained or names)), about="a user with no roles")]
        if some:
            user = world.rng.choice(some)
            lacking = sorted(set(roles.values()) - held[user])
            owned = sorted(held[user])
            calls += [
                Call((user, world.rng.choice(lacking)), about="a user with other roles"),
                Call((user, world.rng.choice(owned)), about="a role the user already has"),
            ]
        return [*calls, Call(calls[0].args, about="the same grant twice")]


async def move_post(session: AsyncSession, post_id: int, new_author_id: int) -> Post:
    post = await session.get(Post, post_id)
    post.author = await session.get(User, new_author_id)
    await session.commit()
    return post


@register
class MovePost(Differential):
    id = "03.move_post"
    title = "Move a post to another author, comments and all"
    hints = [
        "Laravel: $post->user()->associate($newAuthor); $post->save(). One UPDATE of posts.user_id, nothing else.",
        "post = await session.get(Post, post_id); post.author = await session.get(User, new_author_id) "
        "(or post.user_id = new_author_id); then await session.commit(). Removing the post from its old "
        "author's posts *alone* deletes it: User.posts has delete-orphan.",
    ]
    reference = move_post

    def calls(self, world: World) -> list[Call]:
        commented = sorted({row["post_id"] for row in world.rows["comments"]})
        posts = commented or world.ids("posts")
        if not posts:
            return []
        lonely = world.rows["users"][0]["id"]  # has no posts yet: a join through posts would not find them
        first, second = world.rng.choice(posts), world.rng.choice(world.ids("posts"))
        author = world.where("posts", id=second)[0]["user_id"]
        others = [row["id"] for row in world.rows["users"] if row["id"] != author]
        return [
            Call((first, lonely), about="a post with comments, to a user with no posts yet"),
            Call((second, world.rng.choice(others)), about="any post to another user"),
        ]

    def world(self, seed: int) -> World:
        world = super().world(seed)
        while not world.rows["comments"]:  # the post moved must have comments to keep
            world = super().world(seed := seed + 1000)
        return world

    def observe(self, value: Any) -> Any:
        # "return the post, up to date (its user_id, and its author if loaded, name the new author)"
        if isinstance(value, Post):
            author = inspect(value).dict.get("author")
            if author is not None and author.id != inspect(value).dict.get("user_id"):
                return Note(f"the post with its old author, user {author.id}, still loaded as post.author")
        return observe(value)
