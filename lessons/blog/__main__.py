"""``python -m lessons.blog`` (``make api``): serve the blog API on a fresh seeded database.

Options: ``--host``, ``--port``, ``--database-name`` (defaults from ``BLOG_HOST``, ``BLOG_PORT``,
``BLOG_DATABASE_NAME``: 127.0.0.1, 8000, blog-api). A bad setting or a port in use is one sentence on stderr
and exit status 2, before anything starts.
"""

from __future__ import annotations

import argparse
import errno
import os
import socket
import sys

import uvicorn
from pydantic import ValidationError

from lessons.blog.app import create_app
from lessons.blog.settings import BlogSettings


def settings_problem(error: ValidationError) -> str:
    """One sentence for invalid ``BLOG_*`` settings: which variable, what it holds, what it needs.

    >>> try:
    ...     BlogSettings(port="abc")
    ... except ValidationError as error:
    ...     print(settings_problem(error))
    BLOG_PORT='abc' is not valid: Input should be a valid integer, unable to parse string as an integer.
    """
    problem = error.errors()[0]
    name = "BLOG_" + "_".join(str(part) for part in problem["loc"]).upper()
    return f"{name}={problem['input']!r} is not valid: {problem['msg']}."


def port_number(text: str) -> int:
    """``--port``'s type: a whole number from 1 to 65535 (argparse turns the ``ValueError`` into one line)."""
    number = int(text)
    if not 1 <= number <= 65535:
        raise ValueError(text)
    return number


def listen(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port``, ready for uvicorn; ``OSError`` if the port is taken or not ours to use."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does: a restart need not wait
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def main(argv: list[str] | None = None) -> int:
    try:
        defaults = BlogSettings()
    except ValidationError as error:
        print(f"error: {settings_problem(error)}", file=sys.stderr)
        return 2
    parser = argparse.ArgumentParser(prog="python -m lessons.blog", description="Serve the blog API.")
    parser.add_argument("--host", default=defaults.host)
    parser.add_argument("--port", type=port_number, default=defaults.port)
    parser.add_argument("--database-name", default=defaults.database_name)
    args = parser.parse_args(argv)
    try:
        sock = listen(args.host, args.port)
    except OSError as error:
        reason = "is already in use" if error.errno == errno.EADDRINUSE else f"cannot be used ({error.strerror})"
        print(
            f"error: port {args.port} on {args.host} {reason}: stop what uses it, or choose another "
            f"(make api PORT=8001, or --port 8001).",
            file=sys.stderr,
        )
        return 2
    os.environ["BLOG_DATABASE_NAME"] = args.database_name
    print(f"Blog API on http://{args.host}:{args.port} — docs at http://{args.host}:{args.port}/docs", flush=True)
    server = uvicorn.Server(uvicorn.Config(create_app(), log_level="warning"))
    with sock:
        server.run(sockets=[sock])
    return 0


if __name__ == "__main__":
    sys.exit(main())
