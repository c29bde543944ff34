"""shiftline's server: the HTTP API, the live WebSocket hub, auth, settings and the CLI."""

from __future__ import annotations

from .app import create_app
from .settings import Settings

__all__ = ["Settings", "create_app"]
