"""Request and response models: Eloquent's ``$fillable`` (what a request may set) and ``$hidden``
(what a response never shows) made explicit. No schema has a ``password_hash`` field, so it cannot leak.

>>> UserCreate(name="Ada", email="ada@example.com").model_dump()["email"]
'ada@example.com'
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints
from pydantic_core import PydanticCustomError

#: No NUL character: PostgreSQL refuses it in text. Published in the OpenAPI schema as a pattern, so clients
#: (and the fuzz test) know what is valid before they send it; checked in Python, so a person reads a sentence.
NO_NUL = r"^[^\x00]*$"
#: Something@something.something, with no spaces; spelled out, not \s, so Python and JavaScript agree on it.
EMAIL = r"^[^@ \t\r\n\f\v\x00]+@[^@ \t\r\n\f\v\x00]+\.[^@ \t\r\n\f\v\x00]+$"


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise PydanticCustomError("no_nul", "must not contain a NUL character")
    return value


def _email(value: str) -> str:
    if re.fullmatch(EMAIL, value) is None:
        raise PydanticCustomError("email", "not a valid email address")
    return value


def Text(max_length: int, min_length: int = 1) -> object:
    """A string type the database can store: within the column's length, no NUL.

    (A lone surrogate, ``"\\ud800"`` in JSON, is refused by Pydantic itself: ``string_unicode``.)
    """
    return Annotated[
        str,
        StringConstraints(min_length=min_length, max_length=max_length),
        AfterValidator(_no_nul),
        Field(json_schema_extra={"pattern": NO_NUL}),
    ]


Name = Text(100)
#: A 422 says "not a valid email address", not the regular expression (no extra dependency such as EmailStr's).
Email = Annotated[
    str,
    StringConstraints(to_lower=True, max_length=255),
    AfterValidator(_email),
    Field(json_schema_extra={"pattern": EMAIL}),
]
Title = Text(200)
SearchTerm = Text(100)
Body = Text(10_000)


class Request(BaseModel):
    """Requests refuse unknown fields: a typo is a 422, never silently ignored (stricter than ``$fillable``)."""

    model_config = ConfigDict(extra="forbid")


class Response(BaseModel):
    """Responses are read from ORM objects' attributes."""

    model_config = ConfigDict(from_attributes=True)


class ErrorDetail(BaseModel):
    """Every 4xx answer: ``{"detail": "what went wrong"}``."""

    detail: str


class UserCreate(Request):
    name: Name
    email: Email
    age: int | None = Field(default=None, ge=0, le=150)


class UserUpdate(Request):
    name: Name | None = None
    email: Email | None = None
    age: int | None = Field(default=None, ge=0, le=150)
    is_active: bool | None = None


class UserRead(Response):
    id: int
    name: str
    email: str
    age: int | None
    role: str
    is_active: bool
    created_at: datetime
    updated_at: datetime


class BulkActivated(BaseModel):
    """The ids ``PATCH /users/bulk-activate`` activated (each once, in order)."""

    activated: list[int]


class AuthorRead(Response):
    id: int
    name: str


class PostCreate(Request):
    title: Title
    content: Body
    published: bool = False
    user_id: int = Field(ge=1, le=2**31 - 1)


class PostUpdate(Request):
    title: Title | None = None
    content: Body | None = None
    published: bool | None = None


class PostRead(Response):
    id: int
    title: str
    content: str
    published: bool
    user_id: int
    author: AuthorRead
    created_at: datetime
    updated_at: datetime


class CommentCreate(Request):
    body: Body
    user_id: int = Field(ge=1, le=2**31 - 1)


class CommentRead(Response):
    id: int
    body: str
    post_id: int
    user_id: int
    author: AuthorRead
    created_at: datetime


class PostWithComments(PostRead):
    comments: list[CommentRead]
