"""``create_app()``: the blog application, its lifespan and its routers.

Pass a session factory to serve a database you already have (tests, the lesson notebook); without one,
the lifespan creates a fresh seeded database named by ``BLOG_DATABASE_NAME`` (default ``blog-api``).

>>> app = create_app()
>>> app.title
'Blog API'
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from lessons.blog.routes import comments, posts, users
from lessons.blog.settings import BlogSettings
from lessons.blog.validation import request_validation_error
from lessons.core.database import fresh_database


def create_app(Session: async_sessionmaker[AsyncSession] | None = None) -> FastAPI:
    """The blog API, serving ``Session``'s database (or a fresh seeded one created at startup)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        database = None
        if app.state.Session is None:
            database = await fresh_database(BlogSettings().database_name, make_current=False)
            app.state.Session = database.Session
        try:
            yield
        finally:
            if database is not None:
                await database.dispose()

    app = FastAPI(
        title="Blog API",
        version="1.0.0",
        summary="The chapter's complete example, built properly: users, posts and comments.",
        lifespan=lifespan,
    )
    app.state.Session = Session
    app.add_exception_handler(RequestValidationError, request_validation_error)  # never a 500 for bad text
    app.include_router(users.router)
    app.include_router(posts.router)
    app.include_router(comments.router)
    return app
