"""Checks on the training data and the domain that later measurements rely on."""

import re
from collections import Counter

import pytest
import yaml

from bot.learn.evaluate import load_examples
from tests.paths import HELDOUT, LANGUAGES, NLU_DIR, REQUIRED_INTENTS, ROOT

DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))


def training_examples(language: str) -> list:
    return [e for path in sorted((NLU_DIR / language).glob("*.yml")) for e in load_examples(path, language)]


def fold(text: str) -> str:
    return re.sub(r"\s+", " ", text.lower()).strip()


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_required_intent_has_25_examples_per_language(language: str) -> None:
    counts = Counter(e.intent for e in training_examples(language))
    short = {i: counts[i] for i in REQUIRED_INTENTS if counts[i] < 25}
    assert not short, f"intents with fewer than 25 {language} examples: {short}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_held_out_split_is_never_trained_on(language: str) -> None:
    trained = {fold(e.text) for lang in LANGUAGES for e in training_examples(lang)}
    held_out = load_examples(HELDOUT[language], language)
    assert {e.intent for e in held_out} >= set(REQUIRED_INTENTS)
    leaked = [e.text for e in held_out if fold(e.text) in trained]
    assert not leaked


def test_no_training_example_has_two_intents() -> None:
    seen: dict[str, str] = {}
    clashes = []
    for language in LANGUAGES:
        for e in training_examples(language):
            key = fold(e.text)
            if seen.setdefault(key, e.intent) != e.intent:
                clashes.append((e.text, seen[key], e.intent))
    assert not clashes


def test_domain_declares_every_required_intent() -> None:
    assert set(REQUIRED_INTENTS) <= set(DOMAIN["intents"])


@pytest.mark.parametrize("name", sorted(DOMAIN["responses"]))
def test_every_response_exists_in_both_languages_and_nothing_else(name: str) -> None:
    languages = []
    for variation in DOMAIN["responses"][name]:
        conditions = variation.get("condition") or []
        language = [c["value"] for c in conditions if c.get("name") == "language"]
        assert len(language) == 1, f"{name}: a variation without a language condition"
        assert variation.get("text"), f"{name}: empty text"
        languages.append(language[0])
    assert sorted(languages) == sorted(LANGUAGES), f"{name} has variations for {languages}"


def test_buttons_have_the_same_payloads_in_both_languages() -> None:
    for name, variations in DOMAIN["responses"].items():
        payloads = {tuple(b["payload"] for b in v.get("buttons") or []) for v in variations}
        assert len(payloads) == 1, name


def test_every_response_the_actions_use_is_in_the_domain() -> None:
    used = set()
    for path in (ROOT / "actions").glob("*.py"):
        used |= set(re.findall(r'response="(utter_\w+)"', path.read_text(encoding="utf-8")))
    # action_order_status answers with utter_order_<status> for every status the back office uses.
    used |= {f"utter_order_{s}" for s in ("processing", "shipped", "delivered", "cancelled", "returned")}
    assert used - set(DOMAIN["responses"]) == set()
