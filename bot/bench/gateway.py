"""Gateway figures for ``make bench``: overhead beside Rasa alone, throughput, handoff relay, memory, a kill -9 run.

Over 300 lines: the measurements share the sinks and the stack they run on. The sinks are not the test fakes
(tests/support/fakes/): they record when each send arrives, which is the figure, and bot/ never imports tests/.

The platforms are local sinks (a Bot API and a Slack Web API stand-in that record when each send call arrives), so
"end to end" is: webhook in -> the send call out, on loopback.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import statistics
import threading
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from itertools import count
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bot.bench.arrivals import Arrivals
from bot.bench.stats import percentile
from bot.conversation import Inbound
from bot.notices import DELAY_NOTICE
from bot.rasa_client import RasaClient

# The gateway (uvicorn) closes a connection idle for 5 s; a client keeping it as long may send on a closing socket.
KEEP_ALIVE = httpx.Limits(keepalive_expiry=2.0)
TURNS = ("bonjour", "où en est ma commande 48213 ?", "hello", "where is order CMD-60114", "merci")
SECRET = "bench-secret"
TOKEN = "1:bench"
SLACK_SECRET = "bench-slack-secret"
CHANNEL = "CBENCH"
_update = count(950_000_000)
NOTICES = set(DELAY_NOTICE.values())


class Sinks:
    """Bot API and Slack Web API stand-ins recording the arrival time of each send call."""

    def __init__(self, arrivals: Arrivals | None = None) -> None:
        """Record into lists, and tell ``arrivals`` (keys ``("telegram", chat)`` and ``"slack"``)."""
        self.telegram: dict[int, list[tuple[float, str]]] = defaultdict(list)
        self.slack: list[tuple[float, dict[str, Any]]] = []
        self.arrivals = arrivals or Arrivals()
        self._lock = threading.Lock()
        self._ts = count(1)

    def app(self) -> Starlette:
        """Both APIs on one server: ``/bot<token>/<method>`` and ``/api/<method>``."""

        async def bot_api(request: Request) -> JSONResponse:
            form = dict(parse_qsl((await request.body()).decode()))
            result: Any = True
            if request.path_params["method"] == "sendMessage":
                chat = int(form.get("chat_id", 0))
                with self._lock:
                    self.telegram[chat].append((time.perf_counter(), form.get("text", "")))
                self.arrivals.notify(("telegram", chat))
                result = {"message_id": 1, "date": 0, "chat": {"id": chat, "type": "private"}}
            return JSONResponse({"ok": True, "result": result})

        async def slack_api(request: Request) -> JSONResponse:
            raw = (await request.body()).decode()
            form = json.loads(raw) if raw.startswith("{") else dict(parse_qsl(raw))
            ts = f"1700000000.{next(self._ts):06d}"
            if request.path_params["method"] == "chat.postMessage":
                with self._lock:
                    self.slack.append((time.perf_counter(), {**form, "ts": ts}))
                self.arrivals.notify("slack")
            return JSONResponse({"ok": True, "ts": form.get("ts", ts), "user_id": "UBOT", "bot_id": "BBOT"})

        return Starlette(
            routes=[
                Route("/bot{token}/{method}", bot_api, methods=["POST"]),
                Route("/api/{method}", slack_api, methods=["POST"]),
            ]
        )

    def _answers(self, chat: int) -> list[float]:
        """Arrival times of the chat's messages, delay notices aside (they are no answer)."""
        with self._lock:
            return [at for at, text in self.telegram[chat] if text not in NOTICES]

    def answers(self, chat: int) -> int:
        """How many answers the chat got so far."""
        return len(self._answers(chat))

    async def wait_reply(self, chat: int, before: int, timeout: float = 30.0) -> float:
        """The arrival time of the chat's next answer after ``before`` of them."""

        def found() -> float | None:
            arrivals = self._answers(chat)
            return arrivals[before] if len(arrivals) > before else None

        return await self.arrivals.until(("telegram", chat), found, timeout, f"reply to chat {chat}")

    def first_slack(self, predicate: Callable[[dict[str, Any]], bool]) -> float | None:
        """The arrival time of the first Slack post matching ``predicate``, if any."""
        with self._lock:
            return next((t for t, post in self.slack if predicate(post)), None)

    async def wait_slack(self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 30.0) -> float:
        """The arrival time of the first Slack post matching ``predicate``."""
        return await self.arrivals.until("slack", lambda: self.first_slack(predicate), timeout, "matching Slack post")


