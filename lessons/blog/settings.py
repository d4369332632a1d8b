"""The blog server's settings (environment variables prefixed ``BLOG_``, or ``.env``).

>>> BlogSettings().port
8000
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from lessons.core.settings import ROOT


class BlogSettings(BaseSettings):
    """Where the blog server listens, and the name of its private, freshly seeded database."""

    model_config = SettingsConfigDict(env_prefix="BLOG_", env_file=ROOT / ".env", extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    database_name: str = "blog-api"
