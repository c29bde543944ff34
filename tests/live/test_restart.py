"""The embedded server restarts after a crash: senders it left online are reported offline."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from server.app import create_app
from server.settings import Settings
from tests.support.worlds.team import make_team


def test_a_restarted_single_process_reports_its_lost_senders_offline(
    client: TestClient, settings: Settings, backend: str
) -> None:
    if backend != "sqlite":
        pytest.skip("with Redis, instances that die are expired by the others (see test_outages)")
    team = make_team(client, settings.database_url)
    svc = client.app.state.services  # type: ignore[attr-defined]

    async def crash_with_sam_online() -> None:
        from persistence.outbox.record import emit

        async with svc.db.transaction() as session:  # what a process leaves behind when it is killed
            emit(session, team.campaign, "presence", {"user_id": team.sam.user_id, "online": True})

    client.portal.call(crash_with_sam_online)  # type: ignore[union-attr]
    with (
        TestClient(create_app(settings)) as again,
        again.websocket_connect(f"/ws?token={team.owner.token}") as ws,
    ):
        ws.send_json({"type": "subscribe", "channel": team.campaign, "since": 0})
        frames: list[dict[str, Any]] = []
        while not frames or frames[-1].get("data") != {"user_id": team.sam.user_id, "online": False}:
            frames.append(ws.receive_json())
        presence = [f["data"]["online"] for f in frames if f.get("kind") == "presence"]
        assert presence == [True, False]
