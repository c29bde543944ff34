"""Saved worlds: set 2,000 senders up once, start every big run from a copy.

Setting up a big world through the API is dominated by password hashing
(one argon2 hash per user, a fraction of a second of server CPU each), which
for 2,000 senders is minutes before the shift starts. With ``--world NAME`` on
PostgreSQL, the first run saves its freshly set-up database as the template
``shiftline_loadworld_NAME`` and the world (ids, tokens, phones) as
``<results>/worlds/NAME.json``; later runs with the same sizes and schema copy
the template (seconds) and skip set-up. Tokens are signed with the saved key,
which the servers of those runs are given, and last 12 hours.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict
from pathlib import Path
from typing import Any

from .config import Config, ConfigError
from .provision import Person, World

__all__ = ["fingerprint", "load_world", "save_world", "template_name", "world_path"]

_MIGRATIONS = Path(__file__).resolve().parent.parent / "persistence" / "migrations" / "versions"


def template_name(name: str) -> str:
    if not re.fullmatch(r"[a-z0-9_]{1,30}", name):
        raise ConfigError("--world must be 1-30 lowercase letters, digits or underscores")
    return f"shiftline_loadworld_{name}"


def world_path(cfg: Config, name: str) -> Path:
    return Path(cfg.results) / "worlds" / f"{name}.json"


def fingerprint(cfg: Config) -> dict[str, Any]:
    """What a saved world must match: its sizes and the schema it was made with."""
    schema = hashlib.sha256()
    for path in sorted(_MIGRATIONS.glob("*.py")):
        schema.update(path.read_bytes())
    return {
        "senders": cfg.senders,
        "admins": cfg.admins,
        "contacts_per_sender": cfg.contacts_per_sender,
        "schema": schema.hexdigest()[:16],
    }


def save_world(path: Path, world: World, secret: str, cfg: Config) -> None:
    data = {
        "fingerprint": fingerprint(cfg),
        "secret": secret,
        "campaign_id": world.campaign_id,
        "number": world.number,
        "webhook_token": world.webhook_token,
        "owner": asdict(world.owner),
        "admins": [asdict(p) for p in world.admins],
        "senders": [asdict(p) for p in world.senders],
        "contacts": {str(k): list(v) for k, v in world.contacts.items()},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))


def load_world(path: Path, cfg: Config) -> tuple[World, str] | None:
    """The saved world and its signing key, or None when missing or made for other sizes or schema."""
    if not path.exists():
        return None
    data = json.loads(path.read_text())
    if data.get("fingerprint") != fingerprint(cfg):
        return None
    world = World(
        urls=[],
        campaign_id=int(data["campaign_id"]),
        number=str(data["number"]),
        webhook_token=str(data["webhook_token"]),
        owner=Person(**data["owner"]),
        admins=[Person(**p) for p in data["admins"]],
        senders=[Person(**p) for p in data["senders"]],
        contacts={int(k): (str(v[0]), str(v[1])) for k, v in data["contacts"].items()},
    )
    return world, str(data["secret"])
