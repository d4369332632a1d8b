"""Practice for lessons 05a and 05b: a search filter that groups and/or and escapes LIKE wildcards (05a); aggregate
with a join, group and filter the groups, and find rows with no match (05b)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, case, delete, func, or_, select
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
    statements,
    unique_email,
    with_extra_rows,
)
from lessons.models import Post, User

# --------------------------------------------------------------------------------------------------------------
# 05.search_users: a search box: active AND (name OR email), with the user's % and _ taken literally
# --------------------------------------------------------------------------------------------------------------


async def search_users(session: AsyncSession, term: str) -> list[int]:
    ids = await session.scalars(
        select(User.id).where(
            User.is_active,
            or_(User.name.icontains(term, autoescape=True), User.email.icontains(term, autoescape=True)),
        )
    )
    return list(ids)


async def _right_escaped_by_hand(session: AsyncSession, term: str) -> list[int]:
    # Escape LIKE's wildcards (and the escape character itself), then lower-case both sides.
    pattern = "%" + term.lower().replace("!", "!!").replace("%", "!%").replace("_", "!_") + "%"
    name_matches = func.lower(User.name).like(pattern, escape="!")
    email_matches = func.lower(User.email).like(pattern, escape="!")
    return list(await session.scalars(select(User.id).where(User.is_active.is_(True) & (name_matches | email_matches))))


async def _right_built_step_by_step(session: AsyncSession, term: str) -> list[User]:
    statement = select(User).where(User.is_active)
    statement = statement.where(
        or_(User.name.icontains(term, autoescape=True), User.email.icontains(term, autoescape=True))
    )
    statement = statement.order_by(User.id)
    return list(await session.scalars(statement))


async def _wrong_wildcards(session: AsyncSession, term: str) -> list[int]:
    # The chapter's search: injection-safe, but % and _ in the term still match anything.
    pattern = f"%{term}%"
    return list(
        await session.scalars(
            select(User.id).where(User.is_active, or_(User.name.ilike(pattern), User.email.ilike(pattern)))
        )
    )


async def _wrong_grouping(session: AsyncSession, term: str) -> list[int]:
    # active AND name OR email: the email match escapes the is_active condition.
    name_matches = User.name.icontains(term, autoescape=True)
    email_matches = User.email.icontains(term, autoescape=True)
    return list(await session.scalars(select(User.id).where(or_(and_(User.is_active, name_matches), email_matches))))


async def _wrong_forgot_to_reassign(session: AsyncSession, term: str) -> list[int]:
    statement = select(User.id).where(User.is_active)
    statement.where(or_(User.name.icontains(term, autoescape=True), User.email.icontains(term, autoescape=True)))
    return list(await session.scalars(statement))


async def _wrong_name_only(session: AsyncSession, term: str) -> list[int]:
    return list(
        await session.scalars(select(User.id).where(User.is_active, User.name.icontains(term, autoescape=True)))
    )


@register
class SearchUsers(Exercise):
    id = "05.search_users"
    title = "A search box: active users whose name or email contains the term, wildcards taken literally"
    hints = [
        "Two conditions must both hold: the user is active, AND (the name matches OR the email matches). Group "
        "the OR with or_() so that the active condition applies to both alternatives.",
        "% and _ in the term are LIKE wildcards. User.name.icontains(term, autoescape=True) escapes them, ignores "
        "case and adds the %…% for you.",
        "select(User.id).where(User.is_active, or_(<name match>, <email match>)). If you build the statement in "
        "steps, reassign it: statement = statement.where(...); a bare statement.where(...) changes nothing.",
    ]
    reference = search_users
    right_answers = [search_users, _right_escaped_by_hand, _right_built_step_by_step]
    wrong_answers = [_wrong_wildcards, _wrong_grouping, _wrong_forgot_to_reassign, _wrong_name_only]

    async def judge(self, answer: Any, db: LessonDatabase) -> str:
        # Users the seed does not have: literal % and _ in names and emails, look-alikes that only a wildcard
        # matches, and inactive users who match by name or only by email.
        added = await with_extra_rows(
            db,
            User(name="Checker snake_case", email=unique_email("search")),
            User(name="Checker snakeXcase", email=unique_email("search")),
            User(name="Checker Mail", email=unique_email("snake_case")),
            User(name="Checker 100% Sure", email=unique_email("search")),
            User(name="Checker 1000 Days", email=unique_email("search")),
            User(name="Checker Snake_Case Retired", email=unique_email("search"), is_active=False),
            User(name="Checker Gone", email=unique_email("snake_case"), is_active=False),
        )
        by_id = {user.id: user for user in added}
        async with db.Session() as session:
            everyone = (await session.execute(select(User.id, User.name, User.email, User.is_active))).all()
        active = {row.id for row in everyone if row.is_active}

        def described(user_id: int) -> str:
            user = by_id[user_id]
            state = "active" if user.is_active else "inactive"
            return f"user {user_id} ({state}, name {user.name!r}, email {user.email!r})"

        reports = []
        for term in ("E_C", "100%"):
            expected = {
                row.id
                for row in everyone
                if row.is_active and (term.lower() in row.name.lower() or term.lower() in row.email.lower())
            }
            async with db.Session() as session:
                with count_statements() as queries:
                    got = _ids(await self.call(answer, session, term))
            found = set(got)
            if found == expected:
                if len(got) != len(found):
                    raise Incorrect(f"for {term!r} you returned some ids twice ({len(got)} ids, {len(found)} users).")
                if queries.count != 1:
                    raise Incorrect(
                        f"the ids for {term!r} are right, but your function ran {statements(queries.count)}; "
                        "let the database filter, in one SELECT."
                    )
                reports.append(f"{term!r} found {len(found)}")
                continue
            if found == active and len(active) > len(expected):
                raise Incorrect(
                    f"for {term!r} you returned every active user ({len(found)}): the search never reached the "
                    "query. .where() returns a new statement; write statement = statement.where(...)."
                )
            inactive = sorted(found & set(by_id) - active)
            if inactive:
                only_by_email = [user_id for user_id in inactive if term.lower() not in by_id[user_id].name.lower()]
                if only_by_email:
                    raise Incorrect(
                        gave_away(
                            described(only_by_email[0]),
                            f"it matches {term!r} by email only, and it is not active. Group the alternatives: "
                            "active AND (name OR email), i.e. .where(User.is_active, or_(name_match, email_match)).",
                        )
                    )
                raise Incorrect(gave_away(described(inactive[0]), "only active users may be found."))
            wild = sorted(found & set(by_id) - expected)
            if wild:
                raise Incorrect(
                    gave_away(
                        described(wild[0]),
                        f"neither its name nor its email contains {term!r}; % and _ in the term acted as LIKE "
                        "wildcards. "
                        "Escape them: .icontains(term, autoescape=True).",
                    )
                )
            missing = sorted(expected - found)
            ours = [user_id for user_id in missing if user_id in by_id]
            if ours:
                user = by_id[ours[0]]
                where = "name" if term.lower() in user.name.lower() else "email"
                hint = "search the email too" if where == "email" else "compare ignoring case (ilike/icontains)"
                raise Incorrect(
                    gave_away(
                        described(ours[0]),
                        f"its {where} contains {term!r} (ignoring case), yet you left it out: {hint}.",
                    )
                )
            extra = sorted(found - expected)[:5]
            raise Incorrect(
                f"for {term!r} you returned {len(found)} users, {len(expected)} were expected"
                + (f"; missing e.g. {missing[:5]}" if missing else "")
                + (f"; not expected e.g. {extra}" if extra else "")
                + "."
            )
        return f"{' and '.join(reports)}: only active users, wildcards taken literally, each in one statement."


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


async def _wrong_one_row_per_comment(session: AsyncSession) -> list[int]:
    # A second outer join multiplies the rows: a user without posts comes back once per comment they wrote.
    rows = await session.scalars(
        select(User.id).outerjoin(User.posts).outerjoin(User.comments).where(Post.id.is_(None))
    )
    return list(rows)


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
        _wrong_one_row_per_comment,
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
        if sorted(set(got)) == expected:
            twice = sorted(user_id for user_id, n in Counter(got).items() if n > 1)
            raise Incorrect(
                f"the right users, but some more than once (user {twice[0]} comes back {got.count(twice[0])} "
                "times): return each id once. A join to a second table (comments, roles) multiplies the rows."
            )
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
