"""The benchmark's light HTTP client: every prepared request answered in order, kept-alive, an error refused."""

from __future__ import annotations

import json

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bot.bench.acks import PATH, in_flight, request, update
from bot.bench.gateway import SECRET
from bot.local.threaded_server import serve_in_thread


def gateway_stand_in(received: list[int]) -> Starlette:
    async def webhook(request: Request) -> JSONResponse:
        if request.headers.get("X-Telegram-Bot-Api-Secret-Token") != SECRET:
            return JSONResponse({"error": "bad secret"}, status_code=401)
        received.append(json.loads(await request.body())["update_id"])
        return JSONResponse({"ok": True, "queued": 1, "duplicates": 0})

    return Starlette(routes=[Route(PATH, webhook, methods=["POST"])])


async def test_every_request_is_sent_once_with_its_body_and_timed() -> None:
    received: list[int] = []
    with serve_in_thread(gateway_stand_in(received)) as url:
        host = url.removeprefix("http://")
        bodies = [update(i) for i in range(60)]
        latencies = await in_flight(url, [request(host, body) for body in bodies], concurrency=5)
    assert len(latencies) == 60 and all(latency > 0 for latency in latencies)
    sent = [json.loads(body)["update_id"] for body in bodies]
    assert len(set(sent)) == 60 and sorted(received) == sorted(sent)


async def test_a_refused_request_fails_the_measurement() -> None:
    with serve_in_thread(gateway_stand_in([])) as url:
        raw = request(url.removeprefix("http://"), update(0)).replace(SECRET.encode(), b"forged-secret")
        with pytest.raises(RuntimeError, match="401"):
            await in_flight(url, [raw], concurrency=1)
