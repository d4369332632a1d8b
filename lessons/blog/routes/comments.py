"""Comments: listed and created under their post (``/posts/{post_id}/comments``), read and deleted by id."""

from __future__ import annotations

from fastapi import APIRouter, Response, status
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lessons.blog.crud import delete_or_404, get_or_404
from lessons.blog.deps import CommentId, PageNumber, PageSize, PostId, SessionDep
from lessons.blog.routes.errors import NOT_FOUND, not_found
from lessons.blog.schemas import CommentCreate, CommentRead
from lessons.core.models import Comment, Post, User
from lessons.core.pagination import Page, paginate

router = APIRouter(tags=["comments"])


@router.get("/posts/{post_id}/comments", response_model=Page[CommentRead], responses=NOT_FOUND)
async def list_comments(
    post_id: PostId, session: SessionDep, page: PageNumber = 1, size: PageSize = 10
) -> Page[CommentRead]:
    await get_or_404(session, Post, post_id, "post")
    statement = (
        select(Comment).where(Comment.post_id == post_id).options(selectinload(Comment.author)).order_by(Comment.id)
    )
    return await paginate(session, statement, page, size)


@router.post(
    "/posts/{post_id}/comments",
    response_model=CommentRead,
    status_code=status.HTTP_201_CREATED,
    responses=NOT_FOUND,
)
async def create_comment(post_id: PostId, body: CommentCreate, session: SessionDep) -> Comment:
    await get_or_404(session, Post, post_id, "post")
    author = await get_or_404(session, User, body.user_id, "user")
    comment = Comment(body=body.body, author=author, post_id=post_id)  # the author is loaded: no refresh needed
    session.add(comment)
    await session.commit()
    return comment


@router.get("/comments/{comment_id}", response_model=CommentRead, responses=NOT_FOUND)
async def read_comment(comment_id: CommentId, session: SessionDep) -> Comment:
    comment = await session.scalar(
        select(Comment).where(Comment.id == comment_id).options(selectinload(Comment.author))
    )
    if comment is None:
        raise not_found("comment", comment_id)
    return comment


@router.delete("/comments/{comment_id}", status_code=status.HTTP_204_NO_CONTENT, responses=NOT_FOUND)
async def delete_comment(comment_id: CommentId, session: SessionDep) -> Response:
    await delete_or_404(session, Comment, comment_id, "comment")
    return Response(status_code=status.HTTP_204_NO_CONTENT)
