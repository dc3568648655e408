"""The service digest: a scripted week's figures (private messages, and public comments apart), the schedule, the
renderings, posting, and once per period."""

from __future__ import annotations

import asyncio
import struct
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import fakeredis
import pytest

from bot.boards.console import ConsoleBoard
from bot.boards.slack import SlackBoard, make_slack_client
from bot.channels.base import DeliveryError
from bot.cli import main
from bot.config import Settings
from bot.insights.digest import job as digest_job
from bot.insights.digest.chart import render_chart
from bot.insights.digest.job import post_due_digest
from bot.insights.digest.render import digest_blocks, digest_text, render_html
from bot.insights.digest.schedule import due_period
from bot.insights.digest.summary import Day, Digest, Topic, summarize
from bot.insights.journal import Event, RedisJournal
from bot.learn.evaluate import Example
from bot.local.threaded_server import serve_in_thread
from tests.support.fakes.slack_api import BOT_TOKEN, FakeSlack

PARIS = "Europe/Paris"
HOUR = 3600.0


def at(day: int, hour: int, minute: int = 0, second: int = 0, month: int = 11) -> float:
    """A Paris wall-clock time in 2026 (November by default: UTC+1)."""
    return datetime(2026, month, day, hour, minute, second, tzinfo=ZoneInfo(PARIS)).timestamp()


START, END = at(23, 0), at(30, 0)  # Monday 23 to Sunday 29 November 2026, local days


def message(
    cid: str,
    when: float,
    intent: str | None,
    sentiment: float | None,
    language: str | None = "fr",
    text: str | None = None,
    unhandled: bool = False,
) -> Event:
    return Event("message", when, cid, cid.split(":")[0], language, intent, unhandled, sentiment, text)


def handoff(cid: str, when: float, reason: str) -> Event:
    return Event("handoff", when, cid, cid.split(":")[0], reason=reason)


def claim(cid: str, when: float, seconds: float) -> Event:
    return Event("claim", when, cid, cid.split(":")[0], seconds=seconds)


def rating(cid: str, when: float, stars: int) -> Event:
    return Event("rating", when, cid, cid.split(":")[0], rating=stars)


def comment(
    key: str,
    when: float,
    decision: str,
    sentiment: float | None,
    intent: str | None = None,
    text: str | None = None,
    unhandled: bool = False,
) -> Event:
    """A public comment ``<platform>:<comment id>`` under post 1, as the comment desk journals it."""
    channel = f"{key.split(':')[0]}_comments"
    return Event(
        "comment",
        when,
        f"{channel}:post1",
        channel,
        "fr",
        intent,
        unhandled,
        sentiment,
        text,
        decision,
        comment_key=key,
    )


def answer(key: str, when: float, how: str, seconds: float) -> Event:
    channel = f"{key.split(':')[0]}_comments"
    return Event("comment_answer", when, f"{channel}:post1", channel, reason=how, seconds=seconds, comment_key=key)


