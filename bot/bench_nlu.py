"""Figures of the language understanding that `make bench` reports beside the latencies.

- Off-topic French (SNIPS-fr: music, weather, cinema, restaurants; another domain's test set, never trained on):
  the share that ends as ``out_of_scope`` or ``nlu_fallback``, and the share that would open a ticket by itself.
- Cross-lingual transfer: the NLU trained on ``data/nlu/fr`` alone, scored on the English held-out split, with and
  without the sentence encoder (the previous, lexical model).
- Bad input: empty text, emoji only, 5,000 characters, URLs, mixed scripts, code: each parsed, slowest time.
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

from bot.clinc150 import train_nlu
from bot.learn.evaluate import Example, load_examples
from bot.rasa_client import RasaClient

NOT_ANSWERED = ("out_of_scope", "nlu_fallback")
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


async def _accuracy(model: Path, examples: list[Example]) -> float:
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    predicted = [str((await agent.parse_message(e.text))["intent"]["name"]) for e in examples]
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
