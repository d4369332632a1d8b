"""One clear sentence for bad configuration, instead of a traceback.

>>> raise ConfigurationError("DATABASE_URL is not a database URL: 'nope'")
Traceback (most recent call last):
...
lessons.errors.ConfigurationError: DATABASE_URL is not a database URL: 'nope'
"""


class ConfigurationError(RuntimeError):
    """The course is pointed at something it cannot use; the message says what to do."""
