"""The actor cache: bounded, short-lived, and never keeps an answer a revocation overtook."""

from __future__ import annotations

from starlette.testclient import TestClient

from persistence.outbox.outbox import Outbox
from persistence.store.database import Database
from persistence.store.scope import Actor
from server.actor_cache import REMEMBER_FOR, ActorCache
from server.services import Services
from server.settings import Settings
from tests.support.statements import statements
from tests.support.worlds.accounts import add_user, login, make_org


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _sender(user_id: int) -> Actor:
    return Actor(user_id, 1, "sender")


def test_a_full_cache_lets_the_least_recently_used_user_go() -> None:
    cache = ActorCache(limit=3)
    for user_id in (1, 2, 3):
        cache.remember(_sender(user_id), cache.generation)
    assert cache.get(1) is not None  # 1 was used: 2 is now the least recent
    cache.remember(_sender(4), cache.generation)
    assert len(cache) == 3
    assert cache.get(2) is None
    assert [cache.get(u) for u in (1, 3, 4)] == [_sender(1), _sender(3), _sender(4)]
    for user_id in range(100, 1100):
        cache.remember(_sender(user_id), cache.generation)
    assert len(cache) == 3


def test_a_remembered_user_is_read_again_after_a_few_seconds() -> None:
    clock = Clock()
    cache = ActorCache(clock=clock)
    cache.remember(_sender(7), cache.generation)
    clock.now += REMEMBER_FOR - 0.1
    assert cache.get(7) == _sender(7)
    clock.now += 0.2
    assert cache.get(7) is None
    assert len(cache) == 0


def test_a_revoked_user_is_forgotten_and_a_read_that_raced_the_revocation_is_not_kept() -> None:
    cache = ActorCache()
    cache.remember(_sender(7), cache.generation)
    cache.remember(_sender(8), cache.generation)
    read_began = cache.generation  # a request starts reading user 7 from the database ...
    cache.forget(7)  # ... while their access is revoked
    assert cache.get(7) is None
    assert cache.get(8) == _sender(8)
    cache.remember(_sender(7), read_began)
    assert cache.get(7) is None
    cache.clear()
    assert cache.get(8) is None


def test_a_process_without_the_live_hub_keeps_no_cache(settings: Settings, db: Database) -> None:
    svc = Services(settings=settings, db=db, outbox=Outbox.of(db), secret="s")
    assert svc.live is None
    assert svc.actors is None


def _user_reads(seen: list[str]) -> list[str]:
    return [s for s in seen if "FROM users" in s and "WHERE users.id =" in s]


def test_a_users_requests_read_them_once_until_their_access_changes(
    client: TestClient, database_url: str
) -> None:
    make_org(database_url)
    owner = login(client, "owner@example.org")
    sam = add_user(client, owner, "sam@example.org")
    svc: Services = client.app.state.services  # type: ignore[attr-defined]
    with statements(svc.db) as seen:
        for _ in range(5):
            assert client.get("/api/campaigns", headers=sam.headers).status_code == 200
    assert len(_user_reads(seen)) == 1, seen

    client.patch(f"/api/users/{sam.user_id}", headers=owner.headers, json={"first_name": "Samuel"})
    client.patch(f"/api/users/{sam.user_id}", headers=owner.headers, json={"role": "moderator"})
    with statements(svc.db) as seen:
        assert client.get("/api/users", headers=sam.headers).status_code == 200  # a sweeper now
        assert client.get("/api/users", headers=sam.headers).status_code == 200
    assert len(_user_reads(seen)) == 1, seen
