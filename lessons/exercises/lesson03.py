"""Practice for lesson 03: change relationships the way the ORM wants it, loaded first and committed.

- ``03.grant_role``: give a user a role through the many-to-many ``User.roles`` (Laravel's
  ``syncWithoutDetaching``), keeping their other roles and never adding one twice.
- ``03.move_post``: hand a post to another author without losing it (``User.posts`` has ``delete-orphan``).
"""

from __future__ import annotations

import gc
import warnings
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.exc import IntegrityError, MissingGreenlet
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from lessons.database import LessonDatabase
from lessons.exercises.framework import Exercise, Incorrect, Unattempted, register
from lessons.models import Comment, Post, Role, User, user_roles
from lessons.sql import count_queries
from lessons.traps import forget_tracebacks


class LazyLoad(Exception):
    """The learner's code touched an unloaded attribute: under asyncio that raises (wrapping MissingGreenlet)."""


async def attempt(exercise: Exercise, answer: Any, *args: Any) -> Any:
    """Run the learner's answer; a lazy load becomes :class:`LazyLoad`, with no stray warning left behind.

    A failed lazy load leaves a coroutine never awaited; its ``RuntimeWarning`` would otherwise surface in
    some later cell (or test). It is collected here, inside the block that records it.
    """
    failure: Exception | None = None
    outcome: Any = None
    with warnings.catch_warnings(record=True) as recorded:
        warnings.simplefilter("always")
        try:
            outcome = await exercise.call(answer, *args)
        except (Incorrect, Unattempted):
            raise
        except Exception as error:
            failure = error
            forget_tracebacks(error)
        gc.collect()
    if isinstance(failure, MissingGreenlet) or isinstance(getattr(failure, "orig", None), MissingGreenlet):
        raise LazyLoad from None
    if failure is not None:
        raise failure
    # Without an error, a coroutine never awaited is the learner's own (``session.delete(obj)`` without await).
    for warning in recorded:
        if "was never awaited" in str(warning.message):
            raise Incorrect(f"{warning.message}: put `await` in front of that call.")
    return outcome


# --------------------------------------------------------------------------------------------------------------
# 03.grant_role
# --------------------------------------------------------------------------------------------------------------


async def grant_role(session: AsyncSession, user_id: int, role_name: str) -> list[str]:
    user = await session.scalar(select(User).options(selectinload(User.roles)).where(User.id == user_id))
    role = await session.scalar(select(Role).where(Role.name == role_name))
    if role not in user.roles:
        user.roles.append(role)
    await session.commit()
    return [role.name for role in user.roles]


async def _right_awaitable_attrs(session: AsyncSession, user_id: int, role_name: str) -> list[str]:
    user = await session.get(User, user_id)
    roles = await user.awaitable_attrs.roles
    if role_name not in {role.name for role in roles}:
        roles.append(await session.scalar(select(Role).where(Role.name == role_name)))
    await session.commit()
    return sorted(role.name for role in roles)


async def _right_core_insert(session: AsyncSession, user_id: int, role_name: str) -> list[str]:
    role_id = await session.scalar(select(Role.id).where(Role.name == role_name))
    already = await session.scalar(
        select(func.count())
        .select_from(user_roles)
        .where(user_roles.c.user_id == user_id, user_roles.c.role_id == role_id)
    )
    if not already:
        await session.execute(insert(user_roles).values(user_id=user_id, role_id=role_id))
    await session.commit()
    names = await session.scalars(
        select(Role.name).join(user_roles).where(user_roles.c.user_id == user_id).order_by(Role.name)
    )
    return list(names)


async def _wrong_replaces_the_roles(session: AsyncSession, user_id: int, role_name: str) -> list[str]:
    user = await session.scalar(select(User).options(selectinload(User.roles)).where(User.id == user_id))
    user.roles = [await session.scalar(select(Role).where(Role.name == role_name))]
    await session.commit()
    return [role.name for role in user.roles]


