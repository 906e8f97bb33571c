"""Tortoise configuration, connection and migrations for a database URL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from tortoise import Tortoise
from tortoise.migrations.api import migrate as run_migrations

MODELS_APP = {"models": ["models"], "migrations": "models.migrations"}


def tortoise_config(db_url: str) -> dict[str, Any]:
    """Return the Tortoise configuration for ``db_url`` (sqlite://… or postgres://…)."""
    return {
        "connections": {"default": db_url},
        "apps": {"models": {**MODELS_APP, "default_connection": "default"}},
        "use_tz": True,
        "timezone": "UTC",
    }


# For `tortoise makemigrations` only (see pyproject.toml); nothing connects at import.
DEVELOPMENT_CONFIG = tortoise_config("sqlite://:memory:")


async def migrate(db_url: str) -> None:
    """Apply every migration not yet applied to the database at ``db_url``."""
    await run_migrations(config=tortoise_config(db_url))
    await Tortoise.close_connections()


@asynccontextmanager
async def connected(db_url: str) -> AsyncIterator[None]:
    """Open the database for the duration of the block."""
    await Tortoise.init(config=tortoise_config(db_url))
    try:
        yield
    finally:
        await Tortoise.close_connections()
