"""Figures of the language understanding that `make bench` reports beside the latencies.

- Off-topic French (SNIPS-fr: music, weather, cinema, restaurants; another domain's test set, never trained on):
  the share that ends as ``out_of_scope`` or ``nlu_fallback``, and the share that would open a ticket by itself.
- Cross-lingual transfer: the NLU trained on ``data/nlu/fr`` alone, scored on the English held-out split, with and
  without the sentence encoder (the previous, lexical model).
- Bad input: empty text, emoji only, 5,000 characters, URLs, mixed scripts, code: each parsed, slowest time.
- The previous model (TF-IDF only, ``C: 3``, no encoder, so no gate) on the same held-out split and SNIPS-fr, and
  on CLINC150 (``previous_config``), so that each figure stands beside the one it replaces, measured in one run.
"""

from __future__ import annotations

import asyncio
import csv
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from bot.learn.calibration import NOT_ANSWERED
from bot.learn.evaluate import Example, load_examples
from bot.learn.nlu_model import parse_all, train_nlu
from bot.rasa_client import RasaClient

# Intents whose answer is a ticket for a person: an off-topic message must never get one.
TICKET_INTENTS = ("complaint", "request_human")
ENCODER = "bot.nlp.sentence_encoder.SentenceEncoderFeaturizer"
BAD_INPUT = {
    "empty": "",
    "spaces": "   \n\t ",
    "emoji": "😀😀🙏🔥",
    "long": "ma commande n'est pas arrivée " * 170,
    "url": "https://www.example.com/produit?id=48213&utm_source=instagram",
    "mixed scripts": "Привет 你好 bonjour مرحبا hello",
    "code": "def f(x):\n    return [i ** 2 for i in range(x)]  # SELECT * FROM orders;",
    "numbers": "48213 77120 60114",
}


def snips_texts(path: Path) -> list[str]:
    """The clean French utterances of the SNIPS-fr test file."""
    with path.open(encoding="utf-8", newline="") as handle:
        return [row["text_clean"] for row in csv.DictReader(handle)]


async def measure_off_topic(client: RasaClient, texts: list[str]) -> dict[str, Any]:
    """How the running bot's NLU ends off-topic messages."""
    intents = [str((await client.parse(text))["intent"]["name"]) for text in texts]
    return {
        "snips_fr_out_of_scope_share": round(sum(i in NOT_ANSWERED for i in intents) / len(intents), 4),
        "snips_fr_ticket_share": round(sum(i in TICKET_INTENTS for i in intents) / len(intents), 4),
    }


async def measure_bad_input(client: RasaClient, rounds: int = 5) -> dict[str, Any]:
    """Every bad input parses; the slowest parse over ``rounds`` tries of each, in milliseconds."""
    slowest = 0.0
    for _ in range(rounds):
        for text in BAD_INPUT.values():
            started = time.perf_counter()
            await client.parse(text)
            slowest = max(slowest, (time.perf_counter() - started) * 1000)
    return {"bad_input_parse_max_ms": round(slowest, 2)}


def _without_encoder(config: dict[str, Any]) -> dict[str, Any]:
    return {**config, "pipeline": [c for c in config["pipeline"] if c.get("name") != ENCODER]}


def previous_config(config: dict[str, Any]) -> dict[str, Any]:
    """The model this one replaced: no sentence encoder (hence no gate), the classifier's ``C`` at 3 as shipped."""
    pipeline = [
        {**c, "C": 3.0} if c.get("name", "").endswith("LinearIntentClassifier") else c
        for c in _without_encoder(config)["pipeline"]
    ]
    return {**config, "pipeline": pipeline, "policies": []}


def write_previous_config(project: Path, folder: Path) -> Path:
    """``previous_config`` of the project's config.yml, written to ``folder``."""
    config = yaml.safe_load((project / "config.yml").read_text(encoding="utf-8"))
    path = folder / "previous.yml"
    path.write_text(yaml.safe_dump(previous_config(config), sort_keys=False), encoding="utf-8")
    return path


async def _intents(model: Path, texts: list[str]) -> list[str]:
    return [str(parse["intent"]["name"]) for parse in await parse_all(model, texts)]


def measure_previous_model(project: Path, heldout: list[Path], snips_fr: Path | None) -> dict[str, Any]:
    """The previous model's held-out macro-F1 per language and SNIPS-fr share declined."""
    from bot.learn.evaluate import evaluate

    examples = [e for path in heldout for e in load_examples(path, path.stem.rsplit("_", 1)[-1])]
    with tempfile.TemporaryDirectory(prefix="previous-") as scratch:
        folder = Path(scratch)
        shutil.copytree(project / "data" / "nlu", folder / "nlu")
        model, _ = train_nlu(write_previous_config(project, folder), folder / "nlu", folder / "model")
        texts = [e.text for e in examples] + (snips_texts(snips_fr) if snips_fr else [])
        intents = asyncio.run(_intents(model, texts))
    predicted = dict(zip([e.text for e in examples], intents, strict=False))

    async def predict(text: str) -> str:
        return predicted[text]

    reports = asyncio.run(evaluate(examples, predict))
    figures: dict[str, Any] = {
        f"previous_heldout_macro_f1_{lang}": round(r.macro_f1, 4) for lang, r in reports.items() if lang != "all"
    }
    if snips_fr:
        off_topic = intents[len(examples) :]
        figures["previous_snips_fr_out_of_scope_share"] = round(
            sum(i in NOT_ANSWERED for i in off_topic) / len(off_topic), 4
        )
        figures["previous_snips_fr_ticket_share"] = round(
            sum(i in TICKET_INTENTS for i in off_topic) / len(off_topic), 4
        )
    return figures


async def _accuracy(model: Path, examples: list[Example]) -> float:
    predicted = await _intents(model, [e.text for e in examples])
    return sum(p == e.intent for p, e in zip(predicted, examples, strict=True)) / len(examples)


def measure_cross_lingual(project: Path, heldout_en: Path) -> dict[str, Any]:
    """English held-out accuracy of the NLU trained on the French examples only, with and without the encoder."""
    config = yaml.safe_load((project / "config.yml").read_text(encoding="utf-8"))
    config["policies"] = []
    examples = load_examples(heldout_en, "en")
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="crosslingual-") as scratch:
        folder = Path(scratch)
        shutil.copytree(project / "data" / "nlu" / "fr", folder / "nlu" / "fr")
        shutil.copy(project / "data" / "nlu" / "entities.yml", folder / "nlu" / "entities.yml")
        for name, variant in (("semantic", config), ("lexical", _without_encoder(config))):
            (folder / f"{name}.yml").write_text(yaml.safe_dump(variant, sort_keys=False), encoding="utf-8")
            model, _ = train_nlu(folder / f"{name}.yml", folder / "nlu", folder / name)
            figures[f"cross_lingual_en_accuracy_from_fr_{name}"] = round(asyncio.run(_accuracy(model, examples)), 4)
    return figures
