"""The command line: small safe defaults, bounded counts, loopback unless told otherwise."""

from __future__ import annotations

import re

import pytest

from loadtests.config import ConfigError, parse_args


def test_defaults_make_a_small_embedded_run() -> None:
    cfg = parse_args(["shift"])
    assert cfg.scenario == "shift"
    assert cfg.backend == "embedded"
    assert cfg.instances == 1
    assert cfg.senders * cfg.contacts_per_sender <= 200
    assert cfg.duration <= 30
    assert not cfg.external


def test_the_big_night_parses() -> None:
    cfg = parse_args(
        [
            "shift",
            "--senders",
            "2000",
            "--admins",
            "20",
            "--instances",
            "2",
            "--backend",
            "postgres",
            "--duration",
            "600",
            "--pace",
            "10",
            "--wire",
            "msgpack",
        ]
    )
    assert (cfg.senders, cfg.admins, cfg.instances, cfg.duration) == (2000, 20, 2, 600.0)
    assert cfg.extra_env["postgres"].startswith("postgresql://")
    assert cfg.wire == "msgpack"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["shift", "--senders", "0"], "--senders must be between 1 and 10000"),
        (["shift", "--senders", "1000000"], "--senders must be between"),
        (["fanout", "--clients", "50000"], "--clients must be between"),
        (["shift", "--duration", "86400"], "--duration must be between"),
        (["shift", "--reply-rate", "1.5"], "--reply-rate must be between 0 and 1"),
        (["shift", "--instances", "2"], "the embedded default runs one instance"),
        (["shift", "--url", "ftp://x"], "--url must be an http(s) URL"),
        (["shift", "--url", "http://10.0.0.5:8000"], "needs an existing organization"),
        (
            ["shift", "--backend", "postgres", "--postgres", "postgresql://u@db.example.org/x"],
            "--postgres must be on loopback",
        ),
    ],
)
def test_bad_options_are_refused_with_the_option_named(argv: list[str], message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        parse_args(argv)


def test_given_urls_are_the_instances() -> None:
    cfg = parse_args(
        [
            "reconnect",
            "--url",
            "http://10.0.0.5:8000/",
            "--url",
            "http://10.0.0.6:8000",
            "--owner-email",
            "o@example.org",
            "--owner-password",
            "pw-pw-pw-pw",
            "--number",
            "+12025550100",
            "--webhook-token",
            "t",
        ]
    )
    assert cfg.urls == ("http://10.0.0.5:8000", "http://10.0.0.6:8000")
    assert cfg.instances == 2
    assert cfg.external


def test_an_unknown_scenario_exits_like_any_bad_command_line() -> None:
    with pytest.raises(SystemExit):
        parse_args(["stampede"])
