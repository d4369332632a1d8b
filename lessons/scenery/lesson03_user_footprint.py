"""What deleting a user would take with it: the rows each table holds for one user, counted in the database.

Lesson 03 prints it before and after a delete, to show what a cascade (the ORM's, or the database's
``ON DELETE CASCADE``) really removed. It counts with ``SELECT count(*)``, so it sees rows the session never loaded.
``comments`` are the ones the user wrote; ``comments_on_posts`` the ones anybody wrote on the user's posts, which
go with those posts.

>>> async with db.Session() as session:                         # doctest: +SKIP
...     await user_footprint(session, 27)
{'users': 1, 'profiles': 1, 'posts': 6, 'comments': 31, 'comments_on_posts': 40, 'user_roles': 2}
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from lessons.core.models import Comment, Post, Profile, User, user_roles


async def user_footprint(session: AsyncSession, user_id: int) -> dict[str, int]:
    """Rows of ``user_id`` in users, profiles, posts, comments (written by the user, and on the user's posts) and
    the user_roles pivot."""
    counts = {
        "users": select(func.count()).select_from(User).where(User.id == user_id),
        "profiles": select(func.count()).select_from(Profile).where(Profile.user_id == user_id),
        "posts": select(func.count()).select_from(Post).where(Post.user_id == user_id),
        "comments": select(func.count()).select_from(Comment).where(Comment.user_id == user_id),
        "comments_on_posts": select(func.count()).select_from(Comment).join(Post).where(Post.user_id == user_id),
        "user_roles": select(func.count()).select_from(user_roles).where(user_roles.c.user_id == user_id),
    }
    return {table: await session.scalar(statement) or 0 for table, statement in counts.items()}
