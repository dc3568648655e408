"""The delivery work (queued messages to Rasa, replies to the platforms) on an event loop and thread of its own.

On the webhooks' loop, a backlog of deliveries held up every acknowledgement: with 20 webhooks in flight during a
burst their p99 was 0.8 s, and a platform that waits too long for an acknowledgement sends its update again. The
receiving side now only checks, queues and answers. Each event loop needs clients of its own (Redis, HTTP), so the
delivery thread builds its own gateway parts from the same settings; the metrics object is shared, so ``/metrics``
still counts every delivery.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.gateway.dispatcher import Dispatcher
    from bot.gateway.wiring import Gateway

log = logging.getLogger(__name__)


class DeliveryThread:
    """Runs a gateway's dispatcher in a thread, with its own event loop."""

    def __init__(self, build: Callable[[], Gateway]) -> None:
        """``build`` makes the gateway parts the thread uses (called in the thread, on its loop)."""
        self._build = build
        self._thread = threading.Thread(target=self._run, name="delivery", daemon=True)
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._failure: BaseException | None = None
        self.dispatcher: Dispatcher | None = None

    def start(self, timeout: float = 30.0) -> Dispatcher:
        """Start the thread and return its dispatcher once it runs; raise what stopped it from starting."""
        self._thread.start()
        if not self._ready.wait(timeout):
            raise RuntimeError(f"the delivery thread did not start within {timeout:.0f} s")
        if self._failure is not None or self.dispatcher is None:
            raise RuntimeError("the delivery thread could not start") from self._failure
        return self.dispatcher

    def stop(self, timeout: float = 15.0) -> None:
        """Let the workers finish their step and wait for the thread."""
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout)
        if self._thread.is_alive():
            log.warning("the delivery thread did not stop within %.0f s", timeout)

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as error:  # reported to start(), or logged if it came later
            if not self._ready.is_set():
                self._failure = error
                self._ready.set()
            else:
                log.exception("the delivery thread stopped")

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        gateway = self._build()
        self.dispatcher = gateway.dispatcher
        self._ready.set()
        try:
            await gateway.dispatcher.run(self._stop)
        finally:
            await gateway.rasa.aclose()
            await gateway.store.redis.close()
