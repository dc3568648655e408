"""The shared part of every webhook edge: a bounded body, JSON, and queue-or-503.

A channel's edge checks the request's signature or secret first, then reads the body within the size limit,
parses it with the channel's pure translator, and hands the messages to the gateway's intake. Unreadable bodies
get a 400 (a platform does not retry those); a store that cannot take the messages gets a 503, so the platform
retries later and nothing is lost.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot.conversation import Inbound

log = logging.getLogger(__name__)
# Queues the messages of one request durably; returns (queued, duplicates). Raises when the store is down.
Intake = Callable[[list[Inbound]], Awaitable[tuple[int, int]]]
Endpoint = Callable[[Request], Awaitable[Response]]


class BodyTooLarge(Exception):
    """The request body is over the configured limit."""


async def read_body(request: Request, limit: int) -> bytes:
    """The raw body, refusing more than ``limit`` bytes without reading them all."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            raise BodyTooLarge
    return bytes(body)


def json_body(body: bytes) -> Any:
    """The body as JSON; ``ValueError`` when it is not."""
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"body is not JSON: {error}") from error


def too_large() -> Response:
    """The answer to a body over the limit."""
    return JSONResponse({"error": "body too large"}, status_code=413)


async def queue(parse: Callable[[], list[Inbound]], intake: Intake, answer: Callable[[int, int], Response]) -> Response:
    """Parse, queue, and answer the platform: 400 when unreadable, 503 when the store cannot take it."""
    try:
        messages = parse()
    except ValueError as error:
        return JSONResponse({"error": str(error)}, status_code=400)
    try:
        queued, duplicates = await intake(messages)
    except Exception:  # storage down: make the platform retry later instead of losing the message
        log.exception("could not queue a webhook")
        return JSONResponse({"error": "temporarily unavailable"}, status_code=503)
    return answer(queued, duplicates)
