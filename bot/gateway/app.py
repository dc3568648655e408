"""The gateway's ASGI app: platform webhooks, health, and the background dispatcher.

A webhook is authenticated before its body is parsed, then its messages are durably queued and acknowledged at
once; the dispatcher (bot/gateway/dispatcher.py) answers them in the background. A platform retry of an accepted message
is acknowledged again and dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from bot.channels import messenger, telegram, webchat
from bot.config import Settings
from bot.conversation import BotReply, Inbound
from bot.dialogue.event_log import LatestParse
from bot.gateway.delivery import DeliveryThread
from bot.gateway.dispatcher import Dispatcher, DispatcherConfig, Sender
from bot.gateway.limits import Limits, screen
from bot.gateway.metrics import CONTENT_TYPE, Metrics, NluProbe
from bot.gateway.store import RedisStore, open_store
from bot.handoff.boards import Board, ConsoleBoard, SlackBoard, make_slack_client
from bot.handoff.desk import Desk
from bot.handoff.hours import parse_schedule
from bot.insights.alerts import AlertRule, ReputationWatch
from bot.insights.journal import RedisJournal
from bot.insights.recorder import JournalRecorder
from bot.rasa_client import RasaClient

log = logging.getLogger(__name__)
TELEGRAM_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member"]
STATIC = Path(__file__).resolve().parent.parent / "static"


class BodyTooLarge(Exception):
    """The request body is over the configured limit."""


async def read_body(request: Request, limit: int) -> bytes:
    """The raw body, refusing more than ``limit`` bytes without reading them all."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            raise BodyTooLarge
    return bytes(body)


@dataclass
class Gateway:
    """Everything the routes share."""

    settings: Settings
    store: RedisStore
    rasa: RasaClient
    senders: dict[str, Sender]
    dispatcher: Dispatcher
    telegram_bot: Any = None
    slack_handler: Any = None
    slack_app: Any = None
    desk: Desk | None = None
    background: list[asyncio.Task[None]] = field(default_factory=list)
    telegram_state: str = "off"
    metrics: Metrics = field(default_factory=Metrics)
    limits: Limits = field(default_factory=Limits)
    watch: ReputationWatch | None = None

    async def accept(self, message: Inbound) -> bool:
        """Queue a new message, flagged if it breaks a limit (bot/gateway/limits.py); False for a repeated delivery."""
        new = await self.store.enqueue(await screen(message, self.store, self.limits))
        self.metrics.queued(message.channel, new)
        return new

    async def enqueue(self, messages: list[Inbound]) -> tuple[int, int]:
        """Queue new messages; returns (queued, duplicates)."""
        queued = 0
        for message in messages:
            queued += await self.accept(message)
        return queued, len(messages) - queued


def build_gateway(settings: Settings, metrics: Metrics | None = None) -> Gateway:
    """Wire the store, Rasa client, channel senders and dispatcher from the settings (counting into ``metrics``)."""
    store = open_store(settings.redis_url)
    rasa = RasaClient(settings.rasa_url, settings.rasa_token)
    metrics = metrics or Metrics()
    senders: dict[str, Sender] = {webchat.CHANNEL: webchat.WebchatSender(store.redis)}
    bot = None
    if settings.telegram_token:
        bot = telegram.make_bot(settings.telegram_token, settings.telegram_api_url)
        senders[telegram.CHANNEL] = telegram.TelegramSender(bot, metrics)
    if settings.messenger_page_token:
        senders[messenger.CHANNEL] = messenger.MessengerSender(
            settings.messenger_page_token, settings.messenger_api_url, settings.messenger_api_version, metrics=metrics
        )
    config = DispatcherConfig(workers=settings.gateway_workers, delay_notice_after=settings.delay_notice_seconds)
    board: Board
    handler = None
    journal = RedisJournal(store.redis, settings.journal_retention_days)
    if settings.slack_bot_token:
        client = make_slack_client(settings.slack_bot_token, settings.slack_api_url)
        board = SlackBoard(client, settings.slack_support_channel)
    else:
        log.warning(
            "SLACK_BOT_TOKEN is not set: handoff tickets go to the local agent console at /agent "
            "(a stand-in for Slack, served to this machine only)"
        )
        board = ConsoleBoard(store.redis, settings.var_dir / "reports")
    desk = Desk(
        store.redis,
        board,
        rasa,
        senders,
        reannounce_after=settings.handoff_reannounce_seconds,
        mention=settings.handoff_mention,
        expected_wait_minutes=settings.handoff_expected_wait_minutes,
        hours=parse_schedule(settings.handoff_hours),
        zone=settings.handoff_timezone,
        window_warning=settings.handoff_window_warning_hours * 3600,
        metrics=metrics,
        journal=journal,
    )
    probe = NluProbe(LatestParse(store.redis, rasa), metrics)
    recorder = JournalRecorder(journal, store.get_language)

    async def after_message(message: Inbound, reply: BotReply) -> None:
        await recorder.message(message, await probe(message, reply))

    dispatcher = Dispatcher(
        store,
        rasa,
        senders,
        config,
        on_handoff=desk.open_ticket,
        after_message=after_message,
        before_message=desk.before_message,
        metrics=metrics,
    )
    slack_app = None
    if isinstance(board, SlackBoard):
        from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler

        from bot.handoff.slack_app import build_slack_app

        slack_app = build_slack_app(desk, board.client, settings.slack_signing_secret, store.redis)
        if settings.slack_signing_secret:
            handler = AsyncSlackRequestHandler(slack_app)
        if not settings.slack_signing_secret and not settings.slack_app_token:
            log.warning(
                "Slack: neither SLACK_APP_TOKEN (Socket Mode) nor SLACK_SIGNING_SECRET (HTTP mode) is set: tickets "
                "are posted, but the managers' clicks and replies cannot reach Passerelle"
            )
    return Gateway(
        settings,
        store,
        rasa,
        senders,
        dispatcher,
        telegram_bot=bot,
        slack_handler=handler,
        slack_app=slack_app,
        desk=desk,
        metrics=metrics,
        limits=Limits(settings.max_message_chars, settings.flood_limit_messages, settings.flood_limit_window_seconds),
        watch=ReputationWatch(
            journal,
            store.redis,
            board,
            AlertRule(settings.alert_negative_share, settings.alert_window_minutes * 60, settings.alert_min_messages),
        ),
    )


