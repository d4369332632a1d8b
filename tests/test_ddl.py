"""lesson01_ddl, lesson 01's side-by-side CREATE TABLE: line n is the same column on every backend, and the
differences the lesson points at are there to see."""

from __future__ import annotations

import doctest

from sqlalchemy import Column, Integer, MetaData, String, Table

from lessons.core.models import User
from lessons.scenery import lesson01_ddl as ddl
from lessons.scenery.lesson01_ddl import ddl_by_backend, ddl_lines


def test_each_line_is_the_same_column_on_every_backend() -> None:
    ddl = ddl_by_backend(User.__table__)
    assert list(ddl.columns) == ["sqlite", "postgresql", "mysql"]
    for column in User.__table__.columns:
        rows = {backend: [i for i, line in enumerate(ddl[backend]) if line.strip("`").startswith(column.name)]
                for backend in ddl.columns}
        assert len({tuple(found) for found in rows.values()}) == 1, (column.name, rows)


def test_the_differences_the_lesson_names_are_shown() -> None:
    ddl = ddl_by_backend(User.__table__)
    assert ddl.loc[1].tolist() == ["id INTEGER NOT NULL,", "id SERIAL NOT NULL,", "id INTEGER NOT NULL AUTO_INCREMENT,"]
    assert any("TIMESTAMP WITH TIME ZONE" in line for line in ddl["postgresql"])
    assert any(line.startswith("`role`") for line in ddl["mysql"])
    assert "CONSTRAINT pk_users PRIMARY KEY (id)," in ddl["sqlite"].tolist()


def test_lines_are_stripped_and_never_blank() -> None:
    table = Table("t", MetaData(), Column("id", Integer, primary_key=True), Column("name", String(10)))
    assert all(line == line.strip() and line for line in ddl_lines(table, "sqlite"))
    assert ddl_by_backend(table, ["sqlite"])["sqlite"].tolist()[0] == "CREATE TABLE t ("


def test_the_docstring_example_runs() -> None:
    assert doctest.testmod(ddl).failed == 0
