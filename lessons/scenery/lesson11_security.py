"""Classic SQL-injection payloads, for showing that bound parameters make every one of them plain text.

>>> len(INJECTION_PAYLOADS) >= 20
True
>>> "' OR '1'='1" in INJECTION_PAYLOADS
True
"""

from __future__ import annotations

#: Tautologies, comment tricks, UNION reads, stacked statements, time delays, encodings and wildcards.
INJECTION_PAYLOADS: list[str] = [
    "' OR '1'='1",
    "' OR 1=1 --",
    "' OR 1=1 /*",
    "\" OR \"\"=\"",
    "' OR ''='",
    "admin' --",
    "admin'/*",
    "') OR ('1'='1",
    "')) OR (('1'='1",
    "1' OR '1'='1' --",
    "' OR 'x'='x",
    "'; DROP TABLE users; --",
    "'; DELETE FROM posts; --",
    "1; UPDATE users SET role='admin'",
    "' UNION SELECT id, password_hash FROM users --",
    "' UNION SELECT NULL, sqlite_version() --",
    "' AND 1=(SELECT COUNT(*) FROM users) --",
    "' OR EXISTS(SELECT * FROM users) --",
    "'; SELECT pg_sleep(5); --",
    "' OR SLEEP(5) --",
    "%' OR '%'='",
    "\\'; DROP TABLE users; --",
    "' || (SELECT password_hash FROM users LIMIT 1) || '",
    "%",
    "_",
]
