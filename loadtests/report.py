"""The end of a run: a Markdown summary, a JSON file of all figures, PNG charts.

Rendering is pure (:func:`render_markdown` takes the outcome, returns text);
:func:`write_report` writes the files into the run's results folder.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Goal", "Outcome", "render_markdown", "write_report"]


@dataclass(frozen=True, slots=True)
class Goal:
    """A stated goal next to the measured value."""

    name: str
    target: str
    value: str
    met: bool


@dataclass
class Outcome:
    scenario: str
    run_name: str
    command: str
    config: dict[str, Any]
    figures: dict[str, Any]
    failures: list[str] = field(default_factory=list)
    checks: dict[str, Any] = field(default_factory=dict)
    goals: list[Goal] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures

    def to_json(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "run": self.run_name,
            "command": self.command,
            "passed": self.passed,
            "failures": self.failures,
            "checks": self.checks,
            "goals": [
                {"name": g.name, "target": g.target, "value": g.value, "met": g.met} for g in self.goals
            ],
            "config": self.config,
            "figures": self.figures,
        }


def _ms(value: Any) -> str:
    return "-" if value is None else f"{float(value):,.1f}"


def _latency_table(rows: dict[str, dict[str, float]], title: str) -> list[str]:
    if not rows:
        return []
    lines = [
        f"| {title} | count | p50 ms | p95 ms | p99 ms | max ms |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, s in rows.items():
        lines.append(
            f"| {name} | {int(s.get('count', 0)):,} | {_ms(s.get('p50'))} | {_ms(s.get('p95'))} "
            f"| {_ms(s.get('p99'))} | {_ms(s.get('max'))} |"
        )
    return [*lines, ""]


def render_markdown(outcome: Outcome) -> str:
    """The run's summary as Markdown: verdict, goals, figures, failures."""
    f = outcome.figures
    verdict = "PASSED" if outcome.passed else "FAILED"
    out = [
        f"# Load test `{outcome.scenario}` — run {outcome.run_name}: {verdict}",
        "",
        "```",
        outcome.command,
        "```",
        "",
    ]
    if outcome.goals:
        out += ["| goal | target | measured | met |", "|---|---|---|---|"]
        out += [f"| {g.name} | {g.target} | {g.value} | {'yes' if g.met else 'NO'} |" for g in outcome.goals]
        out.append("")
    conns = f.get("connections", {})
    actions = f.get("actions", {})
    out += [
        f"- measured phase: {f.get('elapsed_seconds', 0):.1f} s",
        f"- connections held: peak {conns.get('peak', 0):,}, at end {conns.get('at_end', 0):,}, "
        f"reconnects {conns.get('reconnects', 0):,}",
        f"- actions: {sum(actions.values()):,} ({f.get('actions_per_second', 0):,.1f}/s) — "
        + ", ".join(f"{k} {v:,}" for k, v in sorted(actions.items())),
        f"- events received: {sum(f.get('events_received', {}).values()):,} — "
        + ", ".join(f"{k} {v:,}" for k, v in sorted(f.get("events_received", {}).items())),
        "",
    ]
    out += _latency_table(f.get("latency_ms", {}), "delivery latency")
    windows = f.get("latency_windows_ms", [])
    if len(windows) > 1:
        out += _latency_table(
            {f"minutes {w['from_second'] // 60}-{w['from_second'] // 60 + 5}": w for w in windows},
            "delivery latency by five minutes",
        )
    out += _latency_table(f.get("http_ms", {}), "HTTP endpoint, during the run")
    out += _latency_table(f.get("http_setup_ms", {}), "HTTP endpoint, set-up")
    procs = f.get("processes", [])
    if procs:
        out += ["| process | CPU s | CPU % mean | CPU % max | peak RSS MB |", "|---|---:|---:|---:|---:|"]
        out += [
            f"| {p['name']} (pid {p['pid']}) | {p['cpu_seconds']:,.1f} | {p['cpu_percent_mean']:.0f} "
            f"| {p['cpu_percent_max']:.0f} | {p['peak_rss_mb']:,.0f} |"
            for p in procs
        ]
        out.append("")
    machine = f.get("machine_cpu_percent_mean")
    if machine is not None:
        out += [f"Machine CPU, every process on the host (shared): mean {machine:.0f} % of all cores.", ""]
    notes = dict(f.get("notes", {}))
    pg = notes.pop("postgres_activity", None)
    if isinstance(pg, dict) and pg.get("samples"):
        out += [
            f"PostgreSQL sessions of this run, mean count per sample ({pg['samples']:,} samples):",
            "",
            "| state / wait | sessions |",
            "|---|---:|",
        ]
        out += [f"| {k} | {v:.2f} |" for k, v in pg.get("mean_sessions", {}).items()]
        out.append("")
        for query, v in pg.get("lock_waits_by_query", {}).items():
            out.append(f"- waiting on a lock ({v:.2f}): `{query}`")
        out.append("")
    profile = notes.pop("profile", None)
    if isinstance(profile, dict):
        for name, tops in profile.items():
            out += [f"Profile of {name} (py-spy, share of samples):", ""]
            out += ["| own time | % | including callees | % |", "|---|---:|---|---:|"]
            own, inc = tops.get("own", [])[:10], tops.get("inclusive", [])[:10]
            for i in range(max(len(own), len(inc))):
                a = own[i] if i < len(own) else ("", "")
                b = inc[i] if i < len(inc) else ("", "")
                out.append(f"| `{a[0]}` | {a[1]} | `{b[0]}` | {b[1]} |")
            out.append("")
    if notes:
        out += ["Notes: " + "; ".join(f"{k}: {v}" for k, v in notes.items()), ""]
    errors = f.get("errors", {})
    out.append("Errors by kind: " + (", ".join(f"{k}: {v:,}" for k, v in sorted(errors.items())) or "none"))
    out.append("")
    if outcome.checks:
        out.append("Checks: " + ", ".join(f"{k} {v}" for k, v in outcome.checks.items()))
        out.append("")
    if outcome.failures:
        out.append(f"## Failures ({len(outcome.failures)})")
        out.append("")
        out += [f"- {line}" for line in outcome.failures[:50]]
        if len(outcome.failures) > 50:
            out.append(f"- … and {len(outcome.failures) - 50} more (see figures.json)")
        out.append("")
    out += ["Charts: `latency_over_time.png`, `latency_distribution.png`.", ""]
    return "\n".join(out)


