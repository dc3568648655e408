"""A local stand-in for Slack: the Web API (records posts, updates and uploaded files, fails loudly on unknown
methods) and the Socket Mode WebSocket (``apps.connections.open`` then envelopes sent on demand, acknowledgements
recorded)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import queue
import threading
import time
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

BOT_TOKEN = "xoxb-test-token"
APP_TOKEN = "xapp-1-A1-test-token"
SCOPES = "chat:write,channels:history,groups:history,channels:read,groups:read,commands,files:write"


class FakeSlack:
    """Records ``chat.postMessage`` and ``chat.update``; ``fail_next`` answers 429 (Retry-After 1) first.

    Files come as ``files_upload_v2`` sends them: ``files.getUploadURLExternal`` gives an upload URL on this server,
    the bytes are POSTed there, ``files.completeUploadExternal`` shares them in a channel (then in ``files``);
    ``files_error`` makes the first step fail with that error (e.g. ``missing_scope``).
    """

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.fail_next: list[int] = []
        self._ts = itertools.count(1)
        self._lock = threading.Lock()
        self._envelopes: queue.Queue[dict[str, Any]] = queue.Queue()
        self.acks: dict[str, dict[str, Any]] = {}
        self.socket_connections = 0
        self.scopes = SCOPES  # what auth.test says the app was granted (x-oauth-scopes)
        self.channels: dict[str, dict[str, Any]] = {"C_SUPPORT": {"name": "support", "is_member": True}}
        self.uploads: dict[str, dict[str, Any]] = {}  # file id -> filename, length, data once uploaded
        self.files: list[dict[str, Any]] = []  # completed uploads: id, title, filename, channel, data
        self.files_error: str | None = None

    def socket_send(self, kind: str, payload: dict[str, Any], retry_attempt: int = 0) -> str:
        """Send an envelope (``events_api``, ``interactive`` or ``slash_commands``) on the Socket Mode connection."""
        envelope_id = f"env-{next(self._ts)}"
        self._envelopes.put(
            {
                "envelope_id": envelope_id,
                "type": kind,
                "payload": payload,
                "accepts_response_payload": kind != "events_api",
                "retry_attempt": retry_attempt,
                "retry_reason": "timeout" if retry_attempt else "",
            }
        )
        return envelope_id

    def wait_ack(self, envelope_id: str, timeout: float = 30.0) -> dict[str, Any]:
        """The app's acknowledgement of an envelope (with its response payload, if any)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if envelope_id in self.acks:
                return self.acks[envelope_id]
            time.sleep(0.05)
        raise AssertionError(f"envelope {envelope_id} was not acknowledged")

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
            name = request.path_params["method"]
            if name == "apps.connections.open":
                if request.headers.get("authorization") != f"Bearer {APP_TOKEN}":
                    return JSONResponse({"ok": False, "error": "invalid_auth"})
                return JSONResponse({"ok": True, "url": f"ws://{request.url.netloc}/link/?ticket=t1"})
            if request.headers.get("authorization") != f"Bearer {BOT_TOKEN}":
                return JSONResponse({"ok": False, "error": "invalid_auth"})
            raw = await request.body()
            # Query string parameters: GET methods (conversations.info) and some POSTs (files.getUploadURLExternal).
            params: dict[str, Any] = dict(request.query_params)
            if request.method == "POST" and request.headers.get("content-type", "").startswith("application/json"):
                params.update(json.loads(raw or b"{}"))
            elif request.method == "POST":
                params.update(parse_qsl(raw.decode()))
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
                    },
                    headers={"x-oauth-scopes": self.scopes},
                )
            if name == "conversations.info":
                found = self.channels.get(str(params.get("channel")))
                if found is None:
                    return JSONResponse({"ok": False, "error": "channel_not_found"})
                return JSONResponse({"ok": True, "channel": {"id": params.get("channel"), **found}})
            if name == "chat.postMessage":
                return JSONResponse(
                    {"ok": True, "channel": params.get("channel"), "ts": f"1700000000.{next(self._ts):06d}"}
                )
            if name == "views.open":
                view = params.get("view")
                view = json.loads(view) if isinstance(view, str) else view or {}
                return JSONResponse({"ok": True, "view": {"id": f"V{next(self._ts)}", **view}})
            if name == "chat.update":
                return JSONResponse({"ok": True, "channel": params.get("channel"), "ts": params.get("ts")})
            if name == "files.getUploadURLExternal":
                if self.files_error:
                    return JSONResponse({"ok": False, "error": self.files_error})
                file_id = f"F{next(self._ts):08d}"
                self.uploads[file_id] = {"filename": params.get("filename"), "length": int(params["length"])}
                return JSONResponse(
                    {"ok": True, "file_id": file_id, "upload_url": f"http://{request.url.netloc}/upload/{file_id}"}
                )
            if name == "files.completeUploadExternal":
                return complete_upload(params)
            return JSONResponse({"ok": False, "error": f"fake_has_no_{name}"}, 404)

        def complete_upload(params: dict[str, Any]) -> JSONResponse:
            shared = []
            for item in json.loads(params["files"]):
                upload = self.uploads.get(item["id"], {})
                if "data" not in upload:
                    return JSONResponse({"ok": False, "error": "file_not_found"})
                shared.append({"id": item["id"], "title": item.get("title"), "name": upload["filename"]})
            with self._lock:
                self.files.extend(
                    {**f, "channel": params.get("channel_id"), "data": self.uploads[f["id"]]["data"]} for f in shared
                )
            return JSONResponse({"ok": True, "files": shared})

        async def upload(request: Request) -> PlainTextResponse:
            found = self.uploads.get(request.path_params["file_id"])
            data = await request.body()
            if found is None or len(data) != found["length"]:
                return PlainTextResponse("bad upload", 400)
            found["data"] = data
            return PlainTextResponse(f"OK - {len(data)}")

        async def link(websocket: WebSocket) -> None:
            await websocket.accept()
            self.socket_connections += 1
            await websocket.send_json({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A1"}})

            async def receive_acks() -> None:
                while True:
                    ack = json.loads(await websocket.receive_text())
                    self.acks[ack["envelope_id"]] = ack

            receiver = asyncio.create_task(receive_acks())
            try:
                while not receiver.done():
                    try:
                        await websocket.send_json(self._envelopes.get_nowait())
                    except queue.Empty:
                        await asyncio.sleep(0.02)
            except WebSocketDisconnect:
                pass
            finally:
                receiver.cancel()
                with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, Exception):
                    await receiver

        routes = [
            Route("/api/{method}", method, methods=["GET", "POST"]),
            Route("/upload/{file_id}", upload, methods=["POST"]),
            WebSocketRoute("/link/", link),
        ]
        return Starlette(routes=routes)
