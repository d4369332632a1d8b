"""Known answers the checkers' authors wrote (moved from lessons/exercises/), with their verdicts."""

from __future__ import annotations

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import contains_eager, selectinload

from lessons.core.models import Post, Role, User, user_roles
from tests.answers import right, wrong


@right("03.grant_role")
async def grant_role(session: AsyncSession, user_id: int, role_name: str) -> list[str]:
    user = await session.scalar(select(User).options(selectinload(User.roles)).where(User.id == user_id))
    role = await session.scalar(select(Role).where(Role.name == role_name))
    if role not in user.roles:
        user.roles.append(role)
    await session.commit()
    return [role.name for role in user.roles]


@right("03.grant_role")
async def right_awaitable_attrs(session: AsyncSession, user_id: int, role_name: str) -> list[str]:
    user = await session.get(User, user_id)
    roles = await user.awaitable_attrs.roles
    if role_name not in {role.name for role in roles}:
        roles.append(await session.scalar(select(Role).where(Role.name == role_name)))
    await session.commit()
    return sorted(role.name for role in roles)


@right("03.grant_role")
async def right_core_insert(session: AsyncSession, user_id: int, role_name: str) -> list[str]:
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


@right("03.grant_role")
async def right_get_with_options(session: AsyncSession, user_id: int, role_name: str) -> list[str]:
    user = await session.get(User, user_id, options=[selectinload(User.roles)])
    names = {role.name for role in user.roles}
    if role_name not in names:
        user.roles.append((await session.scalars(select(Role).filter_by(name=role_name))).one())
        await session.commit()
    return sorted(names | {role_name})


@wrong("03.grant_role", "replaces the roles")
async def wrong_replaces_the_roles(session: AsyncSession, user_id: int, role_name: str) -> list[str]:
    user = await session.scalar(select(User).options(selectinload(User.roles)).where(User.id == user_id))
    user.roles = [await session.scalar(select(Role).where(Role.name == role_name))]
    await session.commit()
    return [role.name for role in user.roles]


@wrong("03.grant_role", "adds it twice")
async def wrong_adds_it_twice(session: AsyncSession, user_id: int, role_name: str) -> list[str]:
    user = await session.scalar(select(User).options(selectinload(User.roles)).where(User.id == user_id))
    user.roles.append(await session.scalar(select(Role).where(Role.name == role_name)))
    await session.commit()
    return [role.name for role in user.roles]


@wrong("03.grant_role", "touches an unloaded collection")
async def wrong_touches_an_unloaded_collection(session: AsyncSession, user_id: int, role_name: str) -> list[str]:
    user = await session.get(User, user_id)
    role = await session.scalar(select(Role).where(Role.name == role_name))
    if role not in user.roles:
        user.roles.append(role)
    await session.commit()
    return [role.name for role in user.roles]


@wrong("03.grant_role", "grant forgets to commit")
async def wrong_grant_forgets_to_commit(session: AsyncSession, user_id: int, role_name: str) -> list[str]:
    user = await session.scalar(select(User).options(selectinload(User.roles)).where(User.id == user_id))
    role = await session.scalar(select(Role).where(Role.name == role_name))
    if role not in user.roles:
        user.roles.append(role)
    return [role.name for role in user.roles]


@wrong("03.grant_role", "creates a new role")
async def wrong_creates_a_new_role(session: AsyncSession, user_id: int, role_name: str) -> list[str]:
    user = await session.scalar(select(User).options(selectinload(User.roles)).where(User.id == user_id))
    if role_name not in {role.name for role in user.roles}:
        user.roles.append(Role(name=role_name))
    await session.commit()
    return [role.name for role in user.roles]


@wrong("03.grant_role", "inner join drops users without roles")
async def wrong_inner_join_drops_users_without_roles(session: AsyncSession, user_id: int, role_name: str) -> list[str]:
    user = await session.scalar(
        select(User).join(User.roles).options(contains_eager(User.roles)).where(User.id == user_id)
    )
    role = await session.scalar(select(Role).where(Role.name == role_name))
    if role not in user.roles:
        user.roles.append(role)
    await session.commit()
    return [role.name for role in user.roles]


@wrong("03.grant_role", "returns a string")
async def wrong_returns_a_string(session: AsyncSession, user_id: int, role_name: str) -> str:
    user = await session.scalar(select(User).options(selectinload(User.roles)).where(User.id == user_id))
    role = await session.scalar(select(Role).where(Role.name == role_name))
    if role not in user.roles:
        user.roles.append(role)
    await session.commit()
    return ", ".join(role.name for role in user.roles)


