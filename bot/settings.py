"""Settings from environment variables (and an optional `.env` file).

Read and validated once, in the composition root; a bad value stops start-up
with a message that names the variable and what it should look like.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.privacy import parse_keys

REPO_ROOT = Path(__file__).resolve().parent.parent


class SettingsError(Exception):
    """Settings that cannot be used; the message is meant for the operator."""


class Settings(BaseSettings):
    """Everything configurable, named STRAATWIJS_<FIELD> in the environment."""

    model_config = SettingsConfigDict(
        env_prefix="STRAATWIJS_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    database_url: str = "sqlite:///straatwijs.db"
    telegram_token: SecretStr | None = None
    telegram_api_url: str | None = None
    telegram_rate: float = Field(
        30,
        gt=0,
        le=30,
        description="Messages a second this process sends in all; Telegram allows a bot "
        "about 30, so with N workers behind one webhook give each 30/N.",
    )
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_listen: str = "0.0.0.0"
    webhook_port: int = Field(8443, ge=1, le=65535)
    dialogues_dir: Path = REPO_ROOT / "dialogues"
    content_dir: Path = REPO_ROOT / "content"
    locale: str = "nl"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    db_busy_timeout: float = Field(5.0, gt=0, le=120, description="Seconds to wait for a lock.")
    web_base_url: str = "http://127.0.0.1:8080"
    secret_key: SecretStr | None = Field(
        None, description="Signs dashboard sessions; unset: derived from a value in the database."
    )
    web_session_hours: float = Field(8, gt=0, le=24 * 30, description="Dashboard session lifetime.")
    login_link_minutes: int = Field(10, ge=1, le=60, description="A login link's lifetime.")
    quiet_hours: str = Field("21:00-08:00", description="No pushes or reminders then (local time).")
    reminder_after_hours: float = Field(48, gt=0, le=24 * 60)
    max_reminders: int = Field(1, ge=0, le=10)
    retention_months: int = Field(
        12, ge=1, le=120, description="Answers older than this are deleted."
    )
    encryption_key: SecretStr | None = Field(
        None, description="Comma-separated Fernet keys; the first encrypts new free text."
    )

    @field_validator("encryption_key")
    @classmethod
    def _encryption_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().strip():
            return None  # an empty variable means "no key", as if it were unset
        parse_keys(value)  # a bad key stops start-up, before anything is stored
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        if not re.match(r"^(sqlite|postgres|postgresql)(\+\w+)?://", value):
            raise ValueError(
                "must look like sqlite:///path/to/file.db or postgresql://user@host:5432/db"
            )
        return value

    @field_validator("telegram_api_url", "webhook_url", "web_base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^/\s]+", value):
            raise ValueError("must be an http(s) URL")
        return value

    @field_validator("telegram_token")
    @classmethod
    def _token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not re.fullmatch(r"\d+:[\w-]{20,}", value.get_secret_value()):
            raise ValueError("must look like 123456789:AA... as BotFather gives it")
        return value

    @field_validator("secret_key")
    @classmethod
    def _secret_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError("must be at least 32 characters (e.g. `openssl rand -hex 32`)")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not re.fullmatch(
            r"[A-Za-z0-9_-]{1,256}", value.get_secret_value()
        ):
            raise ValueError("must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return value

    @field_validator("quiet_hours")
    @classmethod
    def _quiet(cls, value: str) -> str:
        if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d", value):
            raise ValueError("must look like 21:00-08:00 (HH:MM-HH:MM, local time)")
        return value

    @field_validator("locale")
    @classmethod
    def _locale(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z]{2}", value):
            raise ValueError("must be a two-letter language code such as nl or en")
        return value


def load_settings(**overrides: object) -> Settings:
    """Read settings once; turn validation errors into one readable SettingsError."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            name = "STRAATWIJS_" + "_".join(str(p) for p in error["loc"]).upper()
            message = error["msg"].removeprefix("Value error, ")
            lines.append(f"{name}: {message}")
        raise SettingsError("invalid settings:\n  " + "\n  ".join(lines)) from None
