"""A stand-in for Twilio's Messages API on loopback, for the texting stories and the queue benchmark.

It speaks the documented protocol: ``POST /2010-04-01/Accounts/{sid}/Messages.json``
with HTTP Basic auth (account SID, auth token) and a form body, answered with
Twilio's JSON (201 and a ``sid``; 401 code 20003; 429 code 20429). It records
every request with its arrival time, and can be told to answer the next
requests with a throttle or an error, or to answer late. Given a
``media_fetcher``, it fetches every ``MediaUrl`` of an accepted text before it
answers, as Twilio fetches an MMS's media, and records what came back
(``fetched``). It runs uvicorn in a
thread of its own, so synchronous tests (TestClient) and asynchronous ones
(real server processes) use it alike.
"""

from __future__ import annotations

import asyncio
import base64
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

__all__ = ["ACCOUNT_SID", "AUTH_TOKEN", "Arrival", "FakeTwilio", "Fetched", "running"]

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "f00dfeedf00dfeedf00dfeedf00dfeed"


@dataclass(frozen=True, slots=True)
class Arrival:
    """One request as it arrived: when (epoch seconds), its form, and the answer given."""

    at: float
    account_sid: str
    form: tuple[tuple[str, str], ...]
    status: int
    sid: str | None

    def field(self, name: str) -> str | None:
        return next((v for k, v in self.form if k == name), None)

    def fields(self, name: str) -> list[str]:
        return [v for k, v in self.form if k == name]


@dataclass(frozen=True, slots=True)
class Fetched:
    """One media file as the fake fetched it from a text's ``MediaUrl``."""

    url: str
    status: int
    content_type: str
    body: bytes


class FakeTwilio:
    def __init__(self, account_sid: str = ACCOUNT_SID, auth_token: str = AUTH_TOKEN) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.arrivals: list[Arrival] = []
        # Scripted answers for the next requests: an HTTP status and Twilio error code.
        self.next_answers: deque[tuple[int, int]] = deque()
        # Seconds to wait before answering (after recording the arrival).
        self.answer_delay = 0.0
        # The sids the next accepted texts get (then random ones).
        self.next_sids: deque[str] = deque()
        # How to GET a MediaUrl (blocking; run in a thread): (status, content type, body).
        self.media_fetcher: Callable[[str], tuple[int, str, bytes]] | None = None
        self.fetched: list[Fetched] = []
        self.port = 0
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def accepted(self) -> list[Arrival]:
        return [a for a in self.arrivals if a.status == 201]

    def _authorized(self, request: Request, account_sid: str) -> bool:
        scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, _, password = base64.b64decode(encoded).decode().partition(":")
        except ValueError:
            return False
        return user == self.account_sid == account_sid and secrets.compare_digest(password, self.auth_token)

    async def messages(self, request: Request) -> Response:
        at = time.time()
        account_sid = request.path_params["account_sid"]
        form = await request.form()
        pairs = tuple((k, str(v)) for k, v in form.multi_items())
        if not self._authorized(request, account_sid):
            self._record(Arrival(at, account_sid, pairs, 401, None))
            return JSONResponse({"code": 20003, "message": "Authenticate", "status": 401}, status_code=401)
        with self._lock:
            scripted = self.next_answers.popleft() if self.next_answers else None
            sid = self.next_sids.popleft() if self.next_sids and scripted is None else None
        if scripted is not None:
            status, code = scripted
            self._record(Arrival(at, account_sid, pairs, status, None))
            return JSONResponse(
                {
                    "code": code,
                    "message": "Too Many Requests" if status == 429 else "Refused",
                    "status": status,
                },
                status_code=status,
            )
        sid = sid or "SM" + secrets.token_hex(16)
        self._record(Arrival(at, account_sid, pairs, 201, sid))
        fetcher = self.media_fetcher
        if fetcher is not None:
            for url in (v for k, v in pairs if k == "MediaUrl"):
                status, content_type, body = await asyncio.to_thread(fetcher, url)
                with self._lock:
                    self.fetched.append(Fetched(url, status, content_type, body))
        if self.answer_delay:
            await asyncio.sleep(self.answer_delay)
        return JSONResponse(
            {"sid": sid, "status": "queued", "to": form.get("To"), "account_sid": account_sid},
            status_code=201,
        )

    def _record(self, arrival: Arrival) -> None:
        with self._lock:
            self.arrivals.append(arrival)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/2010-04-01/Accounts/{account_sid}/Messages.json", self.messages, methods=["POST"])
            ]
        )


@contextmanager
def running(fake: FakeTwilio | None = None) -> Iterator[FakeTwilio]:
    """Serve ``fake`` on a free loopback port for the block."""
    fake = fake or FakeTwilio()
    config = uvicorn.Config(fake.app(), host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="fake-twilio", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the fake Twilio did not start")
        time.sleep(0.01)
    fake.port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield fake
    finally:
        server.should_exit = True
        thread.join(10)
