"""Webhook acknowledgement latency for ``make bench``, measured with a client that costs next to nothing per request.

httpx spent 1.6 to 2.6 ms of CPU on each request, against 0.3 to 0.9 ms for the gateway to check, queue and answer
it: with 20 requests in flight the figure was the benchmark's own client queueing its requests (p50 21-40 ms, p99
120-160 ms, with no backlog at all). Platforms send webhooks from their own servers, not from the gateway's two
cores. The client here writes prepared HTTP/1.1 requests on kept-alive connections and reads each answer's status
and length, as a load generator (wrk, h2load) does; the httpx figure is kept beside it for comparison.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from collections.abc import Awaitable, Callable
from itertools import count as count_from
from typing import Any
from urllib.parse import urlsplit

import httpx

from bot.bench.gateway import KEEP_ALIVE, SECRET, telegram_update
from bot.bench.stats import percentile

PATH = "/webhooks/telegram"


def update(i: int) -> bytes:
    """The ``i``-th update's body: one of 200 customers, each update new (so the gateway queues it for Rasa)."""
    return json.dumps(telegram_update(5_000_000 + i % 200, "bonjour")).encode()


def request(host: str, body: bytes) -> bytes:
    """A complete HTTP/1.1 webhook request, prepared before the clock starts."""
    head = (
        f"POST {PATH} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"X-Telegram-Bot-Api-Secret-Token: {SECRET}\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


class Connection:
    """One kept-alive HTTP/1.1 connection sending one request at a time."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, url: str) -> Connection:
        """Connect to the gateway at ``url`` (``http://host:port``)."""
        parts = urlsplit(url)
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        return cls(reader, writer)

    async def post(self, raw: bytes) -> float:
        """Send a prepared request; milliseconds until its answer was read. Raises unless the answer is a 2xx."""
        started = time.perf_counter()
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        headers = (line.split(b":", 1) for line in head.split(b"\r\n")[1:] if b":" in line)
        length = next((int(value) for name, value in headers if name.strip().lower() == b"content-length"), 0)
        await self.reader.readexactly(length)
        elapsed = (time.perf_counter() - started) * 1000
        if not 200 <= status < 300:
            raise RuntimeError(f"the gateway answered {status}")
        return elapsed

    async def close(self) -> None:
        """Close the connection."""
        self.writer.close()
        await self.writer.wait_closed()


async def in_flight(url: str, requests: list[bytes], concurrency: int) -> list[float]:
    """Send ``requests`` over ``concurrency`` connections, so that that many are always in flight; their latencies."""
    connections = [await Connection.open(url) for _ in range(concurrency)]
    pending = iter(requests)
    latencies: list[float] = []

    async def send_all(connection: Connection) -> None:
        for raw in pending:  # shared: each connection takes the next request when its last one was answered
            latencies.append(await connection.post(raw))

    try:
        await asyncio.gather(*(send_all(connection) for connection in connections))
    finally:
        await asyncio.gather(*(connection.close() for connection in connections))
    return latencies


async def with_httpx(url: str, bodies: list[bytes], concurrency: int) -> list[float]:
    """The same with httpx, whose own cost per request dominates the figure at 20 in flight."""
    latencies: list[float] = []
    semaphore = asyncio.Semaphore(concurrency)
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
    async with httpx.AsyncClient(base_url=url, headers=headers, limits=KEEP_ALIVE) as http:

        async def post(body: bytes) -> None:
            async with semaphore:
                started = time.perf_counter()
                (await http.post(PATH, content=body)).raise_for_status()
                latencies.append((time.perf_counter() - started) * 1000)

        await asyncio.gather(*(post(body) for body in bodies))
    return latencies


async def measure_acks(
    url: str, drain: Callable[[], Awaitable[None]], count: int = 500, concurrency: int = 20, rounds: int = 3
) -> dict[str, Any]:
    """Acknowledgement latency, sequential and with ``concurrency`` requests in flight, while the gateway works.

    Every update is new, so the gateway answers each through Rasa: the ``count`` sequential ones of a round leave a
    backlog that the gateway works off while the round's ``count`` in flight are acknowledged; ``drain`` waits for
    it to be answered before the next round. The figures pool ``rounds`` rounds (the spread gives each round's p99,
    lowest and highest); the httpx client is measured once the same way.
    """
    host = urlsplit(url).netloc
    updates = count_from()
    sequential: list[float] = []
    parallel: list[float] = []
    per_round: list[float] = []
    for _ in range(rounds):
        sequential += await in_flight(url, [request(host, update(next(updates))) for _ in range(count)], 1)
        latencies = await in_flight(url, [request(host, update(next(updates))) for _ in range(count)], concurrency)
        per_round.append(percentile(latencies, 99))
        parallel += latencies
        await drain()
    await in_flight(url, [request(host, update(next(updates))) for _ in range(count)], 1)
    httpx_parallel = await with_httpx(url, [update(next(updates)) for _ in range(count)], concurrency)
    await drain()
    return {
        "ack_p50_ms": round(statistics.median(sequential), 2),
        "ack_p99_ms": round(percentile(sequential, 99), 2),
        f"ack_p50_ms_at_{concurrency}_concurrent": round(statistics.median(parallel), 2),
        f"ack_p99_ms_at_{concurrency}_concurrent": round(percentile(parallel, 99), 2),
        f"ack_p99_ms_at_{concurrency}_concurrent_spread": [round(min(per_round), 2), round(max(per_round), 2)],
        f"ack_p99_ms_at_{concurrency}_concurrent_httpx_client": round(percentile(httpx_parallel, 99), 2),
    }
