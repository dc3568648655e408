"""``bot learn mine``: logs in, a review file and an HTML report out.

Read conversations -> keep what the bot did not handle -> redact personal data -> cluster -> write.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

from tqdm import tqdm

from bot.config import Settings
from bot.learn import review as review_file
from bot.learn.evaluate import Example, load_examples
from bot.learn.mining_report import render
from bot.learn.pii import redact
from bot.learn.signals import Unhandled, summarize
from bot.learn.topics import propose


def training_examples(project: Path) -> list[Example]:
    """The project's NLU examples, both languages."""
    return [
        example
        for language in ("fr", "en")
        for path in sorted((project / "data" / "nlu" / language).glob("*.yml"))
        for example in load_examples(path, language)
    ]


def collect(trackers: Iterable[dict[str, Any]], threshold: float) -> tuple[int, int, list[Unhandled]]:
    """Conversations, customer messages and the redacted unhandled messages."""
    conversations = messages = 0
    found: list[Unhandled] = []
    for tracker in tqdm(trackers, desc="reading conversations", unit=" conv", file=sys.stderr, mininterval=1):
        summary = summarize(tracker, threshold)
        conversations += 1
        messages += summary.messages
        found.extend(
            replace(u, text=redact(u.text), answers=tuple(redact(a) for a in u.answers)) for u in summary.unhandled
        )
    return conversations, messages, found


def mine(
    trackers: Iterable[dict[str, Any]], source: str, project: Path, threshold: float = 0.6, min_cluster: int = 3
) -> tuple[review_file.Review, list[Unhandled]]:
    """The review a trainer will edit, and the unhandled messages behind it."""
    conversations, messages, unhandled = collect(trackers, threshold)
    print(f"clustering {len(unhandled)} unhandled messages ...", file=sys.stderr)
    proposed = propose(unhandled, training_examples(project), min_cluster)
    review = review_file.Review(
        source=source,
        conversations=conversations,
        messages=messages,
        unhandled=len(unhandled),
        candidates=proposed.candidates,
        additions=proposed.additions,
    )
    return review, unhandled


def run(settings: Settings, args: argparse.Namespace) -> int:
    """The ``bot learn mine`` command."""
    from bot.learn.trackers import open_source

    try:
        source, trackers = open_source(args.source, settings, args.ids)
    except ValueError as error:
        print(f"bot learn mine: {error}", file=sys.stderr)
        return 2
    review, unhandled = mine(trackers, source, settings.project_root, args.confidence, args.min_cluster)
    out, report = Path(args.out), Path(args.report)
    review_file.dump(review, out)
    report.write_text(render(review, unhandled), encoding="utf-8")
    print(
        f"{review.conversations} conversations, {review.messages} customer messages, {review.unhandled} unhandled: "
        f"{len(review.candidates)} candidate intents, {len(review.additions)} existing intents with new examples"
    )
    for candidate in review.candidates:
        print(f"  {candidate.id} {candidate.name:24} {candidate.size:6d}  {', '.join(candidate.keywords)}")
    print(f"review: {out} (edit it, then: bot learn apply {out})\nreport: {report}")
    return 0
