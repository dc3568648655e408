"""Operating the bot: /metrics after real traffic, JSON logs without personal data, and `bot doctor`."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.config import Settings
from bot.doctor.checks import Check
from bot.doctor.report import run_checks
from bot.handoff.tickets import TAKE_OVER
from bot.local.stack import Stack
from tests.paths import ROOT
from tests.support.fakes.graph_api import PAGE_TOKEN
from tests.support.fakes.slack_api import BOT_TOKEN, SCOPES
from tests.support.fakes.telegram_api import TOKEN
from tests.support.gateway_harness import (
    APP_SECRET,
    SLACK_SECRET,
    TELEGRAM_SECRET,
    Platforms,
    post_slack,
    post_telegram,
    slack_button,
    telegram_update,
)

pytestmark = pytest.mark.stack
_chat = iter(range(5_100_000, 5_199_999))


def scrape(gateway: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    response = httpx.get(f"{gateway}/metrics", timeout=10)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    return {
        (s.name, frozenset(s.labels.items())): float(s.value)
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def value(samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float:
    return sum(v for (n, ls), v in samples.items() if n == name and set(labels.items()) <= ls)


def wait_until(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.1)


def test_metrics_follow_messages_tickets_and_claims(gateway: str, platforms: Platforms) -> None:
    before = scrape(gateway)
    chat = next(_chat)
    post_telegram(gateway, telegram_update(chat, "bonjour"))
    post_telegram(gateway, telegram_update(chat, "où en est ma commande CMD-48213 ?"))
    post_telegram(gateway, telegram_update(chat, "je veux parler à un humain"))
    platforms.telegram.wait_for(chat, 3)

    def moved(name: str, **labels: str) -> float:
        return value(scrape(gateway), name, **labels) - value(before, name, **labels)

    wait_until(lambda: moved("passerelle_nlu_messages_total") >= 3)  # counted just after the replies
    assert moved("passerelle_messages_received_total", channel="telegram") == 3
    assert moved("passerelle_webhook_ack_seconds_count", channel="telegram") == 3
    assert moved("passerelle_webhook_requests_total", channel="telegram", status="200") == 3
    assert moved("passerelle_messages_sent_total", channel="telegram", sender="bot") >= 3
    assert moved("passerelle_reply_seconds_count", channel="telegram") == 3
    assert moved("passerelle_nlu_messages_total", result="understood") >= 2
    assert moved("passerelle_nlu_confidence_count") == 3
    assert moved("passerelle_tickets_unclaimed") == 1 and moved("passerelle_tickets_open") == 1

    response = post_slack(gateway, slack_button(TAKE_OVER, f"telegram:{chat}"), "application/x-www-form-urlencoded")
    assert response.status_code == 200
    wait_until(lambda: moved("passerelle_time_to_claim_seconds_count") == 1)
    assert moved("passerelle_tickets_unclaimed") == 0 and moved("passerelle_tickets_open") == 1
    assert str(chat) not in httpx.get(f"{gateway}/metrics", timeout=10).text  # no conversation ids


def test_a_refused_webhook_is_counted_by_status(gateway: str) -> None:
    before = scrape(gateway)
    assert post_telegram(gateway, telegram_update(next(_chat), "bonjour"), secret="wrong").status_code == 401
    after = scrape(gateway)
    name = "passerelle_webhook_requests_total"
    assert value(after, name, channel="telegram", status="401") - value(before, name, status="401") == 1


def test_json_logs_carry_the_conversation_but_no_text_name_or_secret(
    stack: Stack, platforms: Platforms, tmp_path: Path
) -> None:
    gateway = platforms.new_gateway(stack, tmp_path, redis_db=11)
    gateway.env["LOG_FORMAT"] = "json"
    gateway.start()
    try:
        chat = next(_chat)
        said = ["Bonjour, ici Zéphyrine Quellec", "je veux parler à un humain, mon code est 8731-XQ"]
        for text in said:
            update = telegram_update(chat, text)
            update["message"]["from"]["first_name"] = update["message"]["chat"]["first_name"] = "Zéphyrine"
            post_telegram(gateway.url, update)
        platforms.telegram.wait_for(chat, 2)
        wait_until(lambda: f"telegram:{chat}" in gateway.log.read_text())
    finally:
        gateway.stop()
    log = gateway.log.read_text(encoding="utf-8")
    entries = [json.loads(line) for line in log.splitlines() if line.strip()]  # every line is JSON
    assert any(e.get("conversation_id") == f"telegram:{chat}" for e in entries)
    for private in ["Zéphyrine", "Quellec", "8731-XQ", "parler à un humain"]:
        assert private not in log
    for secret in [TOKEN, BOT_TOKEN, PAGE_TOKEN, TELEGRAM_SECRET, SLACK_SECRET, APP_SECRET, stack.settings.rasa_token]:
        assert secret not in log


def doctor_environment(stack: Stack, platforms: Platforms, gateway: str) -> dict[str, str]:
    return {
        **platforms.gateway_env(stack),
        "GATEWAY_URL": gateway,
        "PUBLIC_URL": gateway,
        "ACTION_SERVER_URL": stack.settings.action_server_url,
    }


def checks(settings: Settings) -> dict[str, Check]:
    return {c.name: c for c in asyncio.run(run_checks(settings))}


def test_doctor_finds_everything_in_order(stack: Stack, platforms: Platforms, gateway: str) -> None:
    env = doctor_environment(stack, platforms, gateway)
    platforms.telegram.webhook_url = f"{gateway}/webhooks/telegram"
    found = checks(Settings.from_env(env))
    assert [c.line() for c in found.values() if c.status == "error"] == []
    for name in ("rasa", "actions", "redis", "gateway", "slack auth", "slack scopes", "slack channel"):
        assert found[name].status == "ok", found[name].line()
    assert "AOF on" in found["redis"].detail
    assert found["telegram webhook"].status == "ok" and found["telegram webhook"].detail.startswith("webhook ")
    assert found["messenger api"].status == "ok"


def test_doctor_says_what_to_fix(stack: Stack, platforms: Platforms, gateway: str) -> None:
    env = doctor_environment(stack, platforms, gateway)
    platforms.telegram.webhook_url, platforms.telegram.last_error = "https://old.example.com/hook", "Connection refused"
    platforms.slack.scopes = "chat:write,commands"
    platforms.slack.channels["C_SUPPORT"]["is_member"] = False
    try:
        found = checks(Settings.from_env({**env, "RASA_TOKEN": "not-the-token"}))
    finally:
        platforms.telegram.webhook_url, platforms.telegram.last_error = f"{gateway}/webhooks/telegram", ""
        platforms.slack.scopes = SCOPES
        platforms.slack.channels["C_SUPPORT"]["is_member"] = True
    assert found["rasa"].status == "error" and "RASA_TOKEN refused" in found["rasa"].detail
    assert found["slack scopes"].status == "error" and "groups:history" in found["slack scopes"].detail
    assert found["slack channel"].status == "error" and "/invite @Passerelle" in found["slack channel"].fix
    webhook = found["telegram webhook"]
    assert webhook.status == "error" and f"expected {gateway}/webhooks/telegram" in webhook.detail
    assert (
        found["telegram deliveries"].status == "warning" and "Connection refused" in found["telegram deliveries"].detail
    )


def test_bot_doctor_exits_1_on_an_error_and_prints_no_secret(
    stack: Stack, platforms: Platforms, gateway: str, tmp_path: Path
) -> None:
    env = {**os.environ, **doctor_environment(stack, platforms, gateway), "RASA_URL": "http://127.0.0.1:9"}
    run = subprocess.run(
        [sys.executable, "-m", "bot", "doctor"], cwd=tmp_path, env={**env, "PYTHONPATH": str(ROOT)},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 1, run.stdout + run.stderr
    assert "error   rasa: http://127.0.0.1:9 unreachable" in run.stdout
    assert "ok      redis: reachable, AOF on" in run.stdout
    assert TOKEN not in run.stdout and BOT_TOKEN not in run.stdout
