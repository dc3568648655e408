"""What every customer channel shares: its outbound side (``Sender``), its failures, and what it counts.

A channel module is two pure translators (platform payload -> ``Inbound``, ``Outbound`` -> platform call) and thin
I/O around them; the gateway depends on these protocols, never on a vendor SDK.
"""

from __future__ import annotations

from typing import Protocol

from bot.conversation import Inbound, Outbound


class DeliveryError(Exception):
    """A reply could not be delivered. ``permanent`` ones (blocked bot, bad request) are not retried."""

    def __init__(self, message: str, permanent: bool = False) -> None:
        """Describe the failure."""
        super().__init__(message)
        self.permanent = permanent


class Sender(Protocol):
    """A channel's outbound side."""

    async def send(self, conversation_id: str, message: Outbound, from_agent: bool = False) -> None:
        """Deliver one message to the customer; raise ``DeliveryError`` on failure, and nothing else.

        A platform answer that says "taken" (a 2xx) but cannot be read is a delivery, not a failure: a retry would
        repeat the message to the customer. ``from_agent`` marks a community manager's reply (Messenger then sends
        it with the HUMAN_AGENT tag).
        """

    async def acknowledge(self, message: Inbound) -> None:
        """Acknowledge a button press on platforms that need it (best effort)."""


class AcknowledgementCounter(Protocol):
    """Where a sender counts the sends a platform took but answered unreadably (the gateway's metrics)."""

    def unreadable_acknowledgement(self, channel: str) -> None:
        """Count one such send on ``channel``."""


class NoCounter:
    """Counts nothing: a sender built without the gateway's metrics (tools, tests)."""

    def unreadable_acknowledgement(self, channel: str) -> None:
        """Nothing to count."""
