"""What this run's PostgreSQL sessions are doing, sampled from ``pg_stat_activity``.

Counting, ten times a second, the sessions that are active or waiting (and on
what: a row lock, the WAL flush, the client) shows where the database side
of a slow shift spends its time, without touching the server's code.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter

__all__ = ["PgWaits"]

_QUERY = """
SELECT coalesce(wait_event_type, 'CPU'), coalesce(wait_event, 'running'), state, query
FROM pg_stat_activity
WHERE datname = $1 AND pid <> pg_backend_pid() AND state <> 'idle'
"""


class PgWaits:
    def __init__(self, dsn: str, database: str) -> None:
        self._dsn = dsn
        self._database = database
        self.samples = 0
        self.waits: Counter[str] = Counter()
        self.lock_queries: Counter[str] = Counter()

    async def run(self, interval: float = 0.1) -> None:
        """Sample until cancelled. Cancel-safe."""
        import asyncpg

        conn = await asyncpg.connect(self._dsn)
        try:
            while True:
                with contextlib.suppress(asyncpg.PostgresError):
                    rows = await conn.fetch(_QUERY, self._database)
                    self.samples += 1
                    for kind, event, state, query in rows:
                        self.waits[f"{kind}: {event} ({state})"] += 1
                        if kind == "Lock":
                            self.lock_queries[" ".join(str(query).split())[:120]] += 1
                await asyncio.sleep(interval)
        finally:
            await conn.close()

    def to_json(self) -> dict[str, object]:
        """Mean sessions in each state per sample (1.0 = one session there all the time)."""
        n = max(1, self.samples)
        return {
            "samples": self.samples,
            "mean_sessions": {k: round(v / n, 2) for k, v in self.waits.most_common(12)},
            "lock_waits_by_query": {k: round(v / n, 2) for k, v in self.lock_queries.most_common(5)},
        }
