"""The comment desk's decisions and actions, with an in-memory Redis, a recording Meta and board, and a set clock:
each comment acts once through retries, Meta's refusals reach a person, and the managers' replies follow Meta's
rules (one private reply, within 7 days)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import fakeredis
import pytest
import yaml

from bot.channels.base import DeliveryError
from bot.comments.cards import DONE, HIDE, REPLY_PRIVATE, REPLY_PUBLIC
from bot.comments.desk import CommentDesk
from bot.comments.graph import UncertainWrite
from bot.comments.policy import DEFAULT_POLICY, parse_policy
from bot.conversation import Inbound, PublicComment
from bot.insights.journal import COMMENT, COMMENT_ANSWER, Event

NOW = 1_800_000_000.0
DAY = 24 * 3600.0
PARSES = {
    "Ma commande 123 n'est pas arrivée, c'est une honte": ("complaint", -0.8),
    "Where is my order 12345?": ("order_status", 0.0),
    "Vous avez des boutiques à Lyon ?": ("store_info", 0.0),
    "Magnifique 😍": ("greet", 0.9),
    "Earn $500 a day with crypto, DM me": ("out_of_scope", 0.2),
    "What a horrible rainy weekend, I hate this weather": ("escalated:out_of_scope", -0.9),
}


class Nlu:
    async def parse(self, text: str) -> dict[str, Any]:
        intent, score = PARSES[text]
        if intent.startswith("escalated:"):  # what the sentiment component does to a strongly negative message
            forced = {"name": "complaint", "confidence": 1.0}
            ranking = [forced, {"name": intent.split(":")[1], "confidence": 0.8}]
            return {"intent": forced, "intent_ranking": ranking, "sentiment": {"score": score, "escalated": True}}
        return {"intent": {"name": intent, "confidence": 0.93}, "sentiment": {"score": score, "language": "en"}}


class Meta:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str]] = []
        self.fail: list[DeliveryError] = []

    async def _do(self, kind: str, comment: PublicComment, text: str = "") -> None:
        if self.fail:
            raise self.fail.pop(0)
        self.calls.append((kind, comment.comment_id, text))

    async def public_reply(self, comment: PublicComment, text: str) -> None:
        await self._do("public", comment, text)

    async def private_reply(self, comment: PublicComment, text: str) -> None:
        await self._do("private", comment, text)

    async def hide(self, comment: PublicComment) -> None:
        await self._do("hide", comment)

    async def permalink(self, comment: PublicComment) -> str | None:
        return f"https://www.facebook.com/{comment.post_id}"


class Board:
    def __init__(self) -> None:
        self.cards: dict[str, list[dict[str, Any]]] = {}

    async def post_card(self, text: str, blocks: list[dict[str, Any]]) -> str:
        ts = f"{len(self.cards) + 1}.0"
        self.cards[ts] = blocks
        return ts

    async def update_card(self, ts: str, text: str, blocks: list[dict[str, Any]]) -> None:
        self.cards[ts] = blocks


class Journal:
    def __init__(self) -> None:
        self.events: list[Event] = []

    async def record(self, event: Event) -> None:
        self.events.append(event)

    async def between(self, start: float, end: float) -> list[Event]:
        return self.events


def comment(
    text: str, comment_id: str = "c1", verb: str = "add", age: float = 60.0, platform: str = "facebook"
) -> Inbound:
    found = PublicComment(platform, comment_id, "page_post1", "u1", "page", verb=verb, created_at=NOW - age)
    key = f"{comment_id}:{verb}"
    return Inbound(
        "facebook_comments:page_post1", "facebook_comments", text, display_name="Lea", message_id=key, comment=found
    )


def desk_with(**switches: bool) -> tuple[CommentDesk, Meta, Board, Journal]:
    policy = parse_policy({**yaml.safe_load(DEFAULT_POLICY.read_text(encoding="utf-8")), **switches})
    meta, board, journal = Meta(), Board(), Journal()
    desk = CommentDesk(fakeredis.FakeAsyncRedis(), Nlu(), meta, board, policy, journal=journal, clock=lambda: NOW)
    return desk, meta, board, journal


def buttons(blocks: list[dict[str, Any]]) -> list[str]:
    return [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]


def shown(blocks: list[dict[str, Any]]) -> str:
    return str(blocks)


async def test_a_public_complaint_becomes_a_card_with_the_comment_author_and_post() -> None:
    desk, meta, board, journal = desk_with()
    await desk.handle(comment("Ma commande 123 n'est pas arrivée, c'est une honte"))
    (blocks,) = board.cards.values()
    assert "Lea" in shown(blocks) and "c'est une honte" in shown(blocks)
    assert "https://www.facebook.com/page_post1" in shown(blocks)
    assert buttons(blocks) == [REPLY_PUBLIC, REPLY_PRIVATE, HIDE, DONE]
    assert meta.calls == []  # nothing said in public or in private by the bot
    assert [(e.kind, e.reason) for e in journal.events] == [(COMMENT, "ticket")]


async def test_an_order_question_gets_one_private_reply_even_when_delivered_or_retried_again() -> None:
    desk, meta, board, journal = desk_with(public_replies=True)
    message = comment("Where is my order 12345?")
    await desk.handle(message)
    await desk.handle(message)  # a retry of the same queued comment
    assert meta.calls == [("private", "c1", meta.calls[0][2])]
    assert meta.calls[0][2].startswith("Hi Lea,")  # in the comment's language
    assert board.cards == {}
    assert [e.reason for e in journal.events if e.kind == COMMENT_ANSWER] == ["private"]
    assert {e.comment_key for e in journal.events} == {"facebook:c1"}  # how the digest finds a comment's answers


async def test_a_question_is_answered_in_public_only_when_the_brand_turned_it_on() -> None:
    desk, meta, _, _ = desk_with()
    await desk.handle(comment("Vous avez des boutiques à Lyon ?"))
    assert [c[0] for c in meta.calls] == ["private"]
    desk, meta, _, _ = desk_with(public_replies=True)
    await desk.handle(comment("Vous avez des boutiques à Lyon ?"))
    assert [c[0] for c in meta.calls] == ["public"]


async def test_meta_busy_is_retried_and_sends_once_then() -> None:
    desk, meta, _, _ = desk_with()
    meta.fail = [DeliveryError("Meta answered 429", permanent=False)]
    message = comment("Where is my order 12345?")
    with pytest.raises(DeliveryError):
        await desk.handle(message)  # the gateway's queue tries again later
    await desk.handle(message)
    assert [c[0] for c in meta.calls] == ["private"]


async def test_meta_refusing_the_private_reply_brings_the_comment_to_a_person() -> None:
    desk, meta, board, _ = desk_with()
    meta.fail = [DeliveryError("private reply: Meta answered 400 (code 10900: already replied)", permanent=True)]
    await desk.handle(comment("Where is my order 12345?"))
    (blocks,) = board.cards.values()
    assert "Meta refused" in shown(blocks) and "already replied" in shown(blocks)


async def test_too_old_for_a_private_reply_goes_to_a_person_without_the_private_button() -> None:
    desk, meta, board, _ = desk_with()
    await desk.handle(comment("Where is my order 12345?", age=8 * DAY))
    (blocks,) = board.cards.values()
    assert meta.calls == [] and "within 7 days" in shown(blocks)
    assert REPLY_PRIVATE not in buttons(blocks)


async def test_spam_is_hidden_only_when_the_policy_says_so() -> None:
    desk, meta, _, journal = desk_with()
    await desk.handle(comment("Earn $500 a day with crypto, DM me"))
    assert meta.calls == [] and journal.events[-1].reason == "leave"
    desk, meta, _, journal = desk_with(hide_spam=True)
    await desk.handle(comment("Earn $500 a day with crypto, DM me"))
    assert meta.calls == [("hide", "c1", "")]
    assert [e.reason for e in journal.events] == ["hide", "hidden"]


async def test_meta_refusing_to_hide_spam_brings_it_to_a_person() -> None:
    desk, meta, board, _ = desk_with(hide_spam=True)
    meta.fail = [DeliveryError("hide: Meta answered 403 (code 200: permissions error)", permanent=True)]
    await desk.handle(comment("Earn $500 a day with crypto, DM me"))
    (blocks,) = board.cards.values()
    assert "permissions error" in shown(blocks) and HIDE in buttons(blocks)


async def test_praise_is_left_alone_and_counted() -> None:
    counted: list[tuple[str, str]] = []
    desk, meta, board, _ = desk_with()
    desk.counted = lambda channel, action: counted.append((channel, action))
    await desk.handle(comment("Magnifique 😍"))
    assert (meta.calls, board.cards, counted) == ([], {}, [("facebook_comments", "leave")])


async def test_edits_and_deletions_are_said_on_the_card_and_a_deleted_comment_has_no_buttons() -> None:
    desk, _, board, _ = desk_with()
    await desk.handle(comment("Ma commande 123 n'est pas arrivée, c'est une honte"))
    await desk.handle(comment("Toujours rien !", verb="edited"))
    await desk.handle(comment("", verb="remove"))
    (blocks,) = board.cards.values()
    assert "Toujours rien" in shown(blocks) and "deleted the comment" in shown(blocks)
    assert buttons(blocks) == []


async def test_a_manager_replies_once_in_private_then_in_public_hides_and_closes() -> None:
    desk, meta, board, journal = desk_with()
    await desk.handle(comment("Ma commande 123 n'est pas arrivée, c'est une honte"))
    assert await desk.manager_reply("facebook:c1", "private", "Bonjour Lea, je regarde.", "U1") is None
    assert "one private reply" in (await desk.manager_reply("facebook:c1", "private", "Encore", "U1") or "")
    assert await desk.manager_reply("facebook:c1", "public", "Nous vous avons écrit en privé.", "U1") is None
    await desk.manager_hide("facebook:c1", "U1")
    await desk.manager_done("facebook:c1", "U1")
    assert [c[0] for c in meta.calls] == ["private", "public", "hide"]
    (blocks,) = board.cards.values()
    assert "replied in private" in shown(blocks) and "Marked done" in shown(blocks) and buttons(blocks) == []
    answers = [e.reason for e in journal.events if e.kind == COMMENT_ANSWER]
    assert answers == ["private", "public", "hidden"]


async def test_a_manager_cannot_reply_privately_past_seven_days() -> None:
    desk, meta, _, _ = desk_with()
    await desk.handle(comment("Ma commande 123 n'est pas arrivée, c'est une honte"))
    desk.clock = lambda: NOW + 8 * DAY
    assert "within 7 days" in (await desk.manager_reply("facebook:c1", "private", "Bonjour", "U1") or "")
    assert meta.calls == []


async def test_a_mention_without_text_is_counted_not_answered() -> None:
    desk, meta, board, journal = desk_with()
    message = comment("")
    assert message.comment is not None
    await desk.handle(replace(message, comment=replace(message.comment, mention=True)))
    assert (meta.calls, board.cards, journal.events[-1].reason) == ([], {}, "leave")


async def test_a_public_reply_meta_may_have_posted_is_never_posted_again_and_a_person_checks() -> None:
    desk, meta, board, _ = desk_with(public_replies=True)
    meta.fail = [UncertainWrite("public reply: no answer from Meta (ReadTimeout); it may have been made")]
    message = comment("Vous avez des boutiques à Lyon ?")
    await desk.handle(message)
    await desk.handle(message)  # a redelivery
    (blocks,) = board.cards.values()
    assert meta.calls == [] and "check the post" in shown(blocks)
    assert "already sent" in (await desk.manager_reply("facebook:c1", "public", "Bonjour", "U1") or "")


async def test_strong_negativity_about_something_else_calls_no_one() -> None:
    desk, meta, board, journal = desk_with()
    await desk.handle(comment("What a horrible rainy weekend, I hate this weather"))
    assert (meta.calls, board.cards, journal.events[-1].reason) == ([], {}, "leave")


async def test_an_instagram_private_reply_over_1000_bytes_is_refused_in_the_form() -> None:
    desk = desk_with()[0]
    await desk.handle(comment("Ma commande 123 n'est pas arrivée, c'est une honte", platform="instagram"))
    problem = await desk.reply_problem("instagram:c1", "private", "é" * 600)
    assert problem is not None and "1,000 bytes" in problem
    assert await desk.reply_problem("instagram:c1", "private", "Bonjour, je regarde.") is None


async def test_customer_and_manager_text_on_the_card_cannot_ping_the_channel() -> None:
    desk, _, board, _ = desk_with()
    await desk.handle(comment("Ma commande 123 n'est pas arrivée, c'est une honte"))
    await desk.handle(comment("<!channel> regardez ça", verb="edited"))
    await desk.manager_reply("facebook:c1", "public", "<!here> oups", "U1")
    (blocks,) = board.cards.values()
    assert "<!channel>" not in shown(blocks) and "<!here>" not in shown(blocks) and "&lt;!channel&gt;" in shown(blocks)
    assert "<@U1>" in shown(blocks)  # the desk's own mention of the manager stays a mention


async def test_a_card_slack_refuses_is_posted_as_text() -> None:
    desk, _, board, _ = desk_with()
    posted: list[list[dict[str, Any]]] = []

    async def refuse_blocks(text: str, blocks: list[dict[str, Any]]) -> str:
        if blocks:
            raise DeliveryError("Slack refused the comment card: invalid_blocks", permanent=True)
        posted.append(blocks)
        return "9.0"

    board.post_card = refuse_blocks  # type: ignore[method-assign]
    await desk.handle(comment("Ma commande 123 n'est pas arrivée, c'est une honte"))
    assert posted == [[]] and (await desk.card("facebook:c1")) is not None
