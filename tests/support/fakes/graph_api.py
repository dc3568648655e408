"""A local stand-in for the Graph API: the Send API (messages, and private replies to comments) and the comment
calls (public replies, hiding, a post's link), recording what the Page did."""

from __future__ import annotations

import itertools
import threading
import time
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

PAGE_TOKEN = "EAAtestpagetoken"


class FakeGraph:
    """Records Send API bodies and comment actions; ``fail_next`` makes the next calls answer an error status."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.comment_actions: list[tuple[str, str, str]] = []  # (public_reply|hide, comment id, text)
        self.fail_next: list[int] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def texts(self, psid: str) -> list[str]:
        return [b["message"].get("text", "") for b in self.bodies if b["recipient"].get("id") == psid]

    def private_replies(self, comment_id: str) -> list[str]:
        """The private replies sent to the author of ``comment_id``."""
        return [b["message"]["text"] for b in self.bodies if b["recipient"].get("comment_id") == comment_id]

    def wait_until(self, found: Any, timeout: float = 30.0) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if value := found():
                return value
            time.sleep(0.05)
        raise AssertionError(f"not seen on the fake Graph API: bodies {self.bodies}, actions {self.comment_actions}")

    def wait_for(self, psid: str, count: int, timeout: float = 30.0) -> list[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            texts = self.texts(psid)
            if len(texts) >= count:
                return texts
            time.sleep(0.05)
        raise AssertionError(f"expected {count} messages to {psid}, got {self.texts(psid)}")

    @staticmethod
    async def _form(request: Request) -> dict[str, str]:
        """A form-encoded body (httpx's ``data=``), read without python-multipart."""
        return dict(parse_qsl((await request.body()).decode()))

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
            recipient = body["recipient"].get("id") or f"psid_of_{body['recipient'].get('comment_id')}"
            return JSONResponse({"recipient_id": recipient, "message_id": f"m_{next(self._ids)}"})

        def refused(request: Request) -> JSONResponse | None:
            if request.query_params.get("access_token") != PAGE_TOKEN:
                return JSONResponse({"error": {"message": "Invalid OAuth access token", "code": 190}}, 400)
            with self._lock:
                status = self.fail_next.pop(0) if self.fail_next else 200
            if status != 200:
                return JSONResponse({"error": {"message": "fake failure", "code": 2}}, status)
            return None

        async def reply(request: Request) -> JSONResponse:
            """``POST /{comment-id}/comments`` (Facebook, form ``message``) or ``/replies`` (Instagram, query)."""
            if (error := refused(request)) is not None:
                return error
            form = await self._form(request)
            text = form.get("message") or request.query_params.get("message") or ""
            with self._lock:
                self.comment_actions.append(("public_reply", request.path_params["object_id"], text))
            return JSONResponse({"id": f"{request.path_params['object_id']}_reply{next(self._ids)}"})

        async def update(request: Request) -> JSONResponse:
            """``POST /{comment-id}`` with ``is_hidden`` (Facebook) or ``hide`` (Instagram)."""
            if (error := refused(request)) is not None:
                return error
            form = await self._form(request)
            if (form.get("is_hidden") or form.get("hide")) != "true":
                return JSONResponse({"error": {"message": "unsupported update", "code": 100}}, 400)
            with self._lock:
                self.comment_actions.append(("hide", request.path_params["object_id"], ""))
            return JSONResponse({"success": True})

        async def read(request: Request) -> JSONResponse:
            """``GET /{post-id}?fields=permalink_url|permalink``."""
            if (error := refused(request)) is not None:
                return error
            field = request.query_params.get("fields", "")
            post = request.path_params["object_id"]
            return JSONResponse({"id": post, field: f"https://www.example-social.test/posts/{post}"})

        async def me(request: Request) -> JSONResponse:
            if request.query_params.get("access_token") != PAGE_TOKEN:
                return JSONResponse({"error": {"message": "Invalid OAuth access token", "code": 190}}, 400)
            return JSONResponse({"id": "PAGE", "name": "Atelier Mistral"})

        routes = [
            Route("/{version}/me/messages", send, methods=["POST"]),
            Route("/{version}/me", me, methods=["GET"]),
            Route("/{version}/{object_id}/comments", reply, methods=["POST"]),
            Route("/{version}/{object_id}/replies", reply, methods=["POST"]),
            Route("/{version}/{object_id}", update, methods=["POST"]),
            Route("/{version}/{object_id}", read, methods=["GET"]),
        ]
        return Starlette(routes=routes)
