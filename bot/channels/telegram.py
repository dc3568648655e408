"""Telegram through python-telegram-bot: updates -> ``Inbound``, ``Outbound`` -> Bot API calls, and the webhook edge.

Just over 300 lines: the two translators, the sender and the webhook edge of one platform; how updates reach the
gateway (webhook registration or polling) is in telegram_link.py.

Every update type gets a defined outcome:
- text, and photo/video captions: a customer message;
- sticker, photo or voice note without text (and other media): a message the bot answers politely that it reads
  only text (the dispatcher writes that answer in the customer's language);
- ``edited_message``: the corrected text is handled as a new message;
- ``callback_query`` (a button press), with or without its message: the button's payload, and the press is
  acknowledged so the customer's button stops spinning;
- ``my_chat_member`` (the customer blocked or unblocked the bot): recorded in the log, never answered;
- anything else (channel posts, polls, inline queries...): acknowledged and ignored.

A send the Bot API answered with a 2xx counts as delivered even when the answer cannot be read (no ``result``, not
JSON, a result of the wrong shape: a misconfigured proxy or an API change): Telegram took the message, and sending
it again would repeat it to the customer. Such sends are logged and counted in ``/metrics``.
"""

from __future__ import annotations

import functools
import hmac
import logging
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import AIORateLimiter, ExtBot
from telegram.request import HTTPXRequest

from bot.channels.acknowledgements import taken_unread, unreadable_answer
from bot.channels.base import AcknowledgementCounter, DeliveryError, NoCounter
from bot.channels.webhooks import BodyTooLarge, Endpoint, Intake, json_body, queue, read_body, too_large
from bot.config import Settings
from bot.conversation import Inbound, Outbound

log = logging.getLogger(__name__)
CHANNEL = "telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_TEXT = 4096
MAX_CALLBACK_DATA = 64
_MEDIA = (
    "sticker",
    "photo",
    "voice",
    "audio",
    "video",
    "video_note",
    "animation",
    "document",
    "location",
    "venue",
    "contact",
    "poll",
    "dice",
)


@dataclass(frozen=True)
class ParsedUpdate:
    """What one update means for the gateway."""

    messages: tuple[Inbound, ...] = ()
    note: str = ""  # why nothing is queued, for the log


def secret_matches(expected: str, received: str | None) -> bool:
    """Compare the webhook secret in constant time; an unset secret matches nothing."""
    return bool(expected) and received is not None and hmac.compare_digest(expected.encode(), received.encode())


def conversation_id(chat_id: int | str) -> str:
    """The gateway's id of a Telegram chat."""
    return f"{CHANNEL}:{chat_id}"


def _display_name(user: dict[str, Any] | None) -> str | None:
    if not user:
        return None
    full = " ".join(str(user[k]) for k in ("first_name", "last_name") if user.get(k))
    return full or user.get("username")


