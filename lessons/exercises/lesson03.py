"""Practice for lesson 03: change relationships the way the ORM wants it, loaded first and committed.

- ``03.grant_role``: give a user a role through the many-to-many ``User.roles`` (Laravel's
  ``syncWithoutDetaching``), keeping their other roles and never adding one twice.
- ``03.move_post``: hand a post to another author without losing it (``User.posts`` has ``delete-orphan``).
"""

from __future__ import annotations

import gc
import warnings
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy import inspect as inspect_object
from sqlalchemy.exc import IntegrityError, MissingGreenlet
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import contains_eager, selectinload

from lessons.database import LessonDatabase
from lessons.exercises.framework import (
    Exercise,
    Incorrect,
    Unattempted,
    as_sequence,
    committed,
    describe,
    gave_away,
    raised_by_answer,
    register,
    show,
    unique_email,
    with_extra_rows,
)
from lessons.models import Comment, Post, Role, User, user_roles
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


async def _right_get_with_options(session: AsyncSession, user_id: int, role_name: str) -> list[str]:
    user = await session.get(User, user_id, options=[selectinload(User.roles)])
    names = {role.name for role in user.roles}
    if role_name not in names:
        user.roles.append((await session.scalars(select(Role).filter_by(name=role_name))).one())
        await session.commit()
    return sorted(names | {role_name})


async def _wrong_inner_join_drops_users_without_roles(session: AsyncSession, user_id: int, role_name: str) -> list[str]:
    user = await session.scalar(
        select(User).join(User.roles).options(contains_eager(User.roles)).where(User.id == user_id)
    )
    role = await session.scalar(select(Role).where(Role.name == role_name))
    if role not in user.roles:
        user.roles.append(role)
    await session.commit()
    return [role.name for role in user.roles]


async def _wrong_returns_a_string(session: AsyncSession, user_id: int, role_name: str) -> str:
    user = await session.scalar(select(User).options(selectinload(User.roles)).where(User.id == user_id))
    role = await session.scalar(select(Role).where(Role.name == role_name))
    if role not in user.roles:
        user.roles.append(role)
    await session.commit()
    return ", ".join(role.name for role in user.roles)


async def _role_names(db: LessonDatabase, user_id: int) -> set[str]:
    # A second connection: only what was committed counts.
    rows = await committed(db, select(Role.name).join(user_roles).where(user_roles.c.user_id == user_id))
    return {name for (name,) in rows}


