"""The comment desk's figure for ``make bench``: from a comment's webhook to the desk's decision acted upon.

A comment's decision shows as a call out of the gateway: a private reply on the Graph API (an order question) or a
card in Slack (a complaint). The Graph API is a local sink recording when each call arrives; Slack is the gateway
bench's sink. Measured one comment at a time (the latency a customer's comment waits), then as a burst of 50
comments under one post, which the desk reads in order (the comments of one post are one queue).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import threading
import time
from itertools import count
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bot.bench.arrivals import ANY, Arrivals
from bot.bench.gateway import KEEP_ALIVE, Sinks
from bot.bench.stats import percentile

APP_SECRET = "bench-meta-secret"
PAGE_TOKEN = "bench-page-token"
QUESTION = "Bonjour, où en est ma commande 48213 ?"
COMPLAINT = "Commande jamais arrivée et aucune réponse du service client depuis deux semaines, c'est honteux"
_comment = count(1)


class GraphSink:
    """A Graph API stand-in recording when each private reply arrives, by comment id."""

    def __init__(self, arrivals: Arrivals) -> None:
        """Record into ``private_replies`` and tell ``arrivals`` (key: the comment id)."""
        self.private_replies: dict[str, float] = {}
        self.arrivals = arrivals
        self._lock = threading.Lock()

    def app(self) -> Starlette:
        """``POST /{version}/me/messages`` and ``GET /{version}/{post}`` (the card's link)."""

        async def messages(request: Request) -> JSONResponse:
            body = json.loads(await request.body())
            comment_id = str(body.get("recipient", {}).get("comment_id", ""))
            with self._lock:
                self.private_replies.setdefault(comment_id, time.perf_counter())
            self.arrivals.notify(comment_id)
            return JSONResponse({"recipient_id": "PSID", "message_id": "m_1"})

        async def read(request: Request) -> JSONResponse:
            return JSONResponse({"permalink_url": f"https://www.facebook.com/{request.path_params['post']}"})

        return Starlette(
            routes=[
                Route("/{version}/me/messages", messages, methods=["POST"]),
                Route("/{version}/{post}", read, methods=["GET"]),
            ]
        )


def gateway_env(graph_url: str) -> dict[str, str]:
    """What the bench's gateway needs for the comment desk."""
    return {
        "MESSENGER_PAGE_TOKEN": PAGE_TOKEN,
        "MESSENGER_APP_SECRET": APP_SECRET,
        "MESSENGER_VERIFY_TOKEN": "bench",
        "MESSENGER_API_URL": graph_url,
    }


def comment_body(comment_id: str, post_id: str, text: str) -> bytes:
    """A signed Page ``feed`` body for one comment."""
    value = {
        "from": {"id": f"PSID_{comment_id}", "name": "Bench"},
        "item": "comment",
        "comment_id": comment_id,
        "post_id": post_id,
        "verb": "add",
        "parent_id": post_id,
        "created_time": int(time.time()),
        "message": text,
    }
    entry = {"id": "BENCHPAGE", "time": int(time.time()), "changes": [{"field": "feed", "value": value}]}
    return json.dumps({"object": "page", "entry": [entry]}, ensure_ascii=False).encode()


class CommentBench:
    """Posts comments to the gateway and times their decisions."""

    def __init__(self, gateway_url: str, graph: GraphSink, sinks: Sinks) -> None:
        """Post to ``gateway_url``; read the effects on ``graph`` and the Slack ``sinks``."""
        self.gateway_url = gateway_url
        self.graph = graph
        self.sinks = sinks

    async def _post(self, http: httpx.AsyncClient, comment_id: str, post_id: str, text: str) -> float:
        body = comment_body(comment_id, post_id, text)
        signature = "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
        started = time.perf_counter()
        response = await http.post(
            f"{self.gateway_url}/webhooks/messenger",
            content=body,
            headers={"Content-Type": "application/json", "X-Hub-Signature-256": signature},
        )
        response.raise_for_status()
        return started

    async def _decided(self, comment_id: str, timeout: float = 60.0) -> float:
        """When the decision's call (a private reply, or a card) left the gateway."""

        def found() -> float | None:
            card = self.sinks.first_slack(lambda post: f"facebook:{comment_id}" in str(post.get("blocks")))
            return self.graph.private_replies.get(comment_id, card)

        return await self.sinks.arrivals.until(ANY, found, timeout, f"decision for comment {comment_id}")

    async def one(self, http: httpx.AsyncClient, post_id: str, complaint: bool) -> float:
        """Milliseconds from one comment's webhook to its decision's call."""
        comment_id = f"{post_id}_{next(_comment)}"
        started = await self._post(http, comment_id, post_id, COMPLAINT if complaint else QUESTION)
        return (await self._decided(comment_id) - started) * 1000

    async def measure(self, comments: int = 60, burst: int = 50) -> dict[str, Any]:
        """Sequential latency (questions and complaints alternating, over several posts), then a burst on one post."""
        async with httpx.AsyncClient(timeout=30.0, limits=KEEP_ALIVE) as http:
            for i in range(4):  # warm-up: the first comment of a process loads the policy, opens the pools
                await self.one(http, "BENCHPAGE_warm", complaint=i % 2 == 1)
            alone = [await self.one(http, f"BENCHPAGE_{i % 6}", complaint=i % 2 == 1) for i in range(comments)]
            ids = [f"BENCHPAGE_burst_{next(_comment)}" for _ in range(burst)]
            starts = await asyncio.gather(*(self._post(http, c, "BENCHPAGE_burst", QUESTION) for c in ids))
            ends = await asyncio.gather(*(self._decided(c) for c in ids))
        burst_ms = [(end - start) * 1000 for start, end in zip(starts, ends, strict=True)]
        return {
            "comment_decision_p50_ms": round(percentile(alone, 50), 1),
            "comment_decision_p99_ms": round(percentile(alone, 99), 1),
            "comment_decision_p99_ms_burst_50_one_post": round(percentile(burst_ms, 99), 1),
        }
