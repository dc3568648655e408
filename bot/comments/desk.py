"""The comment desk: reads each public comment, decides by the policy, and acts; the managers act from its cards.

The gateway's queue brings the comments one post at a time, in order, once each (bot/channels/meta_comments.py),
and tries again after a failure (a ``DeliveryError`` that is not permanent, Rasa away). So every step here can run
twice, and must act once: the decision is kept per comment (``gw:comments:comment:<key>``), and a call that
writes on Meta's side is marked before it is made: a crash in the middle leaves the mark, and the desk then does not
write again (a public reply posted twice is worse than one missing, which the card says).

One file over 300 lines because the bot's steps and the managers' actions read and write the same per-comment state
(the decision, the write marks, the card); split, its invariants would live in two places.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, replace
from typing import Any, Literal, Protocol

from redis.asyncio import Redis

from bot.channels.base import DeliveryError
from bot.channels.instagram import MAX_TEXT_BYTES as INSTAGRAM_MESSAGE_BYTES
from bot.comments.cards import (
    CommentCard,
    can_reply_privately,
    card_blocks,
    card_text,
    comment_key,
    private_reply_refusal,
)
from bot.comments.graph import UncertainWrite
from bot.comments.policy import Decision, Policy, Reading
from bot.comments.spam import read_spam
from bot.conversation import Inbound, PublicComment, escape
from bot.insights.journal import COMMENT, COMMENT_ANSWER, Event, Journal, record_best_effort
from bot.keyspace import Namespace, text
from bot.learn.pii import redact
from bot.nlp.language import detect_language
from bot.nlp.question import is_question
from bot.rasa_client import FALLBACK_INTENT, OUT_OF_SCOPE_INTENT

log = logging.getLogger(__name__)
KEYS = Namespace("comments")
KEEP_SECONDS = 30 * 24 * 3600  # a comment's state: long after Meta's 7 days for a private reply
Reply = Literal["public", "private"]


class CardBoard(Protocol):
    """Where comment cards are shown (bot/boards/: Slack, or the local console)."""

    async def post_card(self, text: str, blocks: list[dict[str, Any]]) -> str:
        """Post a new card; return its id (its thread's)."""

    async def update_card(self, ts: str, text: str, blocks: list[dict[str, Any]]) -> None:
        """Show the card's new state."""


class MetaComments(Protocol):
    """The Graph API calls of the desk (bot/comments/graph.py)."""

    async def public_reply(self, comment: PublicComment, text: str) -> None:
        """Answer under the comment."""

    async def private_reply(self, comment: PublicComment, text: str) -> None:
        """Send the author one private message."""

    async def hide(self, comment: PublicComment) -> None:
        """Hide the comment."""

    async def permalink(self, comment: PublicComment) -> str | None:
        """The post's address."""


class Parser(Protocol):
    """Rasa's NLU (``POST /model/parse``)."""

    async def parse(self, text: str) -> dict[str, Any]:
        """Intent, confidence and sentiment of ``text``."""


class CommentDesk:
    """Triage of public comments, and the managers' actions on them."""

    def __init__(
        self,
        redis: Redis,
        nlu: Parser,
        meta: MetaComments,
        board: CardBoard,
        policy: Policy,
        journal: Journal | None = None,
        clock: Callable[[], float] = time.time,
        counted: Callable[[str, str], None] = lambda channel, action: None,
    ) -> None:
        """Read with ``nlu``, act through ``meta``, show cards on ``board``; ``counted`` counts each decision."""
        self.redis = redis
        self.nlu = nlu
        self.meta = meta
        self.board = board
        self.policy = policy
        self.journal = journal
        self.clock = clock
        self.counted = counted

    async def read(self, comment_text: str) -> Reading:
        """What the comment is about, how it feels, and whether it is spam."""
        parse = await self.nlu.parse(comment_text)
        intent = parse.get("intent") or {}
        sentiment = parse.get("sentiment") or {}
        ranking = parse.get("intent_ranking") or []
        if sentiment.get("escalated") and len(ranking) > 1 and isinstance(ranking[1], dict):
            # Rasa made a strongly negative message a complaint; what it was first says whether it is about the brand
            original = ranking[1]
            if original.get("name") in (FALLBACK_INTENT, OUT_OF_SCOPE_INTENT):
                intent = original
        name, confidence = intent.get("name"), float(intent.get("confidence") or 0.0)
        unsure = name in (None, FALLBACK_INTENT, OUT_OF_SCOPE_INTENT) or confidence < self.policy.min_confidence
        return Reading(
            intent=None if unsure else str(name),
            confidence=confidence,
            sentiment=float(sentiment.get("score") or 0.0),
            language=str(sentiment.get("language") or detect_language(comment_text)),
            spam=read_spam(comment_text).spam,
            unsure=unsure,
            question=is_question(comment_text),
        )

    async def handle(self, message: Inbound) -> None:
        """Act on one comment event (the gateway's queue calls this; raising ``DeliveryError`` retries it)."""
        comment = message.comment
        assert comment is not None, "the comment desk reads comments only"
        if comment.verb == "remove":
            await self._note(message, "🗑️ Its author deleted the comment.", deleted=True)
            return
        if comment.verb == "edited":
            await self._note(message, f"✏️ Edited by its author: “{escape(message.text[:300])}”")
            return
        state = KEYS("comment", comment_key(message))
        if comment.mention or not message.text.strip():
            decision = Decision("leave", "a mention or a comment without text (a photo, a sticker)")
            await self._decided(message, None, decision)
            return
        kept = await self.redis.hget(state, "decision")
        if kept is not None:  # a retry after a failure or a crash: the same decision, the steps not done yet
            reading, decision = _read_kept(text(kept))
        else:
            reading = await self.read(message.text)
            decision = self._possible(self.policy.decide(reading), comment)
            kept_json = json.dumps({"reading": asdict(reading), "decision": asdict(decision)})
            await self.redis.hset(state, "decision", kept_json)
            await self.redis.expire(state, KEEP_SECONDS)
            await self._decided(message, reading, decision)
        await self._act(message, reading, decision)

    def _possible(self, decision: Decision, comment: PublicComment) -> Decision:
        """A private reply Meta no longer allows (over 7 days) goes to a person instead."""
        if decision.action != "private_reply":
            return decision
        reason = private_reply_refusal(comment, self.clock())
        if reason is None:
            return decision
        return Decision("ticket", f"{decision.why}; but {reason[0].lower()}{reason[1:]}")

    async def _act(self, message: Inbound, reading: Reading, decision: Decision) -> None:
        comment = message.comment
        assert comment is not None
        if decision.action in ("public_reply", "private_reply"):
            assert decision.answer is not None, "a reply rule names its answer"
            reply = self.policy.answer(decision.answer, reading.language, message.display_name)
            kind: Reply = "public" if decision.action == "public_reply" else "private"
            try:
                await self.send(message, kind, reply, "the bot")
            except DeliveryError as error:
                if not error.permanent:
                    raise
                await self._card(message, reading, Decision("ticket", f"{decision.why}; {_not_done(error)}"))
        elif decision.action == "hide":
            try:
                await self.meta.hide(comment)
            except DeliveryError as error:
                if not error.permanent:
                    raise
                await self._card(message, reading, Decision("ticket", f"{decision.why}; {_not_done(error)}"))
                return
            await self._answered(message, "hidden")
        elif decision.action == "ticket":
            await self._card(message, reading, decision)

    async def send(self, message: Inbound, kind: Reply, reply: str, who: str) -> bool:
        """Reply once (a second call for the same comment and kind sends nothing); False when it was already sent.

        Raises:
            DeliveryError: when Meta refused or could not be reached: the mark is lifted, it may be tried again;
                but not after an ``UncertainWrite`` (Meta may have made it).

        """
        comment = message.comment
        assert comment is not None
        state = KEYS("comment", comment_key(message))
        if not await self.redis.hsetnx(state, kind, f"sending by {who}"):
            log.warning("%s reply to comment %s not sent again", kind, comment.comment_id)
            return False
        try:
            if kind == "public":
                await self.meta.public_reply(comment, reply)
            else:
                await self.meta.private_reply(comment, reply)
        except UncertainWrite:
            await self.redis.hset(state, kind, f"unknown, by {who}: Meta did not answer")  # never written again
            raise
        except DeliveryError:
            await self.redis.hdel(state, kind)
            raise
        await self.redis.hset(state, kind, f"sent by {who}")
        await self._answered(message, kind)
        return True

    async def _card(self, message: Inbound, reading: Reading, decision: Decision) -> None:
        """Post the comment's card, once."""
        key = KEYS("card", comment_key(message))
        if await self.redis.exists(key):
            return
        assert message.comment is not None
        card = CommentCard(message, reading, decision, permalink=await self.meta.permalink(message.comment))
        try:
            ts = await self.board.post_card(card_text(card), card_blocks(card, self.clock()))
        except DeliveryError as error:
            if not error.permanent:
                raise
            log.warning("the board refused the comment card (%s): posting it as text", error)
            try:
                ts = await self.board.post_card(card_text(card), [])
            except DeliveryError as again:
                if not again.permanent:
                    raise
                log.error("the board refused comment %s even as text: %s", card.key, again)
                return
        await self.save(replace(card, ts=ts), show=False)

    async def card(self, key: str) -> CommentCard | None:
        """The card of comment ``key`` (``<platform>:<comment id>``), if one was posted."""
        raw = await self.redis.get(KEYS("card", key))
        return None if raw is None else CommentCard.from_dict(json.loads(raw))

    async def save(self, card: CommentCard, show: bool = True) -> None:
        """Keep the card's state and show it (a board that refuses the update is logged: the state is kept)."""
        await self.redis.set(KEYS("card", card.key), json.dumps(card.to_dict()), ex=KEEP_SECONDS)
        if not show or not card.ts:
            return
        try:
            await self.board.update_card(card.ts, card_text(card), card_blocks(card, self.clock()))
        except DeliveryError as error:
            log.warning("could not update the card of comment %s: %s", card.key, error)

    async def reply_problem(self, key: str, kind: Reply, reply: str) -> str | None:
        """Why a manager's reply cannot be sent (said in the form before it closes), or None."""
        return await self._reply_problem(await self.card(key), key, kind, reply)

    async def _reply_problem(self, found: CommentCard | None, key: str, kind: Reply, reply: str) -> str | None:
        if found is None or found.message.comment is None:
            return "This comment is no longer on the desk."
        if found.deleted:
            return "Its author deleted the comment."
        if kind == "private" and (reason := can_reply_privately(found, self.clock())) is not None:
            return reason
        too_long = len(reply.encode()) > INSTAGRAM_MESSAGE_BYTES
        if kind == "private" and found.message.comment.platform == "instagram" and too_long:
            return f"Instagram takes {INSTAGRAM_MESSAGE_BYTES:,} bytes at most (about 900 characters): shorten it."
        if await self.redis.hexists(KEYS("comment", key), kind):
            return f"A {kind} reply to this comment was already sent (or Meta did not say whether it was)."
        return None

    async def manager_reply(self, key: str, kind: Reply, reply: str, user: str) -> str | None:
        """A community manager's reply from the card; returns why it was not sent, or None.

        Raises:
            DeliveryError: when Meta refused or could not be reached (said on the card by the caller).

        """
        found = await self.card(key)
        if (problem := await self._reply_problem(found, key, kind, reply)) is not None or found is None:
            return problem
        if not await self.send(found.message, kind, reply, f"<@{user}>"):
            return f"A {kind} reply to this comment was already sent."
        where = "in public" if kind == "public" else "in private"
        changes = {"public_replied": True} if kind == "public" else {"private_replied": True}
        await self.save(found.with_line(f"↩️ <@{user}> replied {where}: “{escape(reply[:300])}”", **changes))
        return None

    async def manager_hide(self, key: str, user: str) -> None:
        """Hide the comment (a manager's button)."""
        found = await self.card(key)
        if found is None or found.hidden or found.message.comment is None:
            return
        await self.meta.hide(found.message.comment)
        await self._answered(found.message, "hidden")
        await self.save(found.with_line(f"🙈 Hidden by <@{user}>", hidden=True))

    async def manager_done(self, key: str, user: str) -> None:
        """Close the card: nothing more to do."""
        found = await self.card(key)
        if found is not None and not found.closed:
            await self.save(found.with_line(f"✅ Marked done by <@{user}>", closed=True))

    async def refused(self, key: str, line: str) -> None:
        """Say on the card that Meta refused a manager's action (``line``: Slack mrkdwn, its quoted text escaped)."""
        found = await self.card(key)
        if found is not None:
            await self.save(found.with_line(f"⚠️ {line}"))

    async def _note(self, message: Inbound, line: str, deleted: bool = False) -> None:
        """An edit or a deletion: said on the comment's card, if it has one (nothing else to do)."""
        found = await self.card(comment_key(message))
        if found is not None:
            await self.save(found.with_line(line, deleted=found.deleted or deleted))

    async def _decided(self, message: Inbound, reading: Reading | None, decision: Decision) -> None:
        self.counted(message.channel, decision.action)
        negative = reading is not None and (reading.sentiment <= -0.25 or decision.action == "ticket")
        event = Event(
            COMMENT,
            self.clock(),
            message.conversation_id,
            message.channel,
            language=reading.language if reading else None,
            intent=reading.intent if reading else None,
            unhandled=reading.unsure if reading else False,
            sentiment=reading.sentiment if reading else None,
            text=redact(message.text) if negative or (reading and reading.unsure) else None,
            reason=decision.action,
            comment_key=comment_key(message),
            id=f"comment:{message.dedupe_key}",
        )
        await self._journal(event)

    async def _answered(self, message: Inbound, how: str) -> None:
        """Journal how the comment was answered (public, private, hidden) and how long after it was written."""
        comment = message.comment
        assert comment is not None
        seconds = max(0.0, self.clock() - comment.created_at) if comment.created_at else None
        event = Event(
            COMMENT_ANSWER,
            self.clock(),
            message.conversation_id,
            message.channel,
            reason=how,
            seconds=seconds,
            comment_key=comment_key(message),
            id=f"comment_answer:{comment_key(message)}:{how}",
        )
        await self._journal(event)

    async def _journal(self, event: Event) -> None:
        if self.journal is not None:
            await record_best_effort(self.journal, event)


def _read_kept(raw: str) -> tuple[Reading, Decision]:
    data = json.loads(raw)
    return Reading(**data["reading"]), Decision(**data["decision"])


def _not_done(error: DeliveryError) -> str:
    """Why the bot's own action did not happen, for the card that brings the comment to a person."""
    if isinstance(error, UncertainWrite):
        return f"Meta did not say whether it was done, check the post: {error}"
    return f"Meta refused: {error}"
