"""The gateway's ASGI app: it mounts each part's routes, answers /healthz and /metrics, runs the background work.

Every webhook edge lives with its channel (bot/channels/: authenticated before it is parsed, queued, acknowledged
at once); the dispatcher answers in the background, on a thread of its own (bot/gateway/delivery.py). The parts
are built in bot/gateway/wiring.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute

from bot.boards import agent_console
from bot.channels import messenger, telegram, terminal, webchat
from bot.config import Settings
from bot.gateway.delivery import DeliveryThread
from bot.gateway.metrics import CONTENT_TYPE
from bot.gateway.wiring import Gateway, build_gateway
from bot.insights.watch import watch_insights

log = logging.getLogger(__name__)


def create_app(settings: Settings, gateway: Gateway | None = None) -> Starlette:
    """The gateway's ASGI application.

    Built from the settings, it runs the deliveries on a thread of their own (bot/gateway/delivery.py); a
    ``gateway`` given (tests) runs them on the application's loop, with the parts it was given.
    """
    gw = gateway or build_gateway(settings)
    delivery = DeliveryThread(lambda: build_gateway(settings, gw.metrics)) if gateway is None else None

    async def healthz(request: Request) -> Response:
        store_ok = await gw.store.ping()
        persistence = await gw.store.persistence() if store_ok else "unknown"
        checks: dict[str, Any] = {
            "store": "ok" if store_ok else "unreachable",
            # True only when Redis says it keeps an AOF; null when it will not say (managed Redis)
            "store_durable": {"aof": True, "off": False, "unknown": None}[persistence],
            "store_persistence": persistence,
            "rasa": "ok" if gw.dispatcher.rasa_reachable else "unreachable",
            "telegram": gw.telegram.state if gw.telegram is not None else "off",
            "messenger": "configured" if settings.messenger_page_token else "off",
            "slack": slack_mode(),
        }
        degraded = not store_ok or not gw.dispatcher.rasa_reachable or (gw.telegram is not None and gw.telegram.broken)
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
        if gw.watch is not None and gw.board is not None:
            tasks.append(watch_insights(gw.watch, gw.board, settings))
        if gw.telegram is not None:
            tasks.append(gw.telegram.run(gw.enqueue))
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

    terminal_socket = webchat.socket(gw.store.redis, gw.accept, terminal.CHANNEL, local_only=True)
    terminal_routes = [WebSocketRoute(terminal.ROUTE, terminal_socket)] if settings.terminal_chat else []
    return Starlette(
        routes=[
            Route(
                "/webhooks/telegram",
                gw.metrics.timed("telegram", telegram.webhook(settings, gw.enqueue)),
                methods=["POST"],
            ),
            Route("/webhooks/messenger", messenger.verification(settings), methods=["GET"]),
            Route(
                "/webhooks/messenger",
                gw.metrics.timed("messenger", messenger.webhook(settings, gw.enqueue)),
                methods=["POST"],
            ),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/metrics", metrics, methods=["GET"]),
            Route("/slack/events", slack_events, methods=["POST"]),
            *agent_console.routes(gw.board, gw.desk),
            Route("/chat", webchat.page, methods=["GET"]),
            Route("/chat/widget.js", webchat.widget, methods=["GET"]),
            WebSocketRoute("/chat/ws", webchat.socket(gw.store.redis, gw.accept)),
            *terminal_routes,
        ],
        lifespan=lifespan,
    )
