"""Configuration, read from the environment once and passed explicitly."""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

logger = logging.getLogger(__name__)

MIN_SECRET_BYTES = 32
# Where `make web` builds the client (the checkout's frontend/dist).
DEFAULT_WEB_DIST = Path(__file__).resolve().parents[2] / "frontend" / "dist"


REDIS_SCHEMES = ("redis", "rediss")


def is_redis_url(url: str) -> bool:
    """Whether `url` (BROADCAST_URL) names a Redis server."""
    return url.split(":", 1)[0] in REDIS_SCHEMES


RATE = re.compile(r"(?P<count>[0-9]{1,9})/(?P<amount>[0-9]{0,9})(?P<unit>[smh]?)")
UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600}


@dataclass(frozen=True, slots=True)
class Rate:
    """At most `count` requests per `period` seconds, all of them at once if need be."""

    count: int
    period: float

    @classmethod
    def parse(cls, value: object) -> Rate:
        """`"30/m"`, `"10/10s"`, `"5/h"` or `"100/60"` (seconds)."""
        if isinstance(value, Rate):
            return value
        match = RATE.fullmatch(str(value).strip())
        if match is None or not (match["amount"] or match["unit"]):
            msg = f"a rate is <count>/<period>, such as 30/m or 10/10s, not {value!r}"
            raise ValueError(msg)
        amount = int(match["amount"] or 1) * UNIT_SECONDS[match["unit"]]
        if int(match["count"]) < 1 or amount < 1:
            msg = f"a rate needs a count and a period of at least 1, not {value!r}"
            raise ValueError(msg)
        return cls(int(match["count"]), float(amount))

    @property
    def period_us(self) -> int:
        return round(self.period * 1_000_000)

    @property
    def interval_us(self) -> int:
        """Microseconds between requests at the sustained rate.

        Whole microseconds, rounded down, so that `count` of them always fit
        in the period: a burst of exactly `count` is allowed, never one less.
        """
        return self.period_us // self.count

    def __str__(self) -> str:
        return f"{self.count}/{self.period:g}s"


RateSetting = Annotated[Rate, NoDecode, BeforeValidator(Rate.parse)]


def _origins(value: object) -> object:
    # ALLOWED_ORIGINS=https://a.example,https://b.example
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return value


Origins = Annotated[tuple[str, ...], NoDecode, BeforeValidator(_origins)]


