"""Scenario configuration: the command line, parsed and checked (pure).

Every count and duration is bounded, so a typo cannot start 10 million
clients or a day-long run; the defaults make a smoke run that finishes in
well under a minute on the embedded default.
"""

from __future__ import annotations

import argparse
import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlsplit

from persistence.rules.pace import MAX_RATE

__all__ = ["SCENARIOS", "Backend", "Config", "ConfigError", "Scenario", "Wire", "parse_args"]

SCENARIOS = ("shift", "fanout", "reconnect")
Scenario = Literal["shift", "fanout", "reconnect"]
Backend = Literal["embedded", "postgres"]
Wire = Literal["json", "msgpack"]

# (option, lowest, highest): the bounds every run is held to.
_BOUNDS: dict[str, tuple[float, float]] = {
    "senders": (1, 10_000),
    "admins": (0, 200),
    "contacts_per_sender": (1, 1_000),
    "duration": (1, 3_600),
    "instances": (1, 8),
    "pace": (0.05, 600),
    "reply_rate": (0, 1),
    "stop_rate": (0, 1),
    "reply_delay": (0, 600),
    "answer_delay": (0, 600),
    "poll": (0.2, 600),
    "clients": (1, 20_000),
    "rounds": (1, 1_000),
    "max_replies": (0, 20),
    "connect_rate": (1, 10_000),
    "send_rate": (1, MAX_RATE),
}


class ConfigError(ValueError):
    """A bad option; the message names the option and its allowed range."""


@dataclass(frozen=True, kw_only=True)
class Config:
    """One run. Times are seconds; rates are shares between 0 and 1."""

    scenario: Scenario
    senders: int = 5
    admins: int = 2
    contacts_per_sender: int = 20
    duration: float = 15.0
    instances: int = 1
    backend: Backend = "embedded"
    urls: tuple[str, ...] = ()
    # Mean seconds between two initial messages of one sender (a person clicking "send").
    pace: float = 1.0
    # Share of outbound messages a contact answers, and share of answers that are STOP.
    reply_rate: float = 0.5
    stop_rate: float = 0.1
    # Upper bound of a contact's random answer delay, and of a sender's think time before replying.
    reply_delay: float = 3.0
    answer_delay: float = 2.0
    max_replies: int = 2
    # Seconds between two overview polls of one admin.
    poll: float = 5.0
    # fanout: connections and rounds of one event each.
    clients: int = 200
    rounds: int = 20
    wire: Wire = "json"
    connect_rate: int = 500
    # Texts a second the organization hands to the provider. The organization's
    # default (10) would queue a big shift's texts behind the send pace, so
    # servers started here get the most allowed; a --url target keeps its own.
    send_rate: int | None = None
    seed: int = 1
    results: str = "loadtests/results"
    run_name: str | None = None
    keep_database: bool = False
    # A saved world to start from (and save to, the first time): PostgreSQL only.
    world: str | None = None
    profile: bool = False
    # Target mode: an existing organization on the given URLs.
    owner_email: str | None = None
    owner_password: str | None = None
    number: str | None = None
    webhook_token: str | None = None
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def external(self) -> bool:
        return bool(self.urls)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m loadtests",
        description="Load-test shiftline with a simulated texting shift.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("scenario", choices=SCENARIOS)
    p.add_argument("--senders", type=int, default=5, help="simulated senders")
    p.add_argument("--admins", type=int, default=2, help="simulated admins watching the campaign")
    p.add_argument("--contacts-per-sender", type=int, default=20)
    p.add_argument("--duration", type=float, default=15.0, help="seconds of shift (or fanout rounds cap)")
    p.add_argument("--instances", type=int, default=1, help="server processes to start")
    p.add_argument("--backend", choices=("embedded", "postgres"), default="embedded")
    p.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    p.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    p.add_argument("--url", action="append", default=[], help="target a running server (repeatable)")
    p.add_argument("--pace", type=float, default=1.0, help="mean seconds between a sender's sends")
    p.add_argument("--reply-rate", type=float, default=0.5, help="share of messages contacts answer")
    p.add_argument("--stop-rate", type=float, default=0.1, help="share of answers that are STOP")
    p.add_argument("--reply-delay", type=float, default=3.0, help="max seconds before a contact answers")
    p.add_argument("--answer-delay", type=float, default=2.0, help="max seconds before a sender answers")
    p.add_argument("--max-replies", type=int, default=2, help="answers per contact at most")
    p.add_argument("--poll", type=float, default=5.0, help="seconds between an admin's overview polls")
    p.add_argument("--clients", type=int, default=200, help="fanout: connections")
    p.add_argument("--rounds", type=int, default=20, help="fanout: events sent")
    p.add_argument("--wire", choices=("json", "msgpack"), default="json")
    p.add_argument("--connect-rate", type=int, default=500, help="new connections per second at most")
    p.add_argument(
        "--send-rate",
        type=int,
        help=f"texts a second the organization sends (default: {MAX_RATE:,} on servers started here)",
    )
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--results", default="loadtests/results")
    p.add_argument("--run-name")
    p.add_argument("--keep-database", action="store_true", help="do not drop the run's database")
    p.add_argument("--profile", action="store_true", help="sample servers and harness with py-spy")
    p.add_argument("--world", help="save the set-up world under this name, or start from it (postgres)")
    p.add_argument("--owner-email")
    p.add_argument("--owner-password")
    p.add_argument("--number", help="the organization's sending number (target mode)")
    p.add_argument("--webhook-token", help="the organization's webhook token (target mode)")
    return p


