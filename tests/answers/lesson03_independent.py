"""Answers to lesson 03's practice, written from the task statements alone (not from the checkers).

03.grant_role: give the user the role named ``role_name`` (it exists), keep their roles, commit, return all their
role names (any order); granting a role they already have changes nothing (``syncWithoutDetaching``).

03.move_post: the post now belongs to the new author, keeps its id and its comments, is committed; return the
post, up to date (its ``user_id``, and its ``author`` if loaded, name the new author).
"""

from __future__ import annotations

import contextlib
from datetime import datetime, timezone

from sqlalchemy import delete, exists, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from lessons.core.models import Comment, Post, Role, User, user_roles
from tests.answers import right, wrong

# ==============================================================================================================
# 03.grant_role
# ==============================================================================================================


@right("03.grant_role")
async def append_to_loaded_roles(session: AsyncSession, user_id: int, role_name: str) -> list[str]:
    user = await session.scalar(select(User).options(selectinload(User.roles)).where(User.id == user_id))
    role = await session.scalar(select(Role).where(Role.name == role_name))
    if role not in user.roles:
        user.roles.append(role)
    await session.commit()
    return [role.name for role in user.roles]


@right("03.grant_role")
async def pivot_insert_when_missing(session: AsyncSession, user_id: int, role_name: str) -> list[str]:
    role_id = await session.scalar(select(Role.id).where(Role.name == role_name))
    held = await session.scalar(
        select(exists().where(user_roles.c.user_id == user_id, user_roles.c.role_id == role_id))
    )
    if not held:
        await session.execute(insert(user_roles).values(user_id=user_id, role_id=role_id))
    await session.commit()
    names = await session.scalars(
        select(Role.name).join(user_roles, user_roles.c.role_id == Role.id).where(user_roles.c.user_id == user_id)
    )
    return list(names)


@right("03.grant_role")
async def insert_select_where_not_exists_in_text(session: AsyncSession, user_id: int, role_name: str) -> list[str]:
    await session.execute(
        text(
            "INSERT INTO user_roles (user_id, role_id) "
            "SELECT :user_id, roles.id FROM roles WHERE roles.name = :role_name AND NOT EXISTS ("
            "SELECT 1 FROM user_roles AS held WHERE held.user_id = :user_id AND held.role_id = roles.id)"
        ),
        {"user_id": user_id, "role_name": role_name},
    )
    await session.commit()
    rows = await session.execute(
        text(
            "SELECT roles.name FROM roles JOIN user_roles ON user_roles.role_id = roles.id "
            "WHERE user_roles.user_id = :u"
        ),
        {"u": user_id},
    )
    return [name for (name,) in rows]


@right("03.grant_role")
async def awaitable_attrs_and_a_set(session: AsyncSession, user_id: int, role_name: str) -> list[str]:
    user = await session.get(User, user_id)
    roles = await user.awaitable_attrs.roles
    if role_name not in {role.name for role in roles}:
        roles.append(await session.scalar(select(Role).where(Role.name == role_name)))
    await session.commit()
    return sorted(role.name for role in roles)


# -- wrong ------------------------------------------------------------------------------------------------------


# Granting a role the user already has: a second pivot row, IntegrityError (Laravel's attach()).
@wrong("03.grant_role", "attach, not syncWithoutDetaching: a held role is inserted again")
async def always_attach(session: AsyncSession, user_id: int, role_name: str) -> list[str]:
    user = await session.scalar(select(User).options(selectinload(User.roles)).where(User.id == user_id))
    user.roles.append(await session.scalar(select(Role).where(Role.name == role_name)))
    await session.commit()
    return [role.name for role in user.roles]


# User 7 ['author'] + editor → ['editor']: the other roles are gone (Laravel's sync()).
@wrong("03.grant_role", "sync: replaces the user's roles instead of keeping them")
async def replaces_roles(session: AsyncSession, user_id: int, role_name: str) -> list[str]:
    user = await session.scalar(select(User).options(selectinload(User.roles)).where(User.id == user_id))
    user.roles = [await session.scalar(select(Role).where(Role.name == role_name))]
    await session.commit()
    return [role.name for role in user.roles]


# A second connection does not see the new pivot row.
@wrong("03.grant_role", "flushes but never commits")
async def never_commits(session: AsyncSession, user_id: int, role_name: str) -> list[str]:
    user = await session.scalar(select(User).options(selectinload(User.roles)).where(User.id == user_id))
    role = await session.scalar(select(Role).where(Role.name == role_name))
    if role not in user.roles:
        user.roles.append(role)
    await session.flush()
    return [role.name for role in user.roles]


