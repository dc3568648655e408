"""The local agent console's routes (``/agent``): a stand-in for Slack on the gateway's own machine.

Served only when Slack is not configured and only to loopback requests: the console has no login, so it must not
be reachable from elsewhere.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from bot.boards.console import ConsoleBoard
from bot.channels.webhooks import BodyTooLarge, json_body, read_body
from bot.handoff.desk import Desk

STATIC = Path(__file__).resolve().parents[1] / "static"
LOOPBACK = ("127.0.0.1", "::1", "localhost")


def routes(board: object, desk: Desk | None) -> list[Route]:
    """The console's page, its state and its actions, answering 404 unless ``board`` is the console."""

    def console(request: Request) -> ConsoleBoard | None:
        host = request.client.host if request.client else ""
        return board if isinstance(board, ConsoleBoard) and host in LOOPBACK else None

    async def page(request: Request) -> Response:
        if console(request) is None:
            return PlainTextResponse("the agent console is off (Slack is configured, or not a local request)", 404)
        return FileResponse(STATIC / "agent.html", media_type="text/html")

    async def state(request: Request) -> Response:
        found = console(request)
        if found is None:
            return JSONResponse({"error": "console off"}, status_code=404)
        return JSONResponse({"tickets": await found.state(), "notices": await found.notices()})

    async def action(request: Request) -> Response:
        found = console(request)
        if found is None or desk is None:
            return JSONResponse({"error": "console off"}, status_code=404)
        try:
            data = json_body(await read_body(request, 64_000))
            name, conversation = str(data["action"]), str(data["conversation_id"])
            agent = str(data.get("agent") or "local-agent")[:40]
        except (ValueError, KeyError, TypeError, BodyTooLarge):
            return JSONResponse({"error": "expected {action, conversation_id, agent, text}"}, status_code=400)
        ticket = await desk.ticket(conversation)
        if ticket is None:
            return JSONResponse({"error": "no such ticket"}, status_code=404)
        if name == "take_over":
            await desk.take_over(conversation, agent)
        elif name == "hand_back":
            await desk.hand_back(conversation, agent)
        elif name == "reply" and str(data.get("text") or "").strip():
            text = str(data["text"]).strip()[:4000]
            await found.post_in_thread(ticket[1], f"🧑‍💼 {agent}: {text}")
            await desk.relay(ticket[1], agent, text)
        else:
            return JSONResponse({"error": "action is take_over, reply (with text) or hand_back"}, status_code=400)
        return JSONResponse({"ok": True})

    return [
        Route("/agent", page, methods=["GET"]),
        Route("/agent/state", state, methods=["GET"]),
        Route("/agent/action", action, methods=["POST"]),
    ]
