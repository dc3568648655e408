"""Fake platform APIs and a gateway process in front of the real test stack."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bot.local.stack import Stack, free_port
from tests.paths import ROOT
from tests.support.fakes.graph_api import PAGE_TOKEN, FakeGraph
from tests.support.fakes.slack_api import BOT_TOKEN, FakeSlack
from tests.support.fakes.telegram_api import TOKEN, FakeTelegram

TELEGRAM_SECRET = "test-webhook-secret_42"
APP_SECRET = "test_app_secret"
VERIFY_TOKEN = "verify-me"
SLACK_SECRET = "test_signing_secret"
SUPPORT_CHANNEL = "C_SUPPORT"


@dataclass
class GatewayProcess:
    """One ``bot serve`` process, killable."""

    url: str
    env: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot", "serve", "--port", self.url.rsplit(":", 1)[1]],
                cwd=ROOT,
                env={**os.environ, **self.env},
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gateway exited: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code in (200, 503):
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("gateway did not start")

    def kill(self) -> None:
        """kill -9: no chance to clean up."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
                raise AssertionError(f"the gateway did not stop on SIGTERM; see {self.log}") from None


@dataclass
class Platforms:
    """The fake platform APIs and how to reach them."""

    telegram: FakeTelegram
    telegram_url: str
    graph: FakeGraph
    graph_url: str
    slack: FakeSlack
    slack_url: str

    def gateway_env(self, stack: Stack, rasa_url: str | None = None, redis_db: int = 0) -> dict[str, str]:
        return {
            "REDIS_URL": stack.redis_url.rsplit("/", 1)[0] + f"/{redis_db}",
            "RASA_URL": rasa_url or stack.settings.rasa_url,
            "RASA_TOKEN": stack.settings.rasa_token,
            "TELEGRAM_TOKEN": TOKEN,
            "TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET,
            "TELEGRAM_API_URL": f"{self.telegram_url}/bot",
            "MESSENGER_PAGE_TOKEN": PAGE_TOKEN,
            "MESSENGER_APP_SECRET": APP_SECRET,
            "MESSENGER_VERIFY_TOKEN": VERIFY_TOKEN,
            "MESSENGER_API_URL": self.graph_url,
            "DELAY_NOTICE_SECONDS": "1",
            "DIGEST_SCHEDULE": "off",  # tests that want a digest turn it on (tests/e2e/test_insights.py)
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SLACK_SECRET,
            "SLACK_SUPPORT_CHANNEL": SUPPORT_CHANNEL,
            "SLACK_API_URL": f"{self.slack_url}/api/",
        }

    def new_gateway(
        self, stack: Stack, log_dir: Path, rasa_url: str | None = None, redis_db: int = 0
    ) -> GatewayProcess:
        """A gateway process; a ``redis_db`` of its own keeps other gateways from sharing its queue."""
        url = f"http://127.0.0.1:{free_port()}"
        env = {**self.gateway_env(stack, rasa_url, redis_db), "GATEWAY_URL": url, "PUBLIC_URL": url}
        return GatewayProcess(url, env, log_dir / f"gateway-{url.rsplit(':', 1)[1]}.log")


_update_id = iter(range(700_000_000, 800_000_000))


def telegram_update(chat_id: int, text: str | None = None, language: str = "fr", **extra: Any) -> dict[str, Any]:
    """A private-chat text update as Telegram sends it."""
    user = {"id": chat_id, "is_bot": False, "first_name": "Client", "language_code": language}
    message: dict[str, Any] = {
        "message_id": next(_update_id) % 100000,
        "from": user,
        "date": int(time.time()),
        "chat": {"id": chat_id, "first_name": "Client", "type": "private"},
        **extra,
    }
    if text is not None:
        message["text"] = text
    return {"update_id": next(_update_id), "message": message}


def telegram_button(chat_id: int, data: str, language: str = "en") -> dict[str, Any]:
    user = {"id": chat_id, "is_bot": False, "first_name": "Client", "language_code": language}
    return {
        "update_id": next(_update_id),
        "callback_query": {
            "id": f"cb{next(_update_id)}",
            "from": user,
            "chat_instance": "1",
            "data": data,
            "message": {"message_id": 1, "date": int(time.time()), "chat": {"id": chat_id, "type": "private"}},
        },
    }


def post_telegram(gateway_url: str, update: dict[str, Any], secret: str | None = TELEGRAM_SECRET) -> httpx.Response:
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
    return httpx.post(f"{gateway_url}/webhooks/telegram", json=update, headers=headers, timeout=10)


_mid = iter(range(1, 10**9))


def messenger_body(psid: str, text: str) -> bytes:
    event = {
        "sender": {"id": psid},
        "recipient": {"id": "PAGE"},
        "timestamp": int(time.time() * 1000),
        "message": {"mid": f"m_test_{next(_mid)}", "text": text},
    }
    return json.dumps(
        {"object": "page", "entry": [{"id": "PAGE", "time": 1, "messaging": [event]}]}, ensure_ascii=False
    ).encode()


def instagram_body(igsid: str, text: str = "", attachment: str | None = None) -> bytes:
    """An Instagram Direct webhook body (object ``instagram``) for one customer message, as Meta sends it."""
    message: dict[str, Any] = {"mid": f"ig_test_{next(_mid)}"}
    if text:
        message["text"] = text
    if attachment:
        message["attachments"] = [{"type": attachment, "payload": {"url": "https://cdn.example/x"}}]
    event = {"sender": {"id": igsid}, "recipient": {"id": "IGACCOUNT"}, "timestamp": int(time.time() * 1000)}
    entry = {"id": "IGACCOUNT", "time": int(time.time() * 1000), "messaging": [{**event, "message": message}]}
    return json.dumps({"object": "instagram", "entry": [entry]}, ensure_ascii=False).encode()