FALLBACK = "nlu_fallback"
WEEK = [
    # A, telegram, fr: three messages, the first at 00:30 Monday in Paris (still Sunday 23:30 in UTC).
    message("telegram:1", at(23, 0, 30), "order_status", 0.5),
    message("telegram:1", at(23, 10, 1), "order_status", 0.0),
    message("telegram:1", at(23, 10, 2), "thank", 0.5),
    # B, telegram, en: handed over (complaint), claimed after 30 s, rated 5.
    message("telegram:2", at(23, 11), "greet", 0.25, "en"),
    message("telegram:2", at(23, 11, 2), "order_status", -0.5, "en"),
    handoff("telegram:2", at(23, 11, 3), "complaint"),
    claim("telegram:2", at(23, 11, 3, 30), 30),
    rating("telegram:2", at(23, 12), 5),
    # C, messenger, fr: one question, one gift card question the bot did not understand.
    message("messenger:3", at(24, 9), "cancel_order", 0.0),
    message("messenger:3", at(24, 9, 1), FALLBACK, 0.0, text="vous vendez des cartes cadeaux ?", unhandled=True),
    # D, web, fr: misunderstood twice (the second at exactly the negative cut-off), claimed after 120 s, rated 4.
    message("web:4", at(25, 14), FALLBACK, 0.0, text="je voudrais offrir une carte cadeau", unhandled=True),
    message("web:4", at(25, 14, 2), FALLBACK, -0.25, text="carte cadeau pour un anniversaire", unhandled=True),
    handoff("web:4", at(25, 14, 3), "misunderstood_twice"),
    claim("web:4", at(25, 14, 5), 120),
    rating("web:4", at(25, 15), 4),
    # E, web, en: three parking questions, one with a low-confidence intent; never handed over.
    message("web:5", at(26, 16), FALLBACK, 0.0, "en", "is there parking near the Lyon store", True),
    message("web:5", at(26, 16, 1), FALLBACK, 0.0, "en", "where can I park at the Lyon store", True),
    message("web:5", at(26, 16, 2), "store_info", -0.75, "en", "parking at the store in Lyon?", True),
    # F, telegram: starts in French, goes on in English (its language is the last one).
    message("telegram:6", at(27, 10), "greet", 0.5, "fr"),
    message("telegram:6", at(27, 10, 1), "order_status", 0.5, "en"),
    # G, messenger, fr: a complaint handed over, claimed after 600 s, rated 2; handed over again Sunday.
    message("messenger:7", at(28, 20), "complaint", -1.0, text="colis abîmé, très déçu"),
    handoff("messenger:7", at(28, 20, 1), "complaint"),
    claim("messenger:7", at(28, 20, 11), 600),
    rating("messenger:7", at(29, 10), 2),
    handoff("messenger:7", at(29, 9), "customer_request"),
    claim("messenger:7", at(29, 9, 1), 45),
    # H, telegram, fr: a gift card question without a sentiment score, late on Sunday.
    message("telegram:8", at(29, 23, 30), FALLBACK, None, text="comment acheter une carte cadeau", unhandled=True),
    # I, web: no language, no intent, no score.
    message("web:9", at(29, 12), None, None, None),
    # A ticket of last week claimed this Monday: the claim counts, the conversation does not.
    claim("messenger:11", at(23, 8), 300),
]
OUTSIDE = [
    message("telegram:1", START - 1, "order_status", -1.0),
    claim("messenger:11", START - 10, 999),
    message("telegram:10", END, "greet", -1.0, "en"),
    handoff("telegram:10", END + 60, "complaint"),
    rating("telegram:2", END + 5, 1),
]
COMMENTS = [
    # 1, Facebook, Monday: a store question, answered in private by the bot 65 s after it was written.
    comment("facebook:1", at(23, 10), "private_reply", 0.5, "store_info"),
    answer("facebook:1", at(23, 10, 0, 5), "private", 65),
    # 2, Facebook, Tuesday: a complaint for the team; a manager answers in public 31 min on, then in private too.
    comment("facebook:2", at(24, 12), "ticket", -0.75, "complaint", "colis jamais arrivé"),
    answer("facebook:2", at(24, 12, 30), "public", 1860),
    answer("facebook:2", at(24, 12, 40), "private", 2460),
    # 3, Facebook, Wednesday: an order question, answered in private after 30 s.
    comment("facebook:3", at(25, 9), "private_reply", 0.0, "order_status"),
    answer("facebook:3", at(25, 9, 0, 1), "private", 30),
    # 4, Instagram, Thursday: asks for a person; sent to the team, never answered (a manager marked it done).
    comment("instagram:4", at(26, 15), "ticket", 0.0, "request_human"),
    # 5, Instagram, Friday: the model is unsure; at exactly the negative cut-off; left alone.
    comment("instagram:5", at(27, 18), "leave", -0.25, None, "bof bof", unhandled=True),
    # 6, Instagram, Saturday: spam, hidden at once.
    comment("instagram:6", at(28, 8), "hide", 0.2, None, "gagnez 500 € par jour, écrivez-moi", unhandled=True),
    answer("instagram:6", at(28, 8, 0, 1), "hidden", 5),
    # 7, Instagram, Saturday: a mention, no text to read: no score.
    comment("instagram:7", at(28, 9), "leave", None),
    # 8, Facebook, Sunday night: a complaint for the team, answered only on Monday (after the period).
    comment("facebook:8", at(29, 23, 50), "ticket", -0.9, "complaint", "toujours rien reçu"),
    # 9, Facebook, Sunday: praise, left alone.
    comment("facebook:9", at(29, 14), "leave", 0.8, "greet"),
    # 0, Facebook, written the Sunday before: hidden by a manager this Monday (the hiding counts, the comment not).
    answer("facebook:0", at(23, 8), "hidden", 36_000),
]
COMMENTS_OUTSIDE = [
    comment("facebook:0", START - HOUR, "ticket", -0.5, "complaint", "arnaque"),
    answer("facebook:8", END + 600, "public", 1200),
]
TRAINING = [
    Example(text, intent, language)
    for text, intent, language in [
        ("où en est ma commande", "order_status", "fr"),
        ("where is my order", "order_status", "en"),
        ("statut de ma commande", "order_status", "fr"),
        ("order status please", "order_status", "en"),
        ("je veux annuler ma commande", "cancel_order", "fr"),
        ("cancel my order", "cancel_order", "en"),
        ("quels sont les horaires du magasin", "store_info", "fr"),
        ("store opening hours", "store_info", "en"),
        ("bonjour", "greet", "fr"),
        ("hello", "greet", "en"),
    ]
]


