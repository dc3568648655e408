"""Every message carries its language and tidy order ids to the slots, with no action server call."""

from __future__ import annotations

from typing import Any

import pytest
from rasa.shared.nlu.training_data.message import Message

from bot.nlp.customer_entities import CustomerEntities
from bot.nlp.entity_values import message_language, normalize_email, normalize_order_id


@pytest.mark.parametrize(
    ("text", "metadata", "expected"),
    [
        ("ok", {"language": "en"}, "en"),  # the gateway's decision, made with the conversation's history
        ("where is my parcel please", {"language": "fr"}, "fr"),  # ... comes first
        ("where is my parcel please", None, "en"),
        ("bonjour, où est ma commande ?", {"language_hint": "en"}, "fr"),  # clear words beat the hint
        ("48213", {"language_hint": "en-GB"}, "en"),  # nothing to go on: the channel's hint
        ("48213", {}, None),  # nor that: the slot keeps its value
        ("👍", {"language": "klingon"}, None),
    ],
)
def test_the_message_language(text: str, metadata: dict[str, Any] | None, expected: str | None) -> None:
    assert message_language(text, metadata) == expected


def test_order_ids_and_emails_are_kept_tidy() -> None:
    assert [normalize_order_id(v) for v in ("CMD-77120", "#60114", "n°55031", "48213", "abc", None)] == [
        "77120",
        "60114",
        "55031",
        "48213",
        None,
        None,
    ]
    assert normalize_email("  Lea@Example.FR ") == "lea@example.fr"


def test_the_component_adds_the_language_and_tidies_what_the_regexes_found() -> None:
    found = {"entity": "order_id", "value": "CMD-77120", "start": 13, "end": 22, "extractor": "RegexEntityExtractor"}
    message = Message(data={"text": "ma commande CMD-77120", "entities": [found], "metadata": {"language": "fr"}})
    CustomerEntities().process([message])
    entities = {entity["entity"]: entity["value"] for entity in message.get("entities")}
    assert entities == {"order_id": "77120", "language": "fr"}
    assert "entities" in message.as_dict(only_output_properties=True)
