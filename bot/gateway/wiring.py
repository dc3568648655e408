"""The gateway's parts, built once from the settings: store, Rasa client, senders, board, desk, dispatcher, insights.

Built twice in a running gateway: once for the webhooks' event loop, once for the delivery thread's (each loop needs
clients of its own, see bot/gateway/delivery.py), sharing one metrics object.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.boards.base import Board, open_board
from bot.boards.slack import SlackBoard
from bot.channels import instagram, messenger, meta_comments, telegram, terminal, webchat
from bot.channels.base import Sender
from bot.channels.telegram_link import TelegramLink
from bot.comments.desk import CommentDesk
from bot.comments.graph import GraphComments
from bot.comments.policy import Policy, PolicyError, load_policy
from bot.config import Settings
from bot.conversation import BotReply, Inbound
from bot.dialogue.event_log import LatestParse
from bot.gateway.dispatcher import Dispatcher, DispatcherConfig
from bot.gateway.limits import Limits, screen
from bot.gateway.metrics import Metrics, NluProbe
from bot.gateway.store import RedisStore, open_store
from bot.handoff.desk import Desk
from bot.handoff.hours import parse_schedule
from bot.insights.alerts import AlertRule, ReputationWatch
from bot.insights.journal import RedisJournal
from bot.insights.recorder import JournalRecorder
from bot.rasa_client import RasaClient

log = logging.getLogger(__name__)


@dataclass
class Gateway:
    """Everything the routes and the background work share."""

    settings: Settings
    store: RedisStore
    rasa: RasaClient
    senders: dict[str, Sender]
    dispatcher: Dispatcher
    telegram: TelegramLink | None = None
    slack_handler: Any = None
    slack_app: Any = None
    desk: Desk | None = None
    comments: CommentDesk | None = None
    board: Board | None = None
    background: list[asyncio.Task[None]] = field(default_factory=list)
    metrics: Metrics = field(default_factory=Metrics)
    limits: Limits = field(default_factory=Limits)
    watch: ReputationWatch | None = None

    async def accept(self, message: Inbound) -> bool:
        """Queue a new message, flagged if it breaks a limit (bot/gateway/limits.py); False for a repeated delivery.

        Public comments are not screened: many people comment under one post, which is not a flood.
        """
        screened = message if message.comment is not None else await screen(message, self.store, self.limits)
        new = await self.store.enqueue(screened)
        self.metrics.queued(message.channel, new)
        return new

    async def enqueue(self, messages: list[Inbound]) -> tuple[int, int]:
        """Queue new messages; returns (queued, duplicates)."""
        queued = 0
        for message in messages:
            queued += await self.accept(message)
        return queued, len(messages) - queued


def _senders(settings: Settings, store: RedisStore, metrics: Metrics) -> tuple[dict[str, Sender], Any]:
    """One sender per configured channel, and python-telegram-bot's bot when Telegram is on."""
    senders: dict[str, Sender] = {
        webchat.CHANNEL: webchat.WebchatSender(store.redis),
        terminal.CHANNEL: webchat.WebchatSender(store.redis, terminal.CHANNEL),  # the same protocol, see terminal.py
    }
    bot = None
    if settings.telegram_token:
        bot = telegram.make_bot(settings.telegram_token, settings.telegram_api_url)
        senders[telegram.CHANNEL] = telegram.TelegramSender(bot, metrics)
    if settings.messenger_page_token:  # with Facebook Login, the Page's token sends to Instagram too
        for channel in (messenger.CHANNEL, instagram.CHANNEL):
            senders[channel] = messenger.MessengerSender(
                settings.messenger_page_token,
                settings.messenger_api_url,
                settings.messenger_api_version,
                metrics=metrics,
                channel=channel,
            )
    return senders, bot


def comment_policy(settings: Settings) -> Policy:
    """The comment desk's policy; the shipped one (safe: no public reply, no hiding) when the chosen file is broken."""
    try:
        return load_policy(Path(settings.comment_policy_file) if settings.comment_policy_file else None)
    except PolicyError as error:
        log.error("the comment policy cannot be used, the shipped safe policy applies (see bot doctor): %s", error)
        return load_policy()


