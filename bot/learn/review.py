"""The review file: what ``bot learn mine`` proposes and a bot trainer edits before ``bot learn apply``.

It is plain YAML so that it reads well in any editor and diffs well in a pull request::

    candidates:            # proposed new intents, one per cluster of unhandled messages
    - id: c01
      action: pending      # pending | accept | reject | merge   (rename: edit `name`)
      name: gift_card      # the intent's name if accepted
      merge_into: null     # with action: merge, another candidate's id or an existing intent's name
      size: 42
      keywords: [carte, cadeau, gift, card]
      closest_intent: ask_payment
      closest_similarity: 0.31
      examples: {fr: [...], en: [...]}
      response: {fr: "...", en: "..."}   # draft from the managers' answers; edit before accepting
    additions:             # unhandled messages that belong to an existing intent
    - intent: order_status
      action: pending      # pending | accept | reject
      examples: {fr: [...], en: [...]}
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

ACTIONS = ("pending", "accept", "reject", "merge")
LANGUAGES = ("fr", "en")


def _by_language(value: Any) -> dict[str, list[str]]:
    value = value or {}
    return {lang: [str(x) for x in (value.get(lang) or [])] for lang in LANGUAGES}


@dataclass
class Candidate:
    """A proposed new intent: a cluster of messages the bot did not handle."""

    id: str
    name: str
    size: int
    examples: dict[str, list[str]]
    action: str = "pending"
    merge_into: str | None = None
    keywords: list[str] = field(default_factory=list)
    closest_intent: str = ""
    closest_similarity: float = 0.0
    response: dict[str, str] = field(default_factory=lambda: {lang: "" for lang in LANGUAGES})


@dataclass
class Addition:
    """Unhandled messages proposed as new examples of an intent the bot already has."""

    intent: str
    examples: dict[str, list[str]]
    action: str = "pending"


@dataclass
class Review:
    """Everything one mining run proposes."""

    source: str
    conversations: int
    messages: int
    unhandled: int
    candidates: list[Candidate] = field(default_factory=list)
    additions: list[Addition] = field(default_factory=list)


def dump(review: Review, path: Path) -> None:
    """Write the review file (UTF-8, accents kept readable)."""
    header = (
        "# Passerelle learning review. For each candidate set action to accept, reject or merge (with merge_into),\n"
        "# rename it by editing name, edit examples and the fr/en response; then: bot learn apply <this file>\n"
    )
    body = yaml.safe_dump(asdict(review), allow_unicode=True, sort_keys=False, width=120)
    path.write_text(header + body, encoding="utf-8")


def load(path: Path) -> Review:
    """Read a review file, checking what a trainer may have mistyped."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    candidates = []
    for raw in data.get("candidates") or []:
        candidate = Candidate(
            id=str(raw["id"]),
            name=str(raw["name"]),
            size=int(raw.get("size") or 0),
            examples=_by_language(raw.get("examples")),
            action=str(raw.get("action") or "pending"),
            merge_into=raw.get("merge_into"),
            keywords=[str(k) for k in raw.get("keywords") or []],
            closest_intent=str(raw.get("closest_intent") or ""),
            closest_similarity=float(raw.get("closest_similarity") or 0.0),
            response={lang: str((raw.get("response") or {}).get(lang) or "") for lang in LANGUAGES},
        )
        if candidate.action not in ACTIONS:
            raise ValueError(f"candidate {candidate.id}: action must be one of {', '.join(ACTIONS)}")
        if candidate.action == "merge" and not candidate.merge_into:
            raise ValueError(f"candidate {candidate.id}: action merge needs merge_into")
        candidates.append(candidate)
    additions = []
    for raw in data.get("additions") or []:
        addition = Addition(
            intent=str(raw["intent"]), examples=_by_language(raw.get("examples")), action=str(raw.get("action"))
        )
        if addition.action not in ("pending", "accept", "reject"):
            raise ValueError(f"addition to {addition.intent}: action must be pending, accept or reject")
        additions.append(addition)
    return Review(
        source=str(data.get("source") or ""),
        conversations=int(data.get("conversations") or 0),
        messages=int(data.get("messages") or 0),
        unhandled=int(data.get("unhandled") or 0),
        candidates=candidates,
        additions=additions,
    )
