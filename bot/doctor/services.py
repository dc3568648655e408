"""The checks of ``bot doctor`` that talk to a service.

Rasa, the action server, Redis, the gateway, Slack, Telegram and Messenger. Each returns checks instead of raising;
messages never include a URL with a token.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx

from bot.config import Settings
from bot.doctor.checks import Check, error, ok, warning
from bot.keyspace import connect, text

if TYPE_CHECKING:
    from bot.gateway.store import RedisStore

TIMEOUT = 5.0
MANIFEST = Path(__file__).resolve().parent.parent / "handoff" / "slack-app-manifest.yml"


def _failure(exc: Exception) -> str:
    """A short reason that never quotes the URL (it may hold a token)."""
    return "timed out" if isinstance(exc, httpx.TimeoutException) else f"unreachable ({type(exc).__name__})"


async def check_rasa(s: Settings, http: httpx.AsyncClient) -> Check:
    """Rasa answers ``/status`` with RASA_TOKEN and has a model loaded."""
    try:
        response = await http.get(f"{s.rasa_url}/status", params={"token": s.rasa_token})
    except httpx.HTTPError as exc:
        return error("rasa", f"{s.rasa_url} {_failure(exc)}", "start it (make run, or docker compose up -d rasa)")
    if response.status_code in (401, 403):
        return error("rasa", "RASA_TOKEN refused", "use the same RASA_TOKEN for Rasa (--auth-token) and the gateway")
    if response.status_code != 200:
        return error("rasa", f"/status answered HTTP {response.status_code}", "look at Rasa's log")
    model = Path(str(response.json().get("model_file") or "")).name
    if not model:
        return error("rasa", "no model loaded", "train one (make train) and restart Rasa")
    return ok("rasa", f"{s.rasa_url} answers with the token; model {model}")


async def check_actions(s: Settings, http: httpx.AsyncClient) -> Check:
    """The action server's ``/health``, at the base of ACTION_SERVER_URL."""
    parts = urlsplit(s.action_server_url)
    url = f"{parts.scheme}://{parts.netloc}/health"
    try:
        response = await http.get(url)
    except httpx.HTTPError as exc:
        return error("actions", f"{url} {_failure(exc)}", "start the action server, or fix ACTION_SERVER_URL")
    if response.status_code != 200:
        return error("actions", f"{url} answered HTTP {response.status_code}", "look at the action server's log")
    return ok("actions", f"{url} healthy")


async def check_redis(s: Settings) -> list[Check]:
    """Redis answers, keeps an append-only file (AOF), and holds no parked message."""
    if not s.redis_url:
        return []
    from redis.exceptions import RedisError

    from bot.gateway.store import RedisStore

    redis = connect(s.redis_url, TIMEOUT)
    try:
        await redis.ping()
        store = RedisStore(redis)
        persistence = await store.persistence()
        parked = await check_parked(store)
    except RedisError as exc:
        return [error("redis", f"REDIS_URL unreachable ({type(exc).__name__})", "start Redis or fix REDIS_URL")]
    finally:
        await redis.close(close_connection_pool=True)
    if persistence == "aof":
        return [ok("redis", "reachable, AOF on"), parked]
    if persistence == "unknown":
        return [
            ok("redis", "reachable"),
            warning(
                "redis persistence",
                "CONFIG GET refused (usual on managed Redis): cannot tell whether AOF is on",
                "make sure persistence (AOF) is on in your provider's settings",
            ),
            parked,
        ]
    return [
        ok("redis", "reachable"),
        warning(
            "redis persistence",
            "AOF is off, or this is the embedded in-memory Redis: a restart loses conversations and queued messages",
            "run redis-server with --appendonly yes (docker-compose.yml does), or install redis-server for bot run",
        ),
        parked,
    ]


