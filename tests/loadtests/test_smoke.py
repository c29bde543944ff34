"""One short shift against the embedded default, end to end, as a user would start it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_a_short_shift_passes_every_check_and_writes_its_report(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "loadtests",
            "shift",
            "--senders",
            "3",
            "--admins",
            "1",
            "--contacts-per-sender",
            "8",
            "--duration",
            "8",
            "--pace",
            "0.4",
            "--reply-delay",
            "1",
            "--answer-delay",
            "0.5",
            "--results",
            str(tmp_path),
            "--run-name",
            "smoke",
        ],
        capture_output=True,
        text=True,
        timeout=170,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    run = tmp_path / "smoke"
    data = json.loads((run / "figures.json").read_text())
    assert data["passed"] is True
    figures = data["figures"]
    # The shift really happened: texts went out, contacts answered, events arrived on every client.
    assert figures["actions"].get("initial", 0) > 0
    assert figures["actions"].get("inbound", 0) + figures["actions"].get("stop", 0) > 0
    assert figures["actions"].get("bulk_reassign") == 3
    assert figures["connections"]["peak"] == 4
    assert data["checks"]["view_mismatches"] == 0
    assert data["checks"]["seq_anomalies"] == 0
    assert figures["latency_ms"]["commit→receipt"]["count"] > 0
    assert (run / "summary.md").read_text().startswith("# Load test `shift`")
    assert (run / "latency_over_time.png").stat().st_size > 0