@pytest.fixture(scope="module")
async def week() -> Digest:
    journal = RedisJournal(fakeredis.FakeAsyncRedis())
    for event in OUTSIDE + WEEK:
        await journal.record(event)
    digest = summarize(await journal.between(START, END), START, END, PARIS, TRAINING)
    assert summarize(OUTSIDE + WEEK, START, END, PARIS, TRAINING) == digest  # the digest's own filter agrees
    return digest


@pytest.fixture(scope="module")
async def week_with_comments() -> Digest:
    journal = RedisJournal(fakeredis.FakeAsyncRedis())
    for event in OUTSIDE + COMMENTS_OUTSIDE + WEEK + COMMENTS:
        await journal.record(event)
    return summarize(await journal.between(START, END), START, END, PARIS, TRAINING)


def test_the_journal_keeps_a_neutral_sentiment_and_an_instant_claim() -> None:
    for event in (message("web:1", START, "greet", 0.0), claim("web:1", START, 0.0)):
        assert Event.from_json(event.to_json()) == event


def test_conversations_by_channel_and_language(week: Digest) -> None:
    assert (week.start, week.end, week.zone) == (START, END, PARIS)
    assert week.conversations == 9  # A to I; telegram:10 wrote at the end (excluded), messenger:11 only a claim
    assert week.by_channel == {"telegram": 4, "web": 3, "messenger": 2}
    assert list(week.by_channel) == ["telegram", "web", "messenger"]
    assert week.by_language == {"fr": 5, "en": 3, "unknown": 1}  # F counts as en, its last language
    assert week.messages == 17
    assert week.unhandled == 7


def test_handoffs_claims_and_ratings(week: Digest) -> None:
    assert week.resolved_without_human == 6  # A C E F H I
    assert week.resolved_share == 6 / 9
    assert week.handoffs == 4
    assert week.handoff_reasons == {"complaint": 2, "customer_request": 1, "misunderstood_twice": 1}
    assert week.claims == 5  # 30 120 600 45 300
    assert week.claim_median == 120
    assert week.claim_p90 == 600  # nearest rank: the 5th of 5 (ceil(0.9 * 5) = 5)
    assert week.ratings == 3
    assert week.rating_average == 11 / 3


def test_top_intents_and_unhandled_topics(week: Digest) -> None:
    # nlu_fallback and no intent left out; ties by name, so "thank" (1) is the sixth and cut.
    assert week.top_intents == [
        ("order_status", 4),
        ("greet", 2),
        ("cancel_order", 1),
        ("complaint", 1),
        ("store_info", 1),
    ]
    assert [(t.name, t.size) for t in week.topics] == [("carte_cadeau", 4), ("lyon_store", 3)]
    assert "carte cadeau" in week.topics[0].keywords and "parking" in week.topics[1].keywords


def test_sentiment_by_local_day(week: Digest) -> None:
    assert week.days == [
        Day(datetime(2026, 11, 23).date(), 5, 5, 0.15, 1 / 5),  # 0.5 0 0.5 0.25 -0.5
        Day(datetime(2026, 11, 24).date(), 2, 2, 0.0, 0.0),
        Day(datetime(2026, 11, 25).date(), 2, 2, -0.125, 1 / 2),  # -0.25 is negative
        Day(datetime(2026, 11, 26).date(), 3, 3, -0.25, 1 / 3),
        Day(datetime(2026, 11, 27).date(), 2, 2, 0.5, 0.0),
        Day(datetime(2026, 11, 28).date(), 1, 1, -1.0, 1.0),
        Day(datetime(2026, 11, 29).date(), 2, 0, None, None),
    ]
    # Halves split at Thursday 12:00: 2 negative of 9 scored before, 2 of 6 after.
    assert week.negative_share_first_half == 2 / 9
    assert week.negative_share_second_half == 1 / 3
    assert week.negative_share_change == pytest.approx(1 / 9)


