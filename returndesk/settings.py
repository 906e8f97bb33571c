"""One frozen Settings, read from the environment and an optional TOML file (SPEC §9)."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from locales import LANGUAGES

DEFAULT_DATABASE_URL = "sqlite://returndesk.sqlite3"
ENVIRONMENT = {
    "database_url": "RETURNDESK_DATABASE_URL",
    "telegram_bot_token": "TELEGRAM_BOT_TOKEN",
    "telegram_api_url": "TELEGRAM_API_URL",
    "webhook_url": "RETURNDESK_WEBHOOK_URL",
    "staff_chat_id": "RETURNDESK_STAFF_CHAT_ID",
    "staff_language": "RETURNDESK_STAFF_LANGUAGE",
    "secret_key": "RETURNDESK_SECRET_KEY",
    "http_host": "RETURNDESK_HTTP_HOST",
    "http_port": "RETURNDESK_HTTP_PORT",
    "currency": "RETURNDESK_CURRENCY",
    "media_dir": "RETURNDESK_MEDIA_DIR",
}


class SettingsError(ValueError):
    """The configuration cannot be used; the message says which setting and why."""


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    telegram_bot_token: str = ""
    telegram_api_url: str = "https://api.telegram.org/bot"
    webhook_url: str = ""
    staff_chat_id: int | None = None
    staff_language: str = "en"  # what the staff chat's messages are written in
    secret_key: str = ""
    http_host: str = "127.0.0.1"
    http_port: int = 8080
    currency: str = "CNY"
    media_dir: str = "media"

    def __repr__(self) -> str:
        secret = {"telegram_bot_token", "secret_key"}
        shown = (
            f"{f.name}={'***' if f.name in secret else getattr(self, f.name)!r}"
            for f in fields(self)
        )
        return f"Settings({', '.join(shown)})"


def _convert(name: str, raw: Any) -> Any:
    if name == "http_port":
        return _integer(name, raw)
    if name == "staff_chat_id":
        return _integer(name, raw) if str(raw).strip() else None
    if name == "staff_language":
        return _language(name, raw)
    return str(raw).strip()


def _language(name: str, raw: Any) -> str:
    language = str(raw).strip()
    if language not in LANGUAGES:
        raise SettingsError(f"{name} must be one of {', '.join(LANGUAGES)}, not {raw!r}")
    return language


def _integer(name: str, raw: Any) -> int:
    try:
        return int(str(raw).strip())
    except ValueError:
        raise SettingsError(f"{name} must be an integer, not {raw!r}") from None


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build Settings: defaults ← the TOML file in RETURNDESK_CONFIG ← environment variables."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    config_file = environ.get("RETURNDESK_CONFIG")
    if config_file:
        values.update(_read_toml(Path(config_file)))
    values.update({name: environ[var] for name, var in ENVIRONMENT.items() if environ.get(var)})
    return replace(Settings(), **{k: _convert(k, v) for k, v in values.items()})


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise SettingsError(f"cannot read configuration file {path}: {error}") from None
    unknown = set(data) - set(ENVIRONMENT)
    if unknown:
        raise SettingsError(f"unknown settings in {path}: {', '.join(sorted(unknown))}")
    return data