async def _wrong_adds_it_twice(session: AsyncSession, user_id: int, role_name: str) -> list[str]:
    user = await session.scalar(select(User).options(selectinload(User.roles)).where(User.id == user_id))
    user.roles.append(await session.scalar(select(Role).where(Role.name == role_name)))
    await session.commit()
    return [role.name for role in user.roles]


async def _wrong_touches_an_unloaded_collection(session: AsyncSession, user_id: int, role_name: str) -> list[str]:
    user = await session.get(User, user_id)
    role = await session.scalar(select(Role).where(Role.name == role_name))
    if role not in user.roles:
        user.roles.append(role)
    await session.commit()
    return [role.name for role in user.roles]


async def _wrong_grant_forgets_to_commit(session: AsyncSession, user_id: int, role_name: str) -> list[str]:
    user = await session.scalar(select(User).options(selectinload(User.roles)).where(User.id == user_id))
    role = await session.scalar(select(Role).where(Role.name == role_name))
    if role not in user.roles:
        user.roles.append(role)
    return [role.name for role in user.roles]


async def _wrong_creates_a_new_role(session: AsyncSession, user_id: int, role_name: str) -> list[str]:
    user = await session.scalar(select(User).options(selectinload(User.roles)).where(User.id == user_id))
    if role_name not in {role.name for role in user.roles}:
        user.roles.append(Role(name=role_name))
    await session.commit()
    return [role.name for role in user.roles]


async def _role_names(db: LessonDatabase, user_id: int) -> set[str]:
    async with db.Session() as session:
        names = await session.scalars(select(Role.name).join(user_roles).where(user_roles.c.user_id == user_id))
        return set(names)


@register
class GrantRole(Exercise):
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
    right_answers = [grant_role, _right_awaitable_attrs, _right_core_insert]
    wrong_answers = [
        _wrong_replaces_the_roles,
        _wrong_adds_it_twice,
        _wrong_touches_an_unloaded_collection,
        _wrong_grant_forgets_to_commit,
        _wrong_creates_a_new_role,
    ]

    async def _grant(self, answer: Any, db: LessonDatabase, user_id: int, role_name: str) -> list[str]:
        async with db.Session() as session:
            with count_queries() as queries:
                try:
                    got = await attempt(self, answer, session, user_id, role_name)
                except IntegrityError as error:
                    if any("insert into roles" in statement.sql.lower() for statement in queries.statements):
                        raise Incorrect(
                            f"you created a second role named {role_name!r} and the unique name refused it; "
                            "look the existing one up with select(Role).where(Role.name == role_name)."
                        ) from None
                    raise Incorrect(
                        f"user {user_id} already had {role_name!r} and your code added it again, so the primary key "
                        f"of user_roles refused the duplicate ({type(error).__name__}); append the role only "
                        "when it is not in user.roles yet."
                    ) from None
                except LazyLoad:
                    raise Incorrect(
                        "your code read a relationship that was not loaded yet (user.roles?), which raises "
                        "MissingGreenlet under asyncio; load it with selectinload(User.roles) or "
                        "`await user.awaitable_attrs.roles` first."
                    ) from None
        if got is None:
            raise Incorrect("your function returned None; return the user's role names, e.g. ['author', 'editor'].")
        return list(got)

    async def judge(self, answer: Any, db: LessonDatabase) -> str:
        async with db.Session() as session:
            editor_id = await session.scalar(select(Role.id).where(Role.name == "editor"))
            has_editor = select(user_roles.c.user_id).where(user_roles.c.role_id == editor_id)
            # Someone with a role, but not editor (to see their role survive); someone who is an editor already.
            newcomer = await session.scalar(
                select(func.min(user_roles.c.user_id)).where(user_roles.c.user_id.not_in(has_editor))
            )
            veteran = await session.scalar(
                select(func.min(user_roles.c.user_id)).where(user_roles.c.role_id == editor_id)
            )
        cases = [(newcomer, "editor"), (veteran, "editor"), (newcomer, "admin")]
        for user_id, role_name in cases:
            before = await _role_names(db, user_id)
            got = await self._grant(answer, db, user_id, role_name)
            after = await _role_names(db, user_id)
            expected = before | {role_name}
            if role_name not in after:
                raise Incorrect(
                    f"user {user_id} still does not have {role_name!r} in the database after your function: "
                    "did you `await session.commit()`?"
                )
            if lost := before - after:
                raise Incorrect(
                    f"user {user_id} lost {sorted(lost)}: assigning user.roles = [...] replaces the whole collection "
                    "(Laravel's sync); append to it instead."
                )
            if after != expected:
                raise Incorrect(f"user {user_id} now has {sorted(after)}, expected {sorted(expected)}.")
            if sorted(got) != sorted(after):
                raise Incorrect(
                    f"you returned {got!r}, but user {user_id}'s roles are now {sorted(after)}; return every role name."
                )
        return (
            f"user {newcomer} gained 'editor' and kept their other roles, user {veteran} (already an editor) "
            "was left as they were, and 'admin' was added on top."
        )


