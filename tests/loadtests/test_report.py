"""Figures come out as exact percentiles, a readable summary, a JSON file and two charts."""

from __future__ import annotations

import json
from pathlib import Path

from loadtests.figures import Figures, Latency
from loadtests.report import Goal, Outcome, render_markdown, write_report


def test_hdr_percentiles_of_known_latencies() -> None:
    lat = Latency()
    for ms in range(1, 1001):  # 1 ms .. 1000 ms, one each
        lat.record(ms / 1000)
    s = lat.summary()
    assert s["count"] == 1000
    assert abs(s["p50"] - 500) <= 1
    assert abs(s["p99"] - 990) <= 1
    assert abs(s["max"] - 1000) <= 1
    assert Latency().summary() == {"count": 0}


def figures() -> Figures:
    f = Figures()
    for i in range(100):
        f.record_latency("commit→receipt", 0.002 + i / 10_000, timeline=True)
    f.record_http("POST /api/conversations/{id}/messages", 0.012)
    f.action("initial")
    f.action("inbound")
    f.events["conversation"] += 3
    f.error("http 409 opted_out POST /api/conversations/{id}/messages")
    f.connected()
    return f


def outcome(failures: list[str]) -> Outcome:
    return Outcome(
        scenario="shift",
        run_name="test",
        command="python -m loadtests shift --senders 3",
        config={"senders": 3},
        figures=figures().to_json(10.0),
        failures=failures,
        checks={"views_checked": 4},
        goals=[Goal("p99 delivery latency", "< 250 ms", "11.9 ms", True)],
    )


def test_the_summary_shows_verdict_command_goals_latency_and_errors() -> None:
    text = render_markdown(outcome([]))
    assert "PASSED" in text
    assert "python -m loadtests shift --senders 3" in text
    assert "| p99 delivery latency | < 250 ms | 11.9 ms | yes |" in text
    assert "| commit→receipt | 100 |" in text
    assert "POST /api/conversations/{id}/messages" in text
    assert "http 409 opted_out" in text
    assert "actions: 2 (0.2/s)" in text


def test_a_failed_run_lists_its_failures() -> None:
    text = render_markdown(outcome(["gap on campaign:1 at seq 7 (expected 6)"]))
    assert "FAILED" in text
    assert "- gap on campaign:1 at seq 7 (expected 6)" in text


def test_the_report_files_are_written(tmp_path: Path) -> None:
    paths = write_report(outcome([]), tmp_path / "run")
    names = sorted(p.name for p in paths)
    assert names == ["figures.json", "latency_distribution.png", "latency_over_time.png", "summary.md"]
    data = json.loads((tmp_path / "run" / "figures.json").read_text())
    assert data["passed"] is True
    assert data["figures"]["latency_ms"]["commit→receipt"]["count"] == 100
    for png in ("latency_over_time.png", "latency_distribution.png"):
        assert (tmp_path / "run" / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
