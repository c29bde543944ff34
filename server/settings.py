"""Settings, read once from the environment.

With nothing set, shiftline runs embedded: SQLite in ``./data`` and the
in-process broker. ``DATABASE_URL`` and ``REDIS_URL`` switch to PostgreSQL
and Redis for any number of instances.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from presence.timing import DEFAULT_TTL

__all__ = ["Settings"]


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, got {raw!r}") from None


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number, got {raw!r}") from None


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Every tunable of a server process; see the README's settings table."""

    database_url: str
    redis_url: str | None = None
    data_dir: Path = Path("data")
    secret_key: str | None = None
    token_ttl_seconds: int = 12 * 3600
    event_retention_hours: int = 24
    # Prefix of Redis keys and pub/sub channels, so several deployments (or
    # test runs) can share one Redis.
    redis_prefix: str = "shiftline"
    instance_id: str = field(default_factory=lambda: secrets.token_hex(4))
    auto_migrate: bool | None = None  # None: migrate on start for SQLite only
    # Live hub (docs/live.md): frames queued for a slow client before it is
    # closed with 4008; seconds a dead instance's users stay online; server
    # ping interval (the idle timeout is the same); largest client frame;
    # channels per connection.
    live_queue_limit: int = 1000
    presence_ttl_seconds: int = int(DEFAULT_TTL)
    ws_ping_interval: int = 20
    ws_max_message_bytes: int = 64 * 1024
    live_max_subscriptions: int = 100
    demo: bool = False
    # Texting (docs/texting.md): where Twilio's REST API is; the URL the
    # provider reaches this server at (its webhooks are signed over it);
    # how long an instance holds a claimed text before another may take it;
    # the first wait after a throttled try; how often idle instances look at
    # the queue; the simulator's delivery receipts.
    twilio_api_url: str = "https://api.twilio.com"
    public_url: str | None = None
    send_lease_seconds: float = 30.0
    send_backoff_seconds: float = 1.0
    send_poll_seconds: float = 0.5
    simulator_receipt_seconds: float = 1.0
    simulator_failure_share: float = 0.0
    # Practice campaigns (docs/texting-rules.md): the share of texts a simulated
    # contact answers, the share of answers that are STOP, the mean delay.
    practice_answer_share: float = 0.5
    practice_stop_share: float = 0.1
    practice_delay_seconds: float = 4.0
    # Seconds between the automatic rebalance's checks (docs/sweeping.md).
    auto_rebalance_interval_seconds: float = 30.0
    # MMS media (docs/media.md): kept in the database unless a bucket of an
    # S3-compatible store is named; its endpoint (None: AWS), region and keys
    # (None: boto3's usual sources, e.g. AWS_ACCESS_KEY_ID or an instance role).
    media_s3_bucket: str | None = None
    media_s3_url: str | None = None
    media_s3_region: str = "us-east-1"
    media_s3_access_key: str | None = None
    media_s3_secret_key: str | None = field(default=None, repr=False)

    @property
    def embedded(self) -> bool:
        return self.redis_url is None and self.database_url.startswith("sqlite")

    @property
    def migrate_on_start(self) -> bool:
        if self.auto_migrate is not None:
            return self.auto_migrate
        return self.database_url.startswith("sqlite")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        env = os.environ if env is None else env
        data_dir = Path(env.get("SHIFTLINE_DATA_DIR") or "data")
        database_url = env.get("DATABASE_URL") or f"sqlite:///{data_dir / 'shiftline.db'}"
        auto = env.get("SHIFTLINE_AUTO_MIGRATE")
        values: dict[str, object] = {
            "database_url": database_url,
            "redis_url": env.get("REDIS_URL") or None,
            "data_dir": data_dir,
            "secret_key": env.get("SHIFTLINE_SECRET_KEY") or None,
            "token_ttl_seconds": _int(env, "SHIFTLINE_TOKEN_TTL", 12 * 3600),
            "event_retention_hours": _int(env, "SHIFTLINE_EVENT_RETENTION_HOURS", 24),
            "redis_prefix": env.get("SHIFTLINE_REDIS_PREFIX") or "shiftline",
            "auto_migrate": None if auto in (None, "") else auto.lower() in ("1", "true", "yes"),
            "live_queue_limit": _int(env, "SHIFTLINE_LIVE_QUEUE_LIMIT", 1000),
            "presence_ttl_seconds": _int(env, "SHIFTLINE_PRESENCE_TTL", int(DEFAULT_TTL)),
            "ws_ping_interval": _int(env, "SHIFTLINE_WS_PING_INTERVAL", 20),
            "ws_max_message_bytes": _int(env, "SHIFTLINE_WS_MAX_MESSAGE_BYTES", 64 * 1024),
            "live_max_subscriptions": _int(env, "SHIFTLINE_LIVE_MAX_SUBSCRIPTIONS", 100),
            "twilio_api_url": (env.get("SHIFTLINE_TWILIO_API_URL") or "https://api.twilio.com").rstrip("/"),
            "public_url": (env.get("SHIFTLINE_PUBLIC_URL") or "").rstrip("/") or None,
            "send_lease_seconds": _float(env, "SHIFTLINE_SEND_LEASE_SECONDS", 30.0),
            "send_backoff_seconds": _float(env, "SHIFTLINE_SEND_BACKOFF_SECONDS", 1.0),
            "send_poll_seconds": _float(env, "SHIFTLINE_SEND_POLL_SECONDS", 0.5),
            "simulator_receipt_seconds": _float(env, "SHIFTLINE_SIMULATOR_RECEIPT_SECONDS", 1.0),
            "simulator_failure_share": _float(env, "SHIFTLINE_SIMULATOR_FAILURE_SHARE", 0.0),
            "auto_rebalance_interval_seconds": _float(env, "SHIFTLINE_AUTO_REBALANCE_SECONDS", 30.0),
            "media_s3_bucket": env.get("SHIFTLINE_MEDIA_S3_BUCKET") or None,
            "media_s3_url": env.get("SHIFTLINE_MEDIA_S3_URL") or None,
            "media_s3_region": env.get("SHIFTLINE_MEDIA_S3_REGION") or "us-east-1",
            "media_s3_access_key": env.get("SHIFTLINE_MEDIA_S3_ACCESS_KEY") or None,
            "media_s3_secret_key": env.get("SHIFTLINE_MEDIA_S3_SECRET_KEY") or None,
        }
        if env.get("SHIFTLINE_INSTANCE_ID"):
            values["instance_id"] = env["SHIFTLINE_INSTANCE_ID"]
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]