def test_an_empty_period_has_no_averages() -> None:
    empty = summarize([], START, END, PARIS, [])
    assert (empty.conversations, empty.resolved_share, empty.claim_median, empty.rating_average) == (
        0,
        None,
        None,
        None,
    )
    assert empty.topics == [] and empty.negative_share_change is None and len(empty.days) == 7


def test_without_training_examples_the_topics_are_left_out() -> None:
    assert summarize(WEEK, START, END, PARIS, None).topics == []


def test_the_order_of_the_events_does_not_matter(week: Digest) -> None:
    assert summarize(list(reversed(OUTSIDE + WEEK)), START, END, PARIS, TRAINING) == week


def test_public_comments_never_change_a_message_figure(week: Digest, week_with_comments: Digest) -> None:
    assert week.comments is None  # no comment read: no comments part
    assert replace(week_with_comments, comments=None) == week  # conversations, intents, topics, days: all the same


def test_public_comments_are_counted_apart(week_with_comments: Digest) -> None:
    comments = week_with_comments.comments
    assert comments is not None
    assert comments.comments == 9  # 1 to 9; 0 was written the week before
    assert list(comments.by_channel.items()) == [("facebook_comments", 5), ("instagram_comments", 4)]
    assert comments.scored == 8  # the mention has no score
    assert comments.average_sentiment == pytest.approx(-0.05)  # (0.5 - 0.75 + 0 + 0 - 0.25 + 0.2 - 0.9 + 0.8) / 8
    assert comments.negative == 4  # 2 and 8 (tickets, and under the cut-off), 4 (a ticket), 5 (at the cut-off)
    assert comments.negative_share == 0.5
    assert list(comments.decisions.items()) == [("leave", 3), ("ticket", 3), ("private_reply", 2), ("hide", 1)]
    # To answer: 1, 2, 3 (replies) and 4, 8 (tickets); answered in the week: 1, 2 and 3 (8 only on Monday).
    assert (comments.to_answer, comments.answered, comments.answered_share) == (5, 3, 0.6)
    assert comments.answer_median == 65  # first answers: 65 s, 1860 s (the public one), 30 s
    assert comments.hidden == 2  # 6, and 0 of the week before
    assert comments.top_intents == [
        ("complaint", 2),
        ("greet", 1),
        ("order_status", 1),
        ("request_human", 1),
        ("store_info", 1),
    ]


def test_the_digest_shows_public_comments_in_a_part_of_their_own(week_with_comments: Digest) -> None:
    page = render_html(week_with_comments, b"\x89PNG fake")
    figures = [
        "9 (17 customer messages)",  # the private messages' figures, as without comments
        "order_status</th><td>4 messages",
        "Public comments under your posts",
        "Public comments</th><td>9 (Facebook 5, Instagram 4)",
        "average -0.05, 50 % negative (4 of 8)",
        "60 % (3 of 5 to answer)",
        "median 1 min 05 s",
        "Comments hidden</th><td>2",
        "Sent to the team</th><td>3",
        "Hidden as spam</th><td>1",
        "complaint</th><td>2 comments",
    ]
    for figure in figures:
        assert figure in page, figure
    assert page.index("Sentiment by day") < page.index("Public comments under your posts")
    blocks = digest_blocks(week_with_comments)
    headers = [b["text"]["text"] for b in blocks if b["type"] == "header"]
    assert headers == ["Service digest: 23 November 2026 to 29 November 2026", "Public comments under your posts"]
    text = str(blocks)
    assert "9 (Facebook 5, Instagram 4)" in text and "60 % (3 of 5 to answer)" in text
    assert all(len(b["fields"]) <= 10 for b in blocks if "fields" in b)  # Slack's limit per section
    assert digest_text(week_with_comments).endswith("4 handoffs; 9 public comments")


