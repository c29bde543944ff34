"""A simulated admin's first screen: a snapshot that events in flight may have overtaken."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import pytest

from loadtests import admin as admin_module
from loadtests.actions import ActionLog
from loadtests.admin import SimAdmin
from loadtests.config import parse_args
from loadtests.figures import Figures
from loadtests.provision import Person, World
from loadtests.simulated import Shared


def _admin() -> SimAdmin:
    owner = Person(1, "owner@example.org", "token", "Olive", "owner")
    world = World(["http://127.0.0.1:1"], 7, "+15005550006", "webhook", owner, [owner], [])
    figures = Figures()
    shared = Shared(world, parse_args(["shift"]), None, figures, ActionLog(figures))  # type: ignore[arg-type]
    return SimAdmin(0, owner, shared, random.Random(1))


async def test_an_event_that_arrives_while_the_snapshot_is_in_flight_is_not_undone_by_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    admin = _admin()
    snapshot_read = asyncio.Event()

    async def overview(*_args: Any) -> dict[str, Any]:
        # The server read who is online before Sam connected...
        body: dict[str, Any] = {"total": 1, "not_started": 1, "needs_reply": 0}
        body["senders"] = [{"user_id": 5, "online": False, "assigned": 1, "sent": 0, "needs_reply": 0}]
        snapshot_read.set()
        await asyncio.sleep(0.01)
        return body

    monkeypatch.setattr(admin_module, "overview", overview)
    loading = asyncio.create_task(admin.load())
    await snapshot_read.wait()
    # ...and Sam's "online" arrives before the snapshot's answer does.
    admin._on_event("campaign:7", 3, "presence", {"user_id": 5, "online": True}, 0.0)
    await loading
    assert admin.view.online[5] is True
