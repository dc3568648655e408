"""The project's NLU pipeline on CLINC150 (Larson et al., EMNLP 2019), scored as the paper scores it.

The paper's "oos-train" setting: the 100 out-of-scope training queries are a 151st intent, ``oos``. In-scope accuracy is
over the 4,500 in-scope test queries (predicting ``oos`` or a fallback there is wrong); out-of-scope recall is the share
of the 1,000 out-of-scope test queries predicted ``oos`` or falling back (``nlu_fallback``). The pipeline is
``config.yml``'s, trained on NLU data only, its out-of-scope gate answering ``oos``.

The model is trained once on the train split with its out-of-scope gate open (scoring, not deciding); the gate's
threshold is chosen on the validation split (``choose_threshold``), and the test split is scored at that threshold.
The test split never chooses anything.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from bot.learn.calibration import choose_threshold, open_gate, rejected
from bot.learn.nlu_model import nlu_yaml, parse_all, train_nlu
from bot.nlp.out_of_scope_gate import GATE_KEY

OOS = "oos"
PAPER = {"Rasa (paper, 2019)": (91.5, 45.3), "BERT (paper, 2019)": (96.9, 40.3)}


def nlu_config(project_config: Path, opened: bool = False) -> str:
    """The project's NLU pipeline alone (no dialogue policies), its gate answering ``oos``.

    ``opened``: the gate scores every message but rejects none, so that every threshold can be tried on one set
    of predictions.
    """
    config = yaml.safe_load(project_config.read_text(encoding="utf-8"))
    if opened:
        config = open_gate(config)
    config["policies"] = []
    config["assistant_id"] = "clinc150"
    for component in config["pipeline"]:
        if GATE_KEY in component:
            component[GATE_KEY] = {**component[GATE_KEY], "intent": OOS}
    return str(yaml.safe_dump(config, sort_keys=False))


def score(in_scope: list[tuple[str, str]], out_of_scope: list[str]) -> dict[str, float]:
    """In-scope accuracy from (gold, predicted) pairs; out-of-scope recall from the predictions on oos queries."""
    accuracy = sum(gold == predicted for gold, predicted in in_scope) / len(in_scope)
    recall = sum(predicted in (OOS, "nlu_fallback") for predicted in out_of_scope) / len(out_of_scope)
    return {"clinc150_in_scope_accuracy": round(100 * accuracy, 2), "clinc150_oos_recall": round(100 * recall, 2)}


def _train_and_parse(
    data: dict[str, Any], project_config: Path, splits: tuple[str, ...]
) -> tuple[dict[str, list[dict[str, Any]]], float, float]:
    """Train on the train split (with its oos queries), gate open, then parse each split and its oos queries.

    Returns the parses of each split (in-scope first, then out-of-scope), the training seconds and the parse
    milliseconds per query.
    """
    with tempfile.TemporaryDirectory(prefix="clinc150-") as scratch:
        folder = Path(scratch)
        (folder / "nlu.yml").write_text(nlu_yaml(data["train"] + data["oos_train"]), encoding="utf-8")
        (folder / "config.yml").write_text(nlu_config(project_config, opened=True), encoding="utf-8")
        model, seconds = train_nlu(folder / "config.yml", folder / "nlu.yml", folder)
        texts = {split: [text for text, _ in data[split] + data[f"oos_{split}"]] for split in splits}
        started = time.monotonic()
        parses = asyncio.run(parse_all(model, [t for split in splits for t in texts[split]]))
        parse_ms = 1000 * (time.monotonic() - started) / len(parses)
    by_split, start = {}, 0
    for split in splits:
        by_split[split], start = parses[start : start + len(texts[split])], start + len(texts[split])
    return by_split, seconds, parse_ms


def _split(data: dict[str, Any], split: str, parses: list[dict[str, Any]]) -> tuple[list[Any], list[Any]]:
    """(gold, parse) pairs of the split's in-scope queries, and the parses of its out-of-scope ones."""
    count = len(data[split])
    return [(gold, p) for (_, gold), p in zip(data[split], parses, strict=False)], parses[count:]


def run(data_full: Path, project_config: Path) -> dict[str, Any]:
    """Train the project's pipeline on the train split, choose the gate's threshold on val, score test.

    The threshold is CLINC150's own (its validation split), as the demo's is the demo's (``bot calibrate``).
    """
    data = json.loads(data_full.read_text(encoding="utf-8"))
    parses, seconds, parse_ms = _train_and_parse(data, project_config, ("val", "test"))
    chosen = choose_threshold(*_split(data, "val", parses["val"]))
    in_scope, out_of_scope = _split(data, "test", parses["test"])

    def final(parse: dict[str, Any]) -> str:
        return OOS if rejected(parse, chosen["threshold"]) else str(parse["intent"]["name"])

    results = score([(gold, final(p)) for gold, p in in_scope], [final(p) for p in out_of_scope])
    results["clinc150_gate_threshold"] = chosen["threshold"]
    results["clinc150_val_in_scope_accuracy"] = chosen["in_scope_accuracy"]
    results["clinc150_val_oos_recall"] = chosen["oos_recall"]
    results["clinc150_train_seconds"] = round(seconds, 1)
    results["clinc150_parse_ms_mean"] = round(parse_ms, 2)
    return results


def table(results: dict[str, Any]) -> str:
    """The project's figures beside the paper's Table 2 (full data set, oos-train)."""
    rows = [("Passerelle pipeline", results["clinc150_in_scope_accuracy"], results["clinc150_oos_recall"])]
    if "previous_clinc150_in_scope_accuracy" in results:
        previous = (results["previous_clinc150_in_scope_accuracy"], results["previous_clinc150_oos_recall"])
        rows.append(("previous (TF-IDF only)", *previous))
    rows += [(name, a, r) for name, (a, r) in PAPER.items()]
    lines = [f"{'CLINC150 (full)':24}{'in-scope acc.':>15}{'oos recall':>12}"]
    lines += [f"{name:24}{accuracy:15.1f}{recall:12.1f}" for name, accuracy, recall in rows]
    return "\n".join(lines)
