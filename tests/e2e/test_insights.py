"""Community insights end to end: real gateway, Rasa, actions and Redis; alerts and tickets in the fake Slack."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from redis.asyncio import Redis

from bot.insights.journal import CLAIM, HANDOFF, MESSAGE, RATING, Event, RedisJournal
from bot.local.stack import Stack
from bot.rasa_client import RasaClient
from tests.support.gateway_harness import GatewayProcess, Platforms, post_telegram, telegram_update

pytestmark = pytest.mark.stack
_chat = iter(range(4_100_000, 4_199_999))
INSIGHTS_CHANNEL = "C_INSIGHTS"


def alerts(platforms: Platforms) -> list[dict[str, Any]]:
    return [
        p
        for p in platforms.slack.posts()
        if p.get("channel") == INSIGHTS_CHANNEL and "E-reputation alert" in str(p.get("text"))
    ]


def yesterday_noon() -> float:
    now = datetime.now(ZoneInfo("Europe/Paris"))
    return (now - timedelta(days=1)).replace(hour=12, minute=0, second=0, microsecond=0).timestamp()


async def script_yesterday(redis_url: str) -> None:
    """Yesterday in the journal: three conversations (Telegram fr, Telegram en, Messenger fr), one handed over,
    claimed after 120 s and rated 4."""
    redis = Redis.from_url(redis_url)
    journal, noon = RedisJournal(redis), yesterday_noon()
    await redis.flushdb()
    for n, (conversation, channel, language, intent) in enumerate(
        [
            ("telegram:1", "telegram", "fr", "order_status"),
            ("telegram:2", "telegram", "en", "order_status"),
            ("messenger:3", "messenger", "fr", "complaint"),
        ]
    ):
        event = Event(MESSAGE, noon + n, conversation, channel, language=language, intent=intent, sentiment=0.0)
        await journal.record(event)
    await journal.record(Event(HANDOFF, noon + 10, "messenger:3", "messenger", reason="complaint"))
    await journal.record(Event(CLAIM, noon + 130, "messenger:3", "messenger", seconds=120.0))
    await journal.record(Event(RATING, noon + 600, "messenger:3", "messenger", rating=4))
    await redis.close()


@pytest.fixture(scope="module")
def watched_gateway(stack: Stack, platforms: Platforms) -> Any:
    """A gateway on a journal of its own (yesterday scripted) that checks for alerts twice a second, with a low
    minimum of messages, and posts a daily digest."""
    gateway: GatewayProcess = platforms.new_gateway(stack, stack.log_dir, redis_db=10)
    gateway.env.update(
        {
            "SLACK_SUPPORT_CHANNEL": INSIGHTS_CHANNEL,
            "INSIGHTS_CHECK_SECONDS": "0.5",
            "ALERT_MIN_MESSAGES": "6",
            "ALERT_NEGATIVE_SHARE": "0.5",
            "DIGEST_SCHEDULE": "daily",
            "DIGEST_HOUR": "0",
        }
    )
    asyncio.run(script_yesterday(gateway.env["REDIS_URL"]))
    gateway.start()
    yield gateway
    gateway.stop()


def test_the_daily_digest_is_posted_once_with_its_chart(watched_gateway: GatewayProcess, platforms: Platforms) -> None:
    digest = platforms.slack.wait_for(
        lambda m, p: m == "chat.postMessage" and p.get("channel") == INSIGHTS_CHANNEL and "Service digest" in str(p)
    )
    assert "3 conversations" in digest["text"] and "1 handoffs" in digest["text"]
    blocks = str(digest["blocks"])
    assert "4.0" in blocks and "Telegram" in blocks and "Messenger" in blocks  # the rating, the channels
    time.sleep(2)  # four more checks: no second digest for the same day
    digests = [
        p for p in platforms.slack.posts() if p.get("channel") == INSIGHTS_CHANNEL and "Service digest" in str(p)
    ]
    assert len(digests) == 1
    charts = [f for f in platforms.slack.files if f["channel"] == INSIGHTS_CHANNEL]
    assert [f["name"] for f in charts] == ["digest.png"] and charts[0]["data"].startswith(b"\x89PNG")


def converse(gateway: GatewayProcess, platforms: Platforms, texts: list[str]) -> None:
    """One new customer per text; wait until each got an answer."""
    chats = [next(_chat) for _ in texts]
    for chat, text in zip(chats, texts, strict=True):
        assert post_telegram(gateway.url, telegram_update(chat, text)).status_code == 200
    for chat in chats:
        platforms.telegram.wait_for(chat, 1)


def test_normal_traffic_then_a_burst_of_complaints_posts_one_alert(
    watched_gateway: GatewayProcess, platforms: Platforms
) -> None:
    converse(watched_gateway, platforms, ["bonjour", "hello", "où est ma commande CMD-48213 ?", "merci"] * 2)
    time.sleep(1.5)  # three checks
    assert alerts(platforms) == []
    complaints = ["c'est inadmissible", "service client nul", "pire service de ma vie", "this is unacceptable"]
    converse(watched_gateway, platforms, complaints * 3)
    platforms.slack.wait_for(lambda m, p: p.get("channel") == INSIGHTS_CHANNEL and "E-reputation" in str(p))
    time.sleep(2)  # more checks, more complaints' tickets: still one alert
    converse(watched_gateway, platforms, complaints)
    time.sleep(1.5)
    posted = alerts(platforms)
    assert len(posted) == 1, posted
    assert "negative or complaints" in posted[0]["text"]
    examples = str(posted[0]["blocks"]).split("Examples (redacted)")[1]
    assert sum(text in examples for text in complaints) == 3  # three of the customers' words, as examples


def test_a_strongly_negative_message_is_escalated_with_the_reason_on_the_ticket(
    gateway: str, platforms: Platforms
) -> None:
    chat = next(_chat)
    # An order-status question, by its words; strongly negative, by its tone (the classifier alone says order_status).
    angry = "Où est ma commande CMD-48213 ??? 3 semaines d'attente, vous êtes des escrocs et des incapables !!!"
    post_telegram(gateway, telegram_update(chat, angry))
    texts = platforms.telegram.wait_for(chat, 2)
    assert "Une personne va vous répondre" in " ".join(texts)
    ticket = platforms.slack.wait_for(
        lambda m, p: m == "chat.postMessage" and not p.get("thread_ts") and f"telegram:{chat}" in str(p.get("blocks"))
    )
    assert "strongly negative message" in str(ticket["blocks"])


def test_a_merely_unhappy_customer_is_answered_by_the_bot(gateway: str, platforms: Platforms) -> None:
    chat = next(_chat)
    unhappy = "Où est ma commande CMD-48213 ??? ça fait 3 semaines, vous êtes vraiment nuls !!!"  # about -0.7
    post_telegram(gateway, telegram_update(chat, unhappy))
    assert "expédiée" in platforms.telegram.wait_for(chat, 1)[0]
    time.sleep(1)
    assert not any(f"telegram:{chat}" in str(p.get("blocks")) for p in platforms.slack.posts())


async def test_each_message_keeps_its_sentiment_in_the_tracker(
    gateway: str, platforms: Platforms, rasa: RasaClient
) -> None:
    chat = next(_chat)
    for text in ("bonjour, où en est ma commande CMD-48213 ?", "merci beaucoup, c'est parfait !"):
        post_telegram(gateway, telegram_update(chat, text))
    platforms.telegram.wait_for(chat, 2)
    deadline = time.monotonic() + 30
    while True:
        events = (await rasa.tracker(f"telegram:{chat}"))["events"]
        users = [e for e in events if e["event"] == "user"]
        if len(users) == 2 or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.2)
    sentiments = [u["parse_data"]["sentiment"] for u in users]
    assert [s["label"] for s in sentiments] == ["neutral", "positive"]
    assert not any(s["escalated"] for s in sentiments) and sentiments[1]["score"] > 0.25
