"""Faults and replicas, end to end: kill -9 of the action server and of Rasa, a Redis restart, and two gateways in
front of two Rasa servers on one Redis.

The module runs its own processes (redis-server with AOF, an action server, two Rasa servers, two gateways) in front
of the session's fake platforms, so that it can kill them without disturbing the other tests. They start once for
the module, and every scenario leaves them running again. Customers ask about demo orders: each answer names its
order (``commande n°48213``), so a lost, repeated or reordered answer shows.
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import re
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import cycle
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from prometheus_client.parser import text_string_to_metric_families

from bot.config import Settings
from bot.local.stack import Stack, free_port, redis_args
from bot.notices import DELAY_NOTICE
from tests.paths import ROOT
from tests.support.gateway_harness import GatewayProcess, Platforms, post_telegram, telegram_update

pytestmark = pytest.mark.stack

NOTICES = set(DELAY_NOTICE.values())
_chat = iter(range(7_100_000, 7_199_999))
_orders = cycle(order["id"] for order in json.loads((ROOT / "data/backoffice/demo.json").read_text())["orders"])


@dataclass
class RedisServer:
    """A redis-server with AOF on (bot.local.stack.redis_args) that can be stopped, killed and started again."""

    port: int
    data: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        with (self.data / "redis.log").open("ab") as log:
            self.process = subprocess.Popen(
                ["redis-server", *redis_args(self.port, str(self.data))], stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 30
        with redis.Redis(port=self.port) as client:
            while time.monotonic() < deadline:
                try:
                    if client.ping():  # answers only once the AOF is loaded
                        return
                except redis.RedisError:
                    time.sleep(0.1)
        raise RuntimeError("redis-server did not start")

    def shutdown(self) -> None:
        """SIGTERM: Redis writes and fsyncs the AOF, then exits."""
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()


@dataclass
class Cluster:
    """The module's processes: gateway A -> Rasa 1, gateway B -> Rasa 2, one action server, one Redis."""

    redis: RedisServer
    first: Stack  # the action server and Rasa 1
    second: Stack  # Rasa 2
    gateway_a: GatewayProcess
    gateway_b: GatewayProcess  # started by the scale-out scenario only, so the others go through Rasa 1
    model: Path


class QuickLockStack(Stack):
    """Rasa frees the lock of a conversation whose turn died after 10 s instead of 60 (``TICKET_LOCK_LIFETIME``).

    Only for speed: a Rasa killed mid-turn, or a Redis gone mid-turn, leaves the lock behind until then.
    """

    def rasa_environment(self) -> dict[str, str]:
        return {**super().rasa_environment(), "TICKET_LOCK_LIFETIME": "10"}


def stack_on(redis_server: RedisServer, var_dir: Path, action_server_url: str) -> Stack:
    settings = Settings(
        rasa_url=f"http://127.0.0.1:{free_port()}",
        rasa_token="resilience-token",
        action_server_url=action_server_url,
        redis_url=redis_server.url,
        gateway_url=f"http://127.0.0.1:{free_port()}",
        var_dir=var_dir,
    )
    stack = QuickLockStack(settings)
    stack.start_redis()  # takes REDIS_URL, starts nothing
    return stack


