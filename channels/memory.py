"""The in-process broker: the embedded default, for one server process."""

from __future__ import annotations

from .base import Broker

__all__ = ["MemoryBroker"]


class MemoryBroker(Broker):
    """Delivers published messages to this process's subscriptions, at once."""

    @property
    def healthy(self) -> bool:
        return True

    async def publish(self, channel: str, payload: bytes) -> None:
        self._dispatch(channel, payload)

    async def _listen(self, channels: list[str]) -> None:
        return None

    async def _unlisten(self, channel: str) -> None:
        return None
