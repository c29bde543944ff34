"""What every simulated person of a run has: the run's shared parts and one live connection."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from .actions import ActionLog
from .api import Api
from .config import Config
from .figures import Figures
from .live import LiveClient
from .provision import Person, World

__all__ = ["Shared", "Simulated"]


@dataclass(frozen=True, slots=True)
class Shared:
    """The parts of a run all its simulated people share."""

    world: World
    cfg: Config
    api: Api
    figures: Figures
    actions: ActionLog


class Simulated:
    """A person with one tab open: subscribed to ``channel``, events to :meth:`_on_event`."""

    def __init__(
        self, role: str, index: int, person: Person, shared: Shared, channel: str, rng: random.Random
    ) -> None:
        self.person = person
        self._world = shared.world
        self._cfg = shared.cfg
        self._api = shared.api
        self._figures = shared.figures
        self._actions = shared.actions
        self._rng = rng
        self.live = LiveClient(
            f"{role} {person.user_id}",
            shared.world.urls,
            person.token,
            [channel],
            shared.figures,
            self._on_event,
            wire=shared.cfg.wire,
            first=index,
        )

    def _on_event(self, channel: str, seq: int, kind: str, data: dict[str, Any], received: float) -> None:
        raise NotImplementedError
