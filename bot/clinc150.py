"""The project's NLU pipeline on CLINC150 (Larson et al., EMNLP 2019), scored as the paper scores it.

The paper's "oos-train" setting: the 100 out-of-scope training queries are a 151st intent, ``oos``. In-scope accuracy is
over the 4,500 in-scope test queries (predicting ``oos`` or a fallback there is wrong); out-of-scope recall is the share
of the 1,000 out-of-scope test queries predicted ``oos`` or falling back (``nlu_fallback``). The pipeline is
``config.yml``'s, trained on NLU data only.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml

OOS = "oos"
PAPER = {"Rasa (paper, 2019)": (91.5, 45.3), "BERT (paper, 2019)": (96.9, 40.3)}


def nlu_yaml(queries: list[list[str]]) -> str:
    """Rasa NLU training data from ``[text, intent]`` pairs, one block per intent."""
    by_intent: dict[str, list[str]] = defaultdict(list)
    for text, intent in queries:
        by_intent[intent].append(text)
    blocks = [
        {"intent": intent, "examples": "".join(f"- {text}\n" for text in texts)}
        for intent, texts in sorted(by_intent.items())
    ]
    return str(yaml.safe_dump({"version": "3.1", "nlu": blocks}, allow_unicode=True, sort_keys=False, width=1000))


def nlu_config(project_config: Path) -> str:
    """The project's NLU pipeline alone (no dialogue policies), for a data set without stories."""
    config = yaml.safe_load(project_config.read_text(encoding="utf-8"))
    config["policies"] = []
    config["assistant_id"] = "clinc150"
    return str(yaml.safe_dump(config, sort_keys=False))


def score(in_scope: list[tuple[str, str]], out_of_scope: list[str]) -> dict[str, float]:
    """In-scope accuracy from (gold, predicted) pairs; out-of-scope recall from the predictions on oos queries."""
    accuracy = sum(gold == predicted for gold, predicted in in_scope) / len(in_scope)
    recall = sum(predicted in (OOS, "nlu_fallback") for predicted in out_of_scope) / len(out_of_scope)
    return {"clinc150_in_scope_accuracy": round(100 * accuracy, 2), "clinc150_oos_recall": round(100 * recall, 2)}


def train_nlu(config: Path, data: Path, out: Path) -> tuple[Path, float]:
    """``rasa train nlu`` from scratch; the model archive and the seconds it took."""
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "RASA_CACHE_DIRECTORY": str(out / "cache")}
    command = [sys.executable, "-m", "rasa", "train", "nlu", "--config", str(config), "--nlu", str(data)]
    started = time.monotonic()
    result = subprocess.run(
        [*command, "--out", str(out), "--fixed-model-name", "clinc150"], env=env, check=False, capture_output=True
    )
    if result.returncode != 0:
        raise RuntimeError(f"rasa train nlu failed: {result.stderr.decode(errors='replace')[-2000:]}")
    return out / "clinc150.tar.gz", time.monotonic() - started


async def _predict_all(model: Path, texts: list[str]) -> list[str]:
    from rasa.core.agent import Agent
    from rasa.utils.common import configure_logging_and_warnings

    configure_logging_and_warnings(logging.ERROR)
    agent = Agent.load(str(model))
    return [str((await agent.parse_message(text))["intent"]["name"]) for text in texts]


def run(data_full: Path, project_config: Path) -> dict[str, Any]:
    """Train the project's pipeline on CLINC150's train split and score it on the test split."""
    data = json.loads(data_full.read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory(prefix="clinc150-") as scratch:
        folder = Path(scratch)
        (folder / "nlu.yml").write_text(nlu_yaml(data["train"] + data["oos_train"]), encoding="utf-8")
        (folder / "config.yml").write_text(nlu_config(project_config), encoding="utf-8")
        model, seconds = train_nlu(folder / "config.yml", folder / "nlu.yml", folder)
        texts = [text for text, _ in data["test"]] + [text for text, _ in data["oos_test"]]
        started = time.monotonic()
        predicted = asyncio.run(_predict_all(model, texts))
        parse_seconds = time.monotonic() - started
    in_scope = [(gold, p) for (_, gold), p in zip(data["test"], predicted, strict=False)]
    results = score(in_scope, predicted[len(data["test"]) :])
    results["clinc150_train_seconds"] = round(seconds, 1)
    results["clinc150_parse_ms_mean"] = round(1000 * parse_seconds / len(texts), 2)
    return results


def table(results: dict[str, Any]) -> str:
    """The project's figures beside the paper's Table 2 (full data set, oos-train)."""
    rows = [("Passerelle pipeline", results["clinc150_in_scope_accuracy"], results["clinc150_oos_recall"])]
    rows += [(name, a, r) for name, (a, r) in PAPER.items()]
    lines = [f"{'CLINC150 (full)':24}{'in-scope acc.':>15}{'oos recall':>12}"]
    lines += [f"{name:24}{accuracy:15.1f}{recall:12.1f}" for name, accuracy, recall in rows]
    return "\n".join(lines)
