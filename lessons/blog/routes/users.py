"""``/users``: list, search, read, create, update, delete, and a user's posts.

The literal route ``/users/search`` is declared before ``/users/{user_id}``: routes match in order, and the
other way round ``search`` would be parsed as a user id and answer 422 (ERRATA 19).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from lessons.blog.crud import commit_or_409, delete_or_404, get_or_404
from lessons.blog.deps import PageNumber, PageSize, SessionDep, UserId
from lessons.blog.routes.errors import CONFLICT, NOT_FOUND
from lessons.blog.schemas import PostRead, UserCreate, UserRead, UserUpdate
from lessons.models import Post, User
from lessons.pagination import Page, paginate

router = APIRouter(prefix="/users", tags=["users"])


@router.get("", response_model=Page[UserRead])
async def list_users(session: SessionDep, page: PageNumber = 1, size: PageSize = 10) -> Page[UserRead]:
    """Users by id, one page at a time."""
    return await paginate(session, select(User).order_by(User.id), page, size)


@router.get("/search", response_model=Page[UserRead])
async def search_users(
    session: SessionDep,
    q: Annotated[str, Query(min_length=1, max_length=100, description="Part of a name or email.")],
    page: PageNumber = 1,
    size: PageSize = 10,
) -> Page[UserRead]:
    """Users whose name or email contains ``q``, case-insensitively; ``%`` and ``_`` match themselves."""
    matches = or_(User.name.icontains(q, autoescape=True), User.email.icontains(q, autoescape=True))
    return await paginate(session, select(User).where(matches).order_by(User.id), page, size)


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
