"""CPU and memory of the processes a run depends on, sampled about once a second.

Each watched entry is a group: one server instance, the harness itself, this
run's PostgreSQL backends (found by the run's database name in their process
title), or the shared Redis server. CPU is counted from when watching began,
so set-up does not inflate the shift's figures. The machine's overall CPU is
kept too: it is shared, and a busy neighbour shows there.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Callable

import psutil

from .figures import Figures, ProcessFigures
from .servers import Cluster, Instance

__all__ = ["Finder", "ProcessWatcher", "by_title", "watch_cluster"]

Finder = Callable[[], list[psutil.Process]]


def by_title(name: str, needle: str) -> Finder:
    """Processes called ``name`` whose command line contains ``needle``."""

    def find() -> list[psutil.Process]:
        found = []
        for proc in psutil.process_iter(["name", "cmdline"]):
            with contextlib.suppress(psutil.Error):
                if proc.info["name"] == name and needle in " ".join(proc.info["cmdline"] or ()):
                    found.append(proc)
        return found

    return find


class ProcessWatcher:
    def __init__(
        self,
        figures: Figures,
        pids: dict[str, int],
        finders: dict[str, Finder] | None = None,
        instances: dict[str, Finder] | None = None,
    ) -> None:
        self._figures = figures
        self._groups: dict[str, dict[int, psutil.Process]] = {}
        self._finders = dict(finders or {})
        self._spent: dict[str, dict[int, float]] = {}  # group -> pid -> CPU seconds spent while watched
        self._base: dict[int, float] = {}
        self._ticks = 0
        self._instances = dict(instances or {})
        psutil.cpu_percent(None)
        for name, pid in pids.items():
            with contextlib.suppress(psutil.Error):
                self._add(name, psutil.Process(pid))
        for name, find in [*self._finders.items(), *self._instances.items()]:
            for proc in find():
                self._add(name, proc)

    def _add(self, group: str, proc: psutil.Process) -> None:
        members = self._groups.setdefault(group, {})
        if proc.pid in members:
            return
        with contextlib.suppress(psutil.Error):
            proc.cpu_percent(None)
            times = proc.cpu_times()
            self._base[proc.pid] = times.user + times.system
            members[proc.pid] = proc
            if group not in self._figures.processes:
                self._figures.processes[group] = ProcessFigures(group, proc.pid)

    def sample(self) -> None:
        t = round(self._figures.now(), 1)
        self._ticks += 1
        # Scanning every process's command line is costly: look for new ones now and then.
        if self._ticks % 30 == 0:
            for name, find in self._finders.items():
                for proc in find():
                    self._add(name, proc)
        for name, find in self._instances.items():
            for proc in find():
                self._add(name, proc)
        for group, members in self._groups.items():
            spent = self._spent.setdefault(group, {})
            cpu_total = rss_total = 0.0
            for pid, proc in list(members.items()):
                try:
                    with proc.oneshot():
                        cpu_total += proc.cpu_percent(None)
                        times = proc.cpu_times()
                        mem = proc.memory_info()
                        # PostgreSQL backends share their buffer pool: count each one's own pages only.
                        own = mem.rss - getattr(mem, "shared", 0) if len(members) > 1 else mem.rss
                        rss_total += own / 1e6
                except psutil.Error:
                    del members[pid]  # gone: what it spent stays counted
                    continue
                spent[pid] = times.user + times.system - self._base[pid]
            fig = self._figures.processes.get(group)
            if fig is None:
                continue
            fig.cpu_seconds = sum(spent.values())
            fig.peak_rss_mb = max(fig.peak_rss_mb, rss_total)
            fig.samples.append((t, cpu_total, round(rss_total, 1)))
        self._figures.machine_cpu.append((t, psutil.cpu_percent(None)))

    async def run(self, interval: float = 1.0) -> None:
        """Sample until cancelled. Cancel-safe."""
        while True:
            self.sample()
            await asyncio.sleep(interval)


def _instance(instance: Instance) -> Finder:
    # Found again at every sample: a restarted instance is a new process.
    def find() -> list[psutil.Process]:
        proc = instance.process
        if proc is None or proc.poll() is not None:
            return []
        try:
            return [psutil.Process(proc.pid)]
        except psutil.Error:
            return []

    return find


def watch_cluster(figures: Figures, cluster: Cluster) -> ProcessWatcher:
    """Watch the run's servers, the harness, its PostgreSQL backends and Redis."""
    instances = {f"server {i.index}": _instance(i) for i in cluster.instances if i.process}
    finders = {"redis-server (shared)": by_title("redis-server", "")}
    if cluster.database is not None:
        finders["postgres (this run's backends)"] = by_title("postgres", cluster.database)
    return ProcessWatcher(figures, {"harness": os.getpid()}, finders, instances)