async def _watch_insights(watch: ReputationWatch, board: Board, settings: Settings) -> None:
    """Every ``INSIGHTS_CHECK_SECONDS``: an e-reputation alert if one is due, the service digest if it is due."""
    from bot.insights.digest.job import post_due_digest

    while True:
        try:
            await watch.check()
        except Exception as error:
            log.warning("e-reputation check failed: %s", error)
        try:
            await post_due_digest(watch.journal, board, watch.redis, settings)
        except ValueError as error:  # a DIGEST_SCHEDULE or DIGEST_HOUR it cannot read
            log.warning("service digest: %s", error)
        await asyncio.sleep(settings.insights_check_seconds)


async def _register_telegram_webhook(gateway: Gateway) -> None:
    """Register the webhook with its secret, retrying while the Bot API is unreachable."""
    url = f"{gateway.settings.public_url}/webhooks/telegram"
    delay = 1.0
    while True:
        try:
            await gateway.telegram_bot.set_webhook(
                url, secret_token=gateway.settings.telegram_webhook_secret, allowed_updates=TELEGRAM_UPDATES
            )
            gateway.telegram_state = "webhook"
            log.info("Telegram webhook registered")
            return
        except Exception as error:  # network or API error: keep trying in the background
            gateway.telegram_state = "webhook-unregistered"
            log.warning("Telegram webhook registration failed (%s); retrying in %.0f s", error, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 60)


async def _poll_telegram(gateway: Gateway) -> None:
    """Polling mode (no public URL): fetch updates, queue them, then confirm them to Telegram."""
    offset: int | None = None
    with contextlib.suppress(Exception):
        await gateway.telegram_bot.delete_webhook()
    while True:
        try:
            updates = await gateway.telegram_bot.get_updates(
                offset=offset, timeout=20, allowed_updates=TELEGRAM_UPDATES
            )
            gateway.telegram_state = "polling"
            for update in updates:
                data = update.to_dict()
                try:
                    parsed = telegram.parse_update(data)
                except ValueError as error:
                    log.warning("dropped an unreadable Telegram update: %s", error)
                else:
                    await gateway.enqueue(list(parsed.messages))
                offset = update.update_id + 1
        except asyncio.CancelledError:
            raise
        except Exception as error:
            gateway.telegram_state = "polling-unreachable"
            log.warning("Telegram polling failed: %s", error)
            await asyncio.sleep(3)


def _json_body(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"body is not JSON: {error}") from error


