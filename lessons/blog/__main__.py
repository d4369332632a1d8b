"""``python -m lessons.blog`` (``make api``): serve the blog API on a fresh seeded database.

Options: ``--host``, ``--port``, ``--database-name`` (defaults from ``BLOG_HOST``, ``BLOG_PORT``,
``BLOG_DATABASE_NAME``: 127.0.0.1, 8000, blog-api).
"""

from __future__ import annotations

import argparse
import os
import sys

import uvicorn

from lessons.blog.app import create_app
from lessons.blog.settings import BlogSettings


def main(argv: list[str] | None = None) -> int:
    defaults = BlogSettings()
    parser = argparse.ArgumentParser(prog="python -m lessons.blog", description="Serve the blog API.")
    parser.add_argument("--host", default=defaults.host)
    parser.add_argument("--port", type=int, default=defaults.port)
    parser.add_argument("--database-name", default=defaults.database_name)
    args = parser.parse_args(argv)
    os.environ["BLOG_DATABASE_NAME"] = args.database_name
    print(f"Blog API on http://{args.host}:{args.port} — docs at http://{args.host}:{args.port}/docs", flush=True)
    uvicorn.run(create_app(), host=args.host, port=args.port, log_level="warning")
    return 0


if __name__ == "__main__":
    sys.exit(main())
