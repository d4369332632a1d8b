"""Practice for lesson 07: the index that turns a query's SCAN into a SEARCH (and drops its sort).

The answer is an ``Index``: it is judged by its effect. On each generated database the checker creates it, runs the
lesson's query for a few users (the rows must be the reference's) and compares the query's plan with the reference
index's on SQLite; PostgreSQL and MariaDB choose their plans from table statistics (a small table is read whole
whatever its indexes), so there the index's leading columns, as the database reports them, are compared instead.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import Index, MetaData, Select, Table, inspect, select

from lessons.core.database import LessonDatabase
from lessons.core.models import Comment
from lessons.exercises.differential import Differential, Note, Run, raised
from lessons.exercises.framework import Incorrect, raised_by_answer, register
from lessons.exercises.worlds import World
from lessons.lens.sql import explain


def latest_comments(comments: Table, user_id: int) -> Select[Any]:
    """A user's ten latest comments: the query the index is for."""
    return (
        select(comments)
        .where(comments.c.user_id == user_id)
        .order_by(comments.c.created_at.desc())
        .limit(10)
    )


def latest_comments_index(comments: Table) -> Index:
    return Index("ix_comments_user_id_created_at", comments.c.user_id, comments.c.created_at)


@register
class LatestCommentsIndex(Differential):
    id = "07.latest_comments_index"
    title = "Index a user's latest comments"
    hints = [
        "The query filters on user_id with = and sorts on created_at: an index whose columns come in that order "
        "lets the database jump to the user's comments and read them already sorted.",
        "Index('ix_comments_user_id_created_at', comments.c.user_id, comments.c.created_at): the column in the "
        "WHERE first, the ORDER BY column second (the order of the columns matters).",
    ]
    reference = latest_comments_index

    def world(self, seed: int) -> World:
        world = super().world(seed)
        users = world.ids("users")
        post = world.rows["posts"][0] if world.rows["posts"] else world.add("posts", title="a post", user_id=users[-1])
        # A user with more comments than the query's ten, the two newest written at the same moment (no unique index).
        busy = world.rng.choice(users[1:] or users)
        for hours in [0, 0, *world.rng.sample(range(1, 500), 14)]:
            world.add("comments", body="busy", post_id=post["id"], user_id=busy, created_at=world.now - timedelta(
                hours=hours, seconds=1))
        return world

    def passed(self, runs: list[Run]) -> str:
        plans = [value for run in runs for label, value in run.results if label.startswith("the plan")]
        what = f"the reference's plan for the lesson's query:\n{plans[0]!r}\n" if plans else (
            "the reference's leading columns (user_id, created_at), ")
        return (
            f"your index gives {what}and the query returns the same rows, on {len(runs)} generated databases (a "
            "user with more than ten comments, and one with none)."
        )

    def users(self, world: World) -> list[tuple[int, str]]:
        counts: dict[int, int] = {}
        for comment in world.rows["comments"]:
            counts[comment["user_id"]] = counts.get(comment["user_id"], 0) + 1
        busy = max(counts, key=lambda user: counts[user])
        return [(busy, "a user with more than ten comments"), (world.ids("users")[0], "a user with no comments")]

    async def run(self, function: Callable[..., Any], db: LessonDatabase, world: World, run: Run, answer: bool) -> None:
        comments = Comment.__table__.to_metadata(MetaData())  # a private copy: never the course's own model
        label = "latest_comments_index(comments)"
        try:
            index = await self.call(function, comments) if answer else function(comments)
        except Incorrect:
            raise
        except Exception as error:
            if answer and not raised_by_answer(error):
                raise
            run.results.append((label, raised(error)))
            return
        if not isinstance(index, Index):
            run.results.append((label, Note(f"a {type(index).__name__}, not an Index")))
            return
        if index.table is None:
            comments.append_constraint(index)  # columns named as strings, as in __table_args__
        elif index.table is not comments:
            index.table.indexes.discard(index)  # leave the other table (the course's model) as it was
            run.results.append((label, Note("an Index on another table than the comments table it received")))
            return
        run.results.append((label, Note("an Index on the comments table it received")))
        try:
            async with db.engine.begin() as conn:
                await conn.run_sync(index.create)
        except Exception as error:
            if not answer:
                raise
            run.results.append(("creating your index", raised(error)))
            return
        run.results.append(("creating your index", None))
        async with db.engine.connect() as conn:
            for user_id, about in self.users(world):
                run.abouts.append(about)
                query = latest_comments(comments, user_id)
                rows = (await conn.execute(query)).all()
                newest_first = sorted((tuple(row) for row in rows), key=lambda row: (-row[-1].timestamp(), row[0]))
                run.results.append((f"latest_comments(comments, {user_id}) with your index", newest_first))
                if db.backend == "sqlite":
                    plan = str(await explain(query, on=conn)).replace(index.name, "<the index>")
                    run.results.append((f"the plan of latest_comments(comments, {user_id})", Note(plan)))
            if db.backend != "sqlite":
                found = await conn.run_sync(lambda sync: inspect(sync).get_indexes("comments"))
                columns = next((ix["column_names"] for ix in found if ix["name"] == index.name), [])
                run.results.append(("the first two columns of your index", tuple(columns[:2])))
