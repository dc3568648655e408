"""Facebook Messenger over the Graph API (httpx): webhook events -> ``Inbound``, ``Outbound`` -> Send API calls.

Every entry and every event of a batch is read; each event's outcome is in bot/channels/messaging_platform.py
(text and quick replies answered, attachments politely acknowledged, receipts and echoes never answered).
Instagram Direct comes through the same callback URL and signature (``object: "instagram"``, bot/channels/instagram.py),
and so do the comments under the brand's posts (bot/channels/meta_comments.py, read by the comment desk).

A send answered with a 2xx counts as delivered even when the answer cannot be read (not JSON, no ``message_id``: a
misconfigured proxy or an API change): Meta took the message, and sending it again would repeat it to the customer.
Such sends are logged and counted in ``/metrics``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from bot.channels import instagram, messaging_platform, meta_comments
from bot.channels.acknowledgements import taken_unread, unreadable_answer
from bot.channels.base import AcknowledgementCounter, DeliveryError, NoCounter
from bot.channels.messaging_platform import send_bodies
from bot.channels.webhooks import BodyTooLarge, Endpoint, Intake, json_body, queue, read_body, too_large
from bot.config import Settings
from bot.conversation import Inbound, Outbound

log = logging.getLogger(__name__)
CHANNEL = "messenger"
SIGNATURE_HEADER = "X-Hub-Signature-256"
MAX_TEXT = 2000


def signature_matches(app_secret: str, body: bytes, header: str | None) -> bool:
    """Check ``sha256=<hex HMAC-SHA256(app secret, raw body)>`` in constant time; no secret matches nothing."""
    if not app_secret or not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header.removeprefix("sha256=").lower())


def verification_challenge(params: dict[str, str], verify_token: str) -> str | None:
    """The challenge to echo for Meta's subscription handshake, or None when the token is wrong."""
    token = params.get("hub.verify_token", "")
    if params.get("hub.mode") != "subscribe" or not verify_token:
        return None
    if not hmac.compare_digest(token.encode(), verify_token.encode()):
        return None
    return params.get("hub.challenge", "")


def parse_webhook(data: Any) -> list[Inbound]:
    """Every customer message and public comment in a (signed) webhook body: a Page's or an Instagram account's.

    Private messages come as ``entry[].messaging[]`` (Messenger, Instagram Direct), comments as ``entry[].changes[]``
    (Page ``feed``, Instagram ``comments`` and ``mentions``: bot/channels/meta_comments.py).

    Raises:
        ValueError: when ``data`` is neither a page nor an instagram webhook.

    """
    if not isinstance(data, dict) or not isinstance(data.get("entry"), list):
        raise ValueError("not a Messenger or Instagram webhook")
    platform_object = data.get("object")
    if platform_object == "instagram":
        messages = instagram.parse_entries(data["entry"])
    elif platform_object == "page":
        messages = messaging_platform.parse_entries(data["entry"], CHANNEL)
    else:
        raise ValueError("not a Messenger or Instagram webhook")
    return messages + meta_comments.parse_changes(data["entry"], platform_object)


def split_text(text: str) -> list[str]:
    """``text`` in pieces of at most 2,000 characters (Messenger's limit)."""
    return [text[i : i + MAX_TEXT] for i in range(0, len(text), MAX_TEXT)]


def send_payloads(
    psid: str, message: Outbound, messaging_type: str = "RESPONSE", tag: str | None = None
) -> list[dict[str, Any]]:
    """The Send API bodies for one reply: text split at 2000 characters, buttons as quick replies, image."""
    return send_bodies(psid, message, split_text, messaging_type, tag)


def _json(content: bytes) -> Any:
    try:
        return json.loads(content)
    except ValueError:
        return None


def graph_error(content: bytes) -> tuple[Any, str]:
    """The Graph API's ``error.code`` and ``error.message`` in an error answer; (None, "") when it is not Meta's."""
    data = _json(content)
    error = data.get("error") if isinstance(data, dict) else None
    if not isinstance(error, dict):
        return None, ""
    return error.get("code"), str(error.get("message") or "")[:200]


