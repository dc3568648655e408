import pytest

from bot.learn.evaluate import load_examples
from bot.nlp.language import detect_language, normalize_language
from tests.paths import HELDOUT


@pytest.mark.parametrize("language", ["fr", "en"])
def test_detects_the_language_of_held_out_customer_messages(language: str) -> None:
    # With no prior at all (a conversation's first message, no channel hint) on real-looking messages.
    examples = load_examples(HELDOUT[language], language)
    detected = [detect_language(e.text, hint="xx") for e in examples]
    accuracy = sum(d == language for d in detected) / len(detected)
    assert accuracy >= 0.9, [e.text for e, d in zip(examples, detected, strict=True) if d != language]


@pytest.mark.parametrize("language", ["fr", "en"])
def test_an_established_conversation_keeps_its_language_on_held_out_messages(language: str) -> None:
    examples = load_examples(HELDOUT[language], language)
    detected = [detect_language(e.text, current=language) for e in examples]
    assert sum(d == language for d in detected) / len(detected) >= 0.97


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("où est ma commande 48213 ?", "fr"),
        ("ou est ma cmd stp", "fr"),
        ("je veux parler à un humain", "fr"),
        ("where is my order CMD-77120?", "en"),
        ("can i talk to a real person pls", "en"),
    ],
)
def test_clear_messages(text: str, expected: str) -> None:
    assert detect_language(text) == expected
    assert detect_language(text, current="en" if expected == "fr" else "fr") == expected


@pytest.mark.parametrize("text", ["ok", "48213", "👍", "/affirm", "#60114", "?"])
def test_messages_without_evidence_keep_the_conversation_language(text: str) -> None:
    assert detect_language(text, current="en") == "en"
    assert detect_language(text, current="fr") == "fr"


def test_channel_hint_is_the_prior_for_a_first_message_without_evidence() -> None:
    assert detect_language("48213", hint="en-GB") == "en"
    assert detect_language("48213", hint="fr") == "fr"
    assert detect_language("48213", hint="de") == "fr"
    # The conversation's language wins over the hint; the text wins over both.
    assert detect_language("48213", current="fr", hint="en") == "fr"
    assert detect_language("hello, where is my parcel?", current="fr", hint="fr") == "en"


def test_normalize_language() -> None:
    assert normalize_language("fr-CA") == "fr"
    assert normalize_language("en_GB") == "en"
    assert normalize_language("de") is None
    assert normalize_language(None) is None
