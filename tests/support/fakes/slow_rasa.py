"""A proxy in front of Rasa that makes each customer turn slow, as a slow custom action or an overloaded Rasa would."""

from __future__ import annotations

import asyncio

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

TURN = "/webhooks/rest/webhook"


class SlowRasa:
    """Forwards everything to ``target``; a turn (``POST /webhooks/rest/webhook``) first waits ``delay`` seconds."""

    def __init__(self, target: str, delay: float) -> None:
        self.target = target.rstrip("/")
        self.delay = delay
        self.turns = 0

    def app(self) -> Starlette:
        async def forward(request: Request) -> Response:
            if request.url.path == TURN:
                self.turns += 1
                await asyncio.sleep(self.delay)
            async with httpx.AsyncClient(timeout=60) as client:
                upstream = await client.request(
                    request.method,
                    f"{self.target}{request.url.path}",
                    params=request.query_params,
                    content=await request.body(),
                    headers={"Content-Type": request.headers.get("content-type", "application/json")},
                )
            return Response(upstream.content, upstream.status_code, media_type=upstream.headers.get("content-type"))

        return Starlette(routes=[Route("/{path:path}", forward, methods=["GET", "POST", "PUT", "DELETE"])])
