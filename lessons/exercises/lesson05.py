"""Practice for lessons 05a and 05b: a search box, a grouped count with HAVING, and users with no posts.

- ``05.search_users``: active users whose name or email contains a term, case ignored, ``%`` and ``_`` literal.
- ``05.top_publishers``: ``(name, published posts)`` of the users above a threshold, most first, one statement.
- ``05.users_without_posts``: Eloquent's ``doesntHave('posts')``, drafts counting as posts.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from lessons.core.models import Post, User
from lessons.exercises.differential import Call, Differential, Run, at_most, observe
from lessons.exercises.framework import register
from lessons.exercises.worlds import World


class OneStatement(Differential):
    """The three tasks of lesson 05 each promise one statement."""

    def properties(self, reference: Run, answer: Run, world: World) -> str | None:
        return at_most(1, answer.statements)


async def search_users(session: AsyncSession, term: str) -> list[int]:
    ids = await session.scalars(
        select(User.id).where(
            User.is_active,
            or_(User.name.icontains(term, autoescape=True), User.email.icontains(term, autoescape=True)),
        )
    )
    return list(ids)


@register
class SearchUsers(OneStatement):
    id = "05.search_users"
    title = "A search box: active users by name or email, wildcards taken literally"
    hints = [
        "Two conditions must both hold: the user is active, AND (the name matches OR the email matches). Group "
        "the OR with or_() so that the active condition applies to both alternatives.",
        "% and _ in the term are LIKE wildcards. User.name.icontains(term, autoescape=True) escapes them, ignores "
        "case and adds the %…% for you.",
        "select(User.id).where(User.is_active, or_(<name match>, <email match>)). If you build the statement in "
        "steps, reassign it: statement = statement.where(...); a bare statement.where(...) changes nothing.",
    ]
    reference = search_users
    ordered = False  # "in any order"

    def world(self, seed: int) -> World:
        world = super().world(seed)
        # Look-alikes for the wildcards, matches in the email only, and a match that is not active.
        world.add("users", name="Alice E_C Smith", email=f"alice.{seed}@example.test")
        world.add("users", name="Bob EXC", email=f"bob.{seed}@example.test")
        world.add("users", name="Carol", email=f"e_c.carol.{seed}@example.test")
        world.add("users", name="Dora E_C", email=f"dora.{seed}@example.test", is_active=False)
        world.add("users", name="Erin", email=f"erin.e_c.{seed}@example.test", is_active=False)
        world.add("users", name="E_C Both", email=f"e_c.both.{seed}@example.test")
        world.add("users", name="100% Dave", email=f"dave.{seed}@example.test")
        world.add("users", name="1000 Days", email=f"days.{seed}@example.test")
        world.add("users", name="Ed O'Brien", email=f"o.brien.{seed}@example.test")
        world.add("users", name="Fay 50_50", email=f"fay.{seed}@e_c.example.test")
        return world

    def calls(self, world: World) -> list[Call]:
        someone = world.pick("users", is_active=True)
        word = someone["name"].split()[0][:3]
        return [
            Call(("e_c",), about="an underscore in the term"),
            Call(("100%",), about="a percent sign"),
            Call((word.swapcase() if word.isascii() else "EXAMPLE",), about="a term in the other case"),
            Call(("'b",), about="a quote"),
            Call(("no such name",), about="a term nobody matches"),
        ]


async def top_publishers(session: AsyncSession, min_posts: int) -> list[tuple[str, int]]:
    published = func.count(Post.id).label("published")
    rows = await session.execute(
        select(User.name, published)
        .join(User.posts)
        .where(Post.published)
        .group_by(User.id, User.name)
        .having(published > min_posts)
        .order_by(published.desc())
    )
    return [(name, count) for name, count in rows]


def _ties_any_order(value: Any) -> Any:
    """Most first, ties in any order: a list already in descending counts is compared as a multiset."""
    seen = observe(value)
    if isinstance(seen, list):  # a Row is a pair too
        seen = [tuple(item.values) if type(item).__name__ == "_RowValue" else item for item in seen]
    if isinstance(seen, list) and all(isinstance(item, tuple) and len(item) == 2 for item in seen):
        counts = [item[1] for item in seen]
        if all(isinstance(count, int) for count in counts) and counts == sorted(counts, reverse=True):
            return sorted(seen, key=lambda item: (-item[1], repr(item[0])))
    return seen


@register
class TopPublishers(OneStatement):
    id = "05.top_publishers"
    title = "Top publishers: GROUP BY and HAVING"
    hints = [
        "Join users to their posts, keep published posts only (WHERE), then GROUP BY the user and count.",
        "A condition on a count goes in .having(...), not .where(...): WHERE filters rows before grouping.",
        "Label the count once, e.g. published = func.count(Post.id).label('published'), then use it in "
        ".having(published > min_posts) and .order_by(published.desc()).",
    ]
    reference = top_publishers

    def world(self, seed: int) -> World:
        world = super().world(seed)
        # Namesakes who both publish: each is a row of their own.
        twins = [world.add("users", name="Sam Twin", email=f"twin{n}.{seed}@example.test") for n in (1, 2)]
        for number, twin in enumerate(twins):
            for post in range(2 + number):
                world.add("posts", title=f"twin post {post}", user_id=twin["id"], published=True)
            world.add("posts", title="a draft", user_id=twin["id"], published=False)
        return world

    def observe(self, value: Any) -> Any:
        return _ties_any_order(value)

    def calls(self, world: World) -> list[Call]:
        published: dict[int, int] = {}
        for post in world.where("posts", published=True):
            published[post["user_id"]] = published.get(post["user_id"], 0) + 1
        most = max(published.values(), default=0)
        return [
            Call((0,), about="0 (everyone with a published post)"),
            Call((1,), about="1"),
            Call((most - 1,), about="one below the most"),
            Call((most,), about="the most (nobody above it)"),
        ]


async def users_without_posts(session: AsyncSession) -> list[int]:
    ids = await session.scalars(select(User.id).outerjoin(User.posts).where(Post.id.is_(None)).order_by(User.id))
    return list(ids)


@register
class UsersWithoutPosts(OneStatement):
    id = "05.users_without_posts"
    title = "Users without posts: an anti-join"
    hints = [
        "Eloquent's User::doesntHave('posts'): an inner join only keeps users *with* posts, so it cannot work.",
        "Either outerjoin(User.posts) and keep the rows where Post.id is None, or ~User.posts.any() (NOT EXISTS).",
    ]
    reference = users_without_posts
    ordered = False  # "in any order"

    def world(self, seed: int) -> World:
        world = super().world(seed)
        drafter = world.add("users", name="Only Drafts", email=f"drafts.{seed}@example.test")
        world.add("posts", title="a draft", user_id=drafter["id"], published=False)
        for number in range(30 if seed % 2 else 0):  # in one of the two worlds, more than a page holds
            world.add("users", name=f"Newcomer {number}", email=f"new{number}.{seed}@example.test")
        return world

    def calls(self, world: World) -> list[Call]:
        return [Call(about="a user with only a draft"), Call(about="the same call again")]
