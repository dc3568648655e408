"""The bot learns a topic from its own logs: customers ask about gift cards, `bot learn mine` finds them in the
Redis tracker store of the running bot, `bot learn apply --accept-all` adds the intent and retrains, and the new model
recognises gift-card questions it never saw without losing the intents it had."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from bot.conversation import Inbound
from bot.learn import review as review_file
from bot.learn.evaluate import Report, evaluate, load_examples
from bot.learn.model import TrainingInputs, model_path
from bot.local.stack import Stack
from bot.rasa_client import RasaClient
from tests.paths import ROOT
from tests.support.gift_cards import MINED, NOT_WHAT_I_ASKED, UNSEEN, WITHOUT_KEYWORDS

pytestmark = pytest.mark.stack
EMAIL = "lea.martin@example.fr"
TOLERANCE = 0.06
# Measured: the promoted intent takes 4 of the 16 (25%); the encoder puts a mined example nearest to 12 of them,
# but the classifier leans on the mined words. A floor a little under what it reaches, to catch it getting worse.
WITHOUT_KEYWORDS_SHARE = 0.2


def run_bot(*args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
    )


async def customers_ask_about_gift_cards(rasa: RasaClient) -> None:
    """Each customer asks once; when the bot answers beside the point, they say so, as customers do."""
    run = uuid.uuid4().hex[:6]
    for language, messages in MINED.items():
        for number, text in enumerate(messages):
            conversation = f"learn-{run}-{language}-{number}"
            if number == 0 and language == "fr":
                text = f"ma carte cadeau devait arriver sur {EMAIL}, je ne l'ai pas"
            await rasa.send(Inbound(conversation, "test", text, language_hint=language))
            tracker = await rasa.tracker(conversation)
            last = [e for e in tracker["events"] if e["event"] == "user"][-1]
            if last["parse_data"]["intent"]["name"] != "nlu_fallback":
                await rasa.send(Inbound(conversation, "test", NOT_WHAT_I_ASKED[language], language_hint=language))


async def scores(model: Path, texts: list[str]) -> tuple[list[str], dict[str, Report]]:
    """The model's intents for ``texts``, and its held-out reports per language."""
    from rasa.core.agent import Agent
    from rasa.utils.common import configure_logging_and_warnings

    level = os.environ.get("LOG_LEVEL")
    configure_logging_and_warnings(logging.WARNING)  # it also sets LOG_LEVEL for every later subprocess: undone below
    if level is None:
        os.environ.pop("LOG_LEVEL", None)
    else:
        os.environ["LOG_LEVEL"] = level
    agent = Agent.load(str(model))

    async def predict(text: str) -> str:
        return str((await agent.parse_message(text))["intent"]["name"])

    predicted = [await predict(text) for text in texts]
    heldout = [e for lang in ("fr", "en") for e in load_examples(ROOT / f"tests/nlu/heldout_{lang}.yml", lang)]
    return predicted, await evaluate(heldout, predict)


def gift_card_candidates(review: review_file.Review) -> list[Any]:
    """The candidates made mostly of the customers' gift-card messages."""
    mined = {t for texts in MINED.values() for t in texts}
    return [
        c for c in review.candidates if sum(t in mined for texts in c.examples.values() for t in texts) > c.size / 2
    ]


async def test_the_bot_learns_a_new_topic_from_its_logs(
    stack: Stack, rasa: RasaClient, model: Path, tmp_path: Path
) -> None:
    await customers_ask_about_gift_cards(rasa)

    # Mine the running bot's tracker store.
    review_path, report_path = tmp_path / "review.yml", tmp_path / "report.html"
    mined = run_bot(
        "learn", "mine", stack.redis_url, "--out", str(review_path), "--report", str(report_path), timeout=600
    )
    assert mined.returncode == 0, mined.stderr[-3000:]
    written = review_path.read_text(encoding="utf-8") + report_path.read_text(encoding="utf-8")
    assert EMAIL not in written, "personal data reached the review"
    review = review_file.load(review_path)
    found = gift_card_candidates(review)
    assert found, f"no gift-card candidate among {[(c.name, c.size) for c in review.candidates]}"
    covered = {t for c in found for texts in c.examples.values() for t in texts}
    for language in ("fr", "en"):
        share = sum(t in covered for t in MINED[language]) / len(MINED[language])
        assert share >= 0.7, f"only {share:.0%} of the {language} gift-card messages were proposed"

    # Apply everything to a copy of the project: validate, retrain, evaluate, promote.
    project = tmp_path / "project"
    for part in ("data", "tests/nlu"):
        shutil.copytree(ROOT / part, project / part)
    for name in ("domain.yml", "config.yml"):
        shutil.copy(ROOT / name, project / name)
    applied = run_bot("learn", "apply", str(review_path), "--accept-all", "--project", str(project), timeout=1500)
    assert applied.returncode == 0, applied.stdout[-3000:] + applied.stderr[-3000:]
    new_model = model_path(TrainingInputs.of_project(project), project / "models")
    assert new_model.exists(), "the promoted model is not the one the project's inputs select"

    # Gift-card questions nobody mined are recognised, even in words no mined message used; the intents the bot had
    # are as good as before.
    new_intents = {c.name for c in found}
    unseen = [t for texts in UNSEEN.values() for t in texts]
    reworded = [t for texts in WITHOUT_KEYWORDS.values() for t in texts]
    predicted, after = await scores(new_model, unseen + reworded)
    _, before = await scores(model, [])
    recognised = sum(p in new_intents for p in predicted[: len(unseen)]) / len(unseen)
    understood = sum(p in new_intents for p in predicted[len(unseen) :]) / len(reworded)
    print(f"gift cards recognised: {recognised:.0%} of the unseen, {understood:.0%} of those without keywords")
    for language in ("fr", "en"):
        changes = {i: (f1, after[language].f1_by_intent[i]) for i, f1 in before[language].f1_by_intent.items()}
        print(language, "F1 before -> after:", {i: f"{old:.2f} -> {new:.2f}" for i, (old, new) in changes.items()})
    assert recognised >= 0.8, list(zip(unseen, predicted[: len(unseen)], strict=True))
    assert understood >= WITHOUT_KEYWORDS_SHARE, list(zip(reworded, predicted[len(unseen) :], strict=True))
    for language in ("fr", "en"):
        for intent, f1 in before[language].f1_by_intent.items():
            assert after[language].f1_by_intent[intent] >= f1 - TOLERANCE, (language, intent)
