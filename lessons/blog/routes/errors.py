"""The 4xx answers the routes give, documented in the OpenAPI schema so clients (and fuzzers) know them.

>>> not_found("post", 7).detail
'no post with id 7'
"""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException, status

from lessons.blog.schemas import ErrorDetail

NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorDetail, "description": "No such resource"}}
CONFLICT: dict[int | str, dict[str, Any]] = {409: {"model": ErrorDetail, "description": "Conflicts with a row"}}


def not_found(kind: str, identifier: int) -> HTTPException:
    """404 with a reason a client can act on: for the resource in the path, or a row the body names."""
    return HTTPException(status.HTTP_404_NOT_FOUND, f"no {kind} with id {identifier}")


def not_found_ids(identifiers: list[int]) -> HTTPException:
    """404 for a request naming several users, listing every id that names none."""
    return HTTPException(status.HTTP_404_NOT_FOUND, f"no user with id {', '.join(map(str, identifiers))}")


def conflict(reason: str) -> HTTPException:
    """409: the request is valid but clashes with what is stored (a duplicate email …)."""
    return HTTPException(status.HTTP_409_CONFLICT, reason)
