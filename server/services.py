"""The long-lived objects of one server process, built by ``create_app``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.requests import HTTPConnection

from persistence.store.database import Database

from .settings import Settings

__all__ = ["Services", "services"]


@dataclass
class Services:
    settings: Settings
    db: Database
    secret: str = ""
    # Set by the live hub at start-up (broker, presence tracker, hub).
    extras: dict[str, Any] = field(default_factory=dict)


def services(conn: HTTPConnection) -> Services:
    """The process's services, from a request or a WebSocket."""
    svc: Services = conn.app.state.services
    return svc
