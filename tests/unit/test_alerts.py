"""E-reputation alerts on a scripted timeline: quiet on normal traffic, once per burst of complaints, private
messages and public comments apart."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from fakeredis import FakeAsyncRedis, FakeServer

from bot.channels.base import DeliveryError
from bot.insights.alerts import AlertRule, ReputationWatch
from bot.insights.journal import COMMENT, MESSAGE, Event, RedisJournal

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


def public_comment(at: float, n: int, negative: bool = False) -> Event:
    """A comment under a Facebook post: a complaint the desk sent to the team, or praise it left alone."""
    return Event(
        COMMENT,
        at,
        "facebook_comments:post1",
        "facebook_comments",
        language="fr",
        intent="complaint" if negative else "greet",
        sentiment=-0.7 if negative else 0.6,
        text=f"arnaque, toujours pas livré n°{n}" if negative else None,
        reason="ticket" if negative else "leave",
        comment_key=f"facebook:c{n}",
    )


async def normal_traffic(journal: RedisJournal, start: float, minutes: int) -> None:
    """A message every 2 minutes, one in ten negative."""
    for i in range(0, minutes, 2):
        await journal.record(message(start + 60 * i, i, negative=(i // 2) % 10 == 0))


async def run_checks(watch: ReputationWatch, clock: Clock, start: float, minutes: int) -> list[tuple[str, str]]:
    results = []
    for i in range(minutes):
        clock.now = start + 60 * i
        results.extend(await watch.check())
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
    assert await run_checks(watch, clock, START, 241) == [("messages", "alert"), ("messages", "all_clear")]
    text, blocks = board.posts[0]
    assert "E-reputation alert" in text and "Trend:" in text
    assert "private customer messages" in text and "comments" not in text
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
    assert [await one.check(), await two.check(), await one.check()] == [[("messages", "alert")], [], []]
    assert len(board.posts) == 1


async def test_a_few_angry_messages_on_a_quiet_night_are_no_trend() -> None:
    redis, clock, board = FakeAsyncRedis(), Clock(), RecordingBoard()
    journal = RedisJournal(redis)
    for i in range(5):  # 100% negative, but only 5 messages in the hour
        await journal.record(message(START + 300 * i, i, complaint=True))
    clock.now = START + 1800
    assert await ReputationWatch(journal, redis, board, RULE, clock).check() == [] and board.posts == []


async def test_customer_text_cannot_ping_the_channel() -> None:
    redis, clock, board = FakeAsyncRedis(), Clock(), RecordingBoard()
    journal = RedisJournal(redis)
    for i in range(12):
        event = message(START + 60 * i, i, complaint=True)
        await journal.record(Event(**{**event.__dict__, "text": "<!channel> arnaque !!!", "id": f"e{i}"}))
    clock.now = START + 15 * 60
    await ReputationWatch(journal, redis, board, RULE, clock).check()
    assert "<!channel>" not in str(board.posts[0][1]) and "&lt;!channel&gt;" in str(board.posts[0][1])


async def test_a_burst_of_negative_public_comments_alerts_apart_from_the_messages() -> None:
    redis, clock, board = FakeAsyncRedis(), Clock(), RecordingBoard()
    journal = RedisJournal(redis)
    await normal_traffic(journal, START, 240)  # 3 negative private messages of 30 an hour: fine
    for i in range(20):  # an hour of comments under the brand's posts, 2 in 10 negative
        await journal.record(public_comment(START + 180 * i, i, negative=i % 10 == 0))
    burst = START + 60 * 60  # then 14 angry comments in 10 minutes, among 6 kind ones
    for i in range(20):
        await journal.record(public_comment(burst + 30 * i, 200 + i, negative=i % 10 < 7))
    watch = ReputationWatch(journal, redis, board, RULE, clock)
    # Counted with the messages, the comments would have alerted on them too (17 negative of 50 at the worst).
    assert await run_checks(watch, clock, START, 241) == [("comments", "alert"), ("comments", "all_clear")]
    text, blocks = board.posts[0]
    assert "public comments under your posts" in text and "private" not in text
    assert "arnaque, toujours pas livré" in str(blocks)
    assert "public comments under your posts" in board.posts[1][0]


async def test_messages_and_comments_each_have_their_own_episode() -> None:
    redis, clock, board = FakeAsyncRedis(), Clock(), RecordingBoard()
    journal = RedisJournal(redis)
    for i in range(12):
        await journal.record(public_comment(START + 60 * i, i, negative=True))
    clock.now = START + 15 * 60
    watch = ReputationWatch(journal, redis, board, RULE, clock)
    assert await watch.check() == [("comments", "alert")]
    for i in range(12):  # the comments' episode still open: the messages' burst is announced all the same
        await journal.record(message(START + 16 * 60 + 60 * i, i, complaint=True))
    clock.now = START + 30 * 60
    assert await watch.check() == [("messages", "alert")]
    assert await watch.check() == []
    assert ["private customer messages" in text for text, _ in board.posts] == [False, True]


async def test_mentions_without_text_do_not_dilute_the_comments_share() -> None:
    redis, clock, board = FakeAsyncRedis(), Clock(), RecordingBoard()
    journal = RedisJournal(redis)
    for i in range(10):
        await journal.record(public_comment(START + 60 * i, i, negative=i < 9))
    for i in range(30):  # @mentions: the desk has no text to read, so no tone to count
        await journal.record(replace(public_comment(START + 20 * i, 100 + i), sentiment=None, intent=None))
    clock.now = START + 15 * 60
    assert await ReputationWatch(journal, redis, board, RULE, clock).check() == [("comments", "alert")]
    assert "9 of the last 10 public comments under your posts (90%)" in board.posts[0][0]


class RefusingBoard(RecordingBoard):
    """Refuses the first notice about private messages (Slack away a moment)."""

    def __init__(self) -> None:
        super().__init__()
        self.refused = False

    async def post_notice(self, text: str, blocks: list[dict[str, Any]] | None = None) -> None:
        if "private" in text and not self.refused:
            self.refused = True
            raise DeliveryError("Slack refused the notice: ratelimited")
        await super().post_notice(text, blocks)


async def test_a_refused_alert_holds_up_neither_the_other_kind_nor_its_next_try() -> None:
    redis, clock, board = FakeAsyncRedis(), Clock(), RefusingBoard()
    journal = RedisJournal(redis)
    for i in range(12):
        await journal.record(message(START + 60 * i, i, complaint=True))
        await journal.record(public_comment(START + 60 * i, i, negative=True))
    clock.now = START + 15 * 60
    watch = ReputationWatch(journal, redis, board, RULE, clock)
    assert await watch.check() == [("comments", "alert")]
    assert await watch.check() == [("messages", "alert")]
    assert await watch.check() == []
