"""The comment cards' buttons in Slack (slack-bolt): reply in public or in private (in a form), hide, done.

Registered on the same bolt app as the handoff tickets (bot/handoff/slack_app.py), so the same signature check and
the same Socket Mode or HTTP mode apply. A reply that cannot be sent (a second private reply, past Meta's 7 days, a
deleted comment, too long for Instagram) is refused in the form itself; the form then closes at once (Slack waits 3 s)
and the card says whether Meta took the reply.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, cast

from slack_bolt.async_app import AsyncApp

from bot.channels.base import DeliveryError
from bot.comments.cards import DONE, HIDE, REPLY_FORM, REPLY_PRIVATE, REPLY_PUBLIC, reply_form
from bot.comments.desk import CommentDesk, Reply
from bot.conversation import escape

log = logging.getLogger(__name__)
Ack = Callable[..., Awaitable[None]]


def register(app: AsyncApp, desk: CommentDesk) -> None:
    """Handle the comment cards' buttons and reply form on ``app``."""

    async def open_form(ack: Ack, body: dict[str, Any], public: bool) -> None:
        await ack()
        card = await desk.card(body["actions"][0]["value"])
        if card is None:
            return
        await app.client.views_open(trigger_id=body["trigger_id"], view=reply_form(card, public))

    @app.action(REPLY_PUBLIC)
    async def reply_public(ack: Ack, body: dict[str, Any]) -> None:
        await open_form(ack, body, public=True)

    @app.action(REPLY_PRIVATE)
    async def reply_private(ack: Ack, body: dict[str, Any]) -> None:
        await open_form(ack, body, public=False)

    def filled(view: dict[str, Any]) -> tuple[str, str, str]:
        """The form's kind (public or private), comment key and reply."""
        kind, _, key = str(view.get("private_metadata", "")).partition("|")
        values = ((view.get("state") or {}).get("values") or {}).get("reply") or {}
        return kind, key, str((values.get("text") or {}).get("value") or "").strip()

    async def check_reply(ack: Ack, view: dict[str, Any]) -> None:
        """Refuse in the form what cannot be sent; else close it at once (Slack waits 3 s at most)."""
        kind, key, reply = filled(view)
        if kind not in ("public", "private") or not reply:
            await ack(response_action="errors", errors={"reply": "Write a reply first."})
            return
        problem = await desk.reply_problem(key, cast(Reply, kind), reply)
        await ack(**({"response_action": "errors", "errors": {"reply": problem}} if problem else {}))

    async def send_reply(body: dict[str, Any], view: dict[str, Any]) -> None:
        """After the form closed (a lazy listener): send through Meta, then the card tells the outcome."""
        kind, key, reply = filled(view)
        if kind not in ("public", "private") or not reply:
            return
        user = body["user"]["id"]
        try:
            problem = await desk.manager_reply(key, cast(Reply, kind), reply, user)
        except DeliveryError as error:
            problem = str(error)
        if problem is not None:
            await desk.refused(key, f"<@{user}>'s {kind} reply was not sent: {escape(problem)}")

    # With process_before_response (bot/handoff/slack_app.py), Slack's answer waits for the listener: the sending
    # runs lazily, after the form's answer.
    app.view(REPLY_FORM)(ack=check_reply, lazy=[send_reply])

    @app.action(HIDE)
    async def hide(ack: Ack, body: dict[str, Any]) -> None:
        await ack()
        key, user = body["actions"][0]["value"], body["user"]["id"]
        try:
            await desk.manager_hide(key, user)
        except DeliveryError as error:
            await desk.refused(key, f"<@{user}> could not hide it: {escape(str(error))}")

    @app.action(DONE)
    async def done(ack: Ack, body: dict[str, Any]) -> None:
        await ack()
        await desk.manager_done(body["actions"][0]["value"], body["user"]["id"])
