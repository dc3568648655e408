"""The gateway's logs: text for people, or JSON lines keyed by conversation id (``LOG_FORMAT=json``).

Neither format carries personal data or secrets: no log call writes a customer's text or name, every line is
cleaned of the configured tokens (a library's error message may quote a URL with a token in it), and the HTTP
clients' request logs, which put the Telegram token and the Messenger page token in their URLs, are turned off.
"""

from __future__ import annotations

import contextvars
import json
import logging
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from bot.config import Settings

CONVERSATION: contextvars.ContextVar[str | None] = contextvars.ContextVar("conversation_id", default=None)
REDACTED = "[redacted]"
# These log every request URL at INFO; Telegram's token and Messenger's page token are part of those URLs.
QUIET_LOGGERS = ("httpx", "httpcore", "hpack", "telegram.ext.ExtBot")


@contextmanager
def conversation(conversation_id: str) -> Iterator[None]:
    """Tag every log line written inside the block (in this task) with ``conversation_id``."""
    token = CONVERSATION.set(conversation_id)
    try:
        yield
    finally:
        CONVERSATION.reset(token)


def secrets_of(settings: Settings) -> list[str]:
    """The configured secrets, longest first (so a token containing another is replaced whole)."""
    values = {
        settings.rasa_token,
        settings.telegram_token,
        settings.telegram_webhook_secret,
        settings.messenger_page_token,
        settings.messenger_app_secret,
        settings.instagram_app_secret,
        settings.messenger_verify_token,
        settings.slack_bot_token,
        settings.slack_signing_secret,
        settings.slack_app_token,
    }
    return sorted((v for v in values if len(v) >= 6), key=len, reverse=True)


class _Redacting(logging.Formatter):
    def __init__(self, secrets: Iterable[str], fmt: str | None = None) -> None:
        super().__init__(fmt)
        self.secrets = list(secrets)

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return text


class TextFormatter(_Redacting):
    """``time level logger: message``, for a person reading a terminal."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        """Remove ``secrets`` from every line."""
        super().__init__(secrets, "%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        """The line, with the conversation id when there is one, secrets removed."""
        line = super().format(record)
        conversation_id = getattr(record, "conversation_id", None) or CONVERSATION.get()
        return self.redact(f"{line} [{conversation_id}]" if conversation_id else line)


class JsonFormatter(_Redacting):
    """One JSON object per line: ``time``, ``level``, ``logger``, ``message``, ``conversation_id``, ``error``."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        """Remove ``secrets`` from every field."""
        super().__init__(secrets)

    def format(self, record: logging.LogRecord) -> str:
        """The record as a JSON line."""
        entry: dict[str, object] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": self.redact(record.getMessage()),
        }
        conversation_id = getattr(record, "conversation_id", None) or CONVERSATION.get()
        if conversation_id:
            entry["conversation_id"] = conversation_id
        if record.exc_info:
            entry["error"] = self.redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(settings: Settings, level: int = logging.INFO) -> None:
    """Send every log line to stderr in ``settings.log_format`` (``text`` or ``json``), without secrets."""
    formatter: logging.Formatter
    if settings.log_format == "json":
        formatter = JsonFormatter(secrets_of(settings))
    else:
        formatter = TextFormatter(secrets_of(settings))
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
