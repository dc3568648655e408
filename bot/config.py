"""One Settings object, built once from the environment and passed explicitly (see .env.example)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class RedisAddress:
    """The parts of a ``redis://`` URL that Rasa's endpoints.yml needs."""

    host: str
    port: int
    db: int
    password: str

    @classmethod
    def from_url(cls, url: str) -> RedisAddress:
        """Parse ``redis://[:password@]host[:port][/db]``."""
        parts = urlsplit(url)
        if parts.scheme not in ("redis", "rediss"):
            raise ValueError(f"REDIS_URL must start with redis://, got {parts.scheme!r}")
        db = parts.path.lstrip("/")
        return cls(parts.hostname or "127.0.0.1", parts.port or 6379, int(db or 0), parts.password or "")


@dataclass(frozen=True)
class Settings:
    """Everything configurable, with defaults for a local run on one machine.

    Attributes:
        rasa_url: Base URL of the Rasa server (REST channel and HTTP API).
        rasa_token: Token protecting Rasa's HTTP API (``--auth-token``).
        action_server_url: Webhook URL of the action server, as Rasa calls it.
        redis_url: Redis for conversation state; empty means the local run starts its own.
        tracker_ttl_seconds: How long Rasa keeps an inactive conversation.
        rasa_workers: Sanic worker processes of the Rasa server the local run starts (each holds the model).
        language_hint: Language hint for the terminal chat (e.g. from ``LANG``).
        terminal_chat: Whether the gateway serves the terminal chat (``/terminal/ws``, loopback only): ``bot run``
            turns it on for the gateway it starts; off everywhere else.
        project_root: Folder holding config.yml, domain.yml and data/.
        models_dir: Where trained models are cached.
        var_dir: Where the local run keeps logs and Redis data.
        log_format: ``text`` (for people) or ``json`` (one object per line, keyed by conversation id).

    """

    rasa_url: str = "http://127.0.0.1:5005"
    rasa_token: str = "change-me-local-only"
    action_server_url: str = "http://127.0.0.1:5055/webhook"
    redis_url: str = ""
    tracker_ttl_seconds: int = 30 * 24 * 3600
    rasa_workers: int = 2
    language_hint: str = ""
    terminal_chat: bool = False
    project_root: Path = PROJECT_ROOT
    models_dir: Path = field(default=PROJECT_ROOT / "models")
    var_dir: Path = field(default=PROJECT_ROOT / "var")
    gateway_url: str = "http://127.0.0.1:8080"
    public_url: str = ""
    telegram_token: str = ""
    telegram_webhook_secret: str = ""
    telegram_api_url: str = "https://api.telegram.org/bot"
    messenger_page_token: str = ""
    messenger_app_secret: str = ""
    instagram_app_secret: str = ""
    messenger_verify_token: str = ""
    messenger_api_url: str = "https://graph.facebook.com"
    messenger_api_version: str = "v19.0"
    comment_policy_file: str = ""  # the comment desk's policy; empty: bot/comments/policy.yml
    gateway_workers: int = 8
    delay_notice_seconds: float = 5.0
    max_body_bytes: int = 1_000_000
    max_message_chars: int = 2000
    flood_limit_messages: int = 20
    flood_limit_window_seconds: float = 60.0
    slack_bot_token: str = ""
    slack_signing_secret: str = ""
    slack_app_token: str = ""
    slack_support_channel: str = ""
    slack_api_url: str = "https://slack.com/api/"
    handoff_reannounce_seconds: float = 300.0
    handoff_mention: str = "<!here>"
    handoff_expected_wait_minutes: int = 15
    handoff_hours: str = ""
    handoff_timezone: str = "Europe/Paris"
    handoff_window_warning_hours: float = 24.0
    digest_schedule: str = "weekly"
    digest_hour: int = 9
    log_format: str = "text"
    alert_negative_share: float = 0.3
    alert_window_minutes: float = 60.0
    alert_min_messages: int = 10
    insights_check_seconds: float = 60.0
    journal_retention_days: int = 90

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Build the settings from environment variables, falling back on the defaults above."""
        source = os.environ if environ is None else environ

        def env(name: str, default: str) -> str:
            # A variable set to an empty string (as in a copied .env.example) means "use the default".
            return source.get(name) or default

        defaults = cls()
        root = Path(env("PASSERELLE_ROOT", str(defaults.project_root)))
        return cls(
            rasa_url=env("RASA_URL", defaults.rasa_url).rstrip("/"),
            rasa_token=env("RASA_TOKEN", defaults.rasa_token),
            action_server_url=env("ACTION_SERVER_URL", defaults.action_server_url),
            redis_url=env("REDIS_URL", ""),
            tracker_ttl_seconds=int(env("RASA_TRACKER_TTL", str(defaults.tracker_ttl_seconds))),
            rasa_workers=int(env("SANIC_WORKERS", str(defaults.rasa_workers))),
            language_hint=env("LANG", "").split(".")[0],
            terminal_chat=env("TERMINAL_CHAT", "").lower() in ("1", "true", "yes"),
            project_root=root,
            models_dir=Path(env("PASSERELLE_MODELS_DIR", str(root / "models"))),
            var_dir=Path(env("PASSERELLE_VAR_DIR", str(root / "var"))),
            gateway_url=env("GATEWAY_URL", defaults.gateway_url).rstrip("/"),
            public_url=env("PUBLIC_URL", "").rstrip("/"),
            telegram_token=env("TELEGRAM_TOKEN", ""),
            telegram_webhook_secret=env("TELEGRAM_WEBHOOK_SECRET", ""),
            telegram_api_url=env("TELEGRAM_API_URL", defaults.telegram_api_url),
            messenger_page_token=env("MESSENGER_PAGE_TOKEN", ""),
            messenger_app_secret=env("MESSENGER_APP_SECRET", ""),
            instagram_app_secret=env("INSTAGRAM_APP_SECRET", ""),
            messenger_verify_token=env("MESSENGER_VERIFY_TOKEN", ""),
            messenger_api_url=env("MESSENGER_API_URL", defaults.messenger_api_url).rstrip("/"),
            messenger_api_version=env("MESSENGER_API_VERSION", defaults.messenger_api_version),
            comment_policy_file=env("COMMENT_POLICY_FILE", ""),
            gateway_workers=int(env("GATEWAY_WORKERS", str(defaults.gateway_workers))),
            delay_notice_seconds=float(env("DELAY_NOTICE_SECONDS", str(defaults.delay_notice_seconds))),
            max_body_bytes=int(env("MAX_BODY_BYTES", str(defaults.max_body_bytes))),
            max_message_chars=int(env("MAX_MESSAGE_CHARS", str(defaults.max_message_chars))),
            flood_limit_messages=int(env("FLOOD_LIMIT_MESSAGES", str(defaults.flood_limit_messages))),
            flood_limit_window_seconds=float(
                env("FLOOD_LIMIT_WINDOW_SECONDS", str(defaults.flood_limit_window_seconds))
            ),
            slack_bot_token=env("SLACK_BOT_TOKEN", ""),
            slack_signing_secret=env("SLACK_SIGNING_SECRET", ""),
            slack_app_token=env("SLACK_APP_TOKEN", ""),
            slack_support_channel=env("SLACK_SUPPORT_CHANNEL", ""),
            slack_api_url=env("SLACK_API_URL", defaults.slack_api_url),
            handoff_reannounce_seconds=float(
                env("HANDOFF_REANNOUNCE_SECONDS", str(defaults.handoff_reannounce_seconds))
            ),
            handoff_mention=env("HANDOFF_MENTION", defaults.handoff_mention),
            handoff_expected_wait_minutes=int(
                env("HANDOFF_EXPECTED_WAIT_MINUTES", str(defaults.handoff_expected_wait_minutes))
            ),
            handoff_hours=env("HANDOFF_HOURS", ""),
            handoff_timezone=env("HANDOFF_TIMEZONE", defaults.handoff_timezone),
            handoff_window_warning_hours=float(
                env("HANDOFF_WINDOW_WARNING_HOURS", str(defaults.handoff_window_warning_hours))
            ),
            digest_schedule=env("DIGEST_SCHEDULE", defaults.digest_schedule).strip().lower(),
            digest_hour=int(env("DIGEST_HOUR", str(defaults.digest_hour))),
            log_format=env("LOG_FORMAT", defaults.log_format).strip().lower(),
            alert_negative_share=float(env("ALERT_NEGATIVE_SHARE", str(defaults.alert_negative_share))),
            alert_window_minutes=float(env("ALERT_WINDOW_MINUTES", str(defaults.alert_window_minutes))),
            alert_min_messages=int(env("ALERT_MIN_MESSAGES", str(defaults.alert_min_messages))),
            insights_check_seconds=float(env("INSIGHTS_CHECK_SECONDS", str(defaults.insights_check_seconds))),
            journal_retention_days=int(env("JOURNAL_RETENTION_DAYS", str(defaults.journal_retention_days))),
        )

    @property
    def rasa_port(self) -> int:
        """The port Rasa listens on, from ``rasa_url``."""
        return urlsplit(self.rasa_url).port or 5005

    @property
    def gateway_port(self) -> int:
        """The port the gateway listens on, from ``gateway_url``."""
        return urlsplit(self.gateway_url).port or 8080

    @property
    def action_server_port(self) -> int:
        """The port the action server listens on, from ``action_server_url``."""
        return urlsplit(self.action_server_url).port or 5055


def load_env_file(path: Path, environ: dict[str, str] | None = None) -> list[str]:
    """Add the ``KEY=value`` lines of ``path`` (a ``.env``) to the environment, never overriding a set variable.

    The syntax is docker compose's ``env_file``: one assignment per line, ``#`` comments, the value taken as
    written. Returns the names it set; a missing file sets nothing.
    """
    target = os.environ if environ is None else environ
    if not path.is_file():
        return []
    added = []
    for line in path.read_text(encoding="utf-8").splitlines():
        name, sep, value = line.strip().partition("=")
        name = name.strip()
        if not sep or not name or name.startswith("#") or name in target:
            continue
        target[name] = value
        added.append(name)
    return added
