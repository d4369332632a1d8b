"""``/users``: list, search, read, create, update, delete, a user's posts, and the chapter's bulk endpoints.

The literal routes (``/users/search``, ``/users/bulk``, ``/users/bulk-activate``) are declared before
``/users/{user_id}``: routes match in order, and the other way round ``search`` would be parsed as a user id and
answer 422 (ERRATA 19).
"""

from __future__ import annotations

from collections import Counter
from typing import Annotated

from fastapi import APIRouter, Body, Query, Response, status
from pydantic import Field
from sqlalchemy import insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from lessons.blog.crud import commit_or_409, delete_or_404, get_or_404
from lessons.blog.deps import MAX_ID, PageNumber, PageSize, SessionDep, UserId
from lessons.blog.routes.errors import CONFLICT, NOT_FOUND, conflict, not_found_ids
from lessons.blog.schemas import BulkActivated, PostRead, SearchTerm, UserCreate, UserRead, UserUpdate
from lessons.core.models import Post, User
from lessons.core.pagination import Page, paginate

router = APIRouter(prefix="/users", tags=["users"])


@router.get("", response_model=Page[UserRead])
async def list_users(session: SessionDep, page: PageNumber = 1, size: PageSize = 10) -> Page[UserRead]:
    """Users by id, one page at a time."""
    return await paginate(session, select(User).order_by(User.id), page, size)


@router.get("/search", response_model=Page[UserRead])
async def search_users(
    session: SessionDep,
    q: Annotated[SearchTerm | None, Query(description="Part of a name or email.")] = None,
    is_active: Annotated[bool | None, Query(description="Only active (true) or inactive (false) users.")] = None,
    page: PageNumber = 1,
    size: PageSize = 10,
) -> Page[UserRead]:
    """Users whose name or email contains ``q``, case-insensitively (``%`` and ``_`` match themselves)."""
    statement = select(User).order_by(User.id)
    if q is not None:
        statement = statement.where(
            or_(User.name.icontains(q, autoescape=True), User.email.icontains(q, autoescape=True))
        )
    if is_active is not None:
        statement = statement.where(User.is_active == is_active)
    return await paginate(session, statement, page, size)


#: The most rows one bulk request may name: a batch, not a dump (and a bound on the statement's size).
MAX_BULK = 100
NewUsers = Annotated[list[UserCreate], Body(min_length=1, max_length=MAX_BULK)]
UserIds = Annotated[list[Annotated[int, Field(ge=1, le=MAX_ID)]], Body(min_length=1, max_length=MAX_BULK)]


@router.post("/bulk", response_model=list[UserRead], status_code=status.HTTP_201_CREATED, responses=CONFLICT)
async def create_users_bulk(users: NewUsers, session: SessionDep) -> list[User]:
    """All the users or none: one SELECT for taken emails, one INSERT for the batch, whatever its size."""
    emails = [user.email for user in users]
    repeated = sorted(email for email, times in Counter(emails).items() if times > 1)
    if repeated:
        raise conflict(f"emails given more than once: {', '.join(repeated)}")
    taken = (await session.scalars(select(User.email).where(User.email.in_(emails)).order_by(User.email))).all()
    if taken:
        raise conflict(f"emails already taken: {', '.join(taken)}")
    # The ORM's bulk INSERT: one statement with a row of values per user, RETURNING the new rows. (Asking
    # RETURNING for parameter order, sort_by_parameter_order=True, makes SQLite send one INSERT per row.)
    try:
        created = await session.scalars(insert(User).returning(User), [user.model_dump() for user in users])
        new_users = sorted(created.all(), key=lambda user: user.id)
        await session.commit()
    except IntegrityError:  # an email taken between the SELECT and the INSERT
        await session.rollback()
        raise conflict("one of the emails was taken meanwhile; nothing was created") from None
    return new_users


@router.patch("/bulk-activate", response_model=BulkActivated, responses=NOT_FOUND)
async def activate_users_bulk(user_ids: UserIds, session: SessionDep) -> BulkActivated:
    """Activate every listed user in one UPDATE; if any id is unknown, a 404 naming it, and nothing changes."""
    wanted = sorted(set(user_ids))
    found = set((await session.scalars(select(User.id).where(User.id.in_(wanted)))).all())
    missing = [user_id for user_id in wanted if user_id not in found]
    if missing:
        raise not_found_ids(missing)
    await session.execute(update(User).where(User.id.in_(wanted)).values(is_active=True))
    await session.commit()
    return BulkActivated(activated=wanted)


@router.get("/{user_id}", response_model=UserRead, responses=NOT_FOUND)
async def read_user(user_id: UserId, session: SessionDep) -> User:
    return await get_or_404(session, User, user_id, "user")


@router.post("", response_model=UserRead, status_code=status.HTTP_201_CREATED, responses=CONFLICT)
async def create_user(body: UserCreate, session: SessionDep) -> User:
    user = User(**body.model_dump())
    session.add(user)
    await commit_or_409(session, f"a user with email {body.email} already exists")
    return user


@router.patch("/{user_id}", response_model=UserRead, responses=NOT_FOUND | CONFLICT)
async def update_user(user_id: UserId, body: UserUpdate, session: SessionDep) -> User:
    user = await get_or_404(session, User, user_id, "user")
    for field, value in body.model_dump(exclude_unset=True).items():
        if value is not None or field == "age":
            setattr(user, field, value)
    await commit_or_409(session, f"a user with email {body.email} already exists")
    return user


@router.delete("/{user_id}", status_code=status.HTTP_204_NO_CONTENT, responses=NOT_FOUND)
async def delete_user(user_id: UserId, session: SessionDep) -> Response:
    """Delete the user; the database deletes their posts, comments and profile (ON DELETE CASCADE)."""
    await delete_or_404(session, User, user_id, "user")
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{user_id}/posts", response_model=Page[PostRead], responses=NOT_FOUND)
async def list_user_posts(
    user_id: UserId, session: SessionDep, page: PageNumber = 1, size: PageSize = 10
) -> Page[PostRead]:
    await get_or_404(session, User, user_id, "user")
    statement = select(Post).where(Post.user_id == user_id).options(selectinload(Post.author)).order_by(Post.id)
    return await paginate(session, statement, page, size)