def parse_args(argv: Sequence[str] | None = None) -> Config:
    """Parse and check the command line.

    Raises:
        ConfigError: an option is out of bounds or the combination makes no sense.
    """
    args = _parser().parse_args(argv)
    values = {name: getattr(args, name) for name in _BOUNDS}
    for name, value in values.items():
        if value is None:  # an option whose default depends on the run
            continue
        low, high = _BOUNDS[name]
        if not low <= value <= high:
            flag = "--" + name.replace("_", "-")
            raise ConfigError(f"{flag} must be between {low:g} and {high:g}, got {value:g}")
    urls = tuple(u.rstrip("/") for u in args.url)
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"--url must be an http(s) URL, got {url!r}")
    if urls:
        missing = [
            flag
            for flag, value in (
                ("--owner-email", args.owner_email),
                ("--owner-password", args.owner_password),
                ("--number", args.number),
                ("--webhook-token", args.webhook_token),
            )
            if not value
        ]
        if missing:
            raise ConfigError("targeting --url needs an existing organization: " + ", ".join(missing))
    if args.backend == "embedded" and args.instances > 1 and not urls:
        raise ConfigError("the embedded default runs one instance; use --backend postgres for more")
    for name, url in (("--postgres", args.postgres), ("--redis", args.redis)):
        host = urlsplit(url).hostname or ""
        if args.backend == "postgres" and not urls and not _is_loopback(host):
            raise ConfigError(f"{name} must be on loopback (got {host!r}); target remote servers with --url")
    if args.world is not None:
        if args.backend != "postgres" or urls:
            raise ConfigError("--world needs --backend postgres on servers started here")
        if not re.fullmatch(r"[a-z0-9_]{1,30}", args.world):
            raise ConfigError("--world must be 1-30 lowercase letters, digits or underscores")
    extra_env = (
        {"postgres": args.postgres, "redis": args.redis} if args.backend == "postgres" and not urls else {}
    )
    return Config(
        scenario=args.scenario,
        senders=args.senders,
        admins=args.admins,
        contacts_per_sender=args.contacts_per_sender,
        duration=args.duration,
        instances=len(urls) if urls else args.instances,
        backend=args.backend,
        urls=urls,
        pace=args.pace,
        reply_rate=args.reply_rate,
        stop_rate=args.stop_rate,
        reply_delay=args.reply_delay,
        answer_delay=args.answer_delay,
        max_replies=args.max_replies,
        poll=args.poll,
        clients=args.clients,
        rounds=args.rounds,
        wire=args.wire,
        connect_rate=args.connect_rate,
        send_rate=args.send_rate if args.send_rate is not None or urls else MAX_RATE,
        seed=args.seed,
        results=args.results,
        run_name=args.run_name,
        keep_database=args.keep_database,
        world=args.world,
        profile=args.profile,
        owner_email=args.owner_email,
        owner_password=args.owner_password,
        number=args.number,
        webhook_token=args.webhook_token,
        extra_env=extra_env,
    )
