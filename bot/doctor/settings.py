"""The doctor's checks of the settings alone (formats, pairs that go together), with no network."""

from __future__ import annotations

import re
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.config import Settings
from bot.doctor.checks import Check, error, ok, warning
from bot.doctor.comments import check_comment_desk
from bot.handoff.hours import parse_schedule

TELEGRAM_TOKEN = re.compile(r"^\d+:[A-Za-z0-9_-]{35}$")
WEBHOOK_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
SLACK_CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{6,}$")
LOCAL_RASA_TOKEN = Settings().rasa_token


def check_telegram_settings(s: Settings) -> list[Check]:
    """TELEGRAM_TOKEN's format, and the webhook secret and public URL that webhook mode needs."""
    if not s.telegram_token:
        return [ok("telegram", "off (TELEGRAM_TOKEN empty)")]
    checks = []
    if TELEGRAM_TOKEN.match(s.telegram_token):
        checks.append(ok("telegram token", "looks like a BotFather token"))
    else:
        checks.append(
            error(
                "telegram token",
                "TELEGRAM_TOKEN is not <digits>:<35 characters>",
                "copy the token again from @BotFather (/mybots > your bot > API Token)",
            )
        )
    if not s.public_url:
        checks.append(ok("telegram mode", "polling (PUBLIC_URL empty): no public address needed"))
    elif not WEBHOOK_SECRET.match(s.telegram_webhook_secret):
        checks.append(
            error(
                "telegram webhook secret",
                "webhook mode needs TELEGRAM_WEBHOOK_SECRET (1-256 of A-Z a-z 0-9 _ -): without it, every update "
                "is refused",
                "set it to a random value, e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`",
            )
        )
    else:
        checks.append(ok("telegram mode", "webhook, with a secret token"))
    return checks


def check_messenger_settings(s: Settings) -> list[Check]:
    """A page token needs its app secret (signatures) and a verify token (subscription)."""
    if not s.messenger_page_token:
        if s.messenger_app_secret or s.messenger_verify_token:
            return [
                warning(
                    "messenger",
                    "MESSENGER_APP_SECRET or MESSENGER_VERIFY_TOKEN is set but MESSENGER_PAGE_TOKEN is empty: off",
                    "set MESSENGER_PAGE_TOKEN (Meta app > Messenger > Settings > Access Tokens), or clear the others",
                )
            ]
        return [ok("messenger", "off (MESSENGER_PAGE_TOKEN empty)")]
    missing = [
        name
        for name, value in (
            ("MESSENGER_APP_SECRET", s.messenger_app_secret),
            ("MESSENGER_VERIFY_TOKEN", s.messenger_verify_token),
        )
        if not value
    ]
    if missing:
        return [
            error(
                "messenger settings",
                f"{' and '.join(missing)} empty: webhooks would be refused (403)",
                "app secret: Meta app > App settings > Basic; verify token: any string, also typed in the "
                "webhook subscription",
            )
        ]
    return [ok("messenger settings", "page token, app secret and verify token set")]


def check_slack_settings(s: Settings) -> list[Check]:
    """Token prefixes, the support channel, and a way for Slack to reach the gateway."""
    if not s.slack_bot_token:
        return [ok("slack", "off: tickets go to the local agent console at /agent (SLACK_BOT_TOKEN empty)")]
    checks = []
    if not s.slack_bot_token.startswith("xoxb-"):
        checks.append(
            error(
                "slack bot token",
                "SLACK_BOT_TOKEN does not start with xoxb-",
                "use the Bot User OAuth Token (OAuth & Permissions), not a user (xoxp-) or app (xapp-) token",
            )
        )
    if s.slack_app_token and not s.slack_app_token.startswith("xapp-"):
        checks.append(
            error(
                "slack app token",
                "SLACK_APP_TOKEN does not start with xapp-",
                "generate an app-level token with connections:write (Basic Information > App-Level Tokens)",
            )
        )
    if not s.slack_app_token and not s.slack_signing_secret:
        checks.append(
            error(
                "slack mode",
                "neither SLACK_APP_TOKEN (Socket Mode) nor SLACK_SIGNING_SECRET (HTTP mode): clicks and replies "
                "in Slack cannot reach Passerelle",
                "set SLACK_APP_TOKEN (README: Connecting a Slack workspace)",
            )
        )
    if not s.slack_support_channel:
        checks.append(error("slack channel", "SLACK_SUPPORT_CHANNEL is empty", "set the support channel's id"))
    elif not SLACK_CHANNEL_ID.match(s.slack_support_channel):
        checks.append(
            warning(
                "slack channel",
                f"SLACK_SUPPORT_CHANNEL={s.slack_support_channel!r} does not look like a channel id",
                "use the id (channel name > About > Channel ID, e.g. C0123ABCD), not the name",
            )
        )
    return checks or [
        ok("slack settings", "bot token, channel and " + ("Socket Mode" if s.slack_app_token else "HTTP mode"))
    ]


def check_general_settings(s: Settings) -> list[Check]:
    """Redis, the Rasa token, the public URL, business hours and the log format."""
    checks = []
    if not s.redis_url:
        checks.append(
            warning(
                "redis url",
                "REDIS_URL is empty: `bot serve` keeps its queue in process (lost on restart); `bot run` starts "
                "its own Redis",
                "set REDIS_URL=redis://host:6379/0 for a deployment",
            )
        )
    if s.public_url and not s.public_url.startswith("https://"):
        local = urlsplit(s.public_url).hostname in ("localhost", "127.0.0.1", "::1")  # a test set-up
        problem = warning if local else error
        checks.append(
            problem(
                "public url", "PUBLIC_URL is not https://: platforms refuse it", "put an HTTPS reverse proxy in front"
            )
        )
    if s.public_url and s.rasa_token == LOCAL_RASA_TOKEN:
        checks.append(
            warning(
                "rasa token",
                "RASA_TOKEN is the local default",
                "set a long random RASA_TOKEN (the same for Rasa and the gateway)",
            )
        )
    try:
        parse_schedule(s.handoff_hours)
        ZoneInfo(s.handoff_timezone)
    except (ValueError, ZoneInfoNotFoundError) as problem:
        checks.append(error("handoff hours", str(problem), "fix HANDOFF_HOURS / HANDOFF_TIMEZONE (.env.example)"))
    if s.log_format not in ("text", "json"):
        checks.append(
            warning("log format", f"LOG_FORMAT={s.log_format!r}: using text", "set LOG_FORMAT to text or json")
        )
    return checks


def check_settings(s: Settings) -> list[Check]:
    """Every check that needs no network."""
    return [
        *check_general_settings(s),
        *check_telegram_settings(s),
        *check_messenger_settings(s),
        *check_comment_desk(s),
        *check_slack_settings(s),
    ]
