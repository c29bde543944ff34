"""A simulated admin: the Conversations Overview open all shift, live, and polled now and then."""

from __future__ import annotations

import asyncio
import random
from typing import Any

from .api import Api, ApiFailure
from .provision import Person
from .simulated import Shared, Simulated
from .views import AdminView

__all__ = ["SimAdmin", "overview"]


async def overview(api: Api, base: str, token: str, campaign_id: int) -> dict[str, Any]:
    body: dict[str, Any] = await api.call(
        "GET", f"{base}/api/campaigns/{campaign_id}/overview", "/api/campaigns/{cid}/overview", token=token
    )
    return body


class SimAdmin(Simulated):
    def __init__(self, index: int, person: Person, shared: Shared, rng: random.Random) -> None:
        super().__init__("admin", index, person, shared, f"campaign:{shared.world.campaign_id}", rng)
        self.view = AdminView()
        self._during_load: list[tuple[str, dict[str, Any]]] | None = None

    def _on_event(self, channel: str, seq: int, kind: str, data: dict[str, Any], received: float) -> None:
        self.view.apply(kind, data)
        if self._during_load is not None:
            self._during_load.append((kind, data))
        if kind == "conversation":
            self._actions.observe(int(data["id"]), str(data.get("status")), received, "admin")

    async def load(self) -> None:
        """The page's first render, after subscribing (later events bring it up to date).

        The snapshot may predate events that arrived while it was in flight,
        so those are applied again after it; any change newer than the
        snapshot arrives as a later event. (The page gets the same result by
        taking another snapshot.)
        """
        self._during_load = []
        try:
            body = await overview(
                self._api, self._world.url(self._rng), self.person.token, self._world.campaign_id
            )
        finally:
            replay, self._during_load = self._during_load, None
        self.view.load(body)
        for kind, data in replay:
            self.view.apply(kind, data)

    async def work(self, stop: asyncio.Event) -> None:
        """Poll the overview until ``stop`` (a table refresh; the live view is untouched). Cancel-safe."""
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), self._rng.uniform(0.5, 1.5) * self._cfg.poll)
                return
            except TimeoutError:
                pass
            try:
                await overview(
                    self._api, self._world.url(self._rng), self.person.token, self._world.campaign_id
                )
            except ApiFailure:
                continue
