"""The blog API through httpx + ASGITransport (lifespan included), on every backend of the matrix."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import func, select

from lessons.blog import create_app
from lessons.models import Comment, Post, User
from lessons.sql import count_queries


@pytest.fixture
async def client(db) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(db.Session)
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        yield c


async def test_create_read_update_delete_a_user(client: httpx.AsyncClient) -> None:
    created = await client.post("/users", json={"name": "Ada Lovelace", "email": "Ada@Example.com", "age": 36})
    assert created.status_code == 201
    user = created.json()
    assert user["email"] == "ada@example.com" and user["created_at"] == user["updated_at"]
    assert (await client.get(f"/users/{user['id']}")).json() == user
    patched = await client.patch(f"/users/{user['id']}", json={"name": "Ada King"})
    assert patched.status_code == 200 and patched.json()["name"] == "Ada King"
    assert (await client.delete(f"/users/{user['id']}")).status_code == 204
    assert (await client.get(f"/users/{user['id']}")).status_code == 404


async def test_a_duplicate_email_is_a_409_with_a_reason(client: httpx.AsyncClient) -> None:
    first = await client.get("/users/1")
    duplicate = await client.post("/users", json={"name": "Copy", "email": first.json()["email"].upper()})
    assert duplicate.status_code == 409
    assert duplicate.json() == {"detail": f"a user with email {first.json()['email']} already exists"}
    assert (await client.post("/users", json={"name": "After", "email": "after@example.com"})).status_code == 201


@pytest.mark.parametrize(
    ("method", "url", "body", "status"),
    [
        ("GET", "/users/999999", None, 404),
        ("GET", "/users/0", None, 422),
        ("GET", "/users/99999999999999999999", None, 422),
        ("GET", "/users?page=0", None, 422),
        ("GET", "/users?size=0", None, 422),
        ("GET", "/users?size=101", None, 422),
        ("POST", "/users", {"name": "", "email": "nobody@example.com"}, 422),
        ("POST", "/users", {"name": "X", "email": "not-an-email"}, 422),
        ("POST", "/users", {"name": "X", "email": "x@example.com", "password_hash": "x"}, 422),
        ("POST", "/users", {"name": "Nul\u0000", "email": "nul@example.com"}, 422),
        ("POST", "/posts", {"title": "T", "content": "C", "user_id": 999999}, 404),
        ("POST", "/posts/1/comments", {"body": "hi", "user_id": 999999}, 404),
        ("POST", "/posts/999999/comments", {"body": "hi", "user_id": 1}, 404),
        ("DELETE", "/comments/999999", None, 404),
        ("PATCH", "/posts/999999", {"title": "T"}, 404),
    ],
)
async def test_bad_input_is_a_4xx_with_a_reason(client, method, url, body, status) -> None:
    response = await client.request(method, url, json=body)
    assert response.status_code == status
    assert response.json()["detail"]


async def test_search_is_a_literal_route_and_escapes_wildcards(client: httpx.AsyncClient) -> None:
    assert (await client.get("/users/search", params={"q": "example.com"})).json()["total"] == 200
    assert (await client.get("/users/search", params={"q": "%"})).json()["total"] == 0
    assert (await client.get("/users/search", params={"q": "_"})).json()["total"] == 0


async def test_no_response_ever_contains_the_password_hash(client: httpx.AsyncClient) -> None:
    for url in ("/users/1", "/users?size=100", "/users/search?q=a", "/posts/3", "/posts?size=5", "/users/2/posts"):
        assert "password" not in (await client.get(url)).text
    assert "password" not in (await client.get("/openapi.json")).text


async def test_delete_really_deletes_the_post_and_its_comments(client: httpx.AsyncClient, db) -> None:
    async with db.Session() as session:
        post_id = await session.scalar(select(Comment.post_id).limit(1))
    assert (await client.delete(f"/posts/{post_id}")).status_code == 204
    async with db.Session() as session:
        assert await session.get(Post, post_id) is None
        assert await session.scalar(select(func.count()).where(Comment.post_id == post_id)) == 0


@pytest.mark.parametrize(
    ("url", "statements"),
    [
        ("/users?size={size}", 2),
        ("/posts?size={size}", 3),
        ("/posts?size={size}&published=true", 3),
        ("/users/3/posts?size={size}", 4),
        ("/posts/5/comments?size={size}", 4),
    ],
)
async def test_list_endpoints_make_no_n_plus_1(client, url: str, statements: int) -> None:
    for size in (1, 50):
        with count_queries() as queries:
            response = await client.get(url.format(size=size))
        assert response.status_code == 200
        assert queries.count == statements, f"{url.format(size=size)}: {queries.count} statements"


async def test_a_post_with_its_comments_is_four_statements(client: httpx.AsyncClient) -> None:
    with count_queries() as queries:
        body = (await client.get("/posts/7")).json()
    assert queries.count == 4
    assert all("author" in comment for comment in body["comments"])


async def test_every_route_declares_its_response_model(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if status == "204":
                    continue
                assert "content" in response, f"{method.upper()} {path} {status} has no response model"


async def test_fifty_concurrent_creates_all_land(client: httpx.AsyncClient, db) -> None:
    import asyncio

    bodies = [{"name": f"Writer {n}", "email": f"writer{n}@example.org"} for n in range(50)]
    responses = await asyncio.gather(*(client.post("/users", json=body) for body in bodies))
    assert [response.status_code for response in responses] == [201] * 50
    async with db.Session() as session:
        assert await session.scalar(select(func.count()).where(User.email.like("writer%@example.org"))) == 50
