"""What the tests share: free ports, server processes, and the worlds stories start from.

- :mod:`tests.support.ports`: a free loopback port.
- :mod:`tests.support.processes`: ``shiftline serve`` and a private ``redis-server`` as real processes.
- :mod:`tests.support.services`: where the suite finds PostgreSQL and Redis.
- :mod:`tests.support.worlds`: organizations, teams and campaigns built for a story.
"""

__all__: list[str] = []
