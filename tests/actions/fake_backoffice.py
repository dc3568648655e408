"""A local HTTP server playing a company's order API, with switchable failures."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FakeOrderApi:
    """Serves ``/orders/{id}``, ``/orders/{id}/cancel``, ``/orders/{id}/returns`` and ``/stores``."""

    def __init__(self, orders: dict[str, dict[str, Any]], stores: list[dict[str, Any]]) -> None:
        self.orders = orders
        self.stores = stores
        self.mode = "ok"  # ok | slow | error
        self.delay = 0.0
        self.requests: list[tuple[str, str, dict[str, str]]] = []

    def handler(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self, status: int, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _route(self, method: str) -> None:
                api.requests.append((method, self.path, dict(self.headers)))
                if api.mode == "slow":
                    time.sleep(api.delay)
                if api.mode == "error":
                    return self._answer(503, {"error": "maintenance"})
                parts = self.path.strip("/").split("/")
                if parts == ["stores"]:
                    return self._answer(200, api.stores)
                if len(parts) >= 2 and parts[0] == "orders":
                    order = api.orders.get(parts[1])
                    if order is None:
                        return self._answer(404, {"error": "not found"})
                    if method == "GET" and len(parts) == 2:
                        return self._answer(200, order)
                    if method == "POST" and parts[2:] == ["cancel"]:
                        order["status"] = "cancelled"
                        return self._answer(200, order)
                    if method == "POST" and parts[2:] == ["returns"]:
                        return self._answer(201, {"return_id": f"R-{parts[1]}"})
                return self._answer(404, {"error": "no route"})

            def do_GET(self) -> None:
                self._route("GET")

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                self._route("POST")

        return Handler


@contextmanager
def serve(api: FakeOrderApi) -> Iterator[str]:
    """Run ``api`` on a loopback port and yield its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), api.handler())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