async def check_parked(store: RedisStore) -> Check:
    """Messages the gateway set aside after repeated failures (bot/gateway/dispatcher.py); there should be none."""
    count = await store.parked_count()
    if count == 0:
        return ok("parked messages", "none")
    detail = f"{count} customer message(s) set aside after repeated failures, not answered"
    try:
        newest = (await store.parked(limit=1))[0]
    except (ValueError, KeyError, TypeError, IndexError):  # a record this version cannot read: the count still says
        newest = None
    if newest is not None:
        when = datetime.fromtimestamp(newest.parked_at, tz=timezone.utc)
        detail += (
            f"; newest {when:%Y-%m-%d %H:%M} UTC on {newest.queued.message.channel} after {newest.attempts} "
            f"attempts: {newest.reason}"
        )
    return warning(
        "parked messages",
        detail,
        "fix what the reason names; parked messages are kept, never retried alone: read them with "
        "`redis-cli LRANGE gw:parked 0 -1`",
    )


def _text(value: Any) -> str:
    return text(value or "")


async def check_gateway(s: Settings, http: httpx.AsyncClient) -> Check:
    """The gateway's ``/healthz``: each part's state."""
    try:
        response = await http.get(f"{s.gateway_url}/healthz")
        health = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        return warning("gateway", f"{s.gateway_url} {_failure(exc)}", "start it (make run, or bot serve)")
    parts = ", ".join(f"{k} {v}" for k, v in (health.get("checks") or {}).items())
    if health.get("status") == "ok":
        return ok("gateway", parts)
    return warning("gateway", f"{health.get('status')}: {parts}", "fix the part that is not ok (see the other checks)")


def needed_slack_scopes(manifest: Path = MANIFEST) -> set[str]:
    """The bot scopes the app manifest asks for."""
    import yaml

    return set(yaml.safe_load(manifest.read_text())["oauth_config"]["scopes"]["bot"])


