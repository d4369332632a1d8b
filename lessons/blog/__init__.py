"""The blog API: the chapter's complete example, built as a FastAPI application a FastAPI developer recognises.

- ``settings.py``  – what the server needs (host, port, which lesson database)
- ``deps.py``      – ``SessionDep`` (one session per request) and validated paging parameters
- ``schemas.py``   – Pydantic v2 request and response models (``password_hash`` is in none of them)
- ``routes/``      – one router per resource: users, posts, comments
- ``app.py``       – ``create_app()``: the application, its lifespan and its error handlers
- ``validation.py`` – the 422 handler, safe to encode whatever text the client sent
- ``explore.py``   – for lesson 12: a route's source code, and one request with the SQL it caused

Run it with ``make api`` (or ``python -m lessons.blog``), then open http://127.0.0.1:8000/docs.

>>> from lessons.blog import create_app
>>> app = create_app()
>>> [path for path in app.openapi()["paths"] if path.startswith("/users")][:2]
['/users', '/users/search']
"""

from lessons.blog.app import create_app

__all__ = ["create_app"]