@pytest.fixture(scope="module")
def cluster(model: Path, platforms: Platforms, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    redis_server = RedisServer(free_port(), tmp_path_factory.mktemp("resilience-redis"))
    redis_server.start()
    actions = f"http://127.0.0.1:{free_port()}/webhook"
    first = stack_on(redis_server, tmp_path_factory.mktemp("resilience-1"), actions)
    second = stack_on(redis_server, tmp_path_factory.mktemp("resilience-2"), actions)
    gateways = [platforms.new_gateway(s, s.log_dir) for s in (first, second)]
    try:
        first.start_actions()
        with concurrent.futures.ThreadPoolExecutor(2) as pool:  # the two Rasa servers load their model together
            list(pool.map(lambda s: s.start_rasa(model), (first, second)))
        gateways[0].start()
        yield Cluster(redis_server, first, second, gateways[0], gateways[1], model)
    finally:
        for gateway in gateways:
            gateway.kill()
        first.stop()
        second.stop()
        redis_server.shutdown()


def kill_9(stack: Stack, name: str) -> None:
    """kill -9 of one of the stack's processes (and of anything it started: it leads its own session)."""
    process = stack.processes[name]
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def new_chats(count: int) -> list[int]:
    return [next(_chat) for _ in range(count)]


def question(order: str) -> str:
    return f"où en est ma commande {order} ?"


def deliver(url: str, update: dict[str, Any]) -> None:
    """Post an update as Telegram does: again, a little later, while the gateway answers 5xx (a few times at most).

    Right after a Redis restart, each connection the gateway had pooled fails once (a 503) before it reconnects.
    """
    for _ in range(10):
        status = post_telegram(url, update).status_code
        if status < 500:
            assert status == 200
            return
        time.sleep(0.5)
    raise AssertionError(f"{url} kept refusing an update")


def send_questions(url: str, chats: list[int], per_chat: int) -> dict[int, list[str]]:
    """Each chat asks about ``per_chat`` orders, one after the other; returns the orders asked, per chat."""
    asked = {chat: [next(_orders) for _ in range(per_chat)] for chat in chats}
    for turn in range(per_chat):
        for chat in chats:
            deliver(url, telegram_update(chat, question(asked[chat][turn])))
    return asked


def sent(platforms: Platforms, chat: int) -> list[tuple[str, float]]:
    """The chat's messages, each with when it reached the fake Bot API (time.monotonic)."""
    calls = zip(platforms.telegram.calls, platforms.telegram.received_at, strict=False)  # the times may lag by one
    return [
        (params["text"], at)
        for (method, params), at in calls
        if method == "sendMessage" and int(params["chat_id"]) == chat
    ]


def answers(platforms: Platforms, chat: int) -> list[str]:
    """What the chat was answered, without the delay notices."""
    return [text for text, _ in sent(platforms, chat) if text not in NOTICES]


def wait_until(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def assert_each_answered_once_in_order(platforms: Platforms, asked: dict[int, list[str]], timeout: float) -> None:
    """Every question gets its own answer, once, in the order asked; a delay notice at most once per question."""

    def missing() -> dict[int, list[str]]:
        return {c: answers(platforms, c) for c, orders in asked.items() if len(answers(platforms, c)) < len(orders)}

    assert wait_until(lambda: not missing(), timeout), f"unanswered after {timeout} s: {missing()}"
    time.sleep(2)  # a late duplicate would arrive now
    for chat, orders in asked.items():
        got = answers(platforms, chat)
        assert len(got) == len(orders) and all(
            f"n°{order}" in answer for answer, order in zip(got, orders, strict=True)
        ), (chat, orders, sent(platforms, chat))
        extra_notices = len(sent(platforms, chat)) - len(got) - len(orders)
        assert extra_notices <= 0, sent(platforms, chat)


def answered_after(platforms: Platforms, chat: int, moment: float) -> bool:
    """Whether the chat got an answer (not a notice) after ``moment`` (time.monotonic)."""
    return any(text not in NOTICES and at >= moment for text, at in sent(platforms, chat))


def told_while_waiting(platforms: Platforms, chat: int, until: float) -> bool:
    """Whether the chat was told its message is safe (a delay notice) before its first answer after ``until``.

    The notice is sent once per waiting message, as soon as it has waited ``DELAY_NOTICE_SECONDS``: on a loaded
    machine a question's notice can come before the answer to the question asked just before it, so any notice
    before that first answer counts. Once told, a customer is not told again for each question answered in a row.
    """
    for text, at in sent(platforms, chat):
        if text in NOTICES:
            return True
        if at >= until:
            return False
    return True


def log_mentions(gateway: GatewayProcess, text: str) -> int:
    return gateway.log.read_text(errors="replace").count(text)


def test_a_killed_action_server_leaves_no_customer_silent_and_answers_each_question_once(
    cluster: Cluster, platforms: Platforms
) -> None:
    """kill -9 of the action server while replies are in flight, restart after a few seconds.

    Rasa 3.6 logs a failed custom action and carries on without its events (rasa/core/processor.py ``_run_action``),
    so it answers the turn with nothing (200, ``[]``). The gateway takes that silence, while the bot (not a person)
    has the conversation, as a failure (bot/rasa_client.py): it undoes the turn in Rasa's tracker, tells the customer
    after DELAY_NOTICE_SECONDS that the message is safe, and asks again with backoff until the action server is back.
    """
    gateway = cluster.gateway_a
    chats = new_chats(16)
    failed_before = log_mentions(gateway, "Rasa answered nothing")
    asked = send_questions(gateway.url, chats, 2)
    assert wait_until(lambda: any(answers(platforms, c) for c in chats), 30), "no answer at all"
    kill_9(cluster.first, "actions")
    try:
        time.sleep(4)  # the questions handled now meet a dead action server
    finally:
        cluster.first.start_actions()
    restarted_at = time.monotonic()
    assert_each_answered_once_in_order(platforms, asked, timeout=90)
    assert log_mentions(gateway, "Rasa answered nothing") > failed_before  # the outage was met, and noticed
    waited = [chat for chat in chats if answered_after(platforms, chat, restarted_at)]
    assert waited, "the kill came too late to test anything"
    # Nobody waiting through the outage was left in silence: each was told the message is safe.
    silent = {chat: sent(platforms, chat) for chat in waited if not told_while_waiting(platforms, chat, restarted_at)}
    assert silent == {}


def test_a_killed_rasa_loses_no_question_and_answers_each_once(cluster: Cluster, platforms: Platforms) -> None:
    """kill -9 of Rasa while replies are in flight, restart: the gateway retries with backoff and, for a message
    that reached Rasa, first reads Rasa's tracker to deliver only what was not sent (progress ``sent_to_rasa``).

    A conversation whose turn the killed Rasa was processing stays locked in the Redis lock store until its ticket
    expires (TICKET_LOCK_LIFETIME: 60 s by default, 10 s here), so its answer can take that long after the restart.
    """
    gateway = cluster.gateway_a
    chats = new_chats(16)
    asked = send_questions(gateway.url, chats, 2)
    assert wait_until(lambda: any(answers(platforms, c) for c in chats), 30), "no answer at all"
    kill_9(cluster.first, "rasa")
    pending = [c for c in chats if len(answers(platforms, c)) < len(asked[c])]
    cluster.first.start_rasa(cluster.model)
    assert pending, "the kill came too late to test anything"
    assert_each_answered_once_in_order(platforms, asked, timeout=150)
    assert httpx.get(f"{gateway.url}/healthz").json()["checks"]["rasa"] == "ok"


@pytest.mark.parametrize("stop", ["shutdown", "kill -9"])
def test_a_redis_restart_loses_no_accepted_message_and_refuses_what_it_cannot_keep(
    cluster: Cluster, platforms: Platforms, stop: str
) -> None:
    """Redis stopped while messages wait (SIGTERM, or kill -9), then started again on the same port and AOF.

    Durability: Redis writes every command to the AOF before it answers and fsyncs once a second
    (``appendfsync everysec``). A shutdown fsyncs everything; after a kill -9 of the Redis process the acknowledged
    writes are in the kernel's page cache, so nothing the gateway acknowledged is lost either. Only a crash of the
    machine (power, kernel) can lose the last second or so, which ``appendfsync always`` would close at a cost in
    latency. While Redis is down, a webhook gets a 503 and Telegram sends it again later: refused, not lost. The
    gateway and both Rasa servers reconnect by themselves.

    Exactly once here too: a reply delivered while Redis was going down, whose progress could not be written, is
    remembered by the dispatcher until Redis takes it (``Dispatcher._save``), so it is not delivered again.
    """
    gateway = cluster.gateway_a
    chats = new_chats(10)
    asked = send_questions(gateway.url, chats, 2)
    (cluster.redis.shutdown if stop == "shutdown" else cluster.redis.kill)()
    late_chat, late_order = next(_chat), next(_orders)
    late = telegram_update(late_chat, question(late_order))
    try:
        assert post_telegram(gateway.url, late).status_code == 503  # so that Telegram retries it
        assert httpx.get(f"{gateway.url}/healthz").status_code == 503
        time.sleep(2)  # the gateway's workers and Rasa meet the outage
    finally:
        cluster.redis.start()
    deliver(gateway.url, late)  # Telegram's retry
    asked[late_chat] = [late_order]
    assert_each_answered_once_in_order(platforms, asked, timeout=120)
    assert httpx.get(f"{gateway.url}/healthz").json()["checks"]["store"] == "ok"


def counter(gateway: GatewayProcess, sample: str) -> float:
    """A counter's total over its labels on the gateway's /metrics."""
    text = httpx.get(f"{gateway.url}/metrics").text
    return sum(s.value for f in text_string_to_metric_families(text) for s in f.samples if s.name == sample)


def conversations_handled(gateway: GatewayProcess) -> set[str]:
    """The conversations whose messages the gateway's workers answered, from its log."""
    return set(re.findall(r"handled \S+ after [\d.]+ s \[(telegram:\d+)\]", gateway.log.read_text(errors="replace")))


def test_two_gateways_and_two_rasa_servers_on_one_redis_keep_each_conversation_in_order(
    cluster: Cluster, platforms: Platforms
) -> None:
    """Scale-out: gateway A -> Rasa 1 and gateway B -> Rasa 2, one Redis (gateway queue and locks, Rasa trackers
    and RedisLockStore). A load balancer alternates each conversation's webhooks between the gateways, under
    concurrent load: 20 conversations x 6 questions, two at a time, answered in order, once each, by both replicas
    of each tier, and some conversations by both: a worker keeps a conversation while its queue holds messages, and
    then whichever gateway's worker is free takes its next message from the shared queue and asks its own Rasa,
    which reads the conversation from the shared tracker store.
    """
    gateway_a, gateway_b = cluster.gateway_a, cluster.gateway_b
    gateway_b.start()
    try:
        samples = ("passerelle_messages_received_total", "passerelle_reply_seconds_count")
        before = {(g.url, s): counter(g, s) for g in (gateway_a, gateway_b) for s in samples}
        chats = new_chats(20)
        asked = {chat: [next(_orders) for _ in range(6)] for chat in chats}

        def customer(chat: int) -> None:
            for turn, order in enumerate(asked[chat]):  # one chat's updates come one after the other
                url = (gateway_a if (chat + turn) % 2 else gateway_b).url
                deliver(url, telegram_update(chat, question(order)))
                if turn % 2:  # two questions in a row, then the customer reads the answers before asking again
                    wait_until(lambda asked_so_far=turn + 1: len(answers(platforms, chat)) >= asked_so_far, 60)

        with concurrent.futures.ThreadPoolExecutor(len(chats)) as pool:
            list(pool.map(customer, chats))
        assert_each_answered_once_in_order(platforms, asked, timeout=180)
        for gateway in (gateway_a, gateway_b):  # each took webhooks, and answered through its own Rasa
            worked = {s: counter(gateway, s) - before[gateway.url, s] for s in samples}
            assert all(value > 0 for value in worked.values()), (gateway.url, worked)
        both = conversations_handled(gateway_a) & conversations_handled(gateway_b)
        assert both & {f"telegram:{chat}" for chat in chats}  # about half of them, here
    finally:
        gateway_b.stop()
