"""Column types the course's models share.

:class:`UTCDateTime` keeps every timestamp timezone-aware on every backend. SQLite and MariaDB have no
time zone in their date columns, so ``DateTime(timezone=True)`` alone reads back *naive* datetimes there;
this type stores UTC and always hands back an aware ``datetime`` in UTC.

>>> from datetime import datetime, timezone
>>> UTCDateTime().process_result_value(datetime(2025, 1, 15, 9, 0), None).isoformat()
'2025-01-15T09:00:00+00:00'
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware timestamp: refuses naive datetimes, stores UTC, reads back aware UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True  # no per-instance state, so SQLAlchemy may cache statements that use it

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        # MySQL/MariaDB DATETIME drops fractions of a second unless asked to keep them.
        if dialect.name in {"mysql", "mariadb"}:
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        # Python → database. The dialect's own DATETIME processing runs after this (on SQLite it writes text).
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(
                f"naive datetime {value!r}: use a timezone-aware one, e.g. datetime.now(timezone.utc)"
            )
        value = value.astimezone(timezone.utc)
        if dialect.name == "postgresql":
            return value  # TIMESTAMP WITH TIME ZONE keeps the zone
        return value.replace(tzinfo=None)  # SQLite and MariaDB store the UTC wall time

    def process_result_value(self, value: datetime | None, dialect: Dialect | None) -> datetime | None:
        # Database → Python: whatever came back, hand out an aware UTC datetime.
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)