def _charts(figures: dict[str, Any], directory: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written: list[Path] = []
    timeline = figures.get("latency_timeline_ms", [])
    fig, ax = plt.subplots(figsize=(9, 4.5))
    if timeline:
        seconds = [row["second"] for row in timeline]
        for key in ("p50", "p99", "max"):
            ax.plot(seconds, [row.get(key, 0) for row in timeline], label=key)
        ax.set_yscale("log")
        ax2 = ax.twinx()
        acts = figures.get("actions_timeline", [])
        ax2.bar([a["second"] for a in acts], [a["actions"] for a in acts], alpha=0.15, color="grey")
        ax2.set_ylabel("actions per second")
    ax.set_xlabel("seconds into the run")
    ax.set_ylabel("delivery latency (ms)")
    ax.set_title("Delivery latency over time")
    ax.legend(loc="upper left")
    path = directory / "latency_over_time.png"
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    written.append(path)

    fig, ax = plt.subplots(figsize=(9, 4.5))
    for name, points in figures.get("latency_distribution_ms", {}).items():
        if points:
            # x: 1/(1-p) so the tail spreads out, as HDR percentile plots do.
            xs = [1.0 / (1.0 - min(p, 99.999) / 100.0) for p, _ in points]
            ax.plot(xs, [v for _, v in points], marker="o", label=name)
            ax.set_xscale("log")
            ticks = [p for p, _ in points if p in (50.0, 90.0, 99.0, 99.9, 99.99)]
            ax.set_xticks([1.0 / (1.0 - p / 100.0) for p in ticks], [f"{p:g}%" for p in ticks])
    ax.set_xlabel("percentile")
    ax.set_ylabel("latency (ms)")
    ax.set_title("Latency distribution")
    ax.legend(loc="upper left")
    path = directory / "latency_distribution.png"
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    written.append(path)
    return written


def write_report(outcome: Outcome, directory: Path) -> list[Path]:
    """Write ``summary.md``, ``figures.json`` and the charts; return their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    summary = directory / "summary.md"
    summary.write_text(render_markdown(outcome))
    data = directory / "figures.json"
    data.write_text(json.dumps(outcome.to_json(), indent=2, default=str))
    return [summary, data, *_charts(outcome.figures, directory)]