def facebook_comment_body(
    comment_id: str,
    post_id: str,
    text: str,
    author: str = "PSID_COMMENTER",
    name: str = "Léa Martin",
    verb: str = "add",
) -> bytes:
    """A Page ``feed`` webhook body for one comment, shaped like Meta's (tests/fixtures/meta_social/bottender_*)."""
    value = {
        "from": {"id": author, "name": name},
        "item": "comment",
        "comment_id": comment_id,
        "post_id": post_id,
        "verb": verb,
        "parent_id": post_id,
        "created_time": int(time.time()),
        "message": text,
    }
    entry = {"id": "PAGE", "time": int(time.time()), "changes": [{"field": "feed", "value": value}]}
    return json.dumps({"object": "page", "entry": [entry]}, ensure_ascii=False).encode()


def instagram_comment_body(comment_id: str, media_id: str, text: str, author: str = "IGSID_COMMENTER") -> bytes:
    """An Instagram ``comments`` webhook body for one top-level comment (tests/fixtures/meta_social/constructed_*)."""
    value = {"from": {"id": author, "username": "lea.m"}, "media": {"id": media_id}, "id": comment_id, "text": text}
    entry = {"id": "IGACCOUNT", "time": int(time.time()), "changes": [{"field": "comments", "value": value}]}
    return json.dumps({"object": "instagram", "entry": [entry]}, ensure_ascii=False).encode()


def sign(body: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def post_messenger(gateway_url: str, body: bytes, signature: str | None) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["X-Hub-Signature-256"] = signature
    return httpx.post(f"{gateway_url}/webhooks/messenger", content=body, headers=headers, timeout=10)


def post_slack(
    gateway_url: str,
    body: bytes,
    content_type: str,
    timestamp: int | None = None,
    secret: str | None = SLACK_SECRET,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """POST a Slack request to the gateway, signed as Slack signs it (unless ``secret`` is None)."""
    from slack_sdk.signature import SignatureVerifier

    stamp = str(timestamp if timestamp is not None else int(time.time()))
    sent = {"Content-Type": content_type, "X-Slack-Request-Timestamp": stamp, **(headers or {})}
    if secret is not None:
        sent["X-Slack-Signature"] = SignatureVerifier(secret).generate_signature(timestamp=stamp, body=body.decode())
    return httpx.post(f"{gateway_url}/slack/events", content=body, headers=sent, timeout=10)


def slack_button_payload(action_id: str, conversation_id: str, user: str = "U_AGENT") -> dict[str, Any]:
    """A block_actions interactivity payload, as a click on a ticket button sends it."""
    return {
        "type": "block_actions",
        "user": {"id": user, "username": "camille.cm"},
        "team": {"id": "T1"},
        "api_app_id": "A1",
        "token": "legacy",
        "trigger_id": "1.2.3",
        "container": {"type": "message"},
        "channel": {"id": SUPPORT_CHANNEL},
        "actions": [
            {
                "action_id": action_id,
                "block_id": "b",
                "type": "button",
                "value": conversation_id,
                "action_ts": str(time.time()),
            }
        ],
    }


def interactivity_body(payload: dict[str, Any]) -> bytes:
    """An interactivity request body as Slack posts it: the JSON payload, form-encoded."""
    from urllib.parse import quote

    return ("payload=" + quote(json.dumps(payload))).encode()


def slack_button(action_id: str, conversation_id: str, user: str = "U_AGENT") -> bytes:
    """A block_actions interactivity request body."""
    return interactivity_body(slack_button_payload(action_id, conversation_id, user))


def slack_form_submission(view: dict[str, Any], values: dict[str, str], user: str = "U_AGENT") -> bytes:
    """A view_submission interactivity request body: the manager filled the modal ``view`` and pressed Send."""
    state = {"values": {block: {"text": {"type": "plain_text_input", "value": v}} for block, v in values.items()}}
    payload = {
        "type": "view_submission",
        "user": {"id": user, "username": "camille.cm"},
        "team": {"id": "T1"},
        "api_app_id": "A1",
        "token": "legacy",
        "trigger_id": "4.5.6",
        "view": {**view, "state": state},
    }
    return interactivity_body(payload)


_event = iter(range(1, 10**9))


def slack_thread_event(
    thread_ts: str, text: str, user: str = "U_AGENT", event_id: str | None = None, **extra: Any
) -> dict[str, Any]:
    """An Events API callback: a message posted in a ticket's thread."""
    event = {
        "type": "message",
        "channel": SUPPORT_CHANNEL,
        "user": user,
        "text": text,
        "ts": f"{time.time():.6f}",
        "thread_ts": thread_ts,
        **extra,
    }
    return {
        "token": "legacy",
        "team_id": "T1",
        "api_app_id": "A1",
        "type": "event_callback",
        "event_id": event_id or f"Ev{next(_event)}",
        "event_time": int(time.time()),
        "event": event,
    }


def slack_thread_reply(
    thread_ts: str, text: str, user: str = "U_AGENT", event_id: str | None = None, **extra: Any
) -> bytes:
    """An Events API request body: a message posted in a ticket's thread."""
    return json.dumps(slack_thread_event(thread_ts, text, user, event_id, **extra)).encode()
