"""A saved world is reused only by runs of the same sizes and schema."""

from __future__ import annotations

from pathlib import Path

import pytest

from loadtests.config import ConfigError, parse_args
from loadtests.provision import Person, World, contact_phone
from loadtests.worlds import load_world, save_world, template_name, world_path


def world() -> World:
    owner = Person(1, "owner@example.org", "tok-owner", "Owner", "owner")
    return World(
        urls=["http://127.0.0.1:1"],
        campaign_id=7,
        number="+12025550100",
        webhook_token="hook",
        owner=owner,
        admins=[Person(2, "a@example.org", "tok-a", "Admin0", "admin")],
        senders=[Person(3, "s@example.org", "tok-s", "Sender0", "sender")],
        contacts={11: (contact_phone(0), "Contact0")},
    )


def test_a_saved_world_comes_back_for_the_same_sizes(tmp_path: Path) -> None:
    cfg = parse_args(["shift", "--backend", "postgres", "--world", "big", "--results", str(tmp_path)])
    path = world_path(cfg, "big")
    save_world(path, world(), "secret-key", cfg)
    loaded = load_world(path, cfg)
    assert loaded is not None
    again, secret = loaded
    assert secret == "secret-key"
    assert again.senders == world().senders
    assert again.contacts == {11: ("+12012000000", "Contact0")}
    assert again.urls == []  # the new run's instances fill them in


def test_other_sizes_set_a_new_world_up(tmp_path: Path) -> None:
    cfg = parse_args(["shift", "--backend", "postgres", "--world", "big", "--results", str(tmp_path)])
    save_world(world_path(cfg, "big"), world(), "k", cfg)
    bigger = parse_args(
        ["shift", "--backend", "postgres", "--world", "big", "--results", str(tmp_path), "--senders", "9"]
    )
    assert load_world(world_path(bigger, "big"), bigger) is None
    assert load_world(tmp_path / "missing.json", cfg) is None


def test_world_names_are_safe_database_names() -> None:
    assert template_name("night_1") == "shiftline_loadworld_night_1"
    with pytest.raises(ConfigError):
        template_name('x"; DROP DATABASE y')
    with pytest.raises(ConfigError, match="postgres"):
        parse_args(["shift", "--world", "w"])


def test_contact_phones_are_distinct_and_valid() -> None:
    from persistence.rules.phones import normalize_phone

    phones = [contact_phone(i) for i in range(0, 300_000, 997)]
    assert len(set(phones)) == len(phones)
    assert all(normalize_phone(p) == p for p in phones)