# --------------------------------------------------------------------------------------------------------------
# 03.move_post
# --------------------------------------------------------------------------------------------------------------


async def move_post(session: AsyncSession, post_id: int, new_author_id: int) -> Post:
    post = await session.get(Post, post_id)
    post.author = await session.get(User, new_author_id)
    await session.commit()
    return post


async def _right_sets_the_foreign_key(session: AsyncSession, post_id: int, new_author_id: int) -> Post:
    post = await session.get(Post, post_id)
    post.user_id = new_author_id
    await session.commit()
    return post


async def _right_moves_between_collections(session: AsyncSession, post_id: int, new_author_id: int) -> Post:
    post = await session.scalar(
        select(Post).options(selectinload(Post.author).selectinload(User.posts)).where(Post.id == post_id)
    )
    new_author = await session.scalar(select(User).options(selectinload(User.posts)).where(User.id == new_author_id))
    post.author.posts.remove(post)
    new_author.posts.append(post)
    await session.commit()
    return post


async def _wrong_uses_unloaded_relationships(session: AsyncSession, post_id: int, new_author_id: int) -> Post:
    post = await session.get(Post, post_id)
    new_author = await session.get(User, new_author_id)
    post.author.posts.remove(post)  # Eloquent habit: a lazy load, which raises under asyncio
    new_author.posts.append(post)
    await session.commit()
    return post


async def _wrong_only_removes_it(session: AsyncSession, post_id: int, new_author_id: int) -> Post:
    post = await session.scalar(
        select(Post).options(selectinload(Post.author).selectinload(User.posts)).where(Post.id == post_id)
    )
    post.author.posts.remove(post)
    await session.commit()
    return post


async def _wrong_copies_it(session: AsyncSession, post_id: int, new_author_id: int) -> Post:
    post = await session.get(Post, post_id)
    copy = Post(title=post.title, content=post.content, published=post.published, user_id=new_author_id)
    session.add(copy)
    await session.delete(post)
    await session.commit()
    return copy


async def _wrong_delete_not_awaited(session: AsyncSession, post_id: int, new_author_id: int) -> Post:
    post = await session.get(Post, post_id)
    copy = Post(title=post.title, content=post.content, published=post.published, user_id=new_author_id)
    session.add(copy)
    session.delete(post)  # a coroutine: without await nothing is deleted
    await session.commit()
    return copy


async def _wrong_move_forgets_to_commit(session: AsyncSession, post_id: int, new_author_id: int) -> Post:
    post = await session.get(Post, post_id)
    post.user_id = new_author_id
    return post


async def _wrong_delete_and_reinsert(session: AsyncSession, post_id: int, new_author_id: int) -> Post:
    # Same id, new row: the comments went with the old row (ON DELETE CASCADE).
    post = await session.get(Post, post_id)
    values = {"id": post.id, "title": post.title, "content": post.content, "published": post.published}
    await session.execute(delete(Post).where(Post.id == post_id))
    await session.execute(insert(Post).values(**values, user_id=new_author_id))
    await session.commit()
    return await session.get(Post, post_id)


