"""``/posts``: list (optionally only published), read with comments, create, update, delete.

Every query loads what its response shows (``selectinload``, ``joinedload``), so no endpoint makes one query per
row.
"""

from __future__ import annotations

from fastapi import APIRouter, Response, status
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from lessons.blog.crud import delete_or_404, get_or_404
from lessons.blog.deps import PageNumber, PageSize, PostId, SessionDep
from lessons.blog.routes.errors import NOT_FOUND, not_found
from lessons.blog.schemas import PostCreate, PostRead, PostUpdate, PostWithComments
from lessons.core.models import Comment, Post, User
from lessons.core.pagination import Page, paginate

router = APIRouter(prefix="/posts", tags=["posts"])


async def load_post(session: AsyncSession, post_id: int, with_comments: bool = False) -> Post:
    """The post with its author (and its comments with their authors), or a 404.

    The author comes in the post's own row (``joinedload``, an inner join: ``posts.user_id`` is NOT NULL); the
    comments, then their authors, come in one ``SELECT … IN`` each. Two sibling ``selectinload`` options would run
    in an order that changes from process to process (SQLAlchemy walks a mapper's properties as a frozenset).
    """
    statement = select(Post).where(Post.id == post_id).options(joinedload(Post.author, innerjoin=True))
    if with_comments:
        statement = statement.options(selectinload(Post.comments).selectinload(Comment.author))
    post = await session.scalar(statement.execution_options(populate_existing=True))
    if post is None:
        raise not_found("post", post_id)
    return post


@router.get("", response_model=Page[PostRead])
async def list_posts(
    session: SessionDep, page: PageNumber = 1, size: PageSize = 10, published: bool | None = None
) -> Page[PostRead]:
    """Newest first; ``published=true`` or ``false`` filters."""
    statement = select(Post).options(selectinload(Post.author)).order_by(Post.created_at.desc(), Post.id.desc())
    if published is not None:
        statement = statement.where(Post.published == published)
    return await paginate(session, statement, page, size)


@router.get("/{post_id}", response_model=PostWithComments, responses=NOT_FOUND)
async def read_post(post_id: PostId, session: SessionDep) -> Post:
    return await load_post(session, post_id, with_comments=True)


@router.post("", response_model=PostRead, status_code=status.HTTP_201_CREATED, responses=NOT_FOUND)
async def create_post(body: PostCreate, session: SessionDep) -> Post:
    await get_or_404(session, User, body.user_id, "user")
    post = Post(**body.model_dump())
    session.add(post)
    await session.commit()
    return await load_post(session, post.id)


@router.patch("/{post_id}", response_model=PostRead, responses=NOT_FOUND)
async def update_post(post_id: PostId, body: PostUpdate, session: SessionDep) -> Post:
    post = await load_post(session, post_id)
    for field, value in body.model_dump(exclude_unset=True).items():
        if value is not None:
            setattr(post, field, value)
    await session.commit()
    return post


@router.delete("/{post_id}", status_code=status.HTTP_204_NO_CONTENT, responses=NOT_FOUND)
async def delete_post(post_id: PostId, session: SessionDep) -> Response:
    await delete_or_404(session, Post, post_id, "post")  # the chapter's version answered 204 and kept the row
    return Response(status_code=status.HTTP_204_NO_CONTENT)
