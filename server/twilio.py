"""Twilio's Messages API, called with httpx.

The official ``twilio`` library's REST client is not used for sending: its
base URL is fixed to Twilio's hosts (``SHIFTLINE_TWILIO_API_URL`` must be able
to point elsewhere: tests, Twilio-compatible services), its asynchronous
client brings aiohttp beside the httpx the project already uses, and the send
queue needs the raw answer (HTTP status and Twilio's error ``code``) to tell a
throttling answer from a refusal. Its ``RequestValidator`` does check the
webhooks' signatures (``server/signature.py``).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import httpx

from .providers import OutgoingSms, ProviderError

__all__ = ["TwilioProvider", "messages_url"]


def messages_url(api_url: str, account_sid: str) -> str:
    return f"{api_url.rstrip('/')}/2010-04-01/Accounts/{account_sid}/Messages.json"


class TwilioProvider:
    """One organization's Twilio account, on the process's shared HTTP client."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        api_url: str,
        account_sid: str,
        auth_token: str,
    ) -> None:
        self._client = client
        self._url = messages_url(api_url, account_sid)
        self._auth = httpx.BasicAuth(account_sid, auth_token)

    def __repr__(self) -> str:  # never the auth token
        return f"TwilioProvider({self._url!r})"

    async def send(self, sms: OutgoingSms) -> str:
        """POST the text; return Twilio's ``sid``.

        Raises:
            ProviderError: Twilio refused it (its ``code``, or the HTTP status
                when it gave none), could not be reached, or did not answer in time
                (``maybe_sent``: the text may have gone out).
        """
        form: list[tuple[str, str]] = [("To", sms.to), ("Body", sms.body)]
        if sms.messaging_service_sid:
            form.append(("MessagingServiceSid", sms.messaging_service_sid))
        elif sms.from_:
            form.append(("From", sms.from_))
        form.extend(("MediaUrl", url) for url in sms.media_urls)
        if sms.status_callback:
            form.append(("StatusCallback", sms.status_callback))
        try:
            response = await self._client.post(
                self._url,
                # Repeated MediaUrl fields: httpx's data= takes a mapping, so the form is encoded here.
                content=urlencode(form).encode("ascii"),
                headers={"content-type": "application/x-www-form-urlencoded"},
                auth=self._auth,
            )
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise ProviderError(
                f"Twilio could not be reached: {type(exc).__name__}", error_code="provider_unavailable"
            ) from None
        except httpx.TimeoutException:
            raise ProviderError(
                "Twilio did not answer in time.", error_code="timeout", maybe_sent=True
            ) from None
        except httpx.HTTPError as exc:
            raise ProviderError(
                f"Twilio's answer was cut: {type(exc).__name__}", error_code="timeout", maybe_sent=True
            ) from None
        payload = _json(response)
        if response.status_code in (200, 201) and isinstance(payload.get("sid"), str):
            return str(payload["sid"])
        code = payload.get("code")
        error_code = str(code) if code is not None else str(response.status_code)
        if response.status_code == 429:
            error_code = "429" if code is None else error_code
        message = payload.get("message") if isinstance(payload.get("message"), str) else None
        raise ProviderError(message or f"Twilio answered HTTP {response.status_code}.", error_code=error_code)


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        payload = response.json()
    except ValueError:
        return {}
    return payload if isinstance(payload, dict) else {}
