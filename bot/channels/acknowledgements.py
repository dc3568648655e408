"""A platform's 2xx answer to a send that cannot be read: the platform took the message, so it is never sent again.

A misconfigured proxy or an API change answers 200 with a page, an empty body or JSON missing the field every answer
carries (Telegram's ``result``, Meta's ``message_id``). Retrying would repeat the message to the customer, so the
senders count it as delivered, log one line and count it in ``/metrics``.
"""

from __future__ import annotations

import json
import logging

from bot.channels.base import AcknowledgementCounter

log = logging.getLogger(__name__)


def unreadable_answer(payload: bytes, required: str) -> str | None:
    """What is wrong with a 2xx answer, or None when it is a JSON object with the ``required`` field.

    The description names the body's shape only, never its content (which may quote the customer's message).
    """
    try:
        data = json.loads(payload)
    except ValueError:
        return "a body that is not JSON" if payload.strip() else "an empty body"
    if not isinstance(data, dict):
        return f"a JSON {type(data).__name__} instead of an object"
    if required not in data:
        return f"a JSON object without `{required}` (keys: {', '.join(sorted(map(str, data))) or 'none'})"
    return None


def taken_unread(platform: str, channel: str, problem: str, counter: AcknowledgementCounter) -> None:
    """Log and count a send the platform took but whose answer could not be read."""
    log.warning(
        "%s accepted a message but its answer is unreadable (%s; a proxy or an API change?): "
        "counted as delivered, not sent again",
        platform,
        problem,
    )
    counter.unreadable_acknowledgement(channel)