def test_without_comments_the_digest_has_no_comments_part(week: Digest) -> None:
    assert "comment" not in render_html(week, b"\x89PNG fake").lower()
    assert "comment" not in str(digest_blocks(week)).lower() and "comment" not in digest_text(week)


@pytest.mark.parametrize(
    ("now", "schedule", "hour", "period"),
    [
        (at(30, 8, 59, 59), "weekly", 9, None),  # Monday, before the hour
        (at(30, 9), "weekly", 9, (START, END)),
        (at(30, 23, 59), "weekly", 9, (START, END)),  # still due all Monday
        (at(1, 10, month=12), "weekly", 9, None),  # Tuesday
        (at(30, 10), "daily", 9, (at(29, 0), END)),
        (at(30, 8), "daily", 9, None),
        (at(30, 10), "off", 9, None),
        (at(30, 0, 30), "weekly", 0, (START, END)),  # Monday in Paris, still Sunday in UTC
        # DST: the week of 29 March 2026 has 167 hours, its Sunday 23; 25 October 2026 has 25 hours.
        (at(30, 9, month=3), "weekly", 9, (at(23, 0, month=3), at(23, 0, month=3) + 167 * HOUR)),
        (at(30, 9, month=3), "daily", 9, (at(29, 0, month=3), at(29, 0, month=3) + 23 * HOUR)),
        (at(26, 9, month=10), "daily", 9, (at(25, 0, month=10), at(25, 0, month=10) + 25 * HOUR)),
        (
            at(29, 3, month=3),
            "daily",
            2,
            (at(28, 0, month=3), at(29, 0, month=3)),
        ),  # 02:00 never happened: due at 03:00
    ],
)
def test_due_period(now: float, schedule: str, hour: int, period: tuple[float, float] | None) -> None:
    assert due_period(now, schedule, hour, PARIS) == period


def test_due_period_refuses_an_unknown_schedule() -> None:
    with pytest.raises(ValueError, match="DIGEST_SCHEDULE"):
        due_period(at(30, 10), "monthly", 9, PARIS)


def hostile(digest: Digest) -> Digest:
    return replace(digest, topics=[Topic("<script>alert(1)</script>", ("<!channel>",), 3)], by_channel={"<b>x": 1})


def test_the_page_shows_the_figures_and_escapes_text(week: Digest) -> None:
    page = render_html(hostile(week), b"\x89PNG fake")
    figures = [
        "9 (17 customer messages)",
        "67 % (6 of 9)",
        "median 2 min 00 s, 90 % within 10 min 00 s (5 claims)",
        "3.7 / 5 (3 ratings)",
        "7 messages",
        "22 % in the first half, 33 % in the second (+11 points)",
        "order_status</th><td>4 messages",
        "cancel_order</th><td>1 message<",
        "the bot misunderstood twice",
        "Mon 23 November 2026</th><td>5 messages, average +0.15, 20 % negative",
        "Sun 29 November 2026</th><td>2 messages, no sentiment score",
    ]
    for figure in figures:
        assert figure in page, figure
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "&lt;b&gt;x" in page
    assert "data:image/png;base64,iVBORyBmYWtl" in page
    assert "23 November 2026 to 29 November 2026" in page


def test_slack_blocks_escape_text(week: Digest) -> None:
    blocks = digest_blocks(hostile(week))
    text = str(blocks)
    assert "<!channel>" not in text and "&lt;!channel&gt;" in text and "<script>" not in text
    assert blocks[0]["text"]["text"] == "Service digest: 23 November 2026 to 29 November 2026"
    assert all(len(b["text"]["text"]) <= 3000 for b in blocks if b["type"] == "section" and "text" in b)
    assert digest_text(week) == (
        "Service digest, 23 November 2026 to 29 November 2026: 9 conversations, 67 % resolved without a human, "
        "4 handoffs"
    )


def png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def test_the_chart_is_a_small_deterministic_png(week: Digest) -> None:
    png = render_chart(week)
    assert png_size(png) == (900, 450)
    assert render_chart(week) == png


