"""Takes queued customer messages to Rasa, one conversation at a time, and delivers the replies.

One file, over 300 lines, because a message's walk (lock, progress, Rasa, send, retry, park, complete) is one
state machine whose at-least-once / at-most-once argument must be read in one place.

Every message is handled at least once and answered at most once: the store records when a message went to Rasa
and how many replies reached the customer. A worker that takes over after a crash asks Rasa's tracker whether the
message was already processed, and then delivers only the replies that were not sent yet.

Retries back off, and failures are bounded: a message that keeps failing while Rasa answers (a platform refusing
its replies, Slack refusing its ticket, a bug raising an exception) is parked after ``max_attempts`` failed
attempts: set aside in Redis with its reason, counted in ``/metrics`` and shown by ``bot doctor``, so that the
conversation's next messages are answered. A message waiting for Rasa (or its action server) is never parked:
waiting for Rasa to come back is what the durable queue is for.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Protocol

from bot import notices
from bot.channels.base import DeliveryError, Sender
from bot.conversation import BotReply, Handoff, Inbound, Outbound, replies_after_message
from bot.gateway.limits import refusal_notice
from bot.gateway.logs import conversation
from bot.gateway.metrics import Metrics
from bot.gateway.store import ParkedMessage, Progress, QueuedMessage, Store
from bot.nlp.language import detect_language
from bot.rasa_client import RasaError

log = logging.getLogger(__name__)

LATE_GRACE = 1.0  # seconds a turn may take, for a message already late, before the customer is told of the delay


class RasaPort(Protocol):
    """What the dispatcher needs from Rasa."""

    async def send(self, message: Inbound) -> BotReply:
        """Process a customer message and return the bot's reply."""

    async def tracker(self, conversation_id: str) -> dict[str, Any]:
        """The conversation's tracker."""


HandoffHook = Callable[[Inbound, Handoff], Awaitable[None]]
MessageHook = Callable[[Inbound, BotReply], Awaitable[None]]
InterceptHook = Callable[[Inbound], Awaitable[bool]]
Reader = Callable[[Inbound], Awaitable[None]]  # takes a message that is not for the bot (a public comment)


@dataclass(frozen=True)
class DispatcherConfig:
    """Timings of the dispatcher.

    Attributes:
        lock_ttl: Seconds a conversation stays locked to a worker that died (live workers keep extending it).
        retry_delays: Waits between attempts when Rasa or a platform fails; the last one repeats.
        max_attempts: Failed attempts at one message before it is parked. Waiting for Rasa does not count; the
            default, with the default delays, rides out about a quarter of an hour of a platform or Slack outage.
        delay_notice_after: Seconds after which a waiting customer is told their message is safe.
        sweep_interval: Seconds between scans for conversations whose wake-up was lost (crashed worker).
        workers: Conversations handled at the same time by this process.

    """

    lock_ttl: float = 10.0
    retry_delays: tuple[float, ...] = (0.5, 1.0, 2.0, 5.0, 10.0)
    max_attempts: int = 100  # 0.5 + 1 + 2 + 5 + 96 x 10 s: about a quarter of an hour of retries before parking
    delay_notice_after: float = 5.0
    sweep_interval: float = 5.0
    workers: int = 8


@dataclass(frozen=True)
class Retry:
    """Why a message must be tried again later.

    Only ``counted`` failures lead to parking: a wait for Rasa, or for Redis to take progress already made, is not
    the message's fault, and the message must outlive it.
    """

    reason: str
    counted: bool = True


def unsupported_reply(attachment: str, language: str) -> Outbound:
    """The polite answer to a sticker, photo, voice note... in the customer's language."""
    names = notices.pick(notices.ATTACHMENT_NAMES, language)
    return Outbound(
        text=notices.pick(notices.UNSUPPORTED, language).format(what=names.get(attachment, names["document"]))
    )