def _header(headers: Mapping[str, Any], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return _text(value[0] if isinstance(value, list) else value)
    return None


async def check_slack(s: Settings) -> list[Check]:
    """auth.test and its scopes against the manifest, the support channel, and the Socket Mode token."""
    if not s.slack_bot_token:
        return []
    from slack_sdk.errors import SlackApiError
    from slack_sdk.web.async_client import AsyncWebClient

    client = AsyncWebClient(token=s.slack_bot_token, base_url=s.slack_api_url, timeout=int(TIMEOUT))
    fix_scopes = "add them to the app (bot/handoff/slack-app-manifest.yml) and reinstall it to the workspace"
    try:
        auth = await client.auth_test()
    except SlackApiError as exc:
        reason = _slack_error(exc)
        return [error("slack auth", f"SLACK_BOT_TOKEN refused ({reason})", "copy the Bot User OAuth Token again")]
    except Exception as exc:
        return [error("slack auth", f"Slack API unreachable ({type(exc).__name__})", "check the network")]
    checks = [ok("slack auth", f"bot {auth.get('user')} in workspace {auth.get('team')}")]
    granted = _header(auth.headers, "x-oauth-scopes")
    if granted is None:
        checks.append(warning("slack scopes", "Slack did not say which scopes the app has", fix_scopes))
    else:
        missing = needed_slack_scopes() - {scope.strip() for scope in granted.split(",")}
        if missing:
            checks.append(error("slack scopes", f"missing {', '.join(sorted(missing))}", fix_scopes))
        else:
            checks.append(ok("slack scopes", "every scope of the manifest is granted"))
    checks.append(await _check_channel(client, s.slack_support_channel))
    if s.slack_app_token:
        app = AsyncWebClient(base_url=s.slack_api_url, timeout=int(TIMEOUT))
        try:
            await app.apps_connections_open(app_token=s.slack_app_token)
            checks.append(ok("slack socket mode", "SLACK_APP_TOKEN accepted"))
        except SlackApiError as exc:
            reason = _slack_error(exc)
            checks.append(
                error("slack socket mode", f"SLACK_APP_TOKEN refused ({reason})", "generate a new app-level token")
            )
    return checks


def _slack_error(exc: Any) -> str:
    """Slack's error code (``invalid_auth``...), or the HTTP status when the answer was not Slack's JSON."""
    data = exc.response.data
    return str(data.get("error")) if isinstance(data, dict) else f"HTTP {exc.response.status_code}"


async def _check_channel(client: Any, channel: str) -> Check:
    from slack_sdk.errors import SlackApiError

    if not channel:
        return error("slack channel", "SLACK_SUPPORT_CHANNEL is empty", "set the support channel's id")
    try:
        info = (await client.conversations_info(channel=channel))["channel"]
    except SlackApiError as exc:
        reason = _slack_error(exc)
        if reason == "missing_scope":
            fix = "add channels:read and groups:read (manifest) and reinstall the app"
            return error("slack channel", "the app may not read channel information", fix)
        return error("slack channel", f"{channel}: {reason}", "check the id, and /invite @Passerelle in the channel")
    if not info.get("is_member"):
        return error("slack channel", f"the app is not in #{info.get('name')}", "/invite @Passerelle in that channel")
    return ok("slack channel", f"#{info.get('name')}, the app is a member")


async def check_telegram(s: Settings, http: httpx.AsyncClient) -> list[Check]:
    """Telegram's getMe (the token works) and getWebhookInfo (registered URL, pending updates, last error)."""
    if not s.telegram_token:
        return []
    base = f"{s.telegram_api_url}{s.telegram_token}"
    try:
        me = await http.get(f"{base}/getMe")
        if me.status_code == 401:
            return [error("telegram api", "TELEGRAM_TOKEN refused", "copy the token again from @BotFather")]
        info = (await http.get(f"{base}/getWebhookInfo")).json()["result"]
    except (httpx.HTTPError, ValueError, KeyError) as exc:
        return [error("telegram api", f"Bot API {_failure(exc)}", "check the network and TELEGRAM_API_URL")]
    checks = [ok("telegram api", f"token accepted (@{me.json()['result'].get('username')})")]
    registered, pending = info.get("url") or "", int(info.get("pending_update_count") or 0)
    expected = f"{s.public_url}/webhooks/telegram" if s.public_url else ""
    if registered == expected:
        mode = f"webhook {registered}" if registered else "no webhook (polling mode)"
        checks.append(ok("telegram webhook", f"{mode}, {pending} update(s) pending"))
    elif not expected:
        checks.append(
            warning(
                "telegram webhook",
                f"a webhook is registered ({registered}) but PUBLIC_URL is empty: polling gets nothing until the "
                "gateway removes it at start",
                "start the gateway, or set PUBLIC_URL if this bot should use that webhook",
            )
        )
    else:
        checks.append(
            error(
                "telegram webhook",
                f"registered {registered or 'nothing'}, expected {expected} ({pending} update(s) pending)",
                "start the gateway (it registers the webhook), and make sure no other deployment uses this bot",
            )
        )
    if info.get("last_error_message"):
        when = datetime.fromtimestamp(int(info.get("last_error_date") or 0), tz=timezone.utc)
        checks.append(
            warning(
                "telegram deliveries",
                f"last error {when:%Y-%m-%d %H:%M} UTC: {info['last_error_message']}",
                "make sure PUBLIC_URL reaches the gateway over HTTPS with a valid certificate",
            )
        )
    return checks


async def check_messenger(s: Settings, http: httpx.AsyncClient) -> list[Check]:
    """The page token works (``GET /me``)."""
    if not s.messenger_page_token:
        return []
    url = f"{s.messenger_api_url}/{s.messenger_api_version}/me"
    try:
        response = await http.get(url, params={"access_token": s.messenger_page_token})
    except httpx.HTTPError as exc:
        return [error("messenger api", f"Graph API {_failure(exc)}", "check the network and MESSENGER_API_URL")]
    if response.status_code != 200:
        message = (response.json().get("error") or {}).get("message", f"HTTP {response.status_code}")
        return [error("messenger api", f"page token refused: {message}", "generate a new page access token")]
    return [ok("messenger api", f"page token accepted (page {response.json().get('name')})")]


async def _listed(check: Awaitable[Check]) -> list[Check]:
    return [await check]


async def check_services(s: Settings) -> list[Check]:
    """Every service check, in parallel, in a stable order."""
    async with httpx.AsyncClient(timeout=TIMEOUT) as http:
        results = await asyncio.gather(
            _listed(check_rasa(s, http)),
            _listed(check_actions(s, http)),
            check_redis(s),
            _listed(check_gateway(s, http)),
            check_slack(s),
            check_telegram(s, http),
            check_messenger(s, http),
        )
    return [check for result in results for check in result]
