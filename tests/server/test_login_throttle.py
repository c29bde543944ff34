"""Someone guesses a password: throttled on every instance; colleagues behind the same address are not."""

from __future__ import annotations

import asyncio
import socket

import pytest
from starlette.testclient import TestClient

from server.app import create_app
from server.login_throttle import LoginThrottle
from server.settings import Settings
from tests.support.worlds.accounts import PASSWORD, make_org

SAM = "owner@example.org"


def _login(client: TestClient, email: str, password: str) -> int:
    status: int = client.post("/api/login", json={"email": email, "password": password}).status_code
    return status


def _add_colleague(client: TestClient, email: str) -> None:
    owner = client.post("/api/login", json={"email": SAM, "password": PASSWORD}).json()["token"]
    response = client.post(
        "/api/users",
        headers={"Authorization": f"Bearer {owner}"},
        json={"email": email, "password": PASSWORD, "first_name": "Col", "last_name": "", "role": "sender"},
    )
    assert response.status_code == 201, response.text


@pytest.mark.parametrize("backend", ["postgres"])
def test_a_throttle_reached_on_one_instance_holds_on_another(settings: Settings, database_url: str) -> None:
    make_org(database_url)
    assert settings.redis_url is not None  # both instances share Redis, as in production
    office = ("203.0.113.7", 40000)
    with (
        TestClient(create_app(settings), client=office) as first,
        TestClient(create_app(settings), client=office) as second,
    ):
        assert [_login(first, SAM, "wrong") for _ in range(5)] == [401] * 5
        refused = second.post("/api/login", json={"email": SAM, "password": PASSWORD})
        assert refused.status_code == 429, "the right password must wait on the other instance too"
        assert refused.json()["error"]["code"] == "too_many_attempts"
        assert 60 < int(refused.headers["Retry-After"]) <= 15 * 60


def test_one_persons_typos_do_not_lock_out_others_behind_the_same_address(
    client: TestClient, database_url: str
) -> None:
    make_org(database_url)
    _add_colleague(client, "colleague@example.org")
    assert [_login(client, SAM, "wrong") for _ in range(5)] == [401] * 5
    assert _login(client, SAM, PASSWORD) == 429
    assert _login(client, "colleague@example.org", PASSWORD) == 200  # same address, other person


def test_a_guesser_spreading_over_many_addresses_is_still_throttled(
    settings: Settings, database_url: str
) -> None:
    make_org(database_url)
    app = create_app(settings)
    statuses = []
    for n in range(21):  # 20 failures for one email, four from each of five addresses
        with TestClient(app, client=(f"198.51.100.{n // 4}", 40000)) as client:
            statuses.append(_login(client, SAM, "wrong"))
    assert statuses[:20] == [401] * 20
    assert statuses[20] == 429


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_without_redis_the_throttle_lets_logins_through(settings: Settings) -> None:
    away = Settings(database_url=settings.database_url, redis_url=f"redis://127.0.0.1:{_closed_port()}/0")
    throttle = LoginThrottle.for_settings(away)

    async def story() -> float:
        await throttle.failed(SAM, "203.0.113.7")  # not counted, not raised
        wait = await throttle.retry_after(SAM, "203.0.113.7")
        await throttle.aclose()
        return wait

    assert asyncio.run(story()) == 0.0
