"""A local stand-in for the Telegram Bot API that records what the bot sends (fails loudly on unknown methods)."""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

TOKEN = "123456:TEST-TOKEN-abcdefghijklmnopqrstuvwx"  # BotFather's shape: <digits>:<35 characters>


class FakeTelegram:
    """Records Bot API calls; ``fail_next`` makes the next sends answer 429 or 500.

    ``odd_answers`` are raw bodies the next sends are answered with, under a 200 (what a misconfigured proxy or an
    API change gives): the message is recorded as sent, since the platform took it.
    """

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.received_at: list[float] = []  # when each call in ``calls`` arrived (time.monotonic)
        self.fail_next: list[int] = []
        self.odd_answers: list[bytes] = []
        self.updates: list[dict[str, Any]] = []  # served by getUpdates (polling mode)
        self.webhook_url = ""  # set by setWebhook, served by getWebhookInfo
        self.last_error = ""  # getWebhookInfo's last_error_message, when set
        self._ids = itertools.count(1000)
        self._lock = threading.Lock()

    def sent(self, chat_id: int | None = None) -> list[dict[str, Any]]:
        """sendMessage calls, optionally for one chat."""
        return [p for m, p in self.calls if m == "sendMessage" and (chat_id is None or int(p["chat_id"]) == chat_id)]

    def send_times(self, chat_id: int) -> list[float]:
        """When each sendMessage to ``chat_id`` arrived."""
        return [
            t
            for (m, p), t in zip(self.calls, self.received_at, strict=True)
            if m == "sendMessage" and int(p["chat_id"]) == chat_id
        ]

    def texts(self, chat_id: int) -> list[str]:
        return [p["text"] for p in self.sent(chat_id)]

    def wait_for(self, chat_id: int, count: int, timeout: float = 30.0) -> list[str]:
        """Wait until ``count`` messages were sent to ``chat_id``; return their texts."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            texts = self.texts(chat_id)
            if len(texts) >= count:
                return texts
            time.sleep(0.05)
        raise AssertionError(f"expected {count} messages to chat {chat_id}, got {self.texts(chat_id)}")

    def app(self) -> Starlette:
        async def method(request: Request) -> JSONResponse:
            if request.path_params["token"] != TOKEN:
                return JSONResponse({"ok": False, "error_code": 401, "description": "Unauthorized"}, 401)
            name = request.path_params["method"]
            if request.headers.get("content-type", "").startswith("application/json"):
                params = await request.json()
            else:  # python-telegram-bot posts application/x-www-form-urlencoded
                params = dict(parse_qsl((await request.body()).decode()))
            for key in ("reply_markup", "allowed_updates"):
                if isinstance(params.get(key), str):
                    params[key] = json.loads(params[key])
            with self._lock:
                status = self.fail_next.pop(0) if self.fail_next and name == "sendMessage" else 200
                if status == 200:
                    self.calls.append((name, params))
                    self.received_at.append(time.monotonic())
            if status == 429:
                return JSONResponse(
                    {
                        "ok": False,
                        "error_code": 429,
                        "description": "Too Many Requests",
                        "parameters": {"retry_after": 1},
                    },
                    429,
                )
            if status != 200:
                return JSONResponse({"ok": False, "error_code": status, "description": "Internal"}, status)
            if name == "sendMessage" and self.odd_answers:
                return Response(self.odd_answers.pop(0), 200, media_type="application/json")
            if name in ("sendMessage", "sendPhoto"):
                result: Any = {
                    "message_id": next(self._ids),
                    "date": int(time.time()),
                    "chat": {"id": int(params["chat_id"]), "type": "private"},
                    "text": params.get("text", ""),
                }
            elif name in ("setWebhook", "deleteWebhook", "answerCallbackQuery"):
                if name != "answerCallbackQuery":
                    self.webhook_url = str(params.get("url") or "") if name == "setWebhook" else ""
                result = True
            elif name == "getWebhookInfo":
                result = {"url": self.webhook_url, "has_custom_certificate": False, "pending_update_count": 0}
                if self.last_error:
                    result.update(last_error_date=int(time.time()) - 60, last_error_message=self.last_error)
            elif name == "getMe":
                result = {"id": 999, "is_bot": True, "first_name": "AtelierMistralBot", "username": "mistral_bot"}
            elif name == "getUpdates":
                offset = int(params.get("offset") or 0)
                for _ in range(20):  # long polling, briefly: answer as soon as there is something
                    result = [u for u in self.updates if u["update_id"] >= offset]
                    if result:
                        break
                    await asyncio.sleep(0.05)
            else:
                return JSONResponse({"ok": False, "error_code": 404, "description": f"fake: no {name}"}, 404)
            return JSONResponse({"ok": True, "result": result})

        return Starlette(routes=[Route("/bot{token}/{method}", method, methods=["GET", "POST"])])
