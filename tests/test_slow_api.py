"""lessons.scenery.lesson10_slow_api: the fake filter holds a request until told to answer, and then judges the text."""

from __future__ import annotations

import asyncio

from lessons.scenery.lesson10_slow_api import SpamFilter


async def test_is_spam_waits_until_it_may_answer() -> None:
    spam = SpamFilter()
    answer = asyncio.create_task(spam.is_spam("Cheap WATCHES, today only"))
    await asyncio.wait_for(spam.asked.wait(), timeout=5)
    await asyncio.sleep(0)
    assert not answer.done()  # still waiting: the other request can run now
    spam.may_answer.set()
    assert await asyncio.wait_for(answer, timeout=5) is True


async def test_ordinary_text_is_not_spam() -> None:
    spam = SpamFilter()
    spam.may_answer.set()
    assert await spam.is_spam("Nice post") is False
    assert spam.asked.is_set()
