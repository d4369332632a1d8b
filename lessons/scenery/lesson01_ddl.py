"""A table's ``CREATE TABLE`` on several backends side by side, the way ``php artisan migrate --pretend`` shows it.

Nothing runs: each statement is compiled for a dialect (:func:`lessons.lens.sql.to_sql`), so all three backends can be
read on a machine that has none of their servers. Line *n* of each column is the same part of the table, so the
differences (``SERIAL`` against ``AUTO_INCREMENT``, ``TIMESTAMP WITH TIME ZONE`` against ``DATETIME``) line up.

>>> from lessons.core.models import Role
>>> ddl = ddl_by_backend(Role.__table__)
>>> list(ddl.columns)
['sqlite', 'postgresql', 'mysql']
>>> ddl.loc[1].tolist()
['id INTEGER NOT NULL,', 'id SERIAL NOT NULL,', 'id INTEGER NOT NULL AUTO_INCREMENT,']
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from sqlalchemy import Table
from sqlalchemy.schema import CreateTable

from lessons.lens.sql import to_sql

#: The backends the course runs on, by dialect name.
BACKENDS = ("sqlite", "postgresql", "mysql")


def ddl_lines(table: Table, dialect: str) -> list[str]:
    """The ``CREATE TABLE`` for ``dialect``, one stripped line per column or constraint."""
    return [line.strip() for line in to_sql(CreateTable(table), dialect).splitlines() if line.strip()]


def ddl_by_backend(table: Table, backends: Sequence[str] = BACKENDS) -> pd.DataFrame:
    """One column per backend, one row per line of the ``CREATE TABLE`` (shorter statements padded with "")."""
    lines = {backend: ddl_lines(table, backend) for backend in backends}
    height = max(len(column) for column in lines.values())
    return pd.DataFrame({backend: column + [""] * (height - len(column)) for backend, column in lines.items()})
