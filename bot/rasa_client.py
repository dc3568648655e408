"""Talks to the Rasa server: the REST channel for customer messages, the HTTP API for the rest."""

from __future__ import annotations

from typing import Any

import httpx

from bot.conversation import BotReply, Inbound, reply_from_rasa


class RasaError(RuntimeError):
    """Rasa could not be reached or answered with an error."""


class RasaClient:
    """An async client for one Rasa server."""

    def __init__(
        self,
        base_url: str,
        token: str,
        timeout: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        """Talk to ``base_url``; ``token`` protects the HTTP API."""
        self._token = token
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
        )
        return reply_from_rasa(payload if isinstance(payload, list) else [])

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

    async def resume(self, conversation_id: str) -> None:
        """Give the conversation back to the bot."""
        await self.append_events(conversation_id, [{"event": "resume"}])