def create_app(settings: Settings, gateway: Gateway | None = None) -> Starlette:
    """The gateway's ASGI application.

    Built from the settings, it runs the deliveries on a thread of their own (bot/gateway/delivery.py); a
    ``gateway`` given (tests) runs them on the application's loop, with the parts it was given.
    """
    gw = gateway or build_gateway(settings)
    delivery = DeliveryThread(lambda: build_gateway(settings, gw.metrics)) if gateway is None else None

    async def accept(messages: Callable[[], list[Inbound]], ok: Callable[[int, int], Response]) -> Response:
        try:
            parsed = messages()
        except ValueError as error:
            return JSONResponse({"error": str(error)}, status_code=400)
        try:
            queued, duplicates = await gw.enqueue(parsed)
        except Exception:  # storage down: make the platform retry later instead of losing the message
            log.exception("could not queue a webhook")
            return JSONResponse({"error": "temporarily unavailable"}, status_code=503)
        return ok(queued, duplicates)

    async def telegram_webhook(request: Request) -> Response:
        if not settings.telegram_token:
            return JSONResponse({"error": "Telegram is not configured"}, status_code=404)
        if not telegram.secret_matches(settings.telegram_webhook_secret, request.headers.get(telegram.SECRET_HEADER)):
            return JSONResponse({"error": "bad or missing secret token"}, status_code=401)
        try:
            body = await read_body(request, settings.max_body_bytes)
        except BodyTooLarge:
            return JSONResponse({"error": "body too large"}, status_code=413)

        def messages() -> list[Inbound]:
            parsed = telegram.parse_update(_json_body(body))
            if parsed.note:
                log.info("telegram: %s", parsed.note)
            return list(parsed.messages)

        return await accept(messages, lambda q, d: JSONResponse({"ok": True, "queued": q, "duplicates": d}))

    async def messenger_verify(request: Request) -> Response:
        challenge = messenger.verification_challenge(dict(request.query_params), settings.messenger_verify_token)
        if challenge is None:
            return PlainTextResponse("verification failed", status_code=403)
        return PlainTextResponse(challenge)

    async def messenger_webhook(request: Request) -> Response:
        if not settings.messenger_page_token:
            return JSONResponse({"error": "Messenger is not configured"}, status_code=404)
        try:
            body = await read_body(request, settings.max_body_bytes)
        except BodyTooLarge:
            return JSONResponse({"error": "body too large"}, status_code=413)
        if not messenger.signature_matches(
            settings.messenger_app_secret, body, request.headers.get(messenger.SIGNATURE_HEADER)
        ):
            return JSONResponse({"error": "bad or missing signature"}, status_code=403)
        return await accept(
            lambda: messenger.parse_webhook(_json_body(body)), lambda q, d: PlainTextResponse("EVENT_RECEIVED")
        )

    async def healthz(request: Request) -> Response:
        store_ok = await gw.store.ping()
        persistence = await gw.store.persistence() if store_ok else "unknown"
        checks: dict[str, Any] = {
            "store": "ok" if store_ok else "unreachable",
            # True only when Redis says it keeps an AOF; null when it will not say (managed Redis)
            "store_durable": {"aof": True, "off": False, "unknown": None}[persistence],
            "store_persistence": persistence,
            "rasa": "ok" if gw.dispatcher.rasa_reachable else "unreachable",
            "telegram": gw.telegram_state,
            "messenger": "configured" if settings.messenger_page_token else "off",
            "slack": slack_mode(),
        }
        degraded = (
            not store_ok
            or not gw.dispatcher.rasa_reachable
            or gw.telegram_state.endswith(("unregistered", "unreachable"))
        )
        return JSONResponse(
            {"status": "degraded" if degraded else "ok", "checks": checks}, status_code=200 if store_ok else 503
        )

    async def metrics(request: Request) -> Response:
        counts, parked = None, None
        try:
            tickets = await gw.desk.open_tickets() if gw.desk is not None else []
            counts = len(tickets), sum(1 for ticket in tickets if ticket.status == "waiting")
            parked = await gw.store.parked_count()
        except Exception as error:  # Redis down: still serve the counters (the gauges keep their last value)
            log.warning("could not count the open tickets and parked messages: %s", error)
        return Response(gw.metrics.render(counts, parked), media_type=CONTENT_TYPE)

    def slack_mode() -> str:
        if gw.slack_app is None:
            return "off (local agent console at /agent)"
        modes = [name for name, on in (("socket mode", settings.slack_app_token), ("http", gw.slack_handler)) if on]
        return " + ".join(modes) or "posting only (no SLACK_APP_TOKEN nor SLACK_SIGNING_SECRET)"

    async def slack_events(request: Request) -> Response:
        if gw.slack_handler is None:
            return JSONResponse({"error": "Slack HTTP mode is off (no SLACK_SIGNING_SECRET)"}, status_code=404)
        response: Response = await gw.slack_handler.handle(request)
        return response

    def console_board(request: Request) -> ConsoleBoard | None:
        """The console is for the machine the gateway runs on, and only when Slack is not configured."""
        host = request.client.host if request.client else ""
        board = gw.desk.board if gw.desk is not None else None
        local = host in ("127.0.0.1", "::1", "localhost")
        return board if isinstance(board, ConsoleBoard) and local else None

    async def agent_page(request: Request) -> Response:
        if console_board(request) is None:
            return PlainTextResponse("the agent console is off (Slack is configured, or not a local request)", 404)
        return FileResponse(STATIC / "agent.html", media_type="text/html")

    async def agent_state(request: Request) -> Response:
        board = console_board(request)
        if board is None:
            return JSONResponse({"error": "console off"}, status_code=404)
        return JSONResponse({"tickets": await board.state(), "notices": await board.notices()})

    async def agent_action(request: Request) -> Response:
        board = console_board(request)
        if board is None or gw.desk is None:
            return JSONResponse({"error": "console off"}, status_code=404)
        try:
            data = _json_body(await read_body(request, 64_000))
            action, conversation = str(data["action"]), str(data["conversation_id"])
            agent = str(data.get("agent") or "local-agent")[:40]
        except (ValueError, KeyError, TypeError, BodyTooLarge):
            return JSONResponse({"error": "expected {action, conversation_id, agent, text}"}, status_code=400)
        found = await gw.desk.ticket(conversation)
        if found is None:
            return JSONResponse({"error": "no such ticket"}, status_code=404)
        if action == "take_over":
            await gw.desk.take_over(conversation, agent)
        elif action == "hand_back":
            await gw.desk.hand_back(conversation, agent)
        elif action == "reply" and str(data.get("text") or "").strip():
            text = str(data["text"]).strip()[:4000]
            await board.post_in_thread(found[1], f"🧑‍💼 {agent}: {text}")
            await gw.desk.relay(found[1], agent, text)
        else:
            return JSONResponse({"error": "action is take_over, reply (with text) or hand_back"}, status_code=400)
        return JSONResponse({"ok": True})

    async def chat_page(request: Request) -> Response:
        return FileResponse(STATIC / "chat.html", media_type="text/html")

    async def chat_widget(request: Request) -> Response:
        return FileResponse(STATIC / "widget.js", media_type="text/javascript")

    async def chat_socket(websocket: WebSocket) -> None:
        await webchat.serve_socket(websocket, gw.store, gw.accept)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        stop = asyncio.Event()
        dispatching = None  # the deliveries on this loop, when not on a thread of their own; they stop on ``stop``
        if delivery is not None:
            gw.dispatcher = await asyncio.to_thread(delivery.start)  # /healthz reads whether it reaches Rasa
        else:
            dispatching = asyncio.create_task(gw.dispatcher.run(stop))
        tasks: list[Awaitable[None]] = []
        if gw.desk is not None:
            tasks.append(gw.desk.run_timers())
        if gw.watch is not None and gw.desk is not None:
            tasks.append(_watch_insights(gw.watch, gw.desk.board, settings))
        if gw.telegram_bot is not None:
            if settings.public_url:
                gw.telegram_state = "webhook-unregistered"
                tasks.append(_register_telegram_webhook(gw))
            else:
                tasks.append(_poll_telegram(gw))
        socket = None
        if gw.slack_app is not None and settings.slack_app_token:
            from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

            # Socket Mode: Passerelle dials out to Slack; no public URL needed. The client reconnects by itself.
            socket = AsyncSocketModeHandler(gw.slack_app, settings.slack_app_token)
            tasks.append(socket.connect_async())  # type: ignore[no-untyped-call]
        gw.background = [asyncio.create_task(t) for t in tasks]  # type: ignore[arg-type]
        try:
            yield
        finally:
            stop.set()
            if delivery is not None:
                await asyncio.to_thread(delivery.stop)
            if socket is not None:
                await socket.close_async()  # type: ignore[no-untyped-call]
            for task in gw.background:
                task.cancel()
            await asyncio.gather(*gw.background, *([dispatching] if dispatching else []), return_exceptions=True)
            await gw.rasa.aclose()

    return Starlette(
        routes=[
            Route("/webhooks/telegram", gw.metrics.timed("telegram", telegram_webhook), methods=["POST"]),
            Route("/webhooks/messenger", messenger_verify, methods=["GET"]),
            Route("/webhooks/messenger", gw.metrics.timed("messenger", messenger_webhook), methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/metrics", metrics, methods=["GET"]),
            Route("/slack/events", slack_events, methods=["POST"]),
            Route("/agent", agent_page, methods=["GET"]),
            Route("/agent/state", agent_state, methods=["GET"]),
            Route("/agent/action", agent_action, methods=["POST"]),
            Route("/chat", chat_page, methods=["GET"]),
            Route("/chat/widget.js", chat_widget, methods=["GET"]),
            WebSocketRoute("/chat/ws", chat_socket),
        ],
        lifespan=lifespan,
    )
