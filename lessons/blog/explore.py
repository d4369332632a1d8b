"""Look inside the blog API from a notebook: the source of the function serving a route, and one request with
the SQL it caused and its statement count.

>>> print(route_source("GET", "/users/{user_id}").splitlines()[0])
@router.get("/{user_id}", response_model=UserRead, responses=NOT_FOUND)
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import httpx
from fastapi.routing import APIRoute

from lessons.blog.routes import comments, posts, users
from lessons.lens.sql import count_queries, show_sql


def route_function(method: str, path: str) -> Callable[..., Any]:
    """The function the blog API calls for ``method`` on ``path`` (the path as declared: ``/posts/{post_id}``)."""
    for route in (*users.router.routes, *posts.router.routes, *comments.router.routes):
        if isinstance(route, APIRoute) and route.path == path and method.upper() in route.methods:
            return route.endpoint
    raise LookupError(f"no route {method.upper()} {path}")


def route_source(method: str, path: str) -> str:
    """The source code of that function, decorator included, read from its file in ``lessons/blog/routes/``."""
    return inspect.getsource(route_function(method, path))


async def call(
    client: httpx.AsyncClient, method: str, url: str, *, json: Any = None, sql: bool = True, parameters: bool = True
) -> httpx.Response:
    """Send one request; print the SQL it caused (``sql=False``: none), then its status and statement count."""
    with show_sql(parameters=parameters) if sql else count_queries() as queries:
        response = await client.request(method, url, json=json)
    plural = "" if queries.count == 1 else "s"
    print(f"{method.upper()} {url} → {response.status_code}, {queries.count} statement{plural}")
    return response