class MessengerSender:
    """Delivers replies through the Send API: to Messenger, or (``channel="instagram"``) to Instagram Direct."""

    def __init__(
        self,
        page_token: str,
        api_url: str,
        api_version: str = "v19.0",
        client: httpx.AsyncClient | None = None,
        metrics: AcknowledgementCounter | None = None,
        channel: str = CHANNEL,
    ) -> None:
        """Send as the page whose token is ``page_token``, to ``api_url`` (Graph API or a test double)."""
        self._token = page_token
        self._path = f"/{api_version}/me/messages"
        self._client = client or httpx.AsyncClient(base_url=api_url, timeout=10.0)
        self.metrics = metrics or NoCounter()
        self.channel = channel
        self._payloads = instagram.send_payloads if channel == instagram.CHANNEL else send_payloads

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()

    async def send(self, conversation_id: str, message: Outbound, from_agent: bool = False) -> None:
        """Send a reply: the bot's as RESPONSE, a person's with the HUMAN_AGENT tag.

        Meta allows RESPONSE within 24 h of the customer's last message, and HUMAN_AGENT up to 7 days after it.
        """
        psid = conversation_id.removeprefix(f"{self.channel}:")
        kind = {"messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT"} if from_agent else {}
        for body in self._payloads(psid, message, **kind):
            await self._post(body)

    async def _post(self, body: dict[str, Any]) -> None:
        try:
            response = await self._client.post(self._path, params={"access_token": self._token}, json=body)
        except httpx.HTTPError as error:
            raise DeliveryError(f"Graph API unreachable: {type(error).__name__}") from error
        except Exception as error:  # never a bare exception out of a sender
            raise DeliveryError(f"Graph API send failed: {type(error).__name__}: {error}") from error
        status = response.status_code
        if 200 <= status < 300:
            problem = unreadable_answer(response.content, "message_id")
            if problem is not None:
                taken_unread("Meta's Send API", self.channel, f"HTTP {status} with {problem}", self.metrics)
            return
        if status < 400:  # a redirect (a proxy in the way): the message did not reach Meta
            raise DeliveryError(f"Graph API answered {status}, a redirect: is a proxy in the way?")
        code, _ = graph_error(response.content)
        retryable = status == 429 or status >= 500 or code in (4, 613, 2, 1200)
        raise DeliveryError(f"Graph API answered {status} (code {code})", permanent=not retryable)

    async def acknowledge(self, message: Inbound) -> None:
        """Messenger needs no acknowledgement of quick replies or postbacks."""


def verification(settings: Settings) -> Endpoint:
    """``GET /webhooks/messenger``: Meta's subscription handshake."""

    async def endpoint(request: Request) -> Response:
        challenge = verification_challenge(dict(request.query_params), settings.messenger_verify_token)
        if challenge is None:
            return PlainTextResponse("verification failed", status_code=403)
        return PlainTextResponse(challenge)

    return endpoint


def webhook(settings: Settings, intake: Intake) -> Endpoint:
    """``POST /webhooks/messenger``: the body's signature checked before it is parsed, then its events queued."""

    async def endpoint(request: Request) -> Response:
        if not settings.messenger_page_token:
            return JSONResponse({"error": "Messenger is not configured"}, status_code=404)
        try:
            body = await read_body(request, settings.max_body_bytes)
        except BodyTooLarge:
            return too_large()
        signature = request.headers.get(SIGNATURE_HEADER)
        by_meta_secret = signature_matches(settings.messenger_app_secret, body, signature)
        if not by_meta_secret and not signature_matches(settings.instagram_app_secret, body, signature):
            return JSONResponse({"error": "bad or missing signature"}, status_code=403)

        def messages() -> list[Inbound]:
            data = json_body(body)
            if not by_meta_secret and (not isinstance(data, dict) or data.get("object") != "instagram"):
                raise ValueError("the Instagram app secret signs Instagram webhooks only")
            return parse_webhook(data)

        return await queue(messages, intake, lambda queued, duplicates: PlainTextResponse("EVENT_RECEIVED"))

    return endpoint
