"""A simulated page times each message once, by the event that shows it was committed."""

from __future__ import annotations

import time
from typing import Any

from loadtests.figures import Figures
from loadtests.live import LATENCY, LiveClient


def message_event(seq: int, message_id: int, status: str, created: float) -> dict[str, Any]:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(created)) + f".{int(created % 1 * 1e6):06d}+00:00"
    message = {"id": message_id, "delivery_status": status, "created_at": stamp}
    return {
        "type": "event",
        "channel": "campaign:1",
        "seq": seq,
        "kind": "message",
        "data": {"message": message},
    }


def test_a_message_is_timed_by_its_first_event_not_by_its_later_delivery_statuses() -> None:
    figures = Figures()
    page = LiveClient("admin", ["http://127.0.0.1:1"], "t", ["campaign:1"], figures, lambda *_: None)
    page.checker.subscribed("campaign:1", 0)
    now = time.time()
    page._handle(message_event(1, 7, "queued", now - 0.050), now)  # committed 50 ms ago
    page._handle(message_event(2, 7, "sent", now - 0.050), now + 2)  # the provider took it
    page._handle(message_event(3, 7, "delivered", now - 0.050), now + 9)
    # A message whose first event this page never saw is not timed by a late status either.
    page._handle(message_event(4, 8, "delivered", now - 30), now)
    page._handle(message_event(5, 9, "received", now - 0.020), now)  # a contact's text
    latency = figures.latency[LATENCY].summary()
    assert latency["count"] == 2
    assert 19 <= latency["p50"] <= 51 and latency["max"] < 60
