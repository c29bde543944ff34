"""Figures come out as exact percentiles, a readable summary, a JSON file and two charts."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from loadtests.figures import Figures, Latency
from loadtests.report import Goal, Outcome, render_markdown, write_report
from loadtests.shift import SOAK_DRIFT, soak_drift


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


def a_run_of(minutes: int, latency_at: Callable[[int], float]) -> dict[str, Any]:
    """A run's figures with one delivery a second whose latency depends on the second."""
    f = Figures()
    for second in range(minutes * 60):
        f.started = time.monotonic() - second  # as if ``second`` seconds of the run had passed
        f.record_latency("commit→receipt", latency_at(second), timeline=True)
    return f.to_json(minutes * 60 + 30)


def test_a_soak_compares_its_last_five_minutes_with_its_first() -> None:
    flat = a_run_of(12, lambda s: 0.020 + (s % 100) / 10_000)
    assert [w["from_second"] for w in flat["latency_windows_ms"]] == [0, 300]  # minutes 10-12 are not whole
    drift = soak_drift(flat["latency_windows_ms"])
    assert drift is not None and abs(drift - 1.0) < 0.01

    creeping = a_run_of(10, lambda s: 0.020 + s / 1000)  # a millisecond more every second
    drift = soak_drift(creeping["latency_windows_ms"])
    assert drift is not None and drift > SOAK_DRIFT
    text = render_markdown(Outcome("shift", "soak", "python -m loadtests shift --duration 600", {}, creeping))
    assert "| minutes 0-5 | 300 |" in text and "| minutes 5-10 | 300 |" in text


def test_a_short_run_has_no_soak_figure() -> None:
    short = a_run_of(4, lambda s: 0.020)
    assert short["latency_windows_ms"] == []
    assert soak_drift(short["latency_windows_ms"]) is None
