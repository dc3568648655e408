"""Log lines: JSON keyed by conversation id, and never a token."""

from __future__ import annotations

import json
import logging

from bot.config import Settings
from bot.gateway.logs import JsonFormatter, TextFormatter, conversation, secrets_of

SETTINGS = Settings(
    telegram_token="123456:ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghi",
    slack_bot_token="xoxb-1-secret",
    rasa_token="rasa-secret",
)


def record(message: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord("bot.test", logging.WARNING, __file__, 1, message, args, None)


def test_json_lines_carry_the_conversation_of_the_task_and_no_token() -> None:
    formatter = JsonFormatter(secrets_of(SETTINGS))
    with conversation("telegram:42"):
        line = formatter.format(record("POST http://x/bot%s/sendMessage failed", SETTINGS.telegram_token))
    entry = json.loads(line)
    assert entry["conversation_id"] == "telegram:42" and entry["level"] == "warning"
    assert SETTINGS.telegram_token not in line and "[redacted]" in entry["message"]
    assert "conversation_id" not in json.loads(formatter.format(record("outside any conversation")))


def test_text_lines_drop_tokens_too() -> None:
    line = TextFormatter(secrets_of(SETTINGS)).format(record("auth with %s and %s", "xoxb-1-secret", "rasa-secret"))
    assert "secret" not in line.replace("[redacted]", "")


def test_short_or_empty_values_are_not_treated_as_secrets() -> None:
    assert secrets_of(Settings(rasa_token="", telegram_webhook_secret="abc")) == []
