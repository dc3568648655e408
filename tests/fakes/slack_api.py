"""A local stand-in for the Slack Web API that records posts and updates (fails loudly on unknown methods)."""

from __future__ import annotations

import itertools
import json
import threading
import time
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

BOT_TOKEN = "xoxb-test-token"


class FakeSlack:
    """Records ``chat.postMessage`` and ``chat.update``; ``fail_next`` answers 429 (Retry-After 1) first."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.fail_next: list[int] = []
        self._ts = itertools.count(1)
        self._lock = threading.Lock()

    def posts(self, thread_ts: str | None = None) -> list[dict[str, Any]]:
        return [p for m, p in self.calls if m == "chat.postMessage" and p.get("thread_ts") == thread_ts]

    def wait_for(self, predicate: Any, timeout: float = 30.0) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                found = [p for m, p in self.calls if predicate(m, p)]
            if found:
                return found[-1]
            time.sleep(0.05)
        raise AssertionError(f"no matching Slack call among {[m for m, _ in self.calls]}")

    def app(self) -> Starlette:
        async def method(request: Request) -> JSONResponse:
            if request.headers.get("authorization") != f"Bearer {BOT_TOKEN}":
                return JSONResponse({"ok": False, "error": "invalid_auth"})
            name = request.path_params["method"]
            raw = await request.body()
            if request.headers.get("content-type", "").startswith("application/json"):
                params = json.loads(raw or b"{}")
            else:
                params = dict(parse_qsl(raw.decode()))
            if isinstance(params.get("blocks"), str):
                params["blocks"] = json.loads(params["blocks"])
            with self._lock:
                if self.fail_next and name == "chat.postMessage":
                    status = self.fail_next.pop(0)
                    return JSONResponse({"ok": False, "error": "ratelimited"}, status, headers={"Retry-After": "1"})
                self.calls.append((name, params))
            if name == "auth.test":
                return JSONResponse(
                    {
                        "ok": True,
                        "user_id": "UBOT",
                        "bot_id": "BBOT",
                        "team_id": "T1",
                        "user": "passerelle",
                        "team": "Atelier Mistral",
                    }
                )
            if name == "chat.postMessage":
                return JSONResponse(
                    {"ok": True, "channel": params.get("channel"), "ts": f"1700000000.{next(self._ts):06d}"}
                )
            if name == "chat.update":
                return JSONResponse({"ok": True, "channel": params.get("channel"), "ts": params.get("ts")})
            return JSONResponse({"ok": False, "error": f"fake_has_no_{name}"}, 404)

        return Starlette(routes=[Route("/api/{method}", method, methods=["POST"])])
