"""One clear sentence for bad configuration, instead of a traceback.

>>> raise ConfigurationError("DATABASE_URL is not a database URL: 'nope'")
Traceback (most recent call last):
...
lessons.core.errors.ConfigurationError: DATABASE_URL is not a database URL: 'nope'

In a notebook the error shows as that one line too: IPython asks an exception for ``_render_traceback_()``
before it formats a traceback, so the learner reads the sentence, not 45 lines of the course's internals.
"""


class ConfigurationError(RuntimeError):
    """The course is pointed at something it cannot use; the message says what to do."""

    def _render_traceback_(self) -> list[str]:
        """What IPython shows for this error: the sentence alone (IPython's documented hook)."""
        return [f"\x1b[0;31m{type(self).__name__}\x1b[0m: {self}"]
