"""Length and flood limits at intake, and what the customer is told, on the in-process store."""

from __future__ import annotations

import asyncio

from fakeredis import FakeAsyncRedis, FakeServer

from bot.conversation import Inbound
from bot.gateway.limits import FLOOD, FLOOD_QUIET, TOO_LONG, Limits, refusal_notice, screen
from bot.gateway.store import RedisStore

LIMITS = Limits(max_chars=100, flood_messages=3, flood_window=60)


def message(number: int, text: str = "bonjour", conversation: str = "telegram:1") -> Inbound:
    return Inbound(conversation, "telegram", text, message_id=str(number))


async def accept(store: RedisStore, inbound: Inbound, limits: Limits = LIMITS) -> Inbound:
    screened = await screen(inbound, store, limits)
    await store.enqueue(screened)
    return screened


async def test_a_message_over_the_length_limit_is_flagged_and_answered_in_its_language() -> None:
    store = RedisStore(FakeAsyncRedis(), durable=False)
    assert (await accept(store, message(1, "x" * 101))).refused == TOO_LONG
    assert (await accept(store, message(2, "x" * 100))).refused is None
    notice = refusal_notice(TOO_LONG, "en")
    assert notice is not None and "too long" in (notice.text or "")


async def test_past_the_flood_limit_one_notice_then_quiet() -> None:
    store = RedisStore(FakeAsyncRedis(), durable=False)
    verdicts = [(await accept(store, message(i))).refused for i in range(6)]
    assert verdicts == [None, None, None, FLOOD, FLOOD_QUIET, FLOOD_QUIET]
    assert refusal_notice(FLOOD_QUIET, "fr") is None
    assert "beaucoup de messages" in (refusal_notice(FLOOD, "fr").text or "")  # type: ignore[union-attr]


async def test_other_customers_are_not_limited_by_one_who_floods() -> None:
    store = RedisStore(FakeAsyncRedis(), durable=False)
    for i in range(5):
        await accept(store, message(i))
    assert (await accept(store, message(100, conversation="telegram:2"))).refused is None


async def test_a_platform_retry_is_not_counted_twice() -> None:
    store = RedisStore(FakeAsyncRedis(), durable=False)
    first = message(1)
    for _ in range(5):  # the platform delivers the same message again and again
        await accept(store, first)
    verdicts = [(await accept(store, message(i))).refused for i in range(2, 4)]
    assert verdicts == [None, None]


async def test_two_gateways_on_one_redis_count_the_customer_together() -> None:
    server = FakeServer()
    one, two = RedisStore(FakeAsyncRedis(server=server)), RedisStore(FakeAsyncRedis(server=server))
    verdicts = [(await accept(one if i % 2 else two, message(i))).refused for i in range(5)]
    assert verdicts == [None, None, None, FLOOD, FLOOD_QUIET]


async def test_the_flood_limit_forgets_messages_older_than_its_window() -> None:
    store = RedisStore(FakeAsyncRedis(), durable=False)
    short = Limits(max_chars=100, flood_messages=2, flood_window=0.3)
    assert [(await accept(store, message(i), short)).refused for i in range(3)] == [None, None, FLOOD]
    await asyncio.sleep(0.4)
    assert (await accept(store, message(10), short)).refused is None


async def test_zero_turns_the_limits_off() -> None:
    store = RedisStore(FakeAsyncRedis(), durable=False)
    off = Limits(max_chars=0, flood_messages=0)
    verdicts = [(await accept(store, message(i, "x" * 10_000), off)).refused for i in range(30)]
    assert verdicts == [None] * 30