class Dispatcher:
    """Moves messages from the store to Rasa and replies to the channels."""

    def __init__(
        self,
        store: Store,
        rasa: RasaPort,
        senders: Mapping[str, Sender],
        config: DispatcherConfig | None = None,
        on_handoff: HandoffHook | None = None,
        after_message: MessageHook | None = None,
        before_message: InterceptHook | None = None,
        metrics: Metrics | None = None,
        readers: Mapping[str, Reader] | None = None,
    ) -> None:
        """Wire the dispatcher; ``senders`` maps a channel name to its outbound side.

        ``on_handoff`` runs when the bot hands a conversation over; ``after_message`` after each message Rasa
        handled (e.g. to mirror it to a person); ``before_message`` may take a message itself (returning True),
        e.g. the answer to a satisfaction question. Each may raise ``DeliveryError`` to have the message retried
        (with backoff; parked after ``max_attempts``, like any other exception). ``readers`` take the messages of
        channels that are not conversations with the bot (public comments: bot/comments/desk.py), in the same order,
        once each, with the same retries.
        """
        self.store = store
        self.rasa = rasa
        self.senders = dict(senders)
        self.config = config or DispatcherConfig()
        self.on_handoff = on_handoff
        self.after_message = after_message
        self.before_message = before_message
        self.readers = dict(readers or {})
        self.metrics = metrics or Metrics()
        self.worker_id = uuid.uuid4().hex
        self._attempts: dict[str, int] = {}
        self._unsaved: dict[str, Progress] = {}  # progress Redis did not take (it was down): kept until it does
        self._retries: set[asyncio.Task[None]] = set()
        self.rasa_reachable = True

    async def run(self, stop: asyncio.Event) -> None:
        """Run the workers and the recovery sweep until ``stop`` is set."""
        tasks = [asyncio.create_task(self._worker(stop)) for _ in range(self.config.workers)]
        # Wake-ups lost with a crashed worker are made again; customers waiting behind a backlog are told.
        tasks.append(asyncio.create_task(self._each_pending(stop, self.store.wake, self.config.sweep_interval)))
        announce_every = min(1.0, max(self.config.delay_notice_after / 2, 0.1))
        tasks.append(asyncio.create_task(self._each_pending(stop, self.announce_delay, announce_every)))
        try:
            await stop.wait()
        finally:
            for task in [*tasks, *self._retries]:
                task.cancel()
            await asyncio.gather(*tasks, *self._retries, return_exceptions=True)

    async def _worker(self, stop: asyncio.Event) -> None:
        owner = f"{self.worker_id}:{uuid.uuid4().hex[:8]}"  # each worker holds locks in its own name
        while not stop.is_set():
            try:
                conversation_id = await self.store.wait_ready(timeout=1.0)
                if conversation_id is not None:
                    await self.handle_conversation(conversation_id, owner)
            except asyncio.CancelledError:
                raise
            except Exception:  # a worker must survive anything, the message stays queued
                log.exception("worker error")
                await asyncio.sleep(0.5)

    async def _each_pending(self, stop: asyncio.Event, step: Callable[[str], Awaitable[None]], interval: float) -> None:
        """Run ``step`` on every conversation with queued messages, every ``interval`` seconds, until ``stop``."""
        while not stop.is_set():
            try:
                for conversation_id in await self.store.pending():
                    await step(conversation_id)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("%s failed", getattr(step, "__name__", "sweep"))
            await asyncio.sleep(interval)

    async def announce_delay(self, conversation_id: str) -> None:
        """Send the delay notice for the conversation's waiting message if it is late and no worker took it yet.

        A worker tells the customer itself when Rasa is down or the turn is slow (``_ask_rasa``); an answer whose
        delivery the platform refuses (429) gets no notice through that same platform.
        """
        queued = await self.store.head(conversation_id)
        late = queued is not None and time.time() - queued.enqueued_at >= self.config.delay_notice_after
        if queued is None or not late or queued.message.refused or (await self._progress(queued)).sent_to_rasa:
            return  # a message a worker already took to Rasa is the worker's to announce (Rasa down or slow)
        owner = f"{self.worker_id}:announcer"
        if not await self.store.lock(conversation_id, owner, self.config.lock_ttl):
            return
        try:
            head = await self.store.head(conversation_id)
            sender = self.senders.get(queued.message.channel)
            if head is not None and head.key == queued.key and sender is not None:
                with conversation(conversation_id):
                    await self._maybe_notify_delay(head, sender, await self._language(head.message))
        finally:
            await self.store.unlock(conversation_id, owner)
            await self.store.wake(conversation_id)  # a worker may have missed its turn while we held the lock

    async def handle_conversation(self, conversation_id: str, owner: str) -> None:
        """Handle the conversation's oldest queued message, while ``owner`` holds its lock.

        One message per turn: when more wait, the conversation goes back to the end of the wake-up list, so messages
        are answered in the order they arrived, across conversations. A worker used to drain a conversation's queue
        at once: in a burst, a customer answering at once kept the worker, and the customers picked last waited for
        all the messages of the first ones (50 customers at once: p99 3.3 s, now 2.1-2.2 s).
        """
        # Not taken when woken (by a sweep, a new message) before the wait after a failed attempt is over, or when
        # another worker has the conversation (which wakes it again when done).
        taken, queued = await self.store.claim(conversation_id, owner, self.config.lock_ttl)
        if not taken:
            return
        backing_off = False
        keepalive = asyncio.create_task(self._keep_lock(conversation_id, owner))
        try:
            if queued is None:
                return
            with conversation(conversation_id):  # every log line of this message carries the conversation
                retry = await self._attempt(queued)
                if retry is not None:
                    # parked: the conversation's next message is not held up by it; else woken after the wait
                    backing_off = not await self._retry_or_park(conversation_id, owner, queued, retry)
                    return
                log.info("handled %s after %.2f s", queued.key, time.time() - queued.enqueued_at)
            self._attempts.pop(conversation_id, None)
            await self.store.complete(conversation_id, queued)
            self._unsaved.pop(queued.key, None)
        finally:
            keepalive.cancel()
            # Woken after the unlock: a worker woken before it would find the conversation taken, and drop the call.
            if await self.store.unlock(conversation_id, owner) and not backing_off:
                await self.store.wake(conversation_id)

    async def _keep_lock(self, conversation_id: str, owner: str) -> None:
        """Extend the lock while the worker is alive, so it can be short: a dead worker's lock soon expires."""
        while True:
            await asyncio.sleep(self.config.lock_ttl / 3)
            await self.store.lock(conversation_id, owner, self.config.lock_ttl)

    async def _attempt(self, queued: QueuedMessage) -> Retry | None:
        """``handle_message``, with an exception turned into a counted failure: a bug must not retry forever."""
        try:
            return await self.handle_message(queued)
        except RasaError as error:  # from a hook that talks to Rasa (the desk): the message waits for Rasa
            return Retry(f"Rasa unavailable: {error}", counted=False)
        except Exception as error:
            first = queued.message.conversation_id not in self._attempts
            # The traceback once, for whoever fixes the bug; then one line per attempt.
            log.error("unexpected error while handling %s", queued.key, exc_info=first)
            return Retry(f"unexpected error: {type(error).__name__}: {error}")

    async def _retry_or_park(self, conversation_id: str, owner: str, queued: QueuedMessage, retry: Retry) -> bool:
        """Schedule the next attempt after a backoff, or park the message after ``max_attempts``; True if parked."""
        delays = self.config.retry_delays
        if not retry.counted:
            waits = self._attempts.get(conversation_id, 0)
            delay = delays[min(waits, len(delays) - 1)]
            log.warning("%s waits, next attempt in %.1f s: %s", queued.key, delay, retry.reason)
        else:
            failures = await self.store.count_failure(queued)
            if failures >= self.config.max_attempts:
                return await self._park(conversation_id, owner, queued, retry, failures)
            delay = delays[min(failures - 1, len(delays) - 1)]
            log.warning(
                "attempt %d of %d at %s failed, next in %.1f s: %s",
                failures,
                self.config.max_attempts,
                queued.key,
                delay,
                retry.reason,
            )
        self._attempts[conversation_id] = self._attempts.get(conversation_id, 0) + 1
        await self.store.back_off(conversation_id, delay)  # before the wake-up, which must come after it expires
        self._wake_later(conversation_id, delay)
        return False

    async def _park(self, conversation_id: str, owner: str, queued: QueuedMessage, retry: Retry, failures: int) -> bool:
        """Set the message aside, kept with its reason and progress (what reached the customer is never re-sent)."""
        parked = ParkedMessage(queued, retry.reason[:300], failures, time.time(), await self._progress(queued))
        if not await self.store.park(conversation_id, owner, parked):
            log.warning("did not park %s: the conversation is no longer this worker's", queued.key)
            return False
        self._attempts.pop(conversation_id, None)
        self._unsaved.pop(queued.key, None)
        self.metrics.parked()
        log.error(
            "parked %s after %d failed attempts (last: %s); it stays in Redis (gw:parked), see bot doctor",
            queued.key,
            failures,
            parked.reason,
        )
        return True

    def _wake_later(self, conversation_id: str, delay: float) -> None:
        async def wake() -> None:
            await asyncio.sleep(delay)
            await self.store.wake(conversation_id)

        task = asyncio.create_task(wake())
        self._retries.add(task)
        task.add_done_callback(self._retries.discard)

    async def _language(self, message: Inbound) -> str:
        current = await self.store.get_language(message.conversation_id)
        language = detect_language(message.text, current=current, hint=message.language_hint)
        if language != current:
            await self.store.set_language(message.conversation_id, language)
        return language

    async def handle_message(self, queued: QueuedMessage) -> Retry | None:
        """Handle one message; None when done, else why it must be tried again later."""
        message = queued.message
        reader = self.readers.get(message.channel)
        if reader is not None:
            try:
                await reader(message)
            except DeliveryError as error:
                if error.permanent:
                    log.error("%s could not be handled, left as is: %s", queued.key, error)
                    return None
                return Retry(f"{message.channel}: {error}")
            return None
        sender = self.senders.get(message.channel)
        if sender is None:
            log.error("no sender for channel %s; dropping %s", message.channel, queued.key)
            return None
        progress, language = await asyncio.gather(self._progress(queued), self._language(message))
        if message.refused:  # over a length or flood limit: a notice (or nothing), never Rasa nor a person
            notice = refusal_notice(message.refused, language)
            self.metrics.refused(message.channel, message.refused)
            return await self._deliver(queued, progress, [notice] if notice else [])
        if message.attachment and not message.text:
            return await self._deliver(queued, progress, [unsupported_reply(message.attachment, language)])
        if message.callback_id and not progress.sent_to_rasa:
            await sender.acknowledge(message)
        if self.before_message is not None and not progress.sent_to_rasa:
            try:
                if await self.before_message(message):
                    return None
            except DeliveryError as error:
                return Retry(f"handling before Rasa failed: {error}")
        try:
            replies, progress = await self._ask_rasa(queued, progress, sender, language)
        except RasaError as error:
            self.rasa_reachable = False
            await self._maybe_notify_delay(queued, sender, language)
            return Retry(f"Rasa unavailable: {error}", counted=False)
        self.rasa_reachable = True
        retry = await self._deliver(queued, progress, list(replies.messages), replies.handoff)
        if retry is not None:
            return retry
        if self.after_message is not None:
            try:
                await self.after_message(message, replies)
            except DeliveryError as error:
                return Retry(f"after-message step failed: {error}")
        return None

    async def _ask_rasa(
        self, queued: QueuedMessage, progress: Progress, sender: Sender, language: str
    ) -> tuple[BotReply, Progress]:
        """Rasa's replies to the message (asked once: recovered from its tracker after a crash), and the progress."""
        if progress.sent_to_rasa:
            tracker = await self.rasa.tracker(queued.message.conversation_id)
            recovered = replies_after_message(tracker.get("events") or [], queued.message.message_id or "")
            if recovered is not None:
                log.info("recovered the replies to %s from Rasa's tracker", queued.key)
                return recovered, progress
        progress = replace(progress, sent_to_rasa=True)
        await self.store.save_progress(queued, progress)
        answer = asyncio.ensure_future(self.rasa.send(replace(queued.message, language=language)))
        # A message already late (a backlog after a restart) still gets a moment: most turns take well under a second.
        late_grace = min(LATE_GRACE, self.config.delay_notice_after)
        patience = max(queued.enqueued_at + self.config.delay_notice_after - time.time(), late_grace)
        try:
            done, _ = await asyncio.wait({answer}, timeout=patience)
            if not done:  # Rasa is slow (e.g. a slow custom action): tell the customer while waiting
                progress = await self._maybe_notify_delay(queued, sender, language)
            return await answer, progress
        finally:
            answer.cancel()  # only matters when this worker is being stopped mid-call

    async def _deliver(
        self, queued: QueuedMessage, progress: Progress, replies: list[Outbound], handoff: Handoff | None = None
    ) -> Retry | None:
        sender = self.senders[queued.message.channel]
        for index in range(progress.delivered, len(replies)):
            try:
                await sender.send(queued.message.conversation_id, replies[index])
                self.metrics.delivered(queued.message.channel)
            except DeliveryError as error:
                if not error.permanent:
                    return Retry(f"delivery of reply {index} failed: {error}")
                log.error("reply %d to %s cannot be delivered: %s", index, queued.key, error)
            progress = replace(progress, delivered=index + 1)
            if progress.delivered == len(replies):
                self.metrics.answered(queued.message.channel, queued.enqueued_at)
            if not await self._save(queued, progress):
                return Retry("Redis did not record the progress", counted=False)
        if handoff is not None and self.on_handoff is not None:
            try:
                await self.on_handoff(queued.message, handoff)
            except DeliveryError as error:
                return Retry(f"handoff failed: {error}")
        return None

    async def _maybe_notify_delay(self, queued: QueuedMessage, sender: Sender, language: str) -> Progress:
        """Tell a customer waiting past ``delay_notice_after`` that the message is safe, once; the progress after."""
        progress = await self._progress(queued)
        if progress.delay_notice_sent or time.time() - queued.enqueued_at < self.config.delay_notice_after:
            return progress
        try:
            await sender.send(
                queued.message.conversation_id, Outbound(text=notices.pick(notices.DELAY_NOTICE, language))
            )
        except DeliveryError as error:
            log.warning("delay notice to %s failed: %s", queued.key, error)
            return progress
        self.metrics.delivered(queued.message.channel)
        progress = replace(progress, delay_notice_sent=True)
        await self._save(queued, progress)
        return progress

    async def _progress(self, queued: QueuedMessage) -> Progress:
        """How far the message's handling went: Redis's record, or further if Redis missed a step."""
        stored = await self.store.progress(queued)
        kept = self._unsaved.get(queued.key)
        if kept is None:
            return stored
        return Progress(
            sent_to_rasa=stored.sent_to_rasa or kept.sent_to_rasa,
            delivered=max(stored.delivered, kept.delivered),
            delay_notice_sent=stored.delay_notice_sent or kept.delay_notice_sent,
        )

    async def _save(self, queued: QueuedMessage, progress: Progress) -> bool:
        """Record progress made; when Redis fails, keep it in memory (so a retry does not repeat a send) and say so."""
        self._unsaved[queued.key] = progress
        try:
            await self.store.save_progress(queued, progress)
        except Exception as error:  # Redis down or restarting: the step happened, it must not happen again
            log.warning("could not record the progress of %s, will retry: %s", queued.key, error)
            return False
        self._unsaved.pop(queued.key, None)
        return True