# Returns ['editor'] for user 7, not ['author', 'editor'].
@wrong("03.grant_role", "returns only the granted role's name")
async def returns_only_the_new_name(session: AsyncSession, user_id: int, role_name: str) -> list[str]:
    user = await session.scalar(select(User).options(selectinload(User.roles)).where(User.id == user_id))
    role = await session.scalar(select(Role).where(Role.name == role_name))
    if role not in user.roles:
        user.roles.append(role)
    await session.commit()
    return [role_name]


# Returns Role objects, not names.
@wrong("03.grant_role", "returns Role objects instead of names")
async def returns_role_objects(session: AsyncSession, user_id: int, role_name: str) -> list[str]:
    user = await session.scalar(select(User).options(selectinload(User.roles)).where(User.id == user_id))
    role = await session.scalar(select(Role).where(Role.name == role_name))
    if role not in user.roles:
        user.roles.append(role)
    await session.commit()
    return list(user.roles)


# Role ids remembered from the seed: a role the checker adds (or seeded ids that differ) raise KeyError or grant
# the wrong role.
@wrong("03.grant_role", "role ids hard-coded from the lesson's seed")
async def hard_coded_role_ids(session: AsyncSession, user_id: int, role_name: str) -> list[str]:
    role_id = {"admin": 1, "editor": 2, "author": 3}[role_name]
    user = await session.scalar(select(User).options(selectinload(User.roles)).where(User.id == user_id))
    if role_id not in {role.id for role in user.roles}:
        user.roles.append(await session.get(Role, role_id))
    await session.commit()
    return [role.name for role in user.roles]


# Also writes users.role = role_name: changes a column the task did not ask to touch.
@wrong("03.grant_role", "also overwrites the users.role column")
async def also_sets_user_role_column(session: AsyncSession, user_id: int, role_name: str) -> list[str]:
    user = await session.scalar(select(User).options(selectinload(User.roles)).where(User.id == user_id))
    role = await session.scalar(select(Role).where(Role.name == role_name))
    if role not in user.roles:
        user.roles.append(role)
    user.role = role_name
    await session.commit()
    return [role.name for role in user.roles]


# 'admin' picks whichever role name contains 'admin' first ('sysadmin' if it has a lower id).
@wrong("03.grant_role", "looks the role up with LIKE %name%: a role whose name contains it")
async def role_by_contains(session: AsyncSession, user_id: int, role_name: str) -> list[str]:
    user = await session.scalar(select(User).options(selectinload(User.roles)).where(User.id == user_id))
    role = await session.scalar(select(Role).where(Role.name.contains(role_name)).order_by(Role.id).limit(1))
    if role not in user.roles:
        user.roles.append(role)
    await session.commit()
    return [role.name for role in user.roles]


# A held role: the flush fails, the IntegrityError is swallowed without a rollback, and the caller's session is
# left failed (its next statement raises PendingRollbackError), although the names returned look right.
@wrong("03.grant_role", "attaches blindly and swallows the IntegrityError without rollback")
async def swallows_integrity_error(session: AsyncSession, user_id: int, role_name: str) -> list[str]:
    user = await session.scalar(select(User).options(selectinload(User.roles)).where(User.id == user_id))
    user.roles.append(await session.scalar(select(Role).where(Role.name == role_name)))
    with contextlib.suppress(IntegrityError):
        await session.commit()
    return sorted({role.name for role in user.roles})


# A held role: returns it twice (['author', 'author']).
@wrong("03.grant_role", "appends the granted name to the list even when already held: duplicates")
async def duplicate_names(session: AsyncSession, user_id: int, role_name: str) -> list[str]:
    user = await session.scalar(select(User).options(selectinload(User.roles)).where(User.id == user_id))
    names = [role.name for role in user.roles]
    role = await session.scalar(select(Role).where(Role.name == role_name))
    if role not in user.roles:
        user.roles.append(role)
    await session.commit()
    return [*names, role_name]


# ==============================================================================================================
# 03.move_post
# ==============================================================================================================


@right("03.move_post")
async def assign_the_author(session: AsyncSession, post_id: int, new_author_id: int) -> Post:
    post = await session.get(Post, post_id)
    post.author = await session.get(User, new_author_id)
    await session.commit()
    return post


@right("03.move_post")
async def core_update_then_reload(session: AsyncSession, post_id: int, new_author_id: int) -> Post:
    await session.execute(
        update(Post).where(Post.id == post_id).values(user_id=new_author_id),
        execution_options={"synchronize_session": False},
    )
    await session.commit()
    # Reload: overwrite whatever the identity map held, and load the (new) author with it.
    return await session.get(Post, post_id, populate_existing=True, options=[selectinload(Post.author)])


@right("03.move_post")
async def append_to_the_new_authors_posts(session: AsyncSession, post_id: int, new_author_id: int) -> Post:
    post = await session.scalar(select(Post).options(selectinload(Post.author)).where(Post.id == post_id))
    new_author = await session.scalar(select(User).options(selectinload(User.posts)).where(User.id == new_author_id))
    if post not in new_author.posts:
        new_author.posts.append(post)  # back_populates sets post.author; the post is never an orphan
    await session.commit()
    return post