@right("03.move_post")
async def move_post(session: AsyncSession, post_id: int, new_author_id: int) -> Post:
    post = await session.get(Post, post_id)
    post.author = await session.get(User, new_author_id)
    await session.commit()
    return post


@right("03.move_post")
async def right_sets_the_foreign_key(session: AsyncSession, post_id: int, new_author_id: int) -> Post:
    post = await session.get(Post, post_id)
    post.user_id = new_author_id
    await session.commit()
    return post


@right("03.move_post")
async def right_moves_between_collections(session: AsyncSession, post_id: int, new_author_id: int) -> Post:
    post = await session.scalar(
        select(Post).options(selectinload(Post.author).selectinload(User.posts)).where(Post.id == post_id)
    )
    new_author = await session.scalar(select(User).options(selectinload(User.posts)).where(User.id == new_author_id))
    post.author.posts.remove(post)
    new_author.posts.append(post)
    await session.commit()
    return post


@right("03.move_post")
async def right_orm_bulk_update(session: AsyncSession, post_id: int, new_author_id: int) -> Post:
    # An ORM-enabled UPDATE synchronises the post already in the session (synchronize_session="auto").
    post = await session.get(Post, post_id)
    await session.execute(update(Post).where(Post.id == post_id).values(user_id=new_author_id))
    await session.commit()
    return post


@right("03.move_post")
async def right_scalar_one(session: AsyncSession, post_id: int, new_author_id: int) -> Post:
    post = (await session.scalars(select(Post).where(Post.id == post_id))).one()
    post.user_id = new_author_id
    session.add(post)
    await session.commit()
    return post


@wrong("03.move_post", "returns a stale post")
async def wrong_returns_a_stale_post(session: AsyncSession, post_id: int, new_author_id: int) -> Post:
    post = await session.get(Post, post_id)
    await session.execute(
        update(Post)
        .where(Post.id == post_id)
        .values(user_id=new_author_id)
        .execution_options(synchronize_session=False)
    )
    await session.commit()
    return post


@wrong("03.move_post", "finds the author through posts")
async def wrong_finds_the_author_through_posts(session: AsyncSession, post_id: int, new_author_id: int) -> Post:
    # An inner join to posts: a new author who has written nothing yet is not found.
    new_author = await session.scalar(select(User).join(User.posts).where(User.id == new_author_id).limit(1))
    post = await session.get(Post, post_id)
    post.author = new_author
    await session.commit()
    return post


@wrong("03.move_post", "uses unloaded relationships")
async def wrong_uses_unloaded_relationships(session: AsyncSession, post_id: int, new_author_id: int) -> Post:
    post = await session.get(Post, post_id)
    new_author = await session.get(User, new_author_id)
    post.author.posts.remove(post)  # Eloquent habit: a lazy load, which raises under asyncio
    new_author.posts.append(post)
    await session.commit()
    return post


@wrong("03.move_post", "only removes it")
async def wrong_only_removes_it(session: AsyncSession, post_id: int, new_author_id: int) -> Post:
    post = await session.scalar(
        select(Post).options(selectinload(Post.author).selectinload(User.posts)).where(Post.id == post_id)
    )
    post.author.posts.remove(post)
    await session.commit()
    return post


@wrong("03.move_post", "copies it")
async def wrong_copies_it(session: AsyncSession, post_id: int, new_author_id: int) -> Post:
    post = await session.get(Post, post_id)
    copy = Post(title=post.title, content=post.content, published=post.published, user_id=new_author_id)
    session.add(copy)
    await session.delete(post)
    await session.commit()
    return copy


@wrong("03.move_post", "delete not awaited")
async def wrong_delete_not_awaited(session: AsyncSession, post_id: int, new_author_id: int) -> Post:
    post = await session.get(Post, post_id)
    copy = Post(title=post.title, content=post.content, published=post.published, user_id=new_author_id)
    session.add(copy)
    session.delete(post)  # a coroutine: without await nothing is deleted
    await session.commit()
    return copy


@wrong("03.move_post", "move forgets to commit")
async def wrong_move_forgets_to_commit(session: AsyncSession, post_id: int, new_author_id: int) -> Post:
    post = await session.get(Post, post_id)
    post.user_id = new_author_id
    return post


@wrong("03.move_post", "delete and reinsert")
async def wrong_delete_and_reinsert(session: AsyncSession, post_id: int, new_author_id: int) -> Post:
    # Same id, new row: the comments went with the old row (ON DELETE CASCADE).
    post = await session.get(Post, post_id)
    values = {"id": post.id, "title": post.title, "content": post.content, "published": post.published}
    await session.execute(delete(Post).where(Post.id == post_id))
    await session.execute(insert(Post).values(**values, user_id=new_author_id))
    await session.commit()
    return await session.get(Post, post_id)

