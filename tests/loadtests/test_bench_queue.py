"""The send-queue benchmark, run tiny so it cannot rot: two instances, the fake Twilio, real figures."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from loadtests.bench_queue import busiest_second, mean_rate, percentile
from tests.support.services import REDIS_URL


def test_the_figures_count_windows_rates_and_ranks() -> None:
    assert busiest_second([0.0, 0.5, 0.99, 1.0, 1.5]) == 3
    assert busiest_second([0.0, 1.0, 2.0]) == 1
    assert busiest_second([]) == 0
    assert mean_rate([10.0, 10.5, 11.0, 11.5, 12.0]) == 2.0
    assert mean_rate([3.0]) == 0.0
    values = [float(n) for n in range(1, 101)]
    assert (percentile(values, 50), percentile(values, 99), percentile(values, 100)) == (50.0, 99.0, 100.0)
    assert percentile([7.0], 99) == 7.0


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_a_tiny_run_paces_two_instances_and_reports_its_figures(
    postgres_database: str, tmp_path: Path
) -> None:
    figures_path = tmp_path / "figures.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "loadtests.bench_queue",
            "--database-url",
            postgres_database,
            "--redis-url",
            REDIS_URL,
            "--texts",
            "50",
            "--rate",
            "20",
            "--samples",
            "5",
            "--json",
            str(figures_path),
        ],
        capture_output=True,
        text=True,
        timeout=110,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    assert "| most in any one-second window | " in done.stdout
    figures = json.loads(figures_path.read_text())
    assert figures["texts"] == 50 and figures["duplicates"] == 0
    # Both instances together keep to the setting, and the queue does not crawl.
    assert 0 < figures["busiest_second"] <= 20
    assert 10 <= figures["mean_rate"] <= 20
    assert figures["cpu_ms_per_text"] > 0 and figures["queue_seconds"] > 0
    assert 0 <= figures["drain_texts"] <= 50
    assert 0 < figures["latency_p50_ms"] <= figures["latency_p99_ms"] < 5000


def test_the_benchmark_refuses_a_database_that_is_not_postgresql() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "loadtests.bench_queue", "--database-url", "sqlite:///x.db"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2 and "must be a postgresql:// URL" in done.stderr
