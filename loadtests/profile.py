"""``--profile``: sample the server processes (and the harness) with py-spy during the shift.

py-spy reads a running interpreter's stacks from outside, so the servers run
unchanged. Each process gets a collapsed-stack file (``profile-<name>.txt``,
the input of any flame-graph tool); the report lists the functions where
each spent most of its samples, by own time and by time including callees.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

__all__ = ["Profiler", "summarize"]


# Inclusive time is shown for the project's own functions: the frames of the
# event loop and the server around them are in every sample and say nothing.
_OURS = ("(server/", "(persistence/", "(channels/", "(presence/", "(loadtests/")


def _ours(frame: str) -> bool:
    return any(p in frame for p in _OURS) and "__main__" not in frame and "(server/cli.py" not in frame


def summarize(collapsed: str, top: int = 12) -> dict[str, list[tuple[str, float]]]:
    """Top functions of a collapsed-stack profile: share of samples by own and by inclusive time (pure)."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in collapsed.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = stack.split(";")
        own[frames[-1]] += n
        for frame in set(frames):
            inclusive[frame] += n
    if total == 0:
        return {"own": [], "inclusive": []}
    return {
        "own": [(f, round(100 * n / total, 1)) for f, n in own.most_common(top)],
        "inclusive": [(f, round(100 * n / total, 1)) for f, n in inclusive.most_common() if _ours(f)][:top],
    }


class Profiler:
    """py-spy samplers over some processes for ``duration`` seconds."""

    def __init__(self, directory: Path, pids: dict[str, int], duration: float) -> None:
        exe = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
        if not Path(exe).exists():
            raise RuntimeError("--profile needs py-spy: pip install -e '.[loadtest]'")
        self._files: dict[str, Path] = {}
        self._procs: list[subprocess.Popen[bytes]] = []
        for name, pid in pids.items():
            out = directory / f"profile-{name.replace(' ', '-')}.txt"
            self._files[name] = out
            self._procs.append(
                subprocess.Popen(
                    [
                        exe,
                        "record",
                        "--pid",
                        str(pid),
                        "--duration",
                        str(int(duration)),
                        "--rate",
                        "50",
                        "--nonblocking",
                        "--format",
                        "raw",
                        "--output",
                        str(out),
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )

    def finish(self) -> dict[str, dict[str, list[tuple[str, float]]]]:
        """Wait for the samplers (or stop them) and summarize what they recorded."""
        for proc in self._procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.terminate()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=10)
        out = {}
        for name, path in self._files.items():
            if path.exists():
                out[name] = summarize(path.read_text())
        return out
