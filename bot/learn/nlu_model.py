"""An NLU-only model trained from scratch on given examples, and its parses in process.

What the gate's calibration (bot/learn/calibration.py) and the NLU benchmarks (bot/bench/) score: a model of the
project's pipeline trained on a split of the data, never the served one.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml

from bot.learn.model import rasa_command_env


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


def train_nlu(config: Path, data: Path, out: Path) -> tuple[Path, float]:
    """``rasa train nlu`` from scratch; the model archive and the seconds it took."""
    env = rasa_command_env(RASA_CACHE_DIRECTORY=str(out / "cache"))
    command = [sys.executable, "-m", "rasa", "train", "nlu", "--config", str(config), "--nlu", str(data)]
    started = time.monotonic()
    result = subprocess.run(
        [*command, "--out", str(out), "--fixed-model-name", "nlu"], env=env, check=False, capture_output=True
    )
    if result.returncode != 0:
        raise RuntimeError(f"rasa train nlu failed: {result.stderr.decode(errors='replace')[-2000:]}")
    return out / "nlu.tar.gz", time.monotonic() - started


async def parse_all(model: Path, texts: list[str]) -> list[dict[str, Any]]:
    """Rasa's parse of each text by the model, in process, without a log line per parse."""
    from rasa.core.agent import Agent
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    configure_logging_and_warnings(logging.ERROR)
    configure_structlog(logging.ERROR)  # else every parse is logged
    agent = Agent.load(str(model))
    return [await agent.parse_message(text) for text in texts]