async def _all_grants(db: LessonDatabase) -> set[tuple[int, str]]:
    rows = await committed(db, select(user_roles.c.user_id, Role.name).join(Role, Role.id == user_roles.c.role_id))
    return {(user_id, name) for user_id, name in rows}


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
    right_answers = [grant_role, _right_awaitable_attrs, _right_core_insert, _right_get_with_options]
    wrong_answers = [
        _wrong_replaces_the_roles,
        _wrong_adds_it_twice,
        _wrong_touches_an_unloaded_collection,
        _wrong_grant_forgets_to_commit,
        _wrong_creates_a_new_role,
        _wrong_inner_join_drops_users_without_roles,
        _wrong_returns_a_string,
    ]

    async def _grant(self, answer: Any, db: LessonDatabase, user_id: int, role_name: str, who: str) -> list[str]:
        call = f"grant_role(session, {user_id}, {role_name!r}) for user {user_id} ({who})"
        async with db.Session() as session:
            try:
                got = await attempt(self, answer, session, user_id, role_name)
            except IntegrityError as error:
                if "roles.name" in str(error.orig) or "roles_name" in str(error.orig):
                    raise Incorrect(
                        f"{call}: you created a second role named {role_name!r} and the unique name refused it; "
                        "look the existing one up with select(Role).where(Role.name == role_name)."
                    ) from None
                refused = str(error.orig)
                if "user_roles" not in refused and "for key 'PRIMARY'" not in refused:  # MariaDB names no table
                    raise Incorrect(gave_away(call, f"your code raised {describe(error)}")) from None
                raise Incorrect(
                    f"{call}: the user already had {role_name!r} and your code inserted it again, so the primary "
                    f"key of user_roles refused the duplicate ({type(error).__name__}); append the role only "
                    "when it is not in user.roles yet."
                ) from None
            except LazyLoad:
                raise Incorrect(
                    f"{call}: your code read a relationship that was not loaded yet, which raises "
                    "MissingGreenlet under asyncio; load it with selectinload(User.roles) or "
                    "`await user.awaitable_attrs.roles` first."
                ) from None
            except Exception as error:
                if not raised_by_answer(error):
                    raise
                forget_tracebacks(error)
                raise Incorrect(gave_away(call, f"your code raised {describe(error)}")) from None
        return as_sequence(got, "the user's role names, e.g. ['author', 'editor']")

    async def judge(self, answer: Any, db: LessonDatabase) -> str:
        # The checker's own user with no roles at all (an inner join on user_roles would not find them).
        (loner,) = await with_extra_rows(db, User(name="No Roles Yet", email=unique_email("noroles")))
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
        cases = [
            (newcomer, "editor", "has other roles"),
            (veteran, "editor", "an editor already"),
            (newcomer, "admin", "has other roles"),
            (loner.id, "author", "a user of the checker's own with no roles yet"),
        ]
        for user_id, role_name, who in cases:
            call = f"grant_role(session, {user_id}, {role_name!r}) for user {user_id} ({who})"
            grants_before = await _all_grants(db)
            before = {name for owner, name in grants_before if owner == user_id}
            got = await self._grant(answer, db, user_id, role_name, who)
            grants_after = await _all_grants(db)
            after = {name for owner, name in grants_after if owner == user_id}
            expected = before | {role_name}
            elsewhere = sorted(
                f"user {owner} {'gained' if (owner, name) in grants_after else 'lost'} {name!r}"
                for owner, name in grants_before ^ grants_after
                if owner != user_id
            )
            if elsewhere:
                raise Incorrect(f"{call}: {elsewhere[0]}; only user {user_id}'s roles may change.")
            if lost := before - after:
                raise Incorrect(
                    f"{call}: the user lost {sorted(lost)}: assigning user.roles = [...] replaces the whole "
                    "collection (Laravel's sync); append to it instead."
                )
            if role_name not in after:
                raise Incorrect(
                    f"{call}: once your function returned, a second connection sees roles {sorted(after)}, "
                    f"without {role_name!r}: the change was not committed."
                )
            if after != expected:
                raise Incorrect(f"{call}: the user now has {sorted(after)}, expected {sorted(expected)}.")
            strangers = [item for item in got if not isinstance(item, str)]
            if strangers:
                raise Incorrect(
                    f"{call}: you returned {show(got)}; return the role names (strings), not {show(strangers[0])}."
                )
            if sorted(got) != sorted(after):
                raise Incorrect(
                    f"{call}: you returned {show(got)}, but the user's roles are now {sorted(after)}; return every "
                    "role name, once."
                )
        return (
            f"user {newcomer} gained 'editor' and kept their other roles, user {veteran} (already an editor) "
            f"was left as they were, 'admin' was added on top, and user {loner.id} with no roles got 'author'."
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


async def _right_orm_bulk_update(session: AsyncSession, post_id: int, new_author_id: int) -> Post:
    # An ORM-enabled UPDATE synchronises the post already in the session (synchronize_session="auto").
    post = await session.get(Post, post_id)
    await session.execute(update(Post).where(Post.id == post_id).values(user_id=new_author_id))
    await session.commit()
    return post


async def _right_scalar_one(session: AsyncSession, post_id: int, new_author_id: int) -> Post:
    post = (await session.scalars(select(Post).where(Post.id == post_id))).one()
    post.user_id = new_author_id
    session.add(post)
    await session.commit()
    return post


async def _wrong_returns_a_stale_post(session: AsyncSession, post_id: int, new_author_id: int) -> Post:
    post = await session.get(Post, post_id)
    await session.execute(
        update(Post)
        .where(Post.id == post_id)
        .values(user_id=new_author_id)
        .execution_options(synchronize_session=False)
    )
    await session.commit()
    return post


async def _wrong_finds_the_author_through_posts(session: AsyncSession, post_id: int, new_author_id: int) -> Post:
    # An inner join to posts: a new author who has written nothing yet is not found.
    new_author = await session.scalar(select(User).join(User.posts).where(User.id == new_author_id).limit(1))
    post = await session.get(Post, post_id)
    post.author = new_author
    await session.commit()
    return post


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
    right_answers = [
        move_post,
        _right_sets_the_foreign_key,
        _right_moves_between_collections,
        _right_orm_bulk_update,
        _right_scalar_one,
    ]
    wrong_answers = [
        _wrong_returns_a_stale_post,
        _wrong_finds_the_author_through_posts,
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
        # The new author is a user of the checker's own, with no posts yet.
        (newcomer,) = await with_extra_rows(db, User(name="No Posts Yet", email=unique_email("noposts")))
        new_author_id = newcomer.id
        async with db.Session() as session:
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
            except Exception as error:
                if not raised_by_answer(error):
                    raise
                forget_tracebacks(error)
                call = (
                    f"move_post(session, {post_id}, {new_author_id}), to user {new_author_id} "
                    "(a user of the checker's own with no posts yet)"
                )
                raise Incorrect(gave_away(call, f"your code raised {describe(error)}")) from None
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
                    f"once your function returned, a second session still sees post {post_id} owned by user "
                    f"{old_author_id} (user {new_author_id}, the new author, has no posts yet): the change was not "
                    "committed."
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
            raise Incorrect(f"return the moved post (Post id {post_id}); you returned {show(got)}.")
        # What the returned object says must be what is stored (a bulk UPDATE can leave it stale).
        state = inspect_object(got).dict
        if "user_id" not in state:
            raise Incorrect(
                f"the Post you returned has user_id expired: reading post.user_id would need a query, which raises "
                f"under asyncio. The database has user {new_author_id}; return the post with it loaded."
            )
        if state["user_id"] != new_author_id:
            raise Incorrect(
                f"the database says post {post_id} belongs to user {new_author_id}, but the Post you returned still "
                f"says user_id={state['user_id']}: the object is stale (an UPDATE with synchronize_session=False "
                "leaves it so)."
            )
        author = state.get("author")
        if author is not None and author.id != new_author_id:
            raise Incorrect(
                f"the database says post {post_id} belongs to user {new_author_id}, but the Post you returned has "
                f"author {show(author)}."
            )
        return (
            f"post {post_id} moved from user {old_author_id} to user {new_author_id} with its {comment_count} comments."
        )
