"""Talks to the Rasa server: the REST channel for customer messages, the HTTP API for the rest."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from bot.conversation import BotReply, Inbound, reply_from_rasa


class RasaError(RuntimeError):
    """Rasa could not be reached or answered with an error."""


# A turn may wait on custom actions, which Rasa itself gives 5 minutes (DEFAULT_REQUEST_TIMEOUT). Waiting longer than
# Rasa does means the gateway never gives up on a turn Rasa is still processing, which it would then send again (Rasa
# writes the tracker only when the turn ends, so the gateway could not tell): a slow turn is answered late, never
# twice. The customer is told about the delay meanwhile (bot/gateway/dispatcher.py); a dead Rasa fails at once.
TURN_TIMEOUT = 330.0
FALLBACK_INTENT = "nlu_fallback"
# What the out-of-scope gate answers (config.yml's ``out_of_scope_gate.intent``): the bot declined the message.
OUT_OF_SCOPE_INTENT = "out_of_scope"


class RasaClient:
    """An async client for one Rasa server."""

    def __init__(
        self,
        base_url: str,
        token: str,
        timeout: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
        turn_timeout: float = TURN_TIMEOUT,
    ) -> None:
        """Talk to ``base_url``; ``token`` protects the HTTP API.

        ``timeout`` bounds API calls; ``turn_timeout`` bounds a customer message's turn, which may run custom actions.
        """
        self._token = token
        self._turn_timeout = httpx.Timeout(turn_timeout, connect=min(timeout, 10.0))
        self._http = httpx.AsyncClient(base_url=base_url, timeout=timeout, transport=transport)

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = await self._http.request(method, path, **kwargs)
        except httpx.HTTPError as error:
            raise RasaError(f"{method} {path}: {type(error).__name__}: {error}") from error
        if response.status_code >= 400:
            raise RasaError(f"{method} {path}: HTTP {response.status_code}: {response.text[:200]}")
        return response.json()

    async def send(self, message: Inbound) -> BotReply:
        """Send a customer message through the REST channel and return the bot's reply."""
        payload = await self._call(
            "POST",
            "/webhooks/rest/webhook",
            json={
                "sender": message.conversation_id,
                "message": message.text,
                "metadata": message.rasa_metadata(),
            },
            timeout=self._turn_timeout,
        )
        reply = reply_from_rasa(payload if isinstance(payload, list) else [])
        if message.text.strip() and not (reply.messages or reply.handoff or reply.custom):
            await self._undo_silent_turn(message.conversation_id)
        return reply

    async def _undo_silent_turn(self, conversation_id: str) -> None:
        """Raise ``RasaError`` when Rasa answered nothing while the bot, not a person, has the conversation.

        Rasa 3.6 logs a custom action that failed (action server down or killed mid-call, Redis down) and carries
        on without its events, so the turn ends in silence with a 200. Such a turn is undone in the tracker, so
        that the message, sent again later, starts from where the conversation was. Only a paused conversation
        (handed over to a person) is silent on purpose.
        """
        state = await self._call(
            "GET",
            f"/conversations/{conversation_id}/tracker",
            params={"token": self._token, "include_events": "NONE"},
        )
        if isinstance(state, dict) and state.get("paused"):
            return
        # ``rewind`` also drops the action_listen before the message (Rasa's action_back expects one to follow).
        await self.append_events(conversation_id, [{"event": "rewind"}, {"event": "action", "name": "action_listen"}])
        raise RasaError("Rasa answered nothing: a custom action failed (is the action server up?)")

    async def parse(self, text: str) -> dict[str, Any]:
        """Run NLU only: intent ranking and entities for ``text``."""
        result: dict[str, Any] = await self._call(
            "POST", "/model/parse", params={"token": self._token}, json={"text": text}
        )
        return result

    async def tracker(self, conversation_id: str) -> dict[str, Any]:
        """The conversation's tracker (events, slots, paused state)."""
        result: dict[str, Any] = await self._call(
            "GET", f"/conversations/{conversation_id}/tracker", params={"token": self._token}
        )
        return result

    async def latest_message(self, conversation_id: str) -> dict[str, Any] | None:
        """The conversation's last parsed customer message (intent, ranking), read without the event list."""
        result = await self._call(
            "GET",
            f"/conversations/{conversation_id}/tracker",
            params={"token": self._token, "include_events": "NONE"},
        )
        latest = result.get("latest_message") if isinstance(result, dict) else None
        return latest if isinstance(latest, dict) else None

    async def append_events(self, conversation_id: str, events: list[dict[str, Any]]) -> None:
        """Append events (``pause``, ``resume``, ``bot`` ...) to the conversation."""
        await self._call(
            "POST",
            f"/conversations/{conversation_id}/tracker/events",
            params={"token": self._token},
            json=events,
        )


def read_prediction(latest_message: Mapping[str, Any] | None) -> tuple[bool, float] | None:
    """(fell back?, confidence of the best real intent) from a tracker's ``latest_message``; None without one.

    Under the threshold, FallbackClassifier puts ``nlu_fallback`` first with the threshold as its confidence; the
    confidence that says how sure the model was is the next intent's in the ranking.
    """
    intent = (latest_message or {}).get("intent") or {}
    name = intent.get("name")
    if not name:
        return None
    fallback = name == FALLBACK_INTENT
    ranking = [i for i in (latest_message or {}).get("intent_ranking") or [] if i.get("name") != FALLBACK_INTENT]
    best = ranking[0] if ranking and fallback else intent
    return fallback, float(best.get("confidence") or 0.0)