class Settings(BaseSettings):
    """Everything Sentichat can be told; see README.md for the table."""

    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, frozen=True)

    database_url: str = "sqlite+aiosqlite:///./sentichat.db"
    broadcast_url: str = "memory://"
    # Prepended to Redis channel names, for deployments sharing one Redis.
    broadcast_prefix: str = Field(default="", max_length=64)
    jwt_secret: str = Field(default="", repr=False)
    jwt_issuer: str = "sentichat"
    jwt_audience: str = "sentichat"
    token_ttl_seconds: int = Field(default=12 * 3600, gt=0)

    # argon2id; OWASP's minimum profile (19 MiB, 2 passes, 1 lane).
    argon2_time_cost: int = Field(default=2, ge=1)
    argon2_memory_kib: int = Field(default=19 * 1024, ge=8)
    argon2_parallelism: int = Field(default=1, ge=1)
    password_hash_concurrency: int = Field(default=2, ge=1)
    # Logins and registrations waiting for a hashing slot; more are refused
    # with RATE_LIMITED rather than queued without bound.
    password_hash_queue: int = Field(default=32, ge=0)

    # Texts longer than this are scored in a worker thread, off the event loop.
    sentiment_inline_max_chars: int = Field(default=280, ge=0)

    message_max_chars: int = Field(default=4000, ge=1)
    history_max_last: int = Field(default=200, ge=1)
    catch_up_page_size: int = Field(default=200, ge=1)
    # Events buffered per subscription; a fuller buffer is dropped and the
    # subscriber catches up from the database.
    subscription_buffer: int = Field(default=2048, ge=1)
    # A subscriber further behind than this when it catches up is ended with
    # SUBSCRIPTION_LAGGED, to resubscribe with afterSeq.
    subscription_max_lag: int = Field(default=20_000, ge=1)

    # The built web client served at /.
    web_dist: Path = DEFAULT_WEB_DIST

    # Production: no introspection, no field suggestions, no GraphiQL (unless
    # GRAPHIQL is set), JSON logs (unless LOG_FORMAT is set).
    production: bool = False
    graphiql: bool | None = None
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] | None = None
    # Browser origins other than the server's own that may call the API (CORS)
    # and open its WebSocket; same-origin pages always may.
    allowed_origins: Origins = ()

    # Request bounds.
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    ws_max_message_bytes: int = Field(default=64 * 1024, ge=1024)
    ws_max_operations: int = Field(default=200, ge=1)
    query_max_depth: int = Field(default=10, ge=2)
    query_max_aliases: int = Field(default=15, ge=0)
    query_max_tokens: int = Field(default=1000, ge=100)

    # Rate limits: <count>/<period>, e.g. 30/m. Shared through Redis when
    # BROADCAST_URL is redis://, per process otherwise.
    rate_login_per_address: RateSetting = Rate(30, 60)
    rate_login_per_username: RateSetting = Rate(10, 300)
    rate_register_per_address: RateSetting = Rate(20, 3600)
    rate_register_per_username: RateSetting = Rate(5, 300)
    rate_send_message_per_user: RateSetting = Rate(60, 60)
    rate_request_chat_per_user: RateSetting = Rate(30, 60)
    rate_pusher_auth_per_user: RateSetting = Rate(300, 60)
    rate_sentiment_preview_per_user: RateSetting = Rate(120, 60)
    rate_mark_read_per_user: RateSetting = Rate(300, 60)
    rate_set_typing_per_user: RateSetting = Rate(120, 60)
    rate_edit_message_per_user: RateSetting = Rate(60, 60)
    rate_delete_message_per_user: RateSetting = Rate(60, 60)
    rate_react_per_user: RateSetting = Rate(120, 60)
    rate_set_share_sentiment_per_user: RateSetting = Rate(30, 60)
    # blockUser and unblockUser together.
    rate_block_user_per_user: RateSetting = Rate(30, 60)
    rate_report_message_per_user: RateSetting = Rate(20, 3600)

    # Live activity. A `typing: true` not renewed within this ends by itself.
    typing_ttl_seconds: float = Field(default=5.0, gt=0, le=60)
    # A process's registration of its users' sockets lasts this long unless
    # renewed (every third of it): a killed process's users go offline within
    # about this plus a fifth.
    presence_ttl_seconds: float = Field(default=25.0, ge=1, le=3600)
    # How often each process reads the suspended accounts from the database,
    # besides hearing each suspension at once through the broadcaster: a
    # missed event, or an unsuspension on `memory://` by the command line
    # (another process), takes effect within this.
    suspension_refresh_seconds: float = Field(default=5.0, gt=0, le=3600)

    apply_migrations: bool | None = None
    db_command_timeout_seconds: float = Field(default=10.0, gt=0)
    db_connect_timeout_seconds: float = Field(default=5.0, gt=0)
    broadcast_timeout_seconds: float = Field(default=5.0, gt=0)

    # Pusher Channels: on when the app id, key and secret are all set.
    pusher_app_id: str | None = Field(default=None, pattern=r"^[0-9]{1,20}$")
    pusher_key: str | None = Field(default=None, pattern=r"^[!-~]{1,128}$")
    pusher_secret: str | None = Field(default=None, repr=False, min_length=1)
    pusher_cluster: str | None = Field(default=None, pattern=r"^[a-z0-9-]{1,32}$")
    pusher_host: str | None = Field(default=None, pattern=r"^[A-Za-z0-9.-]{1,253}$")
    pusher_port: int | None = Field(default=None, ge=1, le=65535)
    pusher_ssl: bool = True
    pusher_timeout_seconds: float = Field(default=5.0, gt=0)
    # Events waiting for Pusher, in all; more are dropped (logged, counted).
    pusher_queue_size: int = Field(default=10_000, ge=1)
    # Concurrent batch requests; a channel's events always share one.
    pusher_workers: int = Field(default=4, ge=1, le=64)
    pusher_batch_size: int = Field(default=10, ge=1, le=10)
    pusher_max_attempts: int = Field(default=5, ge=1, le=20)
    pusher_retry_base_seconds: float = Field(default=0.5, gt=0)
    pusher_retry_max_seconds: float = Field(default=10.0, gt=0)
    # How long a stopping process keeps sending what is queued.
    pusher_drain_seconds: float = Field(default=5.0, ge=0)

    @model_validator(mode="after")
    def _check_secret(self) -> Settings:
        if self.jwt_secret and len(self.jwt_secret.encode()) < MIN_SECRET_BYTES:
            msg = f"JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes (HS256)"
            raise ValueError(msg)
        return self

    @field_validator(
        "pusher_app_id",
        "pusher_key",
        "pusher_secret",
        "pusher_cluster",
        "pusher_host",
        "pusher_port",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        # `PUSHER_KEY=` in an env file means "not set", not "an empty key".
        return None if value == "" else value

    @model_validator(mode="after")
    def _check_pusher(self) -> Settings:
        credentials = (self.pusher_app_id, self.pusher_key, self.pusher_secret)
        if not any(credentials):
            return self
        if not all(credentials):
            msg = "PUSHER_APP_ID, PUSHER_KEY and PUSHER_SECRET are set together"
            raise ValueError(msg)
        if not (self.pusher_cluster or self.pusher_host):
            msg = "Pusher needs PUSHER_CLUSTER, or PUSHER_HOST (with PUSHER_PORT)"
            raise ValueError(msg)
        return self

    @property
    def graphiql_enabled(self) -> bool:
        return not self.production if self.graphiql is None else self.graphiql

    @property
    def json_logs(self) -> bool:
        return self.production if self.log_format is None else self.log_format == "json"

    @property
    def pusher_enabled(self) -> bool:
        return bool(self.pusher_app_id and self.pusher_key and self.pusher_secret)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def migrate_on_start(self) -> bool:
        """Apply migrations at start-up: by default only on the embedded SQLite."""
        return (
            self.is_sqlite if self.apply_migrations is None else self.apply_migrations
        )


@lru_cache
def get_settings() -> Settings:
    """Settings from the environment; a missing JWT_SECRET gets a random one."""
    settings = Settings()
    if settings.jwt_secret:
        return settings
    logger.warning(
        "JWT_SECRET is not set: using a random secret for this process. Tokens "
        "will not survive a restart nor work across processes; set JWT_SECRET."
    )
    return settings.model_copy(update={"jwt_secret": secrets.token_urlsafe(48)})


# Settings that no longer do anything, and why: set, they are reported at
# start rather than silently ignored.
RETIRED = {
    "SENTIMENT_POSITIVE_ABOVE": "the label is the sentiment model's most probable "
    "class now, not a threshold on a score (README, Sentiment)",
    "SENTIMENT_NEGATIVE_BELOW": "the label is the sentiment model's most probable "
    "class now, not a threshold on a score (README, Sentiment)",
}


def retired_settings(environ: Mapping[str, str]) -> dict[str, str]:
    """Retired settings present in `environ`, with why each is gone."""
    present = {name.upper() for name in environ}
    return {name: why for name, why in RETIRED.items() if name in present}
