"""Headers every HTTP response carries so a browser never runs what it should not.

- ``Content-Security-Policy``: scripts and styles only from this server's own
  files, no inline script or handler, no plugins, no framing. The pages
  (``web/templates``) load one module each from ``/static``; media from
  texts are shown as pictures or video, nothing else of theirs is loaded.
- ``X-Content-Type-Options: nosniff``: an uploaded or echoed body is never
  guessed into HTML or script.

A plain ASGI middleware (not ``BaseHTTPMiddleware``), so streamed responses
such as the CSV export stay streamed.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["CONTENT_SECURITY_POLICY", "SecurityHeaders"]

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        # Pictures and video that contacts text come from the provider's media host:
        # shown, never run (only http/https media URLs are kept from a webhook).
        # blob: is the preview of a file chosen to send, read in the browser.
        "img-src 'self' data: blob: http: https:",
        "media-src 'self' blob: http: https:",
        "connect-src 'self'",  # 'self' covers ws:/wss: to the same host
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)


class SecurityHeaders:
    """Adds the security headers to every HTTP response (WebSockets pass through)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
                headers.setdefault("X-Content-Type-Options", "nosniff")
            await send(message)

        await self.app(scope, receive, send_with_headers)
