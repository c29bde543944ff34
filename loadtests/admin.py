"""A simulated admin: the Conversations Overview open all shift, live, and polled now and then."""

from __future__ import annotations

import asyncio
import random
from typing import Any

from .actions import ActionLog
from .api import Api, ApiFailure
from .config import Config
from .figures import Figures
from .live import LiveClient
from .provision import Person, World
from .views import AdminView

__all__ = ["SimAdmin", "overview"]


async def overview(api: Api, base: str, token: str, campaign_id: int) -> dict[str, Any]:
    body: dict[str, Any] = await api.call(
        "GET", f"{base}/api/campaigns/{campaign_id}/overview", "/api/campaigns/{cid}/overview", token=token
    )
    return body


class SimAdmin:
    def __init__(
        self,
        index: int,
        person: Person,
        world: World,
        cfg: Config,
        api: Api,
        figures: Figures,
        actions: ActionLog,
        rng: random.Random,
    ) -> None:
        self.person = person
        self._world = world
        self._cfg = cfg
        self._api = api
        self._actions = actions
        self._rng = rng
        self.view = AdminView()
        self.live = LiveClient(
            f"admin {person.user_id}",
            world.urls,
            person.token,
            [f"campaign:{world.campaign_id}"],
            figures,
            self._on_event,
            wire=cfg.wire,
            first=index,
        )

    def _on_event(self, channel: str, seq: int, kind: str, data: dict[str, Any], received: float) -> None:
        self.view.apply(kind, data)
        if kind == "conversation":
            self._actions.observe(int(data["id"]), str(data.get("status")), received, "admin")

    async def load(self) -> None:
        """The page's first render, after subscribing (later events bring it up to date)."""
        self.view.load(
            await overview(self._api, self._world.url(self._rng), self.person.token, self._world.campaign_id)
        )

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
