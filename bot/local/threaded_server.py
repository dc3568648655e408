"""Serves an ASGI app on a loopback port from a background thread (benchmarks' and tests' platform stand-ins)."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from typing import Any

import uvicorn

from bot.local.stack import free_port


@contextlib.contextmanager
def serve_in_thread(app: Any, timeout: float = 10.0, websockets: bool = False) -> Iterator[str]:
    """Serve ``app`` on a free loopback port and yield its base URL; stop it on exit."""
    port = free_port()
    ws = "wsproto" if websockets else "none"
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", ws=ws, lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError(f"could not serve on port {port}")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=5)
