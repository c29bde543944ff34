"""Inbound webhooks are signed as the SMS provider signs them."""

from __future__ import annotations

import base64
import hashlib
import hmac

from loadtests.signature import sign_webhook


def test_signature_covers_the_url_then_sorted_names_and_values() -> None:
    url = "http://127.0.0.1:8000/api/sms/inbound"
    params = {"To": "+12025550100", "From": "+12012345678", "Body": "STOP", "MessageSid": "SM1"}
    signed = url + "Body" + "STOP" + "From" + "+12012345678" + "MessageSid" + "SM1" + "To" + "+12025550100"
    expected = base64.b64encode(hmac.new(b"secret", signed.encode(), hashlib.sha1).digest()).decode()
    assert sign_webhook(url, params, "secret") == expected


def test_the_provider_documentation_example() -> None:
    # The example request of the provider's security guide (token 12345).
    params = {
        "CallSid": "CA1234567890ABCDE",
        "Caller": "+12349013030",
        "Digits": "1234",
        "From": "+12349013030",
        "To": "+18005551212",
    }
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert sign_webhook(url, params, "12345") == "0/KCTR6DLpKmkAf8muzZqo1nDgQ="


def test_another_token_or_a_changed_value_gives_another_signature() -> None:
    url = "http://127.0.0.1/api/sms/inbound"
    params = {"Body": "hi"}
    assert sign_webhook(url, params, "a") != sign_webhook(url, params, "b")
    assert sign_webhook(url, params, "a") != sign_webhook(url, {"Body": "ho"}, "a")
