"""The doctor's checks of the comment desk.

Its policy file must read, name intents the model knows, and have a board whose buttons a manager can press.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.comments.policy import DEFAULT_POLICY, Policy, PolicyError, load_policy
from bot.config import Settings
from bot.doctor.checks import Check, error, ok, warning
from bot.learn.project import Paths, domain_intents


def _known_intents(root: Path) -> set[str] | None:
    """The intents domain.yml declares; None when it cannot be read (another check says so)."""
    try:
        return set(domain_intents(Paths(root)))
    except (OSError, yaml.YAMLError):
        return None


def _summary(policy: Policy) -> str:
    public = "public replies on" if policy.public_replies else "no public reply (off)"
    hiding = "spam hidden" if policy.hide_spam else "spam left visible (hiding off)"
    return f"{len(policy.rules)} rules, {public}, {hiding}"


def check_comment_desk(s: Settings) -> list[Check]:
    """The policy (``COMMENT_POLICY_FILE`` or the shipped one) and what its cards need."""
    if not s.messenger_page_token:
        return [ok("comment desk", "off (MESSENGER_PAGE_TOKEN empty)")]
    path = Path(s.comment_policy_file) if s.comment_policy_file else DEFAULT_POLICY
    try:
        policy = load_policy(path)
    except PolicyError as problem:
        return [
            error(
                "comment policy",
                f"{problem}; the shipped safe policy applies instead",
                "fix the file (bot/comments/policy.yml explains every key), or empty COMMENT_POLICY_FILE",
            )
        ]
    checks = [ok("comment policy", f"{path.name}: {_summary(policy)}")]
    known = _known_intents(s.project_root)
    named = {intent for rule in policy.rules for intent in rule.intents or ()}
    if known is not None and (unknown := sorted(named - known)):
        checks.append(
            warning(
                "comment policy intents",
                f"{', '.join(unknown)}: not intents of domain.yml, so their rules never match",
                "correct the names in the policy's `intents:` lists",
            )
        )
    if not s.slack_bot_token:
        checks.append(
            warning(
                "comment cards",
                "no Slack (SLACK_BOT_TOKEN empty): comments for a person are listed in the local console, without "
                "reply or hide buttons",
                "set up Slack (README, Slack handoff) to act on comments from their cards",
            )
        )
    return checks
