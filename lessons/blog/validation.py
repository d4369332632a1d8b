"""The 422 answer for invalid requests, safe to encode whatever the client sent.

FastAPI's own handler echoes each invalid ``input`` back. A JSON body may carry a lone surrogate
(``"\\ud800"``): Python's ``json`` decodes it, Pydantic refuses it (``string_unicode``), and the handler then
fails to encode its own answer as UTF-8: a 500, and a broken keep-alive connection. This handler replaces
every lone surrogate in the answer (in ``input`` and in ``loc``, where an unknown key is named) with U+FFFD.

>>> printable({"loc": ["body", "name"], "input": "a\\ud800b"})
{'loc': ['body', 'name'], 'input': 'a�b'}
"""

from __future__ import annotations

from typing import Any

from fastapi import Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse


def printable(value: Any) -> Any:
    """``value`` with every lone surrogate in its strings (and keys) replaced by U+FFFD, the replacement character."""
    if isinstance(value, str):
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    if isinstance(value, dict):
        return {printable(key): printable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [printable(item) for item in value]
    return value


async def request_validation_error(request: Request, exc: Exception) -> JSONResponse:
    """422 ``{"detail": [...]}`` as FastAPI answers it, with every string encodable as UTF-8."""
    assert isinstance(exc, RequestValidationError)
    detail = printable(jsonable_encoder(exc.errors()))
    return JSONResponse(status_code=status.HTTP_422_UNPROCESSABLE_CONTENT, content={"detail": detail})