def containing(text: str) -> Callable[[dict[str, Any]], bool]:
    """Matches a Slack post whose text holds ``text``."""
    return lambda post: text in str(post.get("text", ""))


def ticket_of(conversation: str) -> Callable[[dict[str, Any]], bool]:
    """Matches the ticket (not a thread reply) of ``conversation``."""
    return lambda post: conversation in json.dumps(post) and not post.get("thread_ts")


def telegram_update(chat: int, text: str) -> dict[str, Any]:
    """A private-chat text update."""
    user = {"id": chat, "is_bot": False, "first_name": "Bench", "language_code": "fr"}
    message = {"message_id": next(_update) % 10**6, "date": 0, "text": text, "chat": {"id": chat, "type": "private"}}
    return {"update_id": next(_update), "message": {**message, "from": user}}


def signed_slack(body: bytes) -> dict[str, str]:
    """Headers of a request signed as Slack signs it."""
    stamp = str(int(time.time()))
    digest = hmac.new(SLACK_SECRET.encode(), f"v0:{stamp}:{body.decode()}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest}", "Content-Type": "application/json"}


class Bench:
    """The gateway and Rasa of a running stack, with the sinks behind them."""

    def __init__(self, gateway_url: str, rasa: RasaClient, sinks: Sinks) -> None:
        """Measure through ``gateway_url`` and directly through ``rasa``."""
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        self.http = httpx.AsyncClient(base_url=gateway_url, timeout=30, headers=headers, limits=KEEP_ALIVE)
        self.rasa = rasa
        self.sinks = sinks
        self.chats = count(6_000_000)

    async def through_gateway(self, chat: int, text: str, timeout: float = 120.0) -> float:
        """Seconds from the webhook to the first send call of the answer.

        The timeout is long: with 50 customers at once the last answer may take tens of seconds, a figure to report,
        not a reason to stop the benchmark.
        """
        before = self.sinks.answers(chat)
        started = time.perf_counter()
        (await self.http.post("/webhooks/telegram", json=telegram_update(chat, text))).raise_for_status()
        return await self.sinks.wait_reply(chat, before, timeout) - started

    async def drain(self) -> None:
        """Wait until the gateway has answered everything queued before (one message behind the backlog)."""
        await self.through_gateway(next(self.chats), "bonjour", timeout=600)

    async def direct(self, chat: int, text: str) -> float:
        """Seconds of a REST round trip to Rasa."""
        started = time.perf_counter()
        await self.rasa.send(Inbound(f"direct:{chat}", "bench", text))
        return time.perf_counter() - started

    async def concurrent(self, measure: Callable[[int, str], Awaitable[float]], users: int, turns: int) -> list[float]:
        """``users`` conversations at once, each ``turns`` messages in a row."""
        durations: list[float] = []

        async def user() -> None:
            chat = next(self.chats)
            for turn in range(turns):
                durations.append(await measure(chat, TURNS[turn % len(TURNS)]))

        await asyncio.gather(*(user() for _ in range(users)))
        return durations

    async def overhead_alone(self, rounds: int = 5, turns: int = 40) -> dict[str, Any]:
        """One customer at a time: end to end through the gateway divided by Rasa alone, p50 and p99.

        Gateway and direct turns alternate message by message, so both see the same machine; the figures pool
        ``rounds`` conversations of ``turns`` messages, and the spread gives each round's ratio, lowest and highest.
        """
        gateway: list[float] = []
        direct: list[float] = []
        per_round: dict[int, list[float]] = {50: [], 99: []}
        await self.drain()
        for _ in range(rounds):
            through, alone = next(self.chats), next(self.chats)
            round_gateway: list[float] = []
            round_direct: list[float] = []
            for turn in range(turns):
                text = TURNS[turn % len(TURNS)]
                round_gateway.append(await self.through_gateway(through, text))
                round_direct.append(await self.direct(alone, text))
            for q, ratios in per_round.items():
                ratios.append(percentile(round_gateway, q) / percentile(round_direct, q))
            gateway += round_gateway
            direct += round_direct
        figures: dict[str, Any] = {}
        for q, ratios in per_round.items():
            figures[f"gateway_overhead_p{q}_ratio_at_1"] = round(percentile(gateway, q) / percentile(direct, q), 3)
            figures[f"gateway_overhead_p{q}_ratio_at_1_spread"] = [round(min(ratios), 3), round(max(ratios), 3)]
        figures["gateway_end_to_end_p50_ms_at_1"] = round(1000 * percentile(gateway, 50), 1)
        figures["gateway_end_to_end_p99_ms_at_1"] = round(1000 * percentile(gateway, 99), 1)
        figures["rasa_round_trip_p50_ms_at_1"] = round(1000 * percentile(direct, 50), 1)
        figures["rasa_round_trip_p99_ms_at_1"] = round(1000 * percentile(direct, 99), 1)
        return figures

    async def burst(
        self, users: int = 50, turns: int = 4, cpu: Callable[[], dict[str, float]] | None = None
    ) -> dict[str, Any]:
        """``users`` customers writing at once, ``turns`` messages each: end to end through the gateway, beside Rasa.

        ``cpu`` gives each process's CPU seconds so far: what each spent per message during the gateway's burst.
        """
        await self.drain()
        before = cpu() if cpu else {}
        gateway = await self.concurrent(self.through_gateway, users, turns)
        spent = {name: seconds - before[name] for name, seconds in cpu().items()} if cpu else {}
        rasa = await self.concurrent(self.direct, users, turns)
        figures: dict[str, Any] = {
            f"gateway_end_to_end_p50_ms_at_{users}": round(1000 * percentile(gateway, 50), 1),
            f"gateway_end_to_end_p99_ms_at_{users}": round(1000 * percentile(gateway, 99), 1),
            f"rasa_round_trip_p99_ms_at_{users}": round(1000 * percentile(rasa, 99), 1),
            f"gateway_overhead_p99_ratio_at_{users}": round(percentile(gateway, 99) / percentile(rasa, 99), 2),
        }
        if spent:
            per_message = {name: round(1000 * seconds / len(gateway), 1) for name, seconds in spent.items()}
            figures[f"cpu_ms_per_message_at_{users}"] = per_message
        return figures

    async def overhead(self, cpu: Callable[[], dict[str, float]] | None = None) -> dict[str, Any]:
        """The gateway's cost beside Rasa alone: one customer at a time, and a burst of 50 (``cpu``: see ``burst``)."""
        return {**await self.overhead_alone(), **await self.burst(cpu=cpu)}

    async def throughput(
        self, sample: Callable[[], None], rates: tuple[int, ...] = (5, 10, 15, 20, 30, 40, 80)
    ) -> float:
        """The highest offered rate (messages/s, each from a new conversation) whose p99 stays under 1 s."""
        best = 0.0
        for rate in rates:
            await self.drain()
            tasks = []
            for i in range(rate * 6):
                tasks.append(asyncio.create_task(self.through_gateway(next(self.chats), TURNS[i % len(TURNS)])))
                if i % rate == 0:
                    sample()
                await asyncio.sleep(1 / rate)
            durations = await asyncio.gather(*tasks)
            if percentile(list(durations), 99) >= 1.0:
                break
            best = float(rate)
        return best

    async def handoff_relay(self, conversations: int = 10, messages: int = 5) -> dict[str, float]:
        """p99 of customer -> Slack thread post, and of Slack thread reply -> customer, during handoffs."""
        to_slack: list[float] = []
        to_customer: list[float] = []
        await self.drain()
        for _ in range(conversations):
            chat = next(self.chats)
            await self.through_gateway(chat, "je veux parler à un humain")
            ticket = await self.sinks.wait_slack(ticket_of(f"telegram:{chat}"))
            thread = next(p["ts"] for t, p in self.sinks.slack if t == ticket)
            await asyncio.sleep(0.3)  # the handoff notice and the pause are written
            for n in range(messages):
                started = time.perf_counter()
                text = f"message {n} du client {chat}"
                await self.http.post("/webhooks/telegram", json=telegram_update(chat, text))
                to_slack.append(await self.sinks.wait_slack(containing(text)) - started)
                reply = f"réponse {n} au client {chat}"
                event = {
                    "type": "event_callback",
                    "event_id": f"Ev{chat}{n}",
                    "event": {"type": "message", "user": "UAGENT", "text": reply, "thread_ts": thread, "ts": "1.1"},
                }
                body = json.dumps(event).encode()
                before = self.sinks.answers(chat)
                started = time.perf_counter()
                await self.http.post("/slack/events", content=body, headers=signed_slack(body))
                to_customer.append(await self.sinks.wait_reply(chat, before) - started)
        return {
            "handoff_relay_to_slack_p99_ms": round(1000 * percentile(to_slack, 99), 1),
            "handoff_relay_to_customer_p99_ms": round(1000 * percentile(to_customer, 99), 1),
            "handoff_relay_p99_ms": round(1000 * percentile(to_slack + to_customer, 99), 1),
        }


