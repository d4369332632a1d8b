"""The differential framework's own promises: comparisons in one sentence, worlds that repeat from their seed."""

from __future__ import annotations

import doctest

from lessons.exercises import differential, listeners, worlds


def test_the_framework_modules_examples_hold() -> None:
    assert doctest.testmod(differential).failed == 0
    assert doctest.testmod(worlds).failed == 0
    assert doctest.testmod(listeners).failed == 0


def test_worlds_differ_by_seed_and_clock() -> None:
    first, second = worlds.blog_world(1), worlds.blog_world(2)
    assert first.now != second.now
    assert first.rows != second.rows


def test_every_world_has_the_edges_a_lesson_example_lacks() -> None:
    for seed in range(20):
        world = worlds.blog_world(seed)
        users = world.rows["users"]
        lonely = users[0]["id"]
        assert not world.where("posts", user_id=lonely) and not world.where("comments", user_id=lonely)
        assert not world.where("user_roles", user_id=lonely) and not world.where("profiles", user_id=lonely)
        names = [user["name"] for user in users]
        assert len(set(names)) < len(names), "namesakes"
        assert any(user["age"] is None for user in users)
        assert any(not user["is_active"] for user in users)
