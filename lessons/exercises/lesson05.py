"""Practice for lesson 05: aggregate with a join, group and filter the groups; find rows with no match."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from sqlalchemy import case, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from lessons.database import LessonDatabase
from lessons.exercises.framework import (
    Exercise,
    Incorrect,
    count_statements,
    gave_away,
    register,
    show,
    unique_email,
    with_extra_rows,
)
from lessons.models import Post, User

# --------------------------------------------------------------------------------------------------------------
# 05.top_publishers: users with more than N published posts, most first
# --------------------------------------------------------------------------------------------------------------


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


async def _right_with_a_subquery(session: AsyncSession, min_posts: int) -> list[tuple[str, int]]:
    per_author = (
        select(Post.user_id, func.count().label("n")).where(Post.published.is_(True)).group_by(Post.user_id)
    ).subquery()
    rows = await session.execute(
        select(User.name, per_author.c.n)
        .join(per_author, per_author.c.user_id == User.id)
        .where(per_author.c.n > min_posts)
        .order_by(per_author.c.n.desc(), User.id)
    )
    return rows.all()


async def _right_with_a_conditional_count(session: AsyncSession, min_posts: int) -> list[tuple[str, int]]:
    published = func.count(case((Post.published, Post.id)))
    rows = await session.execute(
        select(User.name, published)
        .outerjoin(Post)
        .group_by(User.id, User.name)
        .having(published > min_posts)
        .order_by(published.desc(), User.name)
    )
    return [tuple(row) for row in rows]


async def _wrong_counts_drafts_too(session: AsyncSession, min_posts: int) -> list[tuple[str, int]]:
    posts = func.count(Post.id)
    rows = await session.execute(
        select(User.name, posts)
        .join(Post)
        .group_by(User.id, User.name)
        .having(posts > min_posts)
        .order_by(posts.desc())
    )
    return [tuple(row) for row in rows]


async def _wrong_at_least(session: AsyncSession, min_posts: int) -> list[tuple[str, int]]:
    published = func.count(Post.id)
    rows = await session.execute(
        select(User.name, published)
        .join(Post)
        .where(Post.published)
        .group_by(User.id, User.name)
        .having(published >= min_posts)
        .order_by(published.desc())
    )
    return [tuple(row) for row in rows]


async def _wrong_order(session: AsyncSession, min_posts: int) -> list[tuple[str, int]]:
    published = func.count(Post.id)
    rows = await session.execute(
        select(User.name, published)
        .join(Post)
        .where(Post.published)
        .group_by(User.id, User.name)
        .having(published > min_posts)
        .order_by(User.name)
    )
    return [tuple(row) for row in rows]


async def _wrong_counts_in_python(session: AsyncSession, min_posts: int) -> list[tuple[str, int]]:
    found = []
    for user in (await session.scalars(select(User))).all():
        posts = await user.awaitable_attrs.posts
        published = sum(post.published for post in posts)
        if published > min_posts:
            found.append((user.name, published))
    return sorted(found, key=lambda row: -row[1])


async def _right_from_posts(session: AsyncSession, min_posts: int) -> list[tuple[str, int]]:
    n = func.count()
    rows = await session.execute(
        select(User.name, n)
        .select_from(Post)
        .join(Post.author)
        .where(Post.published.is_(True))
        .group_by(Post.user_id, User.name)
        .having(n > min_posts)
        .order_by(n.desc())
    )
    return [(name, total) for name, total in rows.tuples()]


async def _wrong_groups_by_name(session: AsyncSession, min_posts: int) -> list[tuple[str, int]]:
    published = func.count(Post.id)
    rows = await session.execute(
        select(User.name, published)
        .join(User.posts)
        .where(Post.published)
        .group_by(User.name)
        .having(published > min_posts)
        .order_by(published.desc())
    )
    return [(name, count) for name, count in rows]


def _pairs(got: Any) -> list[tuple[str, int]]:
    if got is None:
        raise Incorrect("your function returned None; return a list of (name, published posts) pairs.")
    if isinstance(got, str | bytes | dict):
        raise Incorrect(f"you returned {show(got)} (a {type(got).__name__}); return a list of (name, count) pairs.")
    try:
        rows = [tuple(row) for row in got]
    except TypeError:
        raise Incorrect(f"return a list of (name, count) pairs, not {type(got).__name__}.") from None
    if odd := [row for row in rows if len(row) != 2]:
        raise Incorrect(
            f"you returned a row {show(odd[0])}; each row must be a pair: (the user's name, their number of "
            "published posts)."
        )
    try:
        return [(str(name), int(count)) for name, count in rows]
    except (TypeError, ValueError):
        raise Incorrect("each pair must be (name, count), with the count a number.") from None


@register
class TopPublishers(Exercise):
    id = "05.top_publishers"
    title = "Users with more than N published posts, most first"
    hints = [
        "Join users to their posts, keep published posts only (WHERE), then GROUP BY the user and count.",
        "A condition on a count goes in .having(...), not .where(...): WHERE filters rows before grouping.",
        "Label the count once, e.g. published = func.count(Post.id).label('published'), then use it in "
        ".having(published > min_posts) and .order_by(published.desc()).",
    ]
    reference = top_publishers
    right_answers = [top_publishers, _right_with_a_subquery, _right_with_a_conditional_count, _right_from_posts]
    wrong_answers = [
        _wrong_counts_drafts_too,
        _wrong_at_least,
        _wrong_order,
        _wrong_counts_in_python,
        _wrong_groups_by_name,
    ]

    @staticmethod
    async def _expected(session: AsyncSession, min_posts: int, published_only: bool = True) -> list[tuple[str, int]]:
        count = func.count(Post.id)
        statement = select(User.name, count).join(User.posts).group_by(User.id, User.name).having(count >= min_posts)
        if published_only:
            statement = statement.where(Post.published)
        return [(name, int(n)) for name, n in await session.execute(statement.order_by(count.desc(), User.id))]

    async def judge(self, answer: Any, db: LessonDatabase) -> str:
        # Make the data the seed does not have: a new top author, so a hard-coded list cannot pass, and two
        # different users with the same name, 9 published posts each (grouping by name would merge them).
        prolific, twin, other_twin = await with_extra_rows(
            db,
            User(name="Checker Prolific", email=unique_email("prolific"), role="editor"),
            User(name="Checker Twin", email=unique_email("twin")),
            User(name="Checker Twin", email=unique_email("twin")),
        )
        await with_extra_rows(
            db,
            *(Post(title=f"Checker post {n}", published=n < 15, user_id=prolific.id) for n in range(20)),
            *(Post(title=f"Twin post {n}", published=True, user_id=twin.id) for n in range(9)),
            *(Post(title=f"Other twin post {n}", published=n < 9, user_id=other_twin.id) for n in range(10)),
        )
        reports = []
        for min_posts in (7, 8):
            async with db.Session() as session:
                at_least = await self._expected(session, min_posts)
                expected = [row for row in at_least if row[1] > min_posts]
                all_posts = await self._expected(session, min_posts + 1, published_only=False)
            async with db.Session() as session:
                with count_statements() as queries:
                    got = _pairs(await self.call(answer, session, min_posts))
            if sorted(got) != sorted(expected):
                if ("Checker Twin", 18) in got:
                    raise Incorrect(
                        f"with min_posts={min_posts} you returned ('Checker Twin', 18), but users {twin.id} and "
                        f"{other_twin.id} are two different users both named 'Checker Twin', with 9 published posts "
                        "each: group by the user's id (and name), not by the name alone."
                    )
                if sorted(got) == sorted(at_least):
                    raise Incorrect(
                        f"with min_posts={min_posts} you also returned users with exactly {min_posts} published "
                        f"posts; 'more than' is >, not >=."
                    )
                if sorted(got) == sorted(all_posts):
                    raise Incorrect(
                        f"with min_posts={min_posts} you counted drafts too ({len(got)} users); count only "
                        "posts where Post.published is true."
                    )
                missing = sorted((Counter(expected) - Counter(got)).elements())[:3]
                extra = sorted((Counter(got) - Counter(expected)).elements())[:3]
                raise Incorrect(
                    f"with min_posts={min_posts} you returned {len(got)} rows, {len(expected)} were expected"
                    + (f"; missing e.g. {missing}" if missing else "")
                    + (f"; not expected e.g. {extra}" if extra else "")
                    + "."
                )
            counts = [count for _, count in got]
            if counts != sorted(counts, reverse=True):
                raise Incorrect(
                    f"the right users, in the wrong order (counts {counts[:6]}…): most published posts first; "
                    "order_by(<the count>.desc())."
                )
            if queries.count != 1:
                raise Incorrect(
                    f"the rows are right, but your function ran {queries.count} statements; let the database "
                    "join, group and count in one SELECT."
                )
            reports.append(f"{len(got)} users above {min_posts}")
        return f"{' and '.join(reports)}, most first, each in one statement."


# --------------------------------------------------------------------------------------------------------------
# 05.users_without_posts: an outer join (or NOT EXISTS) for "has no …"
# --------------------------------------------------------------------------------------------------------------


async def users_without_posts(session: AsyncSession) -> list[int]:
    ids = await session.scalars(select(User.id).outerjoin(User.posts).where(Post.id.is_(None)).order_by(User.id))
    return list(ids)


async def _right_not_exists(session: AsyncSession) -> list[int]:
    return list(await session.scalars(select(User.id).where(~User.posts.any())))


async def _right_not_in(session: AsyncSession) -> list[int]:
    authors = select(Post.user_id)
    users = await session.scalars(select(User).where(User.id.not_in(authors)).order_by(User.id.desc()))
    return [user.id for user in users]


async def _wrong_count_star(session: AsyncSession) -> list[int]:
    rows = await session.scalars(select(User.id).outerjoin(Post).group_by(User.id).having(func.count() == 0))
    return list(rows)


async def _wrong_no_published_posts(session: AsyncSession) -> list[int]:
    return list(await session.scalars(select(User.id).where(~User.posts.any(Post.published))))


async def _wrong_inner_join(session: AsyncSession) -> list[int]:
    return list(await session.scalars(select(User.id).join(Post).group_by(User.id)))


async def _right_except(session: AsyncSession) -> list[int]:
    return list(await session.scalars(select(User.id).except_(select(Post.user_id))))


async def _wrong_filters_in_python(session: AsyncSession) -> list[int]:
    users = await session.scalars(select(User).options(selectinload(User.posts)))
    return [user.id for user in users if not user.posts]


async def _wrong_newest_users(session: AsyncSession) -> list[int]:
    # The seed's newest 20 users have no posts: true of the seed, not of the data.
    newest = await session.scalars(select(User.id).order_by(User.id.desc()).limit(20))
    return sorted(newest)


def _ids(got: Any) -> list[int]:
    if got is None:
        raise Incorrect("your function returned None; return a list of user ids.")
    if isinstance(got, str | bytes | dict):
        raise Incorrect(f"you returned {show(got)} (a {type(got).__name__}); return a list of user ids.")
    try:
        items = list(got)
    except TypeError:
        raise Incorrect(f"return a list of user ids, not {type(got).__name__}.") from None
    ids = []
    for item in items:
        if isinstance(item, User):
            item = item.id
        elif isinstance(item, Sequence) and not isinstance(item, str) and len(item) == 1:
            item = item[0]
        if not isinstance(item, int):
            raise Incorrect(f"return user ids (int), e.g. select(User.id); got a {type(item).__name__}.")
        ids.append(item)
    return ids


@register
class UsersWithoutPosts(Exercise):
    id = "05.users_without_posts"
    title = "Users who have written no posts"
    hints = [
        "Eloquent's User::doesntHave('posts'): an inner join only keeps users *with* posts, so it cannot work.",
        "Either outerjoin(User.posts) and keep the rows where Post.id is None, or ~User.posts.any() (NOT EXISTS).",
    ]
    reference = users_without_posts
    right_answers = [users_without_posts, _right_not_exists, _right_not_in, _right_except]
    wrong_answers = [
        _wrong_count_star,
        _wrong_no_published_posts,
        _wrong_inner_join,
        _wrong_filters_in_python,
        _wrong_newest_users,
    ]

    async def judge(self, answer: Any, db: LessonDatabase) -> str:
        # Change the data first, so the seed's answer cannot be hard-coded: user 5 loses every post, a new user
        # who has only a draft joins, and one with nothing at all (no posts, roles or comments).
        async with db.Session() as session:
            await session.execute(delete(Post).where(Post.user_id == 5))
            await session.commit()
        drafter, loner = await with_extra_rows(
            db,
            User(name="Checker Drafter", email=unique_email("drafter")),
            User(name="Checker Loner", email=unique_email("loner")),
        )
        await with_extra_rows(db, Post(title="A draft", published=False, user_id=drafter.id))
        async with db.Session() as session:
            expected = sorted(await session.scalars(select(User.id).where(~User.posts.any())))
            authors = set(await session.scalars(select(User.id).where(User.posts.any())))
            drafters = set(
                await session.scalars(select(User.id).where(User.posts.any(), ~User.posts.any(Post.published)))
            )
        revealing = {5: "user 5, whose posts the checker deleted", loner.id: f"user {loner.id}, the checker's own"}
        async with db.Session() as session:
            with count_statements() as queries:
                got = _ids(await self.call(answer, session))
        if sorted(got) == expected:
            if queries.count != 1:
                raise Incorrect(
                    f"the ids are right, but your function ran {queries.count} statements; one SELECT can do it."
                )
            return f"{len(got)} users without posts, found in one statement."
        if not got:
            raise Incorrect(
                f"you returned no ids, but {len(expected)} users have no posts, e.g. {revealing[5]}, and "
                f"{revealing[loner.id]} with no posts at all."
            )
        if set(got) == authors:
            raise Incorrect(
                f"you returned the {len(got)} users who *have* posts (e.g. user {min(authors)}); the task asks for "
                f"those with none, like {revealing[loner.id]}."
            )
        for user_id in sorted(set(expected) - set(got)):
            if user_id in revealing:
                raise Incorrect(gave_away(revealing[user_id], "it has no posts, but your result leaves it out."))
        if drafters & set(got):
            raise Incorrect(
                f"user {sorted(drafters & set(got))[0]} has a draft (a post that is not published), yet your result "
                "includes it: drafts count as posts."
            )
        missing = sorted(set(expected) - set(got))[:5]
        extra = sorted(set(got) - set(expected))[:5]
        raise Incorrect(
            f"you returned {len(got)} ids, {len(expected)} users have no posts"
            + (f"; missing e.g. {missing}" if missing else "")
            + (f"; these have posts: {extra}" if extra else "")
            + "."
        )
