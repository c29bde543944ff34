"""The HTTP side of the simulated people: one pooled client, timed per endpoint.

Every call is recorded under its endpoint template (``POST /api/conversations/{id}/messages``),
and every failure under an error kind (``http 409 opted_out``, ``transport ReadTimeout``).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Mapping
from typing import Any

import httpx

from .figures import Figures
from .signature import sign_webhook

__all__ = ["Api", "ApiFailure"]

_SHARD = 32


class ApiFailure(Exception):
    """A call that did not get the expected answer; ``kind`` is how it is counted."""

    def __init__(self, kind: str, status: int | None = None, body: Any = None) -> None:
        super().__init__(kind)
        self.kind = kind
        self.status = status
        self.body = body


def _error_code(response: httpx.Response) -> str:
    try:
        return str(response.json()["error"]["code"])
    except (ValueError, KeyError, TypeError):
        return "unknown"


class Api:
    """Calls the server's public API. Use as an async context manager."""

    def __init__(self, figures: Figures, *, max_connections: int = 200, timeout: float = 60.0) -> None:
        self._figures = figures
        # httpcore scans its whole pool on every request: several small pools
        # cost far less CPU than one big one once there are hundreds of
        # connections. A request waits for a free connection as long as it
        # takes (a person waits for their click), then gets ``timeout``.
        shards = max(1, -(-max_connections // _SHARD))
        self._clients = [
            httpx.AsyncClient(
                timeout=httpx.Timeout(timeout, pool=None),
                # Under uvicorn's 5 s keep-alive, so the server never closes a
                # connection the harness is about to reuse (a "disconnected" race).
                limits=httpx.Limits(
                    max_connections=_SHARD, max_keepalive_connections=_SHARD, keepalive_expiry=2.0
                ),
            )
            for _ in range(shards)
        ]
        self._next = itertools.cycle(self._clients)

    async def __aenter__(self) -> Api:
        return self

    async def __aexit__(self, *exc: object) -> None:
        for client in self._clients:
            await client.aclose()

    async def call(
        self,
        method: str,
        url: str,
        endpoint: str,
        *,
        token: str | None = None,
        json: Any = None,
        data: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        record_errors: bool = True,
        read_timeout: float | None = None,
    ) -> Any:
        """Make one call; return the decoded JSON body (None when empty).

        Raises:
            ApiFailure: a transport error or any status of 400 and above.
        """
        all_headers = dict(headers or {})
        if token is not None:
            all_headers["Authorization"] = f"Bearer {token}"
        name = f"{method} {endpoint}"
        t0 = time.perf_counter()
        try:
            response = await next(self._next).request(
                method,
                url,
                json=json,
                data=data,
                params=params,
                headers=all_headers,
                timeout=read_timeout if read_timeout is not None else httpx.USE_CLIENT_DEFAULT,
            )
        except httpx.HTTPError as exc:
            kind = f"transport {type(exc).__name__} {name}"
            if record_errors:
                self._figures.error(kind)
            raise ApiFailure(kind) from exc
        self._figures.record_http(name, time.perf_counter() - t0)
        if response.status_code >= 400:
            kind = f"http {response.status_code} {_error_code(response)} {name}"
            if record_errors:
                self._figures.error(kind)
            try:
                body = response.json()
            except ValueError:
                body = response.text[:500]
            raise ApiFailure(kind, response.status_code, body)
        if not response.content:
            return None
        return response.json()

    async def inbound(self, base: str, params: dict[str, str], webhook_token: str) -> Any:
        """Post a signed inbound SMS the way the provider would."""
        url = base + "/api/sms/inbound"
        headers = {"X-Twilio-Signature": sign_webhook(url, params, webhook_token)}
        t0 = time.perf_counter()
        name = "POST /api/sms/inbound"
        try:
            response = await next(self._next).post(url, data=params, headers=headers)
        except httpx.HTTPError as exc:
            kind = f"transport {type(exc).__name__} {name}"
            self._figures.error(kind)
            raise ApiFailure(kind) from exc
        self._figures.record_http(name, time.perf_counter() - t0)
        if response.status_code >= 400:
            kind = f"http {response.status_code} {_error_code(response)} {name}"
            self._figures.error(kind)
            raise ApiFailure(kind, response.status_code, response.text[:500])
        return None