@right("03.move_post")
async def set_the_key_then_refresh(session: AsyncSession, post_id: int, new_author_id: int) -> Post:
    post = await session.get(Post, post_id)
    post.user_id = new_author_id
    await session.commit()
    await session.refresh(post, ["user_id", "author"])
    return post


# -- wrong ------------------------------------------------------------------------------------------------------


# Removing the post from its old author with delete-orphan deletes it (and its comments); the copy has a new id.
@wrong("03.move_post", "removes from the old author (delete-orphan) and re-creates: new id, comments lost")
async def remove_and_recreate(session: AsyncSession, post_id: int, new_author_id: int) -> Post:
    post = await session.scalar(select(Post).where(Post.id == post_id))
    old_author = await session.scalar(select(User).options(selectinload(User.posts)).where(User.id == post.user_id))
    old_author.posts.remove(post)
    await session.commit()
    copy = Post(title=post.title, content=post.content, published=post.published, user_id=new_author_id)
    session.add(copy)
    await session.commit()
    return copy


# Every post of the old author moves, not only this one.
@wrong("03.move_post", "moves every post of the old author")
async def moves_all_posts(session: AsyncSession, post_id: int, new_author_id: int) -> Post:
    post = await session.get(Post, post_id)
    await session.execute(
        update(Post).where(Post.user_id == post.user_id).values(user_id=new_author_id),
        execution_options={"synchronize_session": "fetch"},
    )
    await session.commit()
    return post


# A second connection still sees the old author.
@wrong("03.move_post", "flushes but never commits")
async def move_never_commits(session: AsyncSession, post_id: int, new_author_id: int) -> Post:
    post = await session.get(Post, post_id)
    post.author = await session.get(User, new_author_id)
    await session.flush()
    return post


# The author was loaded (selectinload) and only the key was changed: post.author still names the old author.
@wrong("03.move_post", "sets user_id while the old author is loaded: post.author is stale")
async def stale_loaded_author(session: AsyncSession, post_id: int, new_author_id: int) -> Post:
    post = await session.scalar(select(Post).options(selectinload(Post.author)).where(Post.id == post_id))
    post.user_id = new_author_id
    await session.commit()
    return post


# The database row moved, but the returned object still says the old user_id.
@wrong("03.move_post", "Core UPDATE without synchronising the loaded post: returns a stale user_id")
async def stale_user_id(session: AsyncSession, post_id: int, new_author_id: int) -> Post:
    post = await session.get(Post, post_id)
    await session.execute(
        update(Post).where(Post.id == post_id).values(user_id=new_author_id),
        execution_options={"synchronize_session": False},
    )
    await session.commit()
    return post


# Returns the post's id, not the post.
@wrong("03.move_post", "returns the id instead of the post")
async def returns_the_id(session: AsyncSession, post_id: int, new_author_id: int) -> Post:
    post = await session.get(Post, post_id)
    post.author = await session.get(User, new_author_id)
    await session.commit()
    return post.id


# The post's comments are re-attributed to the new author too: other rows changed.
@wrong("03.move_post", "also moves the comments' authorship to the new author")
async def moves_comment_authors(session: AsyncSession, post_id: int, new_author_id: int) -> Post:
    post = await session.get(Post, post_id)
    post.author = await session.get(User, new_author_id)
    await session.execute(update(Comment).where(Comment.post_id == post_id).values(user_id=new_author_id))
    await session.commit()
    return post


# updated_at from the wall clock (Laravel's touch() by hand) instead of the course clock.
@wrong("03.move_post", "stamps updated_at with datetime.now(), not the course clock")
async def wall_clock_updated_at(session: AsyncSession, post_id: int, new_author_id: int) -> Post:
    post = await session.get(Post, post_id)
    post.user_id = new_author_id
    post.updated_at = datetime.now(timezone.utc)
    await session.commit()
    return post


# Deletes the old row and inserts a copy with the same id: the comments went with the DELETE (ON DELETE CASCADE).
@wrong("03.move_post", "delete and re-insert with the same id: the comments are cascaded away")
async def delete_and_reinsert_same_id(session: AsyncSession, post_id: int, new_author_id: int) -> Post:
    post = await session.get(Post, post_id)
    values = {"id": post.id, "title": post.title, "content": post.content, "published": post.published}
    await session.execute(delete(Post).where(Post.id == post_id), execution_options={"synchronize_session": False})
    session.expunge(post)
    copy = Post(**values, user_id=new_author_id, created_at=post.created_at)
    session.add(copy)
    await session.commit()
    return copy