@register
class MovePost(Exercise):
    id = "03.move_post"
    title = "Move a post to another author, comments and all"
    hints = [
        "Laravel: $post->user()->associate($newAuthor); $post->save(). One UPDATE of posts.user_id, nothing else.",
        "post = await session.get(Post, post_id); post.author = await session.get(User, new_author_id) "
        "(or post.user_id = new_author_id); then await session.commit(). Removing the post from its old "
        "author's posts *alone* deletes it: User.posts has delete-orphan.",
    ]
    reference = move_post
    right_answers = [move_post, _right_sets_the_foreign_key, _right_moves_between_collections]
    wrong_answers = [
        _wrong_uses_unloaded_relationships,
        _wrong_only_removes_it,
        _wrong_copies_it,
        _wrong_delete_not_awaited,
        _wrong_move_forgets_to_commit,
        _wrong_delete_and_reinsert,
    ]

    async def judge(self, answer: Any, db: LessonDatabase) -> str:
        async with db.Session() as session:
            # The post with the most comments (lowest id on a tie), and a user who is not its author.
            comments = func.count(Comment.id)
            post_id, old_author_id, comment_count = (
                await session.execute(
                    select(Post.id, Post.user_id, comments)
                    .join(Comment)
                    .group_by(Post.id, Post.user_id)
                    .order_by(comments.desc(), Post.id)
                    .limit(1)
                )
            ).one()
            new_author_id = await session.scalar(select(func.min(User.id)).where(User.id != old_author_id))
            old_count = await session.scalar(
                select(func.count()).select_from(Post).where(Post.user_id == old_author_id)
            )
            new_count = await session.scalar(
                select(func.count()).select_from(Post).where(Post.user_id == new_author_id)
            )
        async with db.Session() as session:
            try:
                got = await attempt(self, answer, session, post_id, new_author_id)
            except LazyLoad:
                raise Incorrect(
                    "your code read a relationship that was not loaded yet, which raises MissingGreenlet under "
                    "asyncio; load it in the query (selectinload) or with `await obj.awaitable_attrs.<name>`, "
                    "or just set post.user_id."
                ) from None
        async with db.Session() as session:
            row = (await session.execute(select(Post.user_id).where(Post.id == post_id))).first()
            if row is None:
                now = await session.scalar(select(func.count()).select_from(Post).where(Post.user_id == new_author_id))
                if now > new_count:
                    raise Incorrect(
                        f"post {post_id} is gone and user {new_author_id} got a copy under a new id: the original's "
                        f"{comment_count} comments were deleted with it (ON DELETE CASCADE). Change the post's "
                        "author instead: post.author = new_author (or post.user_id = new_author_id)."
                    )
                raise Incorrect(
                    f"post {post_id} no longer exists: removing it from its author's posts made it an orphan, and "
                    "User.posts has cascade 'delete-orphan', so it was DELETEd. Set post.author (or post.user_id), "
                    "or append it to the new author's posts as well."
                )
            if row.user_id == old_author_id:
                raise Incorrect(
                    f"post {post_id} still belongs to user {old_author_id} in the database: did you "
                    "`await session.commit()`?"
                )
            if row.user_id != new_author_id:
                raise Incorrect(f"post {post_id} now belongs to user {row.user_id}, not to user {new_author_id}.")
            kept = await session.scalar(select(func.count()).select_from(Comment).where(Comment.post_id == post_id))
            if kept != comment_count:
                raise Incorrect(
                    f"post {post_id} had {comment_count} comments and now has {kept}: deleting the row (even to "
                    "insert it again) lets ON DELETE CASCADE remove them. Update the post's user_id instead."
                )
            left = await session.scalar(select(func.count()).select_from(Post).where(Post.user_id == old_author_id))
            if left != old_count - 1:
                raise Incorrect(f"user {old_author_id} should have {old_count - 1} posts left, but has {left}.")
        if not isinstance(got, Post) or got.id != post_id:
            raise Incorrect(f"return the moved post (Post id {post_id}); you returned {got!r}.")
        return (
            f"post {post_id} moved from user {old_author_id} to user {new_author_id} with its {comment_count} comments."
        )
