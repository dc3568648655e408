"""Choosing the out-of-scope gate's threshold on a validation split, never on a test split.

Why a choice per data set: the gate's score (bot/nlp/out_of_scope_gate.py) depends on how many examples each intent
has and how alike they are, so a threshold chosen on CLINC150 (100 examples per intent) is not the demo's (20 to 40
per intent and language). The rule is the same everywhere: the threshold with the best in-scope accuracy plus
out-of-scope recall that costs at most ``MAX_IN_SCOPE_LOSS`` points of in-scope accuracy.

- CLINC150 (``bot/bench/clinc150.py``): chosen on its validation split, reported on its test split.
- The project (``bot calibrate``): 5-fold cross-validation of ``data/nlu``, the ``out_of_scope`` examples as the
  out-of-scope side; the held-out split (tests/nlu) and SNIPS-fr are never looked at. Its figure goes in config.yml.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml

from bot.learn.nlu_model import nlu_yaml, parse_all, train_nlu
from bot.nlp.out_of_scope_gate import GATE_KEY

MAX_IN_SCOPE_LOSS = 1.5
NOT_ANSWERED = ("out_of_scope", "oos", "nlu_fallback")


def rejected(parse: dict[str, Any], threshold: float) -> bool:
    """Whether a parse made with the gate open would end out of scope or in a fallback at ``threshold``."""
    if parse["intent"]["name"] in NOT_ANSWERED:
        return True
    return float(parse.get(GATE_KEY, {}).get("score", float("inf"))) < threshold


def choose_threshold(
    in_scope: list[tuple[str, dict[str, Any]]], out_of_scope: list[dict[str, Any]], max_loss: float = MAX_IN_SCOPE_LOSS
) -> dict[str, float]:
    """The threshold with the best in-scope accuracy + out-of-scope recall, costing at most ``max_loss`` points.

    From (gold, parse) pairs of in-scope queries and parses of out-of-scope ones, all made with the gate open.
    """

    def figures(threshold: float) -> tuple[float, float]:
        accuracy = sum(p["intent"]["name"] == gold and not rejected(p, threshold) for gold, p in in_scope)
        recall = sum(rejected(p, threshold) for p in out_of_scope)
        return 100 * accuracy / len(in_scope), 100 * recall / len(out_of_scope)

    open_accuracy, _ = figures(float("-inf"))
    scores = sorted({float(p.get(GATE_KEY, {}).get("score", 0.0)) for _, p in in_scope} | {0.0})
    candidates = [(t, *figures(t)) for t in scores[:: max(1, len(scores) // 400)]]
    allowed = [c for c in candidates if c[1] >= open_accuracy - max_loss]
    threshold, accuracy, recall = max(allowed, key=lambda c: c[1] + c[2])
    return {"threshold": round(threshold, 4), "in_scope_accuracy": round(accuracy, 2), "oos_recall": round(recall, 2)}


def open_gate(config: dict[str, Any]) -> dict[str, Any]:
    """``config`` with its gate scoring every message but rejecting none, and no dialogue policies.

    Every threshold can then be tried on one set of predictions.
    """
    pipeline = [{**c, GATE_KEY: {**c[GATE_KEY], "threshold": None}} if GATE_KEY in c else c for c in config["pipeline"]]
    return {**config, "pipeline": pipeline, "policies": []}


def calibrate_project(project: Path, folds: int = 5, out_of_scope: str = "out_of_scope") -> dict[str, float]:
    """The project's threshold, chosen by ``folds``-fold cross-validation of its NLU examples (gate open)."""
    from bot.learn.mining import training_examples

    by_intent: dict[str, list[str]] = defaultdict(list)
    for example in training_examples(project):
        by_intent[example.intent].append(example.text)
    fold_of = {(intent, i): i % folds for intent, texts in by_intent.items() for i in range(len(texts))}
    config = open_gate(yaml.safe_load((project / "config.yml").read_text(encoding="utf-8")))
    in_scope: list[tuple[str, dict[str, Any]]] = []
    rejected_side: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="calibrate-") as scratch:
        folder = Path(scratch)
        (folder / "config.yml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
        for fold in range(folds):
            train = [[t, k] for k, texts in by_intent.items() for i, t in enumerate(texts) if fold_of[k, i] != fold]
            held = [(t, k) for k, texts in by_intent.items() for i, t in enumerate(texts) if fold_of[k, i] == fold]
            data = folder / f"fold{fold}"
            data.mkdir()
            (data / "nlu.yml").write_text(nlu_yaml(train), encoding="utf-8")
            shutil.copy(project / "data" / "nlu" / "entities.yml", data / "entities.yml")
            model, _ = train_nlu(folder / "config.yml", data, folder / f"model{fold}")
            for (_, intent), parse in zip(held, asyncio.run(parse_all(model, [t for t, _ in held])), strict=True):
                if intent == out_of_scope:
                    rejected_side.append(parse)
                else:
                    in_scope.append((intent, parse))
    return choose_threshold(in_scope, rejected_side)
