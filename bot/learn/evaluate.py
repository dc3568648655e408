"""Intent evaluation on a held-out split: per-intent F1 and macro-F1 for each language."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.rasa_client import FALLBACK_INTENT

# [48213](order_id) or [x@y.fr]{"entity": "email"} -> the visible text.
_ANNOTATION = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")


@dataclass(frozen=True)
class Example:
    """One labelled message."""

    text: str
    intent: str
    language: str


def strip_annotations(text: str) -> str:
    """Remove Rasa entity markup, keeping the words."""
    return _ANNOTATION.sub(r"\1", text)


def load_examples(path: Path, language: str) -> list[Example]:
    """Read a Rasa 3 NLU YAML file into examples."""
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    examples: list[Example] = []
    for block in document.get("nlu") or []:
        if "intent" not in block:
            continue
        for line in str(block.get("examples", "")).splitlines():
            line = line.strip()
            if line.startswith("- "):
                examples.append(Example(strip_annotations(line[2:].strip()), block["intent"], language))
    return examples


@dataclass(frozen=True)
class Report:
    """Scores of one evaluation."""

    f1_by_intent: dict[str, float]
    macro_f1: float
    accuracy: float
    fallback_rate: float
    count: int


def score(gold: list[str], predicted: list[str]) -> Report:
    """F1 per gold intent (a fallback counts as a miss), macro-F1 over them, accuracy."""
    true_pos: Counter[str] = Counter()
    pred_count: Counter[str] = Counter(predicted)
    gold_count: Counter[str] = Counter(gold)
    for g, p in zip(gold, predicted, strict=True):
        if g == p:
            true_pos[g] += 1
    f1: dict[str, float] = {}
    for intent in sorted(gold_count):
        precision = true_pos[intent] / pred_count[intent] if pred_count[intent] else 0.0
        recall = true_pos[intent] / gold_count[intent]
        f1[intent] = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    total = len(gold)
    return Report(
        f1_by_intent=f1,
        macro_f1=sum(f1.values()) / len(f1) if f1 else 0.0,
        accuracy=sum(true_pos.values()) / total if total else 0.0,
        fallback_rate=pred_count[FALLBACK_INTENT] / total if total else 0.0,
        count=total,
    )


async def evaluate(examples: Iterable[Example], predict: Callable[[str], Awaitable[str]]) -> dict[str, Report]:
    """Score ``predict`` (text -> intent name) on the examples, per language and overall (key ``all``)."""
    by_language: dict[str, tuple[list[str], list[str]]] = {}
    for example in examples:
        gold, predicted = by_language.setdefault(example.language, ([], []))
        gold.append(example.intent)
        predicted.append(await predict(example.text))
    reports = {language: score(g, p) for language, (g, p) in by_language.items()}
    all_gold = [i for g, _ in by_language.values() for i in g]
    all_pred = [i for _, p in by_language.values() for i in p]
    reports["all"] = score(all_gold, all_pred)
    return reports


def format_reports(reports: dict[str, Report]) -> str:
    """A table of per-intent F1 by language, then macro-F1, accuracy and fallback rate."""
    languages = [lang for lang in reports if lang != "all"] + ["all"]
    intents = sorted({i for r in reports.values() for i in r.f1_by_intent})
    lines = ["intent".ljust(22) + "".join(lang.rjust(8) for lang in languages)]
    for intent in intents:
        cells = "".join(f"{reports[lang].f1_by_intent.get(intent, float('nan')):8.3f}" for lang in languages)
        lines.append(intent.ljust(22) + cells)
    for label, attr in (
        ("macro-F1", "macro_f1"),
        ("accuracy", "accuracy"),
        ("fallback rate", "fallback_rate"),
    ):
        lines.append(label.ljust(22) + "".join(f"{getattr(reports[lang], attr):8.3f}" for lang in languages))
    lines.append("examples".ljust(22) + "".join(f"{reports[lang].count:8d}" for lang in languages))
    return "\n".join(lines)
