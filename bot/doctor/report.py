"""``bot doctor``: checks the settings and every service the bot talks to, and says what to fix.

One line per check, ``ok``, ``warning`` or ``error``, with what was found and, when something is wrong, the fix.
The exit code is 1 when any check is an error. Tokens never appear in the output. The checks of the services
(Rasa, actions, Redis, Slack, Telegram, Messenger) are in :mod:`bot.doctor.services`.
"""

from __future__ import annotations

import asyncio
import sys
from typing import TextIO

from bot.config import Settings
from bot.doctor.checks import Check
from bot.doctor.services import check_services
from bot.doctor.settings import check_settings
from bot.gateway.logs import secrets_of


async def run_checks(settings: Settings) -> list[Check]:
    """The settings checks, then the services' (in parallel)."""
    return [*check_settings(settings), *await check_services(settings)]


def report(checks: list[Check], out: TextIO, secrets: list[str]) -> int:
    """Print one line per check and a summary; 1 if any check is an error."""
    for check in checks:
        line = check.line()
        for secret in secrets:
            line = line.replace(secret, "[redacted]")
        print(line, file=out)
    errors = sum(c.status == "error" for c in checks)
    warnings = sum(c.status == "warning" for c in checks)
    print(f"{len(checks)} checks: {errors} error(s), {warnings} warning(s)", file=out)
    return 1 if errors else 0


def run(settings: Settings, out: TextIO = sys.stdout) -> int:
    """``bot doctor``."""
    return report(asyncio.run(run_checks(settings)), out, secrets_of(settings))
