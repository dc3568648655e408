"""The service digest's I/O: read the journal, summarize, draw, post once per period; ``bot report``, ``bot digest``.

The gateway calls ``post_due_digest`` every minute. Several replicas may do so at once: the first to set the
period's Redis key (``gw:digest:<schedule>:<first day>``) posts; the key is a short lease while it posts (a replica
killed meanwhile lets another take over after ``LEASE_SECONDS``), then kept ``KEEP_SECONDS``; a failed post removes
it, so the next minute tries again.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import multiprocessing
import sys
import time
from collections.abc import Callable, Coroutine
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any, Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.channels.base import DeliveryError
from bot.config import Settings
from bot.insights.digest.schedule import due_period, last_days, local_days
from bot.insights.digest.summary import Digest, local_date, summarize
from bot.insights.journal import Event, Journal, RedisJournal
from bot.keyspace import Namespace, connect

log = logging.getLogger(__name__)
LEASE_SECONDS = 600
KEEP_SECONDS = 8 * 24 * 3600  # longer than any day the period stays due


class DigestBoard(Protocol):
    """Where the digest goes (bot/boards/: Slack, or a web page for the local console)."""

    name: str

    async def post_digest(self, digest: Digest, chart_png: bytes) -> str:
        """Show the digest and its chart; return where (a Slack ts, a file path)."""


BoardOpener = Callable[[Settings, Redis], DigestBoard]


def _compute(events: list[Event], start: float, end: float, zone: str, project: Path) -> tuple[Digest, bytes]:
    """Figures, topics and chart (scikit-learn and matplotlib load here, in the worker process)."""
    from bot.insights.digest.chart import render_chart
    from bot.learn.mining import training_examples

    digest = summarize(events, start, end, zone, training_examples(project))
    return digest, render_chart(digest)


async def build_digest(journal: Journal, start: float, end: float, zone: str, project: Path) -> tuple[Digest, bytes]:
    """The period's digest and chart, computed in a process of its own.

    Loading scikit-learn and matplotlib and clustering take seconds of CPU that must not hold up the gateway's
    customers, as a thread sharing its GIL would.
    """
    events = await journal.between(start, end)
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return await asyncio.get_running_loop().run_in_executor(pool, _compute, events, start, end, zone, project)


async def post_due_digest(
    journal: Journal, board: DigestBoard, redis: Redis, settings: Settings, now: float | None = None
) -> tuple[float, float] | None:
    """Post the digest due now (``DIGEST_SCHEDULE``, ``DIGEST_HOUR``) unless a replica already did; the period posted.

    Never raises for a failed post (it is logged and tried again at the next call); raises ``ValueError`` for a
    schedule or hour it cannot read.
    """
    zone = settings.handoff_timezone
    period = due_period(time.time() if now is None else now, settings.digest_schedule, settings.digest_hour, zone)
    if period is None:
        return None
    key = Namespace("digest")(settings.digest_schedule, str(local_date(period[0], zone)))
    if not await redis.set(key, "posting", nx=True, ex=LEASE_SECONDS):
        return None
    try:
        digest, chart = await build_digest(journal, *period, zone, settings.project_root)
        where = await board.post_digest(digest, chart)
    except asyncio.CancelledError:
        await redis.delete(key)
        raise
    except Exception:
        await redis.delete(key)
        log.exception(
            "the %s service digest could not be posted; trying again at the next check", settings.digest_schedule
        )
        return None
    await redis.set(key, where, ex=KEEP_SECONDS)
    log.info("service digest of %s posted (%s: %s)", local_date(period[0], zone), board.name, where)
    return period


def requested_period(args: argparse.Namespace, now: float, zone: str) -> tuple[float, float]:
    """``--from``/``--to`` (local dates, both included), else the ``--days`` whole days before today.

    Raises:
        ValueError: for half a range, one that ends before it starts, or no day.

    """
    first: date | None = args.first
    last: date | None = args.last
    if first is None and last is None:
        if args.days < 1:
            raise ValueError("--days must be at least 1")
        return last_days(now, args.days, zone)
    if first is None or last is None:
        raise ValueError("give both --from and --to")
    if last < first:
        raise ValueError("--to is before --from")
    return local_days(first, last, zone)


def _journal(settings: Settings) -> tuple[Redis, RedisJournal]:
    if not settings.redis_url:
        raise ValueError("the journal is in Redis and REDIS_URL is empty: set it (e.g. redis://127.0.0.1:6379/0)")
    redis = connect(settings.redis_url)
    return redis, RedisJournal(redis)


async def _report(settings: Settings, args: argparse.Namespace) -> str:
    from bot.insights.digest.render import render_html

    start, end = requested_period(args, time.time(), settings.handoff_timezone)
    redis, journal = _journal(settings)
    try:
        digest, chart = await build_digest(journal, start, end, settings.handoff_timezone, settings.project_root)
    finally:
        await redis.close()
    out = Path(args.out)
    out.write_text(render_html(digest, chart), encoding="utf-8")
    return str(out)


async def _digest(settings: Settings, args: argparse.Namespace, open_board: BoardOpener) -> str:
    start, end = requested_period(args, time.time(), settings.handoff_timezone)
    redis, journal = _journal(settings)
    board = open_board(settings, redis)
    try:
        digest, chart = await build_digest(journal, start, end, settings.handoff_timezone, settings.project_root)
        return f"{board.name}: {await board.post_digest(digest, chart)}"
    finally:
        await redis.close()


def _run(command: str, work: Coroutine[Any, Any, str]) -> int:
    try:
        print(asyncio.run(work))
    except ValueError as error:
        print(f"bot {command}: {error}", file=sys.stderr)
        return 2
    except (RedisError, DeliveryError) as error:
        print(f"bot {command}: {error}", file=sys.stderr)
        return 1
    return 0


def run_report(settings: Settings, args: argparse.Namespace) -> int:
    """``bot report``: write the digest of a period as an HTML page and print its path."""
    return _run("report", _report(settings, args))


def run_digest(settings: Settings, args: argparse.Namespace, open_board: BoardOpener) -> int:
    """``bot digest``: post the digest of a period now on the board ``open_board`` chooses (bot/boards/)."""
    return _run("digest", _digest(settings, args, open_board))
