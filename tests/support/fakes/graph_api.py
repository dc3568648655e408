"""A local stand-in for the Graph API Send endpoint that records what the page sends."""

from __future__ import annotations

import itertools
import threading
import time
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

PAGE_TOKEN = "EAAtestpagetoken"


class FakeGraph:
    """Records Send API bodies; ``fail_next`` makes the next sends answer an error status."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.fail_next: list[int] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def texts(self, psid: str) -> list[str]:
        return [b["message"].get("text", "") for b in self.bodies if b["recipient"]["id"] == psid]

    def wait_for(self, psid: str, count: int, timeout: float = 30.0) -> list[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            texts = self.texts(psid)
            if len(texts) >= count:
                return texts
            time.sleep(0.05)
        raise AssertionError(f"expected {count} messages to {psid}, got {self.texts(psid)}")

    def app(self) -> Starlette:
        async def send(request: Request) -> JSONResponse:
            if request.query_params.get("access_token") != PAGE_TOKEN:
                return JSONResponse({"error": {"message": "Invalid OAuth access token", "code": 190}}, 400)
            body = await request.json()
            with self._lock:
                status = self.fail_next.pop(0) if self.fail_next else 200
                if status == 200:
                    self.bodies.append(body)
            if status != 200:
                return JSONResponse({"error": {"message": "fake failure", "code": 2}}, status)
            return JSONResponse({"recipient_id": body["recipient"]["id"], "message_id": f"m_{next(self._ids)}"})

        async def me(request: Request) -> JSONResponse:
            if request.query_params.get("access_token") != PAGE_TOKEN:
                return JSONResponse({"error": {"message": "Invalid OAuth access token", "code": 190}}, 400)
            return JSONResponse({"id": "PAGE", "name": "Atelier Mistral"})

        routes = [Route("/{version}/me/messages", send, methods=["POST"]), Route("/{version}/me", me, methods=["GET"])]
        return Starlette(routes=routes)