def _chat_id(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("malformed Telegram update: chat id is not an integer")
    return value


def _from_message(message: Any, message_id: str) -> Inbound | str:
    if not isinstance(message, dict) or not isinstance(message.get("chat"), dict):
        raise ValueError("malformed Telegram update: message without chat")
    chat = message["chat"]
    if chat.get("type", "private") != "private":
        return f"ignored a {chat.get('type')} chat message"
    text = message.get("text") or message.get("caption") or ""
    if not isinstance(text, str):
        raise ValueError("malformed Telegram update: text is not a string")
    sender = message.get("from") if isinstance(message.get("from"), dict) else None
    attachment = next((kind for kind in _MEDIA if message.get(kind)), "unknown")
    return Inbound(
        conversation_id=conversation_id(_chat_id(chat.get("id"))),
        channel=CHANNEL,
        text=text,
        language_hint=sender.get("language_code") if sender else None,
        display_name=_display_name(sender),
        message_id=message_id,
        attachment=None if text else attachment,
    )


def parse_update(data: Any) -> ParsedUpdate:
    """Translate a Bot API update (already authenticated) into customer messages.

    The update is read as plain JSON, tolerating fields that the Bot API added or dropped over time.

    Raises:
        ValueError: when ``data`` is not a usable update.

    """
    if (
        not isinstance(data, dict)
        or isinstance(data.get("update_id"), bool)
        or not isinstance(data.get("update_id"), int)
    ):
        raise ValueError("not a Telegram update: update_id missing")
    uid = str(data["update_id"])
    for key, message_id in (("message", uid), ("edited_message", f"{uid}:edited")):
        if key in data:
            parsed = _from_message(data[key], message_id)
            return ParsedUpdate(note=parsed) if isinstance(parsed, str) else ParsedUpdate((parsed,))
    if "callback_query" in data:
        query = data["callback_query"]
        if not isinstance(query, dict) or not isinstance(query.get("from"), dict) or "id" not in query:
            raise ValueError("malformed Telegram update: callback_query without id or from")
        message = query.get("message")
        chat_id = (
            message["chat"]["id"]
            if isinstance(message, dict) and isinstance(message.get("chat"), dict)
            else query["from"].get("id")
        )
        return ParsedUpdate(
            (
                Inbound(
                    conversation_id=conversation_id(_chat_id(chat_id)),
                    channel=CHANNEL,
                    text=str(query.get("data") or ""),
                    language_hint=query["from"].get("language_code"),
                    display_name=_display_name(query["from"]),
                    message_id=uid,
                    callback_id=str(query["id"]),
                ),
            )
        )
    if isinstance(data.get("my_chat_member"), dict):
        change = data["my_chat_member"]
        old = (change.get("old_chat_member") or {}).get("status")
        new = (change.get("new_chat_member") or {}).get("status")
        return ParsedUpdate(note=f"chat {(change.get('chat') or {}).get('id')}: bot status {old} -> {new}")
    return ParsedUpdate(note="ignored an update with nothing for the bot")


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Split a long reply at paragraph, line or word boundaries into messages of at most ``limit`` characters."""
    chunks: list[str] = []
    rest = text
    while len(rest) > limit:
        window = rest[:limit]
        cut = max(window.rfind("\n\n"), window.rfind("\n"), window.rfind(" "))
        cut = cut if cut > limit // 2 else limit
        chunks.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest or not chunks:
        chunks.append(rest)
    return chunks


def keyboard(message: Outbound) -> InlineKeyboardMarkup | None:
    """Buttons as an inline keyboard, one button a row; each press sends back the button's payload."""
    if not message.buttons:
        return None
    rows = [
        [InlineKeyboardButton(b.title, callback_data=b.payload.encode()[:MAX_CALLBACK_DATA].decode(errors="ignore"))]
        for b in message.buttons
    ]
    return InlineKeyboardMarkup(rows)


class UnreadableAnswer(TelegramError):
    """The Bot API, or a proxy in front of it, answered 2xx with something that is not a Bot API answer."""


# The status of the last 2xx answer in this task: set by the request, read by the sender to tell "failed before
# Telegram answered" (send again) from "Telegram took it, then its answer could not be read" (never send again).
_ANSWERED: ContextVar[int | None] = ContextVar("telegram_answered", default=None)


class CheckedRequest(HTTPXRequest):
    """python-telegram-bot's HTTP client, reading a 2xx answer before the library does.

    The library would raise a bare ``KeyError('result')`` (or log a traceback for a body that is not JSON) for an
    answer it cannot read; this raises ``UnreadableAnswer`` instead, with what was wrong.
    """

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        """Do the request; mark a 2xx answer, and refuse one without a readable ``result``."""
        code, payload = await super().do_request(*args, **kwargs)
        if 200 <= code <= 299:
            _ANSWERED.set(code)
            problem = unreadable_answer(payload, "result")
            if problem is not None:
                raise UnreadableAnswer(f"HTTP {code} with {problem}")
        return code, payload


def make_bot(token: str, api_url: str) -> ExtBot[int]:
    """A Bot API client within Telegram's flood limits (retries a 429 after its ``retry_after``)."""
    return ExtBot(
        token,
        base_url=api_url,
        request=CheckedRequest(),
        get_updates_request=CheckedRequest(connection_pool_size=1),  # the library's defaults
        rate_limiter=AIORateLimiter(max_retries=3),
    )


class TelegramSender:
    """Delivers replies through the Bot API."""

    def __init__(self, bot: Bot, metrics: AcknowledgementCounter | None = None) -> None:
        """Send with ``bot`` (made by ``make_bot``, so that unreadable answers are recognised)."""
        self.bot = bot
        self.metrics = metrics or NoCounter()

    async def send(self, conversation_id: str, message: Outbound, from_agent: bool = False) -> None:
        """Send text (split at 4096 characters), buttons as an inline keyboard, images as photos."""
        chat_id = int(conversation_id.removeprefix(f"{CHANNEL}:"))
        calls: list[Callable[[], Awaitable[object]]] = []
        if message.text:
            chunks = split_text(message.text)
            for i, chunk in enumerate(chunks):
                markup = keyboard(message) if i == len(chunks) - 1 else None
                calls.append(functools.partial(self.bot.send_message, chat_id, chunk, reply_markup=markup))
        elif message.buttons:
            calls.append(functools.partial(self.bot.send_message, chat_id, "…", reply_markup=keyboard(message)))
        if message.image:
            calls.append(functools.partial(self.bot.send_photo, chat_id, message.image))
        for call in calls:
            await self._call(call)

    async def _call(self, call: Callable[[], Awaitable[object]]) -> None:
        """One Bot API call; every failure becomes a ``DeliveryError``, except an answer that came but is unreadable."""
        _ANSWERED.set(None)
        try:
            await call()
        except UnreadableAnswer as error:
            self._taken_unread(str(error))
        except (Forbidden, BadRequest) as error:
            raise DeliveryError(f"Telegram refused: {error.message}", permanent=True) from error
        except TelegramError as error:  # RetryAfter (after the rate limiter's retries), NetworkError...
            raise DeliveryError(f"Telegram unavailable: {error}") from error
        except Exception as error:
            code = _ANSWERED.get()
            if code is None:
                raise DeliveryError(f"Telegram send failed: {type(error).__name__}: {error}") from error
            self._taken_unread(f"HTTP {code} with a result of the wrong shape ({type(error).__name__}: {error})")

    def _taken_unread(self, problem: str) -> None:
        taken_unread("Telegram", CHANNEL, problem, self.metrics)

    async def acknowledge(self, message: Inbound) -> None:
        """Stop the pressed button's spinner."""
        if not message.callback_id:
            return
        try:
            await self.bot.answer_callback_query(message.callback_id)
        except Exception as error:  # best effort: the press is handled anyway
            log.info("could not acknowledge a button press: %s", error)


def webhook(settings: Settings, intake: Intake) -> Endpoint:
    """``POST /webhooks/telegram``: the secret token checked before the body is read, then the update queued."""

    async def endpoint(request: Request) -> Response:
        if not settings.telegram_token:
            return JSONResponse({"error": "Telegram is not configured"}, status_code=404)
        if not secret_matches(settings.telegram_webhook_secret, request.headers.get(SECRET_HEADER)):
            return JSONResponse({"error": "bad or missing secret token"}, status_code=401)
        try:
            body = await read_body(request, settings.max_body_bytes)
        except BodyTooLarge:
            return too_large()

        def messages() -> list[Inbound]:
            parsed = parse_update(json_body(body))
            if parsed.note:
                log.info("telegram: %s", parsed.note)
            return list(parsed.messages)

        return await queue(messages, intake, lambda q, d: JSONResponse({"ok": True, "queued": q, "duplicates": d}))

    return endpoint
