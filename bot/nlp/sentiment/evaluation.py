"""Scores ``bot.nlp.sentiment.scoring`` on a labelled file: accuracy, macro-F1 and confusion matrix per language.

Files are ``language<TAB>label<TAB>text`` lines, ``#`` comment lines allowed (``data/sentiment_dev.tsv``, which the
lexicon is tuned on, and ``data/sentiment_heldout.tsv``, which it is not). Each language is compared with the
trivial baseline that answers ``neutral`` to everything, the most frequent label.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.nlp.sentiment.lexicon import HERE
from bot.nlp.sentiment.scoring import score

LABELS = ("negative", "neutral", "positive")
BASELINE = "neutral"
DEV = HERE / "data" / "sentiment_dev.tsv"
HELDOUT = HERE / "data" / "sentiment_heldout.tsv"
# Written afterwards by an engineer who never read the lexicons: the fairer estimate (bench: sentiment_blind_*).
BLIND = HELDOUT.with_name("sentiment_blind.tsv")


@dataclass(frozen=True)
class Example:
    """One labelled message."""

    language: str
    label: str
    text: str


def load_examples(path: Path) -> list[Example]:
    """The examples of a ``language<TAB>label<TAB>text`` file."""
    examples = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) != 3 or fields[1] not in LABELS:
            raise ValueError(f"{path}:{number}: expected language<TAB>label<TAB>text with a label in {LABELS}")
        examples.append(Example(*fields))
    return examples


def _macro_f1(pairs: list[tuple[str, str]]) -> float:
    """Mean F1 over the three labels of (gold, predicted) pairs; a label never predicted nor expected scores 0."""
    total = 0.0
    for label in LABELS:
        hits = sum(1 for gold, predicted in pairs if gold == predicted == label)
        predicted = sum(1 for _, p in pairs if p == label)
        expected = sum(1 for g, _ in pairs if g == label)
        total += 2 * hits / (predicted + expected) if predicted + expected else 0.0
    return total / len(LABELS)


def evaluate(path: Path) -> dict[str, Any]:
    """Per language: message count, accuracy, macro-F1, the always-neutral baseline's, and the confusion matrix.

    The confusion matrix maps each expected label to the counts of predicted labels.
    """
    by_language: dict[str, list[tuple[str, str]]] = {}
    for example in load_examples(path):
        predicted = score(example.text, example.language).label
        by_language.setdefault(example.language, []).append((example.label, predicted))
    report: dict[str, Any] = {}
    for language, pairs in by_language.items():
        counts = Counter(pairs)
        baseline = [(gold, BASELINE) for gold, _ in pairs]
        report[language] = {
            "messages": len(pairs),
            "accuracy": round(sum(gold == predicted for gold, predicted in pairs) / len(pairs), 4),
            "macro_f1": round(_macro_f1(pairs), 4),
            "baseline_accuracy": round(sum(gold == BASELINE for gold, _ in pairs) / len(pairs), 4),
            "baseline_macro_f1": round(_macro_f1(baseline), 4),
            "confusion": {gold: {p: counts[gold, p] for p in LABELS} for gold in LABELS},
        }
    return report


def format_report(report: dict[str, Any]) -> str:
    """The report as text: one block per language, the confusion matrix with expected labels as rows."""
    lines = []
    for language, figures in report.items():
        lines.append(
            f"{language}: {figures['messages']} messages, accuracy {figures['accuracy']:.3f}, "
            f"macro-F1 {figures['macro_f1']:.3f} (always neutral: accuracy {figures['baseline_accuracy']:.3f}, "
            f"macro-F1 {figures['baseline_macro_f1']:.3f})"
        )
        lines.append("  expected \\ predicted " + "".join(f"{label:>10}" for label in LABELS))
        for gold, row in figures["confusion"].items():
            lines.append(f"  {gold:<21}" + "".join(f"{row[label]:>10}" for label in LABELS))
    return "\n".join(lines)
