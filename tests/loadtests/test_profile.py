"""A py-spy profile is boiled down to where the time went, in the project's own code first."""

from __future__ import annotations

from loadtests.profile import summarize

COLLAPSED = """\
run (uvicorn/main.py:1);send_route (server/api/conversations.py:99);execute (asyncpg/connection.py:3) 60
run (uvicorn/main.py:1);send_route (server/api/conversations.py:99);flush (persistence/outbox/rec.py:110) 30
run (uvicorn/main.py:1);select (selectors.py:468) 10
garbage line
"""


def test_own_time_is_the_leaf_frames_share() -> None:
    own = dict(summarize(COLLAPSED)["own"])
    assert own == {
        "execute (asyncpg/connection.py:3)": 60.0,
        "flush (persistence/outbox/rec.py:110)": 30.0,
        "select (selectors.py:468)": 10.0,
    }


def test_inclusive_time_names_only_the_projects_functions() -> None:
    inclusive = summarize(COLLAPSED)["inclusive"]
    assert inclusive == [
        ("send_route (server/api/conversations.py:99)", 90.0),
        ("flush (persistence/outbox/rec.py:110)", 30.0),
    ]


def test_an_empty_profile_has_no_tops() -> None:
    assert summarize("") == {"own": [], "inclusive": []}
