"""A stand-in for a slow external API that answers only when told to (Laravel's ``Http::fake()``, held open).

Lesson 10 needs a request that is *inside* its handler, waiting on something, while another request runs.
A sleep would make that depend on timing; :class:`SpamFilter` instead waits until the test lets it answer.

>>> spam = SpamFilter()
>>> async def ask() -> bool:
...     return await spam.is_spam("Cheap watches!!!")
>>> async def main() -> bool:
...     answer = asyncio.create_task(ask())
...     await spam.asked.wait()  # the request is now waiting on the filter
...     spam.may_answer.set()  # let it answer
...     return await answer
>>> asyncio.run(main())
True
"""

from __future__ import annotations

import asyncio


class SpamFilter:
    """A slow external API that answers only when the test says so.

    ``asked`` is set when a request calls :meth:`is_spam`; the call returns once ``may_answer`` is set.
    """

    def __init__(self) -> None:
        self.asked, self.may_answer = asyncio.Event(), asyncio.Event()

    async def is_spam(self, text: str) -> bool:
        """Whether ``text`` is spam (it mentions cheap watches), once the test allows an answer."""
        self.asked.set()
        await self.may_answer.wait()
        return "cheap watches" in text.lower()
