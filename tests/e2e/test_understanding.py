"""What customers notice of the language understanding, against the running Rasa server: requests from another
domain are declined (never a ticket), bad input always gets an answer, and meaning carries across languages."""

from __future__ import annotations

import csv
import uuid

import pytest

from bot.conversation import Inbound
from bot.rasa_client import RasaClient
from tests.paths import ROOT

pytestmark = pytest.mark.stack
SNIPS_SAMPLE = ROOT / "tests" / "fixtures" / "nlu" / "snips_fr_sample.csv"
DECLINED = ("out_of_scope", "nlu_fallback")


def off_topic() -> list[str]:
    with SNIPS_SAMPLE.open(encoding="utf-8", newline="") as handle:
        return [row["text"] for row in csv.DictReader(handle)]


async def test_requests_from_another_domain_are_declined_and_never_reach_a_person(rasa: RasaClient) -> None:
    texts = off_topic()
    intents = [str((await rasa.parse(text))["intent"]["name"]) for text in texts]
    declined = sum(i in DECLINED for i in intents) / len(texts)
    assert declined >= 0.9, [(t, i) for t, i in zip(texts, intents, strict=True) if i not in DECLINED]
    assert not {"complaint", "request_human"} & set(intents)


async def test_an_angry_off_topic_message_does_not_open_a_ticket(rasa: RasaClient) -> None:
    parse = await rasa.parse("cette météo est horrible, je déteste la pluie, c'est nul nul nul !!!")
    assert parse["intent"]["name"] in DECLINED, parse["intent"]


@pytest.mark.parametrize(
    "text",
    [
        "😀😀🙏",
        "ma commande n'est pas arrivée " * 170,
        "https://www.example.com/produit?id=48213&utm_source=instagram",
        "Привет 你好 مرحبا",
        "def f(x):\n    return [i ** 2 for i in range(x)]",
        "blorf quazzle the wimwam",
    ],
    ids=["emoji", "5000 characters", "url", "other scripts", "code", "gibberish"],
)
async def test_bad_input_gets_an_answer(rasa: RasaClient, text: str) -> None:
    reply = await rasa.send(Inbound(f"bad-input-{uuid.uuid4().hex[:8]}", "test", text))
    assert reply.messages and all(m.text or m.buttons for m in reply.messages)


async def test_gibberish_is_declined_not_answered_as_a_topic(rasa: RasaClient) -> None:
    assert (await rasa.parse("blorf quazzle the wimwam"))["intent"]["name"] in DECLINED


async def test_a_long_message_is_understood_from_its_start(rasa: RasaClient) -> None:
    text = "je voudrais annuler ma commande 77120 s'il vous plaît, " + "je n'en ai plus besoin. " * 200
    parse = await rasa.parse(text)
    assert parse["intent"]["name"] == "cancel_order"


async def test_the_same_request_is_understood_in_either_language_and_in_other_words(rasa: RasaClient) -> None:
    for text in ("I've changed my mind about my purchase, please stop it", "je ne veux plus de mon achat, arrêtez-le"):
        assert (await rasa.parse(text))["intent"]["name"] == "cancel_order", text
