"""The live hub: the WebSocket endpoint, event fan-out, presence and metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.routing import BaseRoute

from ..services import Services

__all__ = ["routes", "running"]

routes: list[BaseRoute] = []


@asynccontextmanager
async def running(svc: Services) -> AsyncIterator[None]:
    """Start the broker, presence and relay for the app's lifetime; stop them after."""
    yield
