"""How Telegram's updates reach the gateway: a registered webhook (with a public URL), or long polling without one.

Either way the link keeps trying in the background while the Bot API is unreachable, and says where it stands
(``state``), which ``/healthz`` reports.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any, Literal

from bot.channels import telegram
from bot.channels.webhooks import Intake

log = logging.getLogger(__name__)
UPDATES = ["message", "edited_message", "callback_query", "my_chat_member"]
LinkState = Literal["off", "webhook", "webhook-unregistered", "polling", "polling-unreachable"]


class TelegramLink:
    """Registers the webhook, or polls; ``state`` says which, and whether the Bot API answers."""

    def __init__(self, bot: Any, public_url: str, secret: str) -> None:
        """``bot`` is python-telegram-bot's; ``public_url`` empty means polling mode."""
        self.bot = bot
        self.public_url = public_url
        self.secret = secret
        self.state: LinkState = "webhook-unregistered" if public_url else "off"

    @property
    def broken(self) -> bool:
        """Whether updates cannot arrive right now."""
        return self.state in ("webhook-unregistered", "polling-unreachable")

    async def run(self, intake: Intake) -> None:
        """Register the webhook (webhook mode) or poll for updates and hand them to ``intake`` (polling mode)."""
        if self.public_url:
            await self._register()
        else:
            await self._poll(intake)

    async def _register(self) -> None:
        """Register the webhook with its secret, retrying while the Bot API is unreachable."""
        url = f"{self.public_url}/webhooks/telegram"
        delay = 1.0
        while True:
            try:
                await self.bot.set_webhook(url, secret_token=self.secret, allowed_updates=UPDATES)
                self.state = "webhook"
                log.info("Telegram webhook registered")
                return
            except Exception as error:  # network or API error: keep trying in the background
                self.state = "webhook-unregistered"
                log.warning("Telegram webhook registration failed (%s); retrying in %.0f s", error, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 60)

    async def _poll(self, intake: Intake) -> None:
        """Fetch updates, queue them, then confirm them to Telegram (the next offset)."""
        offset: int | None = None
        with contextlib.suppress(Exception):
            await self.bot.delete_webhook()
        while True:
            try:
                updates = await self.bot.get_updates(offset=offset, timeout=20, allowed_updates=UPDATES)
                self.state = "polling"
                for update in updates:
                    try:
                        parsed = telegram.parse_update(update.to_dict())
                    except ValueError as error:
                        log.warning("dropped an unreadable Telegram update: %s", error)
                    else:
                        await intake(list(parsed.messages))
                    offset = update.update_id + 1
            except asyncio.CancelledError:
                raise
            except Exception as error:
                self.state = "polling-unreachable"
                log.warning("Telegram polling failed: %s", error)
                await asyncio.sleep(3)
