"""lesson03_user_footprint: counts what a user owns in the database, and sees a delete's cascade take it all."""

from __future__ import annotations

from sqlalchemy import delete

from lessons.core.database import LessonDatabase
from lessons.core.models import User
from lessons.scenery.lesson03_user_footprint import user_footprint


async def test_counts_what_a_user_owns_and_the_cascade_removes_it(db: LessonDatabase) -> None:
    async with db.Session() as session:
        before = await user_footprint(session, 27)
        assert list(before) == ["users", "profiles", "posts", "comments", "comments_on_posts", "user_roles"]
        assert before["users"] == 1 and before["posts"] > 0 and before["comments_on_posts"] > 0
        await session.execute(delete(User).where(User.id == 27))
        await session.commit()
        assert await user_footprint(session, 27) == dict.fromkeys(before, 0)


async def test_a_user_who_does_not_exist_owns_nothing(db: LessonDatabase) -> None:
    async with db.Session() as session:
        assert set((await user_footprint(session, 999_999)).values()) == {0}