async def test_posting_to_slack_sends_the_digest_and_its_chart(week: Digest) -> None:
    slack = FakeSlack()
    with serve_in_thread(slack.app()) as url:
        board = SlackBoard(make_slack_client(BOT_TOKEN, f"{url}/api/"), "C_SUPPORT")
        png = render_chart(week)
        ts = await board.post_digest(week, png)
        assert [p["blocks"][0]["text"]["text"] for p in slack.posts()] == [
            "Service digest: 23 November 2026 to 29 November 2026"
        ]
        assert [(f["name"], f["channel"], f["data"]) for f in slack.files] == [("digest.png", "C_SUPPORT", png)]
        slack.files_error = "missing_scope"  # an app installed before files:write: the digest still goes out
        other = await board.post_digest(week, png)
        assert other != ts and len(slack.files) == 1
        assert "missing_scope" in slack.posts(thread_ts=other)[0]["text"]


async def test_without_slack_the_digest_is_a_page_in_var_reports(week: Digest, tmp_path: Path) -> None:
    board = ConsoleBoard(fakeredis.FakeAsyncRedis(), tmp_path / "reports")
    path = await board.post_digest(week, render_chart(week))
    assert path == str(tmp_path / "reports" / "digest-2026-11-23_2026-11-29.html")
    assert "9 (17 customer messages)" in Path(path).read_text()


class Board:
    name = "test"

    def __init__(self, fail: bool = False) -> None:
        self.posted: list[Digest] = []
        self.fail = fail

    async def post_digest(self, digest: Digest, chart_png: bytes) -> str:
        await asyncio.sleep(0.05)  # long enough for another replica to try meanwhile
        if self.fail:
            raise DeliveryError("Slack refused the digest: not_in_channel")
        self.posted.append(digest)
        return "1.0"


async def test_each_period_is_posted_once_across_replicas(tmp_path: Path) -> None:
    server = fakeredis.FakeServer()
    first, second = fakeredis.FakeAsyncRedis(server=server), fakeredis.FakeAsyncRedis(server=server)
    journal = RedisJournal(first)
    for event in WEEK[:8]:
        await journal.record(event)
    settings = Settings(digest_schedule="weekly", digest_hour=9, handoff_timezone=PARIS, project_root=tmp_path)
    one, two = Board(), Board()
    results = await asyncio.gather(
        post_due_digest(journal, one, first, settings, at(30, 9)),
        post_due_digest(RedisJournal(second), two, second, settings, at(30, 9)),
    )
    assert sorted(results, key=str) == [(START, END), None]
    assert len(one.posted) + len(two.posted) == 1
    assert (one.posted or two.posted)[0].conversations == 2
    assert await post_due_digest(journal, one, first, settings, at(30, 15)) is None  # later that Monday
    assert len(one.posted) + len(two.posted) == 1
    assert await post_due_digest(journal, one, first, settings, at(7, 9, month=12)) == (END, at(7, 0, month=12))


async def test_a_failed_post_is_tried_again(tmp_path: Path) -> None:
    redis = fakeredis.FakeAsyncRedis()
    journal = RedisJournal(redis)
    settings = Settings(digest_schedule="daily", digest_hour=9, handoff_timezone=PARIS, project_root=tmp_path)
    assert await post_due_digest(journal, Board(fail=True), redis, settings, at(30, 9)) is None
    board = Board()
    assert await post_due_digest(journal, board, redis, settings, at(30, 9, 1)) == (at(29, 0), END)
    assert len(board.posted) == 1


def test_bot_report_writes_the_page(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    server = fakeredis.FakeServer()

    async def write() -> None:
        journal = RedisJournal(fakeredis.FakeAsyncRedis(server=server))
        for event in OUTSIDE + WEEK:
            await journal.record(event)

    asyncio.run(write())
    opened: list[str] = []

    def from_url(url: str, **kwargs: Any) -> fakeredis.FakeAsyncRedis:
        opened.append(url)
        return fakeredis.FakeAsyncRedis(server=server)

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("REDIS_URL", "redis://redis.example:6379/0")
    monkeypatch.setattr(digest_job.Redis, "from_url", from_url)
    assert main(["report", "--from", "2026-11-23", "--to", "2026-11-29", "--out", "week.html"]) == 0
    assert opened == ["redis://redis.example:6379/0"]
    page = (tmp_path / "week.html").read_text()
    assert "9 (17 customer messages)" in page and "23 November 2026 to 29 November 2026" in page
    assert main(["report", "--from", "2026-11-23"]) == 2


def test_bot_report_needs_redis(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("REDIS_URL", raising=False)
    assert main(["report", "--days", "7"]) == 2
    assert "REDIS_URL" in capsys.readouterr().err
