"""The gateway's insights loop: every ``INSIGHTS_CHECK_SECONDS``, the e-reputation alert and the digest, if due."""

from __future__ import annotations

import asyncio
import logging

from bot.config import Settings
from bot.insights.alerts import ReputationWatch
from bot.insights.digest.job import DigestBoard, post_due_digest

log = logging.getLogger(__name__)


async def watch_insights(watch: ReputationWatch, board: DigestBoard, settings: Settings) -> None:
    """Check for an alert, then for a due digest, forever; a failure is logged and tried at the next round."""
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