def _with_children(pid: int) -> list[int]:
    """The process and its children (Rasa's Sanic workers)."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    return [pid, *(int(p) for p in children.read_text().split())] if children.exists() else [pid]


def cpu_seconds(pid: int) -> float:
    """CPU time (user and system) of a process and its children so far, from /proc."""
    total = 0
    for one in _with_children(pid):
        stat = Path(f"/proc/{one}/stat")
        if stat.exists():
            fields = stat.read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (clock ticks)
    return total / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (MB), from /proc."""
    total = 0.0
    for one in _with_children(pid):
        status = Path(f"/proc/{one}/status")
        if status.exists():
            for line in status.read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) / 1024
    return round(total, 1)


def median(values: list[float]) -> float:
    """The median, 0 when empty."""
    return statistics.median(values) if values else 0.0


async def kill_run(
    bench: Bench, kill: Callable[[], None], restart: Callable[[], None], text: str, customers: int = 100
) -> tuple[int, int]:
    """``kill -9`` of one process halfway through a burst, restarted while the burst goes on.

    Every customer sends ``text`` once, again while the gateway refuses it (as platforms do). Returns (lost,
    duplicated): customers never answered, and answers beyond the normal count (delay notices aside).
    """
    await bench.drain()
    probe = next(bench.chats)
    await bench.through_gateway(probe, text)
    await asyncio.sleep(1)
    normal = bench.sinks.answers(probe)
    chats = [next(bench.chats) for _ in range(customers)]
    loop = asyncio.get_running_loop()
    restarted: asyncio.Future[None] | None = None
    for i, chat in enumerate(chats):
        if i == customers // 2:
            kill()
            restarted = loop.run_in_executor(None, restart)
        while True:  # what Telegram does with a refused webhook: send it again
            try:
                (await bench.http.post("/webhooks/telegram", json=telegram_update(chat, text))).raise_for_status()
                break
            except httpx.HTTPError:
                await asyncio.sleep(0.5)
        await asyncio.sleep(0.02)
    if restarted is not None:
        await restarted
    deadline = time.monotonic() + 180  # a conversation a killed Rasa was answering stays locked for 60 s
    while time.monotonic() < deadline and any(bench.sinks.answers(c) < normal for c in chats):
        await asyncio.sleep(0.2)
    await asyncio.sleep(2)  # late duplicates would arrive now
    counts = [bench.sinks.answers(c) for c in chats]
    return sum(1 for n in counts if n == 0), sum(max(0, n - normal) for n in counts)


KillPlan = tuple[Callable[[], None], Callable[[], None], str]


async def kill_runs(bench: Bench, plans: dict[str, KillPlan]) -> dict[str, int]:
    """A ``kill_run`` per process (name -> kill, restart, what customers send): figures per process and in total."""
    figures: dict[str, int] = {}
    for name, (kill, restart, text) in plans.items():
        lost, duplicated = await kill_run(bench, kill, restart, text)
        figures[f"lost_messages_{name}_kill"], figures[f"duplicated_messages_{name}_kill"] = lost, duplicated
    for figure in ("lost_messages", "duplicated_messages"):
        figures[figure] = sum(figures[f"{figure}_{name}_kill"] for name in plans)
    return figures
