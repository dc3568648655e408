"""The benchmark's wait for a sink's record: woken by the sink's thread, not by polling, and bounded."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from bot.bench.arrivals import ANY, Arrivals


async def test_a_waiter_wakes_when_another_thread_records_for_its_key() -> None:
    arrivals, records = Arrivals(), list[str]()

    def sink() -> None:
        time.sleep(0.05)
        arrivals.notify("other")  # not what the waiter waits for
        records.append("reply")
        arrivals.notify("chat")

    started = time.monotonic()
    threading.Thread(target=sink).start()
    found = await arrivals.until("chat", lambda: records[0] if records else None, timeout=5, what="reply")
    assert found == "reply" and time.monotonic() - started < 2


async def test_a_wait_on_any_wakes_for_every_key_and_a_wait_without_arrival_times_out() -> None:
    arrivals, records = Arrivals(), list[str]()
    waiting = asyncio.ensure_future(arrivals.until(ANY, lambda: records[0] if records else None, 5, "anything"))
    await asyncio.sleep(0.01)
    records.append("card")
    threading.Thread(target=arrivals.notify, args=("slack",)).start()
    assert await waiting == "card"
    with pytest.raises(TimeoutError, match="no reply within"):
        await arrivals.until("chat", lambda: None, timeout=0.05, what="reply")
    assert not arrivals._waiting  # nothing left behind
