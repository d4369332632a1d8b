"""The course library: what every lesson notebook imports.

Each module has one job:

- ``lessons.settings``  – where the database is (``DATABASE_URL``)
- ``lessons.database``  – engines, sessions, ``get_db`` and ``fresh_database``
- ``lessons.models``    – the blog domain every lesson uses
- ``lessons.seed``      – deterministic seed data (``python -m lessons.seed``)
- ``lessons.sql``       – the SQL lens: ``show_sql``, ``expect_queries``, ``to_sql``, ``explain``
- ``lessons.frames``    – query results as pandas DataFrames
- ``lessons.clock``     – a freezable clock, like Laravel's ``Carbon::setTestNow()``
- ``lessons.exercises`` – practice tasks with ``check()``, ``hint()`` and ``solution()``
"""
