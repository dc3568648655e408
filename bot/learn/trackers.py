"""Where conversation logs come from: Rasa's Redis tracker store, a running Rasa's HTTP API, or a JSONL file.

Every source yields trackers as ``GET /conversations/{id}/tracker`` shapes them: a dict with ``sender_id`` and
``events``. In Redis, the project's tracker store keeps each conversation as a list of events
(``bot/dialogue/event_log.py``, prefix ``passerelle`` from endpoints.yml); conversations kept by Rasa's own
``RedisTrackerStore`` before it are read too.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import redis

from bot.config import Settings
from bot.dialogue.event_log import EventLogKeys, conversations

KEYS = EventLogKeys()


def from_redis(url: str, client: redis.Redis | None = None) -> Iterator[dict[str, Any]]:
    """Every conversation the tracker store keeps in the Redis at ``url`` (read in batches)."""
    for sender_id, events in conversations(client or redis.Redis.from_url(url), KEYS):
        yield {"sender_id": sender_id, "events": events}


def from_rasa(url: str, token: str, ids: list[str]) -> Iterator[dict[str, Any]]:
    """The conversations ``ids`` from a running Rasa server's HTTP API."""
    with httpx.Client(base_url=url.rstrip("/"), timeout=30) as client:
        for conversation_id in ids:
            response = client.get(f"/conversations/{conversation_id}/tracker", params={"token": token})
            response.raise_for_status()
            yield response.json()


def from_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    """One tracker JSON per line (blank lines skipped)."""
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if line.strip():
                try:
                    yield json.loads(line)
                except json.JSONDecodeError as error:
                    raise ValueError(f"{path}:{number}: not a tracker JSON ({error.msg})") from error


def open_source(source: str | None, settings: Settings, ids_file: str | None = None) -> tuple[str, Iterator[Any]]:
    """A description of the source and its trackers, from the ``bot learn mine`` argument.

    Raises:
        ValueError: when the source cannot be used as given.

    """
    if source is None:
        if not settings.redis_url:
            raise ValueError("no source given and REDIS_URL is empty: pass redis://..., a Rasa URL or a JSONL file")
        source = settings.redis_url
    if source.startswith(("redis://", "rediss://")):
        return source, from_redis(source)
    if source.startswith(("http://", "https://")):
        if ids_file:
            ids = [line.strip() for line in Path(ids_file).read_text(encoding="utf-8").splitlines() if line.strip()]
        elif settings.redis_url:
            ids = list(KEYS.sender_ids(redis.Redis.from_url(settings.redis_url)))
        else:
            raise ValueError("Rasa's HTTP API cannot list conversations: pass --ids FILE or set REDIS_URL")
        return source, from_rasa(source, settings.rasa_token, ids)
    path = Path(source)
    if not path.is_file():
        raise ValueError(f"{source}: neither a redis:// or http(s):// URL nor a file")
    return str(path), from_jsonl(path)
