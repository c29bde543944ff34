"""The live layer: the WebSocket endpoint, the hub and its fan-out, presence, the relay.

``server.live.runtime`` runs it for the app's lifetime; docs/live.md describes the protocol
and docs/architecture.md the way of an event.
"""

__all__: list[str] = []
