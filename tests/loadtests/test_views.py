"""A client's live view is a snapshot plus the events after it, and must equal the server's truth."""

from __future__ import annotations

from typing import Any

from loadtests.views import UNKNOWN, AdminView, SenderTruth, SenderView, compare_admin, compare_sender


def conv(cid: int, sender: int | None, status: str) -> dict[str, object]:
    return {"id": cid, "sender_id": sender, "status": status, "needs_reply": status == "needs_reply"}


def test_a_sender_follows_sends_replies_and_reassignments() -> None:
    view = SenderView(7)
    view.load([{"id": 1, "status": "not_started"}, {"id": 2, "status": "not_started"}])
    view.apply("conversation", conv(1, 7, "sent"))
    view.apply("conversation", conv(1, 7, "needs_reply"))
    assert view.green_dots == {1}
    # An admin moves 2 away and gives 3 and 4.
    view.apply("reassigned", {"conversation_ids": [2], "from": 7, "to": 8})
    to_fetch = view.apply("reassigned", {"conversation_ids": [3, 4], "from": None, "to": 7})
    assert to_fetch == [3, 4]
    view.apply("conversation", conv(3, 7, "needs_reply"))
    view.learn(3, "not_started")  # a late fetch never overrides an event
    view.learn(4, "not_started")
    assert view.conversations == {1: "needs_reply", 3: "needs_reply", 4: "not_started"}
    assert view.derived_counts() == {"assigned": 3, "sent": 2, "needs_reply": 2}
    view.apply("sender_stats", {"user_id": 7, "assigned": 3, "sent": 2, "needs_reply": 2})
    view.apply("sender_stats", {"user_id": 9, "assigned": 1, "sent": 1, "needs_reply": 1})
    assert view.stats == {"assigned": 3, "sent": 2, "needs_reply": 2}


def test_a_sender_view_that_matches_the_server_has_no_difference() -> None:
    view = SenderView(7)
    view.load(
        [{"id": 1, "status": "not_started"}, {"id": 2, "status": "needs_reply"}, {"id": 3, "status": "sent"}]
    )
    truth = SenderTruth(
        row={"user_id": 7, "assigned": 3, "sent": 2, "needs_reply": 1},
        not_started=frozenset({1}),
        needs_reply=frozenset({2}),
        replied=frozenset(),
    )
    assert compare_sender("s7", view, truth) == []


def test_a_missed_reply_shows_as_a_missing_green_dot_and_wrong_counts() -> None:
    view = SenderView(7)
    view.load([{"id": 1, "status": "sent"}])
    truth = SenderTruth(
        row={"user_id": 7, "assigned": 1, "sent": 1, "needs_reply": 1},
        not_started=frozenset(),
        needs_reply=frozenset({1}),
        replied=frozenset(),
    )
    problems = compare_sender("s7", view, truth)
    assert any("green dots" in p and "missing [1]" in p for p in problems)
    assert any("overview says" in p for p in problems)


def test_a_conversation_never_loaded_is_reported() -> None:
    view = SenderView(7)
    view.apply("reassigned", {"conversation_ids": [5], "from": None, "to": 7})
    assert view.conversations == {5: UNKNOWN}
    truth = SenderTruth(
        row={"assigned": 1}, not_started=frozenset({5}), needs_reply=frozenset(), replied=frozenset()
    )
    assert any("never loaded" in p for p in compare_sender("s7", view, truth))


OVERVIEW: dict[str, Any] = {
    "total": 10,
    "not_started": 4,
    "needs_reply": 1,
    "senders": [
        {"user_id": None, "assigned": 2, "sent": 0, "needs_reply": 0, "online": False},
        {"user_id": 7, "assigned": 8, "sent": 6, "needs_reply": 1, "online": True},
    ],
}


def test_an_admin_page_kept_live_by_events_equals_a_fresh_overview() -> None:
    view = AdminView()
    view.load({**OVERVIEW, "needs_reply": 0, "senders": [OVERVIEW["senders"][0]]})
    view.apply("stats", {"total": 10, "not_started": 4, "needs_reply": 1})
    view.apply("sender_stats", {"user_id": 7, "assigned": 8, "sent": 6, "needs_reply": 1})
    view.apply("presence", {"user_id": 7, "online": True})
    assert compare_admin("a1", view, OVERVIEW) == []


def test_an_admin_page_that_missed_events_differs() -> None:
    view = AdminView()
    view.load(OVERVIEW)
    view.apply("presence", {"user_id": 7, "online": False})
    view.apply("stats", {"total": 10, "not_started": 3, "needs_reply": 1})
    problems = compare_admin("a1", view, OVERVIEW)
    assert len(problems) == 2
    assert "not_started shows 3" in problems[0]
    assert "online shows False" in problems[1]
