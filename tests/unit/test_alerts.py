"""E-reputation alerts on a scripted timeline: quiet on normal traffic, once per burst of complaints."""

from __future__ import annotations

from typing import Any

from fakeredis import FakeAsyncRedis, FakeServer

from bot.insights.alerts import AlertRule, ReputationWatch
from bot.insights.journal import MESSAGE, Event, RedisJournal

START = 1_790_000_000.0  # a Monday morning in 2026
RULE = AlertRule(share=0.3, window=3600, min_messages=10)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


class RecordingBoard:
    def __init__(self) -> None:
        self.posts: list[tuple[str, list[dict[str, Any]] | None]] = []

    async def post_notice(self, text: str, blocks: list[dict[str, Any]] | None = None) -> None:
        self.posts.append((text, blocks))


def message(at: float, n: int, negative: bool = False, complaint: bool = False) -> Event:
    return Event(
        MESSAGE,
        at,
        f"telegram:{n}",
        "telegram",
        language="fr",
        intent="complaint" if complaint else "order_status",
        sentiment=-0.8 if negative else 0.1,
        text=f"colis jamais reçu, commande [ORDER] n°{n}" if negative or complaint else None,
    )


async def normal_traffic(journal: RedisJournal, start: float, minutes: int) -> None:
    """A message every 2 minutes, one in ten negative."""
    for i in range(0, minutes, 2):
        await journal.record(message(start + 60 * i, i, negative=(i // 2) % 10 == 0))


async def run_checks(watch: ReputationWatch, clock: Clock, start: float, minutes: int) -> list[str]:
    results = []
    for i in range(minutes):
        clock.now = start + 60 * i
        result = await watch.check()
        if result:
            results.append(result)
    return results


async def test_normal_traffic_never_alerts() -> None:
    redis, clock, board = FakeAsyncRedis(), Clock(), RecordingBoard()
    journal = RedisJournal(redis)
    await normal_traffic(journal, START, 240)
    watch = ReputationWatch(journal, redis, board, RULE, clock)
    assert await run_checks(watch, clock, START, 241) == [] and board.posts == []


async def test_a_burst_of_complaints_alerts_once_then_gives_the_all_clear() -> None:
    redis, clock, board = FakeAsyncRedis(), Clock(), RecordingBoard()
    journal = RedisJournal(redis)
    await normal_traffic(journal, START, 240)
    burst = START + 60 * 60  # an hour in, 15 complaints in 10 minutes
    for i in range(15):
        await journal.record(message(burst + 40 * i, 1000 + i, negative=True, complaint=i % 2 == 0))
    watch = ReputationWatch(journal, redis, board, RULE, clock)
    assert await run_checks(watch, clock, START, 241) == ["alert", "all_clear"]
    text, blocks = board.posts[0]
    assert "E-reputation alert" in text and "Trend:" in text
    body = str(blocks)
    assert "colis jamais reçu" in body and "[ORDER]" in body
    assert "back to normal" in board.posts[1][0]


async def test_two_gateways_post_one_alert_per_episode() -> None:
    server = FakeServer()
    redis_one, redis_two = FakeAsyncRedis(server=server), FakeAsyncRedis(server=server)
    clock, board = Clock(), RecordingBoard()
    journal = RedisJournal(redis_one)
    for i in range(12):
        await journal.record(message(START + 60 * i, i, complaint=True))
    clock.now = START + 15 * 60
    one = ReputationWatch(journal, redis_one, board, RULE, clock)
    two = ReputationWatch(RedisJournal(redis_two), redis_two, board, RULE, clock)
    assert [await one.check(), await two.check(), await one.check()] == ["alert", None, None]
    assert len(board.posts) == 1


async def test_a_few_angry_messages_on_a_quiet_night_are_no_trend() -> None:
    redis, clock, board = FakeAsyncRedis(), Clock(), RecordingBoard()
    journal = RedisJournal(redis)
    for i in range(5):  # 100% negative, but only 5 messages in the hour
        await journal.record(message(START + 300 * i, i, complaint=True))
    clock.now = START + 1800
    assert await ReputationWatch(journal, redis, board, RULE, clock).check() is None and board.posts == []


async def test_customer_text_cannot_ping_the_channel() -> None:
    redis, clock, board = FakeAsyncRedis(), Clock(), RecordingBoard()
    journal = RedisJournal(redis)
    for i in range(12):
        event = message(START + 60 * i, i, complaint=True)
        await journal.record(Event(**{**event.__dict__, "text": "<!channel> arnaque !!!", "id": f"e{i}"}))
    clock.now = START + 15 * 60
    await ReputationWatch(journal, redis, board, RULE, clock).check()
    assert "<!channel>" not in str(board.posts[0][1]) and "&lt;!channel&gt;" in str(board.posts[0][1])
