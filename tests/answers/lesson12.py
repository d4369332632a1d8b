"""Known answers the checkers' authors wrote (moved from lessons/exercises/), with their verdicts."""

from __future__ import annotations

from fastapi import HTTPException
from sqlalchemy import distinct, func, select

from lessons.blog.deps import SessionDep, UserId
from lessons.core.models import Comment, Post, User
from lessons.exercises.lesson12 import UserSummary
from tests.answers import right, wrong


@right("12.user_summary")
async def user_summary(user_id: UserId, session: SessionDep) -> UserSummary:
    user = await session.get(User, user_id)
    if user is None:
        raise HTTPException(404, f"no user with id {user_id}")
    posts = await session.scalar(select(func.count()).where(Post.user_id == user_id))
    comments = await session.scalar(select(func.count()).where(Comment.user_id == user_id))
    return UserSummary(id=user.id, name=user.name, posts=posts, comments=comments)


@right("12.user_summary")
async def right_one_query(user_id: UserId, session: SessionDep) -> UserSummary:
    posts = select(func.count()).where(Post.user_id == User.id).scalar_subquery()
    comments = select(func.count()).where(Comment.user_id == User.id).scalar_subquery()
    row = (await session.execute(select(User.id, User.name, posts, comments).where(User.id == user_id))).first()
    if row is None:
        raise HTTPException(404, detail=f"user {user_id} does not exist")
    return UserSummary(id=row[0], name=row[1], posts=row[2], comments=row[3])


@right("12.user_summary")
async def right_outer_joins_grouped(user_id: UserId, session: SessionDep) -> UserSummary:
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


@wrong("12.user_summary", "inner join")
async def wrong_inner_join(user_id: UserId, session: SessionDep) -> UserSummary:
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


@wrong("12.user_summary", "two joins multiply")
async def wrong_two_joins_multiply(user_id: UserId, session: SessionDep) -> UserSummary:
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


@wrong("12.user_summary", "counted by name")
async def wrong_counted_by_name(user_id: UserId, session: SessionDep) -> UserSummary:
    user = await session.get(User, user_id)
    if user is None:
        raise HTTPException(404, f"no user with id {user_id}")
    # Joined on the author's name: every user called the same is counted together.
    posts = await session.scalar(select(func.count(Post.id)).join(User).where(User.name == user.name))
    comments = await session.scalar(select(func.count(Comment.id)).join(User).where(User.name == user.name))
    return UserSummary(id=user.id, name=user.name, posts=posts, comments=comments)


@wrong("12.user_summary", "none for missing")
async def wrong_none_for_missing(user_id: UserId, session: SessionDep) -> UserSummary:
    user = await session.get(User, user_id)
    posts = await session.scalar(select(func.count()).where(Post.user_id == user_id))
    comments = await session.scalar(select(func.count()).where(Comment.user_id == user_id))
    return UserSummary(id=user.id, name=user.name, posts=posts, comments=comments)  # AttributeError → 500


@wrong("12.user_summary", "404 without reason")
async def wrong_404_without_reason(user_id: UserId, session: SessionDep) -> UserSummary:
    user = await session.get(User, user_id)
    if user is None:
        raise HTTPException(404)  # detail: "Not Found", which names nothing
    posts = await session.scalar(select(func.count()).where(Post.user_id == user_id))
    comments = await session.scalar(select(func.count()).where(Comment.user_id == user_id))
    return UserSummary(id=user.id, name=user.name, posts=posts, comments=comments)


@wrong("12.user_summary", "lazy loads")
async def wrong_lazy_loads(user_id: UserId, session: SessionDep) -> UserSummary:
    user = await session.get(User, user_id)
    if user is None:
        raise HTTPException(404, f"no user with id {user_id}")
    return UserSummary(id=user.id, name=user.name, posts=len(user.posts), comments=len(user.comments))


@wrong("12.user_summary", "counts everyones posts")
async def wrong_counts_everyones_posts(user_id: UserId, session: SessionDep) -> UserSummary:
    user = await session.get(User, user_id)
    if user is None:
        raise HTTPException(404, f"no user with id {user_id}")
    posts = await session.scalar(select(func.count()).select_from(Post))
    comments = await session.scalar(select(func.count()).where(Comment.user_id == user_id))
    return UserSummary(id=user.id, name=user.name, posts=posts, comments=comments)


@wrong("12.user_summary", "one query per post")
async def wrong_one_query_per_post(user_id: UserId, session: SessionDep) -> UserSummary:
    user = await session.get(User, user_id)
    if user is None:
        raise HTTPException(404, f"no user with id {user_id}")
    posts = (await session.scalars(select(Post.id).where(Post.user_id == user_id))).all()
    comments = await session.scalar(select(func.count()).where(Comment.user_id == user_id))
    for post_id in posts:  # a statement per post: the N+1 shape
        await session.get(Post, post_id)
    return UserSummary(id=user.id, name=user.name, posts=len(posts), comments=comments)

