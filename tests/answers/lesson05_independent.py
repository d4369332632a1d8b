"""Answers to lessons 05a/05b's practice, written from the task statements alone (not from the checkers).

05.search_users: ids of the *active* users whose name *or* email contains ``term``, ignoring case, ``%`` and ``_``
taken literally; one statement, each id once, any order.

05.top_publishers: users with *more than* ``min_posts`` published posts, as ``(name, published posts)`` pairs, most
first (ties in any order), one statement; namesakes are separate rows.

05.users_without_posts: ids of every user with no post at all (drafts count), one statement, each id once, any
order.
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import exists, func, or_, select, text, union, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from lessons.core.models import Comment, Post, User
from tests.answers import right, wrong

# ==============================================================================================================
# 05.search_users
# ==============================================================================================================


def _escape_like(term: str, escape: str = "!") -> str:
    for char in (escape, "%", "_"):
        term = term.replace(char, escape + char)
    return term


@right("05.search_users")
async def icontains_autoescape(session: AsyncSession, term: str) -> list[int]:
    statement = select(User.id).where(
        User.is_active,
        or_(User.name.icontains(term, autoescape=True), User.email.icontains(term, autoescape=True)),
    )
    return list(await session.scalars(statement))


@right("05.search_users")
async def ilike_with_own_escape_char(session: AsyncSession, term: str) -> list[int]:
    pattern = f"%{_escape_like(term)}%"
    statement = select(User.id).where(
        User.is_active.is_(True),
        User.name.ilike(pattern, escape="!") | User.email.ilike(pattern, escape="!"),
    )
    return list(await session.scalars(statement))


@right("05.search_users")
async def union_of_two_searches(session: AsyncSession, term: str) -> list[int]:
    by_name = select(User.id).where(User.is_active, func.lower(User.name).contains(term.lower(), autoescape=True))
    by_email = select(User.id).where(User.is_active, func.lower(User.email).contains(term.lower(), autoescape=True))
    return list(await session.scalars(union(by_name, by_email)))  # UNION drops duplicates


@right("05.search_users")
async def text_sql_with_bound_pattern(session: AsyncSession, term: str) -> list[int]:
    pattern = f"%{_escape_like(term.lower())}%"
    rows = await session.execute(
        text(
            "SELECT id FROM users WHERE is_active = :active "
            "AND (lower(name) LIKE :pattern ESCAPE '!' OR lower(email) LIKE :pattern ESCAPE '!')"
        ),
        {"active": True, "pattern": pattern},
    )
    return [user_id for (user_id,) in rows]


@right("05.search_users")
async def one_query_then_match_in_python(session: AsyncSession, term: str) -> list[int]:
    # One statement (the active users); matching in Python takes % and _ literally by construction and ignores
    # case for every letter (SQL lower() on SQLite folds ASCII only).
    needle = term.lower()
    rows = await session.execute(select(User.id, User.name, User.email).where(User.is_active))
    return [user_id for user_id, name, email in rows if needle in name.lower() or needle in email.lower()]


# -- wrong ------------------------------------------------------------------------------------------------------


# '100%' finds '1000 Days'; '_' and '%' match every active user.
@wrong("05.search_users", "wildcards not escaped (the chapter's ilike f'%{term}%')")
async def unescaped_wildcards(session: AsyncSession, term: str) -> list[int]:
    statement = select(User.id).where(User.is_active, or_(User.name.ilike(f"%{term}%"), User.email.ilike(f"%{term}%")))
    return list(await session.scalars(statement))


# 'e_c' does not find 'E_C'.
@wrong("05.search_users", "case-sensitive match")
async def case_sensitive(session: AsyncSession, term: str) -> list[int]:
    rows = await session.execute(select(User.id, User.name, User.email).where(User.is_active))
    return [user_id for user_id, name, email in rows if term in name or term in email]


# An inactive user who matches is returned.
@wrong("05.search_users", "forgets the is_active filter")
async def includes_inactive(session: AsyncSession, term: str) -> list[int]:
    statement = select(User.id).where(
        or_(User.name.icontains(term, autoescape=True), User.email.icontains(term, autoescape=True))
    )
    return list(await session.scalars(statement))


# An inactive user whose *email* matches is returned: active AND name OR email.
@wrong("05.search_users", "OR not grouped: is_active applies to the name condition only")
async def ungrouped_or(session: AsyncSession, term: str) -> list[int]:
    statement = select(User.id).where(
        (User.is_active & User.name.icontains(term, autoescape=True)) | User.email.icontains(term, autoescape=True)
    )
    return list(await session.scalars(statement))


# A user whose email (not name) contains the term is missed.
@wrong("05.search_users", "searches the name only, not the email")
async def name_only(session: AsyncSession, term: str) -> list[int]:
    statement = select(User.id).where(User.is_active, User.name.icontains(term, autoescape=True))
    return list(await session.scalars(statement))


# A user whose name and email both match comes back twice.
@wrong("05.search_users", "UNION ALL: an id twice when name and email both match")
async def union_all_duplicates(session: AsyncSession, term: str) -> list[int]:
    by_name = select(User.id).where(User.is_active, User.name.icontains(term, autoescape=True))
    by_email = select(User.id).where(User.is_active, User.email.icontains(term, autoescape=True))
    return list(await session.scalars(union_all(by_name, by_email)))


# Two statements.
@wrong("05.search_users", "two statements (name, then email) merged in Python")
async def two_statements(session: AsyncSession, term: str) -> list[int]:
    by_name = await session.scalars(select(User.id).where(User.is_active, User.name.icontains(term, autoescape=True)))
    found = set(by_name)
    by_email = await session.scalars(select(User.id).where(User.is_active, User.email.icontains(term, autoescape=True)))
    return sorted(found | set(by_email))


# Rows, not ids.
@wrong("05.search_users", "returns Rows instead of ids")
async def returns_rows(session: AsyncSession, term: str) -> list[int]:
    statement = select(User.id).where(
        User.is_active,
        or_(User.name.icontains(term, autoescape=True), User.email.icontains(term, autoescape=True)),
    )
    return list((await session.execute(statement)).all())


# 'E_C' finds 'EXC' (only % escaped, _ left a wildcard).
@wrong("05.search_users", "escapes % but not _")
async def escapes_percent_only(session: AsyncSession, term: str) -> list[int]:
    pattern = "%" + term.replace("!", "!!").replace("%", "!%") + "%"
    statement = select(User.id).where(
        User.is_active, or_(User.name.ilike(pattern, escape="!"), User.email.ilike(pattern, escape="!"))
    )
    return list(await session.scalars(statement))


# A quote in the term ("O'Brien") breaks the SQL: the term is pasted into the statement.
@wrong("05.search_users", "SQL built by string formatting: a quote in the term breaks it")
async def string_formatted_sql(session: AsyncSession, term: str) -> list[int]:
    pattern = _escape_like(term.lower())
    rows = await session.execute(
        text(
            f"SELECT id FROM users WHERE is_active = :active AND (lower(name) LIKE '%{pattern}%' ESCAPE '!' "
            f"OR lower(email) LIKE '%{pattern}%' ESCAPE '!')"
        ),
        {"active": True},
    )
    return [user_id for (user_id,) in rows]


# 'ada' does not find 'Grace Ada': prefix match only.
@wrong("05.search_users", "starts-with instead of contains")
async def startswith_only(session: AsyncSession, term: str) -> list[int]:
    statement = select(User.id).where(
        User.is_active,
        or_(User.name.istartswith(term, autoescape=True), User.email.istartswith(term, autoescape=True)),
    )
    return list(await session.scalars(statement))


# ==============================================================================================================
# 05.top_publishers
# ==============================================================================================================


@right("05.top_publishers")
async def join_group_having(session: AsyncSession, min_posts: int) -> list[tuple[str, int]]:
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
async def correlated_count(session: AsyncSession, min_posts: int) -> list[tuple[str, int]]:
    published = (select(func.count()).where(Post.user_id == User.id, Post.published.is_(True)).scalar_subquery()).label(
        "published"
    )
    rows = await session.execute(
        select(User.name, published).where(published > min_posts).order_by(published.desc(), User.id)
    )
    return [(row.name, int(row.published)) for row in rows]


@right("05.top_publishers")
async def derived_table_joined_to_users(session: AsyncSession, min_posts: int) -> list[tuple[str, int]]:
    per_author = (
        select(Post.user_id, func.count().label("n"))
        .where(Post.published)
        .group_by(Post.user_id)
        .having(func.count() > min_posts)
        .subquery("per_author")
    )
    rows = await session.execute(
        select(User.name, per_author.c.n)
        .join(per_author, per_author.c.user_id == User.id)
        .order_by(per_author.c.n.desc())
    )
    return [tuple(row) for row in rows]


@right("05.top_publishers")
async def text_sql(session: AsyncSession, min_posts: int) -> list[tuple[str, int]]:
    rows = await session.execute(
        text(
            "SELECT users.name, COUNT(posts.id) AS n FROM users JOIN posts ON posts.user_id = users.id "
            "WHERE posts.published = :yes GROUP BY users.id, users.name HAVING COUNT(posts.id) > :min_posts "
            "ORDER BY n DESC"
        ),
        {"yes": True, "min_posts": min_posts},
    )
    return [(name, int(n)) for name, n in rows]


@right("05.top_publishers")
async def one_statement_counted_in_python(session: AsyncSession, min_posts: int) -> list[tuple[str, int]]:
    rows = (await session.execute(select(User.id, User.name).join(User.posts).where(Post.published))).all()
    counts = Counter(user_id for user_id, _ in rows)
    names = {user_id: name for user_id, name in rows}
    top = [(names[user_id], n) for user_id, n in counts.items() if n > min_posts]
    return sorted(top, key=lambda pair: pair[1], reverse=True)


# -- wrong ------------------------------------------------------------------------------------------------------


# Drafts counted: a user with 7 published posts and 3 drafts is "above 7".
@wrong("05.top_publishers", "counts drafts too (no published filter)")
async def counts_drafts(session: AsyncSession, min_posts: int) -> list[tuple[str, int]]:
    published = func.count(Post.id).label("published")
    rows = await session.execute(
        select(User.name, published)
        .join(User.posts)
        .group_by(User.id, User.name)
        .having(published > min_posts)
        .order_by(published.desc())
    )
    return [(name, count) for name, count in rows]


# A user with exactly min_posts published posts is included.
@wrong("05.top_publishers", "off by one: >= instead of >")
async def at_least_not_more_than(session: AsyncSession, min_posts: int) -> list[tuple[str, int]]:
    published = func.count(Post.id).label("published")
    rows = await session.execute(
        select(User.name, published)
        .join(User.posts)
        .where(Post.published)
        .group_by(User.id, User.name)
        .having(published >= min_posts)
        .order_by(published.desc())
    )
    return [(name, count) for name, count in rows]


# Two users named alike: one row with their posts added up.
@wrong("05.top_publishers", "groups by name: namesakes merged")
async def groups_by_name(session: AsyncSession, min_posts: int) -> list[tuple[str, int]]:
    published = func.count(Post.id).label("published")
    rows = await session.execute(
        select(User.name, published)
        .join(User.posts)
        .where(Post.published)
        .group_by(User.name)
        .having(published > min_posts)
        .order_by(published.desc())
    )
    return [(name, count) for name, count in rows]


# Fewest first.
@wrong("05.top_publishers", "ascending order: fewest first")
async def fewest_first(session: AsyncSession, min_posts: int) -> list[tuple[str, int]]:
    published = func.count(Post.id).label("published")
    rows = await session.execute(
        select(User.name, published)
        .join(User.posts)
        .where(Post.published)
        .group_by(User.id, User.name)
        .having(published > min_posts)
        .order_by(published)
    )
    return [(name, count) for name, count in rows]


# min_posts=0: a user with no published post counts 1 (the outer join's padded row).
@wrong("05.top_publishers", "count(*) over an outer join: a user with none counts 1")
async def count_star_outer_join(session: AsyncSession, min_posts: int) -> list[tuple[str, int]]:
    published = func.count().label("published")
    rows = await session.execute(
        select(User.name, published)
        .outerjoin(Post, (Post.user_id == User.id) & Post.published)
        .group_by(User.id, User.name)
        .having(published > min_posts)
        .order_by(published.desc())
    )
    return [(name, count) for name, count in rows]


# One statement per user.
@wrong("05.top_publishers", "N+1: one count per user")
async def count_per_user(session: AsyncSession, min_posts: int) -> list[tuple[str, int]]:
    users = (await session.execute(select(User.id, User.name))).all()
    top = []
    for user_id, name in users:
        n = await session.scalar(select(func.count()).select_from(Post).where(Post.user_id == user_id, Post.published))
        if n > min_posts:
            top.append((name, n))
    return sorted(top, key=lambda pair: pair[1], reverse=True)


# The threshold of the lesson's example, whatever min_posts says: min_posts=8 returns the same as 7.
@wrong("05.top_publishers", "threshold hard-coded to 7")
async def hard_coded_threshold(session: AsyncSession, min_posts: int) -> list[tuple[str, int]]:
    published = func.count(Post.id).label("published")
    rows = await session.execute(
        select(User.name, published)
        .join(User.posts)
        .where(Post.published)
        .group_by(User.id, User.name)
        .having(published > 7)
        .order_by(published.desc())
    )
    return [(name, count) for name, count in rows]


# Only the top 5 (Laravel's take(5) from the withCount example).
@wrong("05.top_publishers", "keeps only the first 5 rows")
async def top_five_only(session: AsyncSession, min_posts: int) -> list[tuple[str, int]]:
    published = func.count(Post.id).label("published")
    rows = await session.execute(
        select(User.name, published)
        .join(User.posts)
        .where(Post.published)
        .group_by(User.id, User.name)
        .having(published > min_posts)
        .order_by(published.desc())
        .limit(5)
    )
    return [(name, count) for name, count in rows]


# (count, name) instead of (name, count).
@wrong("05.top_publishers", "pairs the wrong way round: (count, name)")
async def count_then_name(session: AsyncSession, min_posts: int) -> list[tuple[str, int]]:
    published = func.count(Post.id).label("published")
    rows = await session.execute(
        select(published, User.name)
        .join(User.posts)
        .where(Post.published)
        .group_by(User.id, User.name)
        .having(published > min_posts)
        .order_by(published.desc())
    )
    return [(count, name) for count, name in rows]


# Joining comments as well multiplies each post by its comments.
@wrong("05.top_publishers", "also joins comments: each post counted once per comment")
async def join_multiplies(session: AsyncSession, min_posts: int) -> list[tuple[str, int]]:
    published = func.count(Post.id).label("published")
    rows = await session.execute(
        select(User.name, published)
        .join(User.posts)
        .join(Post.comments)
        .where(Post.published)
        .group_by(User.id, User.name)
        .having(published > min_posts)
        .order_by(published.desc())
    )
    return [(name, count) for name, count in rows]


# User ids instead of names.
@wrong("05.top_publishers", "returns user ids instead of names")
async def ids_not_names(session: AsyncSession, min_posts: int) -> list[tuple[str, int]]:
    published = func.count(Post.id).label("published")
    rows = await session.execute(
        select(User.id, published)
        .join(User.posts)
        .where(Post.published)
        .group_by(User.id)
        .having(published > min_posts)
        .order_by(published.desc())
    )
    return [(user_id, count) for user_id, count in rows]


# ==============================================================================================================
# 05.users_without_posts
# ==============================================================================================================


@right("05.users_without_posts")
async def not_any_posts(session: AsyncSession) -> list[int]:
    return list(await session.scalars(select(User.id).where(~User.posts.any())))


@right("05.users_without_posts")
async def outer_join_is_null(session: AsyncSession) -> list[int]:
    return list(
        await session.scalars(select(User.id).outerjoin(Post, Post.user_id == User.id).where(Post.id.is_(None)))
    )


@right("05.users_without_posts")
async def not_in_post_authors(session: AsyncSession) -> list[int]:
    # posts.user_id is NOT NULL, so NOT IN cannot meet a NULL.
    return list(await session.scalars(select(User.id).where(User.id.not_in(select(Post.user_id)))))


@right("05.users_without_posts")
async def group_having_zero(session: AsyncSession) -> list[int]:
    statement = (
        select(User.id).outerjoin(User.posts).group_by(User.id).having(func.count(Post.id) == 0).order_by(User.id)
    )
    return list(await session.scalars(statement))


@right("05.users_without_posts")
async def text_not_exists(session: AsyncSession) -> list[int]:
    rows = await session.execute(
        text("SELECT u.id FROM users u WHERE NOT EXISTS (SELECT 1 FROM posts p WHERE p.user_id = u.id)")
    )
    return [int(user_id) for (user_id,) in rows]


# -- wrong ------------------------------------------------------------------------------------------------------


# The users WITH posts.
@wrong("05.users_without_posts", "inner join: finds users with posts")
async def inner_join(session: AsyncSession) -> list[int]:
    return list(await session.scalars(select(User.id).join(User.posts).where(Post.id.is_not(None)).distinct()))


# A user with a single draft is reported as having no posts.
@wrong("05.users_without_posts", "counts only published posts (drafts ignored)")
async def drafts_ignored(session: AsyncSession) -> list[int]:
    return list(await session.scalars(select(User.id).where(~User.posts.any(Post.published))))


# count(*) over the outer join is never 0: always empty.
@wrong("05.users_without_posts", "count(*) = 0 over an outer join: never true")
async def count_star_zero(session: AsyncSession) -> list[int]:
    statement = select(User.id).outerjoin(User.posts).group_by(User.id).having(func.count() == 0)
    return list(await session.scalars(statement))


# The seed's postless users are 181-200; a user the checker adds or empties is missed.
@wrong("05.users_without_posts", "ids remembered from the seed (181-200)")
async def remembered_ids(session: AsyncSession) -> list[int]:
    return list(range(181, 201))


# Two statements: all users, then all authors.
@wrong("05.users_without_posts", "two statements and a set difference in Python")
async def set_difference_in_python(session: AsyncSession) -> list[int]:
    everyone = set(await session.scalars(select(User.id)))
    authors = set(await session.scalars(select(Post.user_id)))
    return sorted(everyone - authors)


# A postless user with 3 comments comes back 3 times.
@wrong("05.users_without_posts", "also outer-joins comments: an id once per comment")
async def duplicated_by_comments(session: AsyncSession) -> list[int]:
    statement = (
        select(User.id)
        .outerjoin(Post, Post.user_id == User.id)
        .outerjoin(Comment, Comment.user_id == User.id)
        .where(Post.id.is_(None))
    )
    return list(await session.scalars(statement))


# User objects, not ids.
@wrong("05.users_without_posts", "returns User objects instead of ids")
async def returns_users(session: AsyncSession) -> list[int]:
    return list(await session.scalars(select(User).where(~User.posts.any())))


# Users who have written no comment (wrong table).
@wrong("05.users_without_posts", "looks at comments instead of posts")
async def without_comments(session: AsyncSession) -> list[int]:
    return list(await session.scalars(select(User.id).where(~exists().where(Comment.user_id == User.id))))


# Computed once and kept in a module global: after the posts of a user are deleted, the second call is stale.
_CACHE: list[int] = []


@wrong("05.users_without_posts", "caches the first answer: stale on the next call")
async def cached_answer(session: AsyncSession) -> list[int]:
    if not _CACHE:
        _CACHE.extend(await session.scalars(select(User.id).where(~User.posts.any())))
    return list(_CACHE)


# Only the first 20 (the lesson showed 5 at a time; the seed has 20).
@wrong("05.users_without_posts", "a remembered LIMIT 20")
async def limited_to_twenty(session: AsyncSession) -> list[int]:
    return list(await session.scalars(select(User.id).where(~User.posts.any()).order_by(User.id).limit(20)))