def _comments(
    settings: Settings, redis: Any, rasa: RasaClient, board: Board, journal: RedisJournal, metrics: Metrics
) -> CommentDesk | None:
    """The comment desk, when the Page's token is set (it reads and answers the Page's and Instagram's comments)."""
    if not settings.messenger_page_token:
        return None
    meta = GraphComments(settings.messenger_page_token, settings.messenger_api_url, settings.messenger_api_version)
    policy = comment_policy(settings)
    return CommentDesk(redis, rasa, meta, board, policy, journal=journal, counted=metrics.comment)


def _slack(
    settings: Settings, desk: Desk, board: Board, store: RedisStore, comments: CommentDesk | None
) -> tuple[Any, Any]:
    """The slack-bolt app (the managers' clicks and replies) and its HTTP handler, when the board is Slack."""
    if not isinstance(board, SlackBoard):
        return None, None
    from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler

    from bot.handoff.slack_app import build_slack_app

    slack_app = build_slack_app(desk, board.client, settings.slack_signing_secret, store.redis)
    if comments is not None:
        from bot.comments.slack_actions import register

        register(slack_app, comments)
    handler = AsyncSlackRequestHandler(slack_app) if settings.slack_signing_secret else None
    if not settings.slack_signing_secret and not settings.slack_app_token:
        log.warning(
            "Slack: neither SLACK_APP_TOKEN (Socket Mode) nor SLACK_SIGNING_SECRET (HTTP mode) is set: tickets "
            "are posted, but the managers' clicks and replies cannot reach Passerelle"
        )
    return slack_app, handler


def build_gateway(settings: Settings, metrics: Metrics | None = None) -> Gateway:
    """Wire the gateway's parts from the settings (counting into ``metrics``)."""
    store = open_store(settings.redis_url)
    rasa = RasaClient(settings.rasa_url, settings.rasa_token)
    metrics = metrics or Metrics()
    senders, bot = _senders(settings, store, metrics)
    journal = RedisJournal(store.redis, settings.journal_retention_days)
    if not settings.slack_bot_token:
        log.warning(
            "SLACK_BOT_TOKEN is not set: handoff tickets go to the local agent console at /agent "
            "(a stand-in for Slack, served to this machine only)"
        )
    board = open_board(settings, store.redis)
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
    comments = _comments(settings, store.redis, rasa, board, journal, metrics)
    probe = NluProbe(LatestParse(store.redis, rasa), metrics)
    recorder = JournalRecorder(journal, store.get_language)

    async def after_message(message: Inbound, reply: BotReply) -> None:
        await recorder.message(message, await probe(message, reply))

    dispatcher = Dispatcher(
        store,
        rasa,
        senders,
        DispatcherConfig(workers=settings.gateway_workers, delay_notice_after=settings.delay_notice_seconds),
        on_handoff=desk.open_ticket,
        after_message=after_message,
        before_message=desk.before_message,
        metrics=metrics,
        readers={} if comments is None else dict.fromkeys(meta_comments.CHANNELS, comments.handle),
    )
    slack_app, handler = _slack(settings, desk, board, store, comments)
    link = TelegramLink(bot, settings.public_url, settings.telegram_webhook_secret) if bot is not None else None
    return Gateway(
        settings,
        store,
        rasa,
        senders,
        dispatcher,
        telegram=link,
        slack_handler=handler,
        slack_app=slack_app,
        desk=desk,
        comments=comments,
        board=board,
        metrics=metrics,
        limits=Limits(settings.max_message_chars, settings.flood_limit_messages, settings.flood_limit_window_seconds),
        watch=ReputationWatch(
            journal,
            store.redis,
            board,
            AlertRule(settings.alert_negative_share, settings.alert_window_minutes * 60, settings.alert_min_messages),
        ),
    )
