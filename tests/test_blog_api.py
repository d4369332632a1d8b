"""The blog API through httpx + ASGITransport (lifespan included), on every backend of the matrix."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import func, select

from lessons.blog import create_app
from lessons.core.models import Comment, Post, User
from lessons.lens.sql import count_queries


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
        ("GET", "/users/search?q=a%00b", None, 422),
        ("GET", "/users/search?is_active=maybe", None, 422),
        ("PATCH", "/users/bulk-activate", [1, 999999], 404),
        ("POST", "/users/bulk", [{"name": "X", "email": "x@example.com", "role": "admin"}], 422),
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


async def test_a_post_with_its_comments_is_three_statements_in_a_fixed_order(client: httpx.AsyncClient) -> None:
    # The post joined with its author, then its comments, then their authors: lesson 12 prints this SQL, so the
    # order must not change from run to run (two sibling selectinloads would run in either order).
    with count_queries() as queries:
        body = (await client.get("/posts/7")).json()
    assert [statement.sql.split("\nFROM ", 1)[1].split()[0] for statement in queries.statements] == [
        "posts",
        "comments",
        "users",
    ]
    assert "JOIN users" in queries.statements[0].sql
    assert all("author" in comment for comment in body["comments"])


async def test_creating_a_comment_is_three_statements(client: httpx.AsyncClient) -> None:
    with count_queries() as queries:
        response = await client.post("/posts/7/comments", json={"body": "Nice", "user_id": 3})
    assert response.status_code == 201 and response.json()["author"]["id"] == 3
    assert queries.count == 3  # the post exists, the user exists, the INSERT; the author is already loaded
    assert (await client.get(f"/comments/{response.json()['id']}")).json() == response.json()


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


# --- A lone surrogate in any string field: a 422 with a reason, never a 500 (issue 9) -------------------------

from tests.blog_requests import lone_surrogate_requests  # noqa: E402


async def test_a_lone_surrogate_in_any_string_field_is_a_422(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    sent = []
    for label, method, url, body in lone_surrogate_requests(schema):
        response = await client.request(method, url, content=body, headers={"content-type": "application/json"})
        assert response.status_code == 422, f"{label}: {response.status_code} {response.text[:200]}"
        reasons = [problem["msg"] for problem in response.json()["detail"]]
        assert any("valid string" in reason for reason in reasons), f"{label}: {reasons}"
        sent.append(label)
    assert len(sent) >= 18, sent  # name, email, title, content, body on POST and PATCH, the bulk routes, a key
    assert "POST /users/bulk email" in sent and "PATCH /posts/{post_id} content" in sent


async def test_an_invalid_email_reads_as_a_sentence_not_a_pattern(client: httpx.AsyncClient) -> None:
    response = await client.post("/users", json={"name": "X", "email": "not-an-email"})
    assert response.status_code == 422
    assert [(p["loc"], p["msg"]) for p in response.json()["detail"]] == [
        (["body", "email"], "not a valid email address")
    ]
    nul = await client.post("/posts", json={"title": "a\u0000b", "content": "c", "user_id": 1})
    assert nul.json()["detail"][0]["msg"] == "must not contain a NUL character"


# --- The chapter's §7 search with filters, §10 bulk endpoints --------------------------------------------------


async def test_search_filters_by_term_and_is_active_and_pages(client: httpx.AsyncClient, db) -> None:
    async with db.Session() as session:
        inactive = set((await session.scalars(select(User.id).where(User.is_active.is_(False)))).all())
    everyone = (await client.get("/users/search", params={"is_active": "false", "size": 100})).json()
    assert {user["id"] for user in everyone["items"]} == inactive and everyone["total"] == len(inactive)
    with count_queries() as queries:
        page = (await client.get("/users/search", params={"q": "a", "is_active": "true", "page": 2, "size": 5})).json()
    assert queries.count == 2  # the count and the page, whatever the filters
    assert page["page"] == 2 and len(page["items"]) == 5
    assert all(user["is_active"] and "a" in (user["name"] + user["email"]).lower() for user in page["items"])


@pytest.mark.parametrize("size", [1, 50])
async def test_bulk_create_is_two_statements_at_any_size(client: httpx.AsyncClient, size: int) -> None:
    users = [{"name": f"Bulk {n}", "email": f"bulk{n}@example.org"} for n in range(size)]
    with count_queries() as queries:
        response = await client.post("/users/bulk", json=users)
    assert response.status_code == 201
    assert queries.count == 2  # SELECT the emails already taken, one INSERT … RETURNING for the batch
    assert [user["email"] for user in response.json()] == [user["email"] for user in users]
    assert len({user["id"] for user in response.json()}) == size


@pytest.mark.parametrize(
    ("emails", "reason"),
    [
        (["new1@example.org", "NEW1@example.org"], "emails given more than once: new1@example.org"),
        (["new2@example.org", "{taken}"], "emails already taken: {taken}"),
    ],
)
async def test_bulk_create_is_all_or_nothing(client: httpx.AsyncClient, db, emails, reason) -> None:
    taken = (await client.get("/users/1")).json()["email"]
    users = [{"name": "N", "email": email.format(taken=taken)} for email in emails]
    response = await client.post("/users/bulk", json=users)
    assert response.status_code == 409 and response.json() == {"detail": reason.format(taken=taken)}
    async with db.Session() as session:
        assert await session.scalar(select(func.count()).where(User.email.like("new%@example.org"))) == 0


async def test_bulk_create_refuses_an_empty_or_oversized_batch(client: httpx.AsyncClient) -> None:
    assert (await client.post("/users/bulk", json=[])).status_code == 422
    too_many = [{"name": "N", "email": f"n{n}@example.org"} for n in range(101)]
    assert (await client.post("/users/bulk", json=too_many)).status_code == 422


async def test_bulk_activate_changes_only_the_listed_users(client: httpx.AsyncClient, db) -> None:
    async with db.Session() as session:
        inactive = list((await session.scalars(select(User.id).where(User.is_active.is_(False)))).all())
    chosen, untouched = inactive[:3], inactive[3:]
    with count_queries() as queries:
        response = await client.patch("/users/bulk-activate", json=[*chosen, chosen[0]])
    assert response.status_code == 200 and response.json() == {"activated": sorted(chosen)}
    assert queries.count == 2  # check the ids exist, one UPDATE … WHERE id IN (…)
    async with db.Session() as session:
        still_inactive = set((await session.scalars(select(User.id).where(User.is_active.is_(False)))).all())
    assert still_inactive == set(untouched)


async def test_bulk_activate_with_an_unknown_id_is_a_404_and_changes_nothing(client: httpx.AsyncClient, db) -> None:
    async with db.Session() as session:
        inactive = (await session.scalars(select(User.id).where(User.is_active.is_(False)).limit(1))).one()
    response = await client.patch("/users/bulk-activate", json=[inactive, 999998, 999999])
    assert response.status_code == 404 and response.json() == {"detail": "no user with id 999998, 999999"}
    async with db.Session() as session:
        assert (await session.get(User, inactive)).is_active is False
    assert (await client.patch("/users/bulk-activate", json=[])).status_code == 422
    assert (await client.patch("/users/bulk-activate", json=["one"])).status_code == 422


# --- lessons.blog.explore: what lesson 12 prints ----------------------------------------------------------------

from lessons.blog.explore import call, route_function, route_source  # noqa: E402
from lessons.blog.routes import users as users_routes  # noqa: E402


async def test_route_source_is_the_real_function_of_every_route(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    for path, operations in schema["paths"].items():
        for method in operations:
            function = route_function(method, path)
            assert route_source(method, path).startswith("@router."), f"{method} {path}"
            assert f"def {function.__name__}(" in route_source(method, path)
    assert route_function("POST", "/users/bulk") is users_routes.create_users_bulk
    with pytest.raises(LookupError):
        route_function("PUT", "/posts/{post_id}")


async def test_call_prints_the_status_and_the_statement_count(client: httpx.AsyncClient, capsys) -> None:
    response = await call(client, "GET", "/users/1", sql=False)
    assert response.status_code == 200
    assert capsys.readouterr().out == "GET /users/1 → 200, 1 statement\n"
    await call(client, "GET", "/posts?size=2")
    printed = capsys.readouterr().out
    assert printed.startswith("BEGIN (implicit)\nSELECT count(*)") and printed.endswith(
        "GET /posts?size=2 → 200, 3 statements\n"
    )
