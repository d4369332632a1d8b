"""Known answers the checkers' authors wrote (moved from lessons/exercises/), with their verdicts."""

from __future__ import annotations

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from lessons.core.models import Post, User
from tests.answers import right, wrong


@right("05.search_users")
async def search_users(session: AsyncSession, term: str) -> list[int]:
    ids = await session.scalars(
        select(User.id).where(
            User.is_active,
            or_(User.name.icontains(term, autoescape=True), User.email.icontains(term, autoescape=True)),
        )
    )
    return list(ids)


@right("05.search_users")
async def right_escaped_by_hand(session: AsyncSession, term: str) -> list[int]:
    # Escape LIKE's wildcards (and the escape character itself), then lower-case both sides.
    pattern = "%" + term.lower().replace("!", "!!").replace("%", "!%").replace("_", "!_") + "%"
    name_matches = func.lower(User.name).like(pattern, escape="!")
    email_matches = func.lower(User.email).like(pattern, escape="!")
    return list(await session.scalars(select(User.id).where(User.is_active.is_(True) & (name_matches | email_matches))))


@wrong("05.search_users", "returns User objects where the task asks for ids")
async def wrong_built_step_by_step_returns_users(session: AsyncSession, term: str) -> list[User]:
    statement = select(User).where(User.is_active)
    statement = statement.where(
        or_(User.name.icontains(term, autoescape=True), User.email.icontains(term, autoescape=True))
    )
    statement = statement.order_by(User.id)
    return list(await session.scalars(statement))


@wrong("05.search_users", "wildcards")
async def wrong_wildcards(session: AsyncSession, term: str) -> list[int]:
    # The chapter's search: injection-safe, but % and _ in the term still match anything.
    pattern = f"%{term}%"
    return list(
        await session.scalars(
            select(User.id).where(User.is_active, or_(User.name.ilike(pattern), User.email.ilike(pattern)))
        )
    )


@wrong("05.search_users", "grouping")
async def wrong_grouping(session: AsyncSession, term: str) -> list[int]:
    # active AND name OR email: the email match escapes the is_active condition.
    name_matches = User.name.icontains(term, autoescape=True)
    email_matches = User.email.icontains(term, autoescape=True)
    return list(await session.scalars(select(User.id).where(or_(and_(User.is_active, name_matches), email_matches))))


@wrong("05.search_users", "forgot to reassign")
async def wrong_forgot_to_reassign(session: AsyncSession, term: str) -> list[int]:
    statement = select(User.id).where(User.is_active)
    statement.where(or_(User.name.icontains(term, autoescape=True), User.email.icontains(term, autoescape=True)))
    return list(await session.scalars(statement))


@wrong("05.search_users", "name only")
async def wrong_name_only(session: AsyncSession, term: str) -> list[int]:
    return list(
        await session.scalars(select(User.id).where(User.is_active, User.name.icontains(term, autoescape=True)))
    )


@right("05.top_publishers")
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


@right("05.top_publishers")
async def right_with_a_subquery(session: AsyncSession, min_posts: int) -> list[tuple[str, int]]:
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


@right("05.top_publishers")
async def right_with_a_conditional_count(session: AsyncSession, min_posts: int) -> list[tuple[str, int]]:
    published = func.count(case((Post.published, Post.id)))
    rows = await session.execute(
        select(User.name, published)
        .outerjoin(Post)
        .group_by(User.id, User.name)
        .having(published > min_posts)
        .order_by(published.desc(), User.name)
    )
    return [tuple(row) for row in rows]


@right("05.top_publishers")
async def right_from_posts(session: AsyncSession, min_posts: int) -> list[tuple[str, int]]:
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


@wrong("05.top_publishers", "counts drafts too")
async def wrong_counts_drafts_too(session: AsyncSession, min_posts: int) -> list[tuple[str, int]]:
    posts = func.count(Post.id)
    rows = await session.execute(
        select(User.name, posts)
        .join(Post)
        .group_by(User.id, User.name)
        .having(posts > min_posts)
        .order_by(posts.desc())
    )
    return [tuple(row) for row in rows]


@wrong("05.top_publishers", "at least")
async def wrong_at_least(session: AsyncSession, min_posts: int) -> list[tuple[str, int]]:
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


@wrong("05.top_publishers", "order")
async def wrong_order(session: AsyncSession, min_posts: int) -> list[tuple[str, int]]:
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


@wrong("05.top_publishers", "counts in python")
async def wrong_counts_in_python(session: AsyncSession, min_posts: int) -> list[tuple[str, int]]:
    found = []
    for user in (await session.scalars(select(User))).all():
        posts = await user.awaitable_attrs.posts
        published = sum(post.published for post in posts)
        if published > min_posts:
            found.append((user.name, published))
    return sorted(found, key=lambda row: -row[1])


@wrong("05.top_publishers", "groups by name")
async def wrong_groups_by_name(session: AsyncSession, min_posts: int) -> list[tuple[str, int]]:
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


@right("05.users_without_posts")
async def users_without_posts(session: AsyncSession) -> list[int]:
    ids = await session.scalars(select(User.id).outerjoin(User.posts).where(Post.id.is_(None)).order_by(User.id))
    return list(ids)


@right("05.users_without_posts")
async def right_not_exists(session: AsyncSession) -> list[int]:
    return list(await session.scalars(select(User.id).where(~User.posts.any())))


@right("05.users_without_posts")
async def right_not_in(session: AsyncSession) -> list[int]:
    authors = select(Post.user_id)
    users = await session.scalars(select(User).where(User.id.not_in(authors)).order_by(User.id.desc()))
    return [user.id for user in users]


@right("05.users_without_posts")
async def right_except(session: AsyncSession) -> list[int]:
    return list(await session.scalars(select(User.id).except_(select(Post.user_id))))


@wrong("05.users_without_posts", "count star")
async def wrong_count_star(session: AsyncSession) -> list[int]:
    rows = await session.scalars(select(User.id).outerjoin(Post).group_by(User.id).having(func.count() == 0))
    return list(rows)


@wrong("05.users_without_posts", "no published posts")
async def wrong_no_published_posts(session: AsyncSession) -> list[int]:
    return list(await session.scalars(select(User.id).where(~User.posts.any(Post.published))))


@wrong("05.users_without_posts", "inner join")
async def wrong_inner_join(session: AsyncSession) -> list[int]:
    return list(await session.scalars(select(User.id).join(Post).group_by(User.id)))


@wrong("05.users_without_posts", "filters in python")
async def wrong_filters_in_python(session: AsyncSession) -> list[int]:
    users = await session.scalars(select(User).options(selectinload(User.posts)))
    return [user.id for user in users if not user.posts]


@wrong("05.users_without_posts", "newest users")
async def wrong_newest_users(session: AsyncSession) -> list[int]:
    # The seed's newest 20 users have no posts: true of the seed, not of the data.
    newest = await session.scalars(select(User.id).order_by(User.id.desc()).limit(20))
    return sorted(newest)


@wrong("05.users_without_posts", "one row per comment")
async def wrong_one_row_per_comment(session: AsyncSession) -> list[int]:
    # A second outer join multiplies the rows: a user without posts comes back once per comment they wrote.
    rows = await session.scalars(
        select(User.id).outerjoin(User.posts).outerjoin(User.comments).where(Post.id.is_(None))
    )
    return list(rows)

