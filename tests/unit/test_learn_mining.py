"""`bot learn mine` without a running bot: redaction, what counts as unhandled, clustering, sources, report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import fakeredis
import pytest

from bot.learn import review as review_file
from bot.learn.mining import mine, training_examples
from bot.learn.mining_report import render
from bot.learn.pii import redact
from bot.learn.signals import Unhandled, summarize
from bot.learn.topics import Mined, propose
from bot.learn.trackers import from_jsonl, from_redis
from tests.paths import ROOT


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("écrivez-moi à lea.martin+sav@example.fr svp", "écrivez-moi à <email> svp"),
        ("mail me at john.smith@example.co.uk", "mail me at <email>"),
        ("rappelez-moi au 06 12 34 56 78", "rappelez-moi au <phone>"),
        ("mon numéro : +33 6 12 34 56 78", "mon numéro : <phone>"),
        ("call me on +44 20 7946 0958", "call me on <phone>"),
        ("ma carte 4111 1111 1111 1111 est refusée", "ma carte <card> est refusée"),
        ("card 4111-1111-1111-1111 declined", "card <card> declined"),
        ("ma commande CMD-48213 et la n° 60114", "ma commande <order_id> et la <order_id>"),
        ("order #55031 please", "order <order_id> please"),
        ("Bonjour, je m'appelle Léa Martin", "Bonjour, je m'appelle <person>"),
        ("hi, my name is John Smith", "hi, my name is <person>"),
        ("Mme Dupont attend son colis", "Mme <person> attend son colis"),
    ],
)
def test_personal_data_becomes_placeholders(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text", ["je suis très déçue", "I am not happy with the delivery", "3 articles pour 120 euros", "<email> <phone>"]
)
def test_ordinary_words_and_placeholders_are_left_alone(text: str) -> None:
    assert redact(text) == text


def user(text: str, intent: str, confidence: float = 0.95) -> dict[str, Any]:
    ranking = [{"name": intent, "confidence": confidence}]
    return {
        "event": "user",
        "text": text,
        "parse_data": {"intent": {"name": intent, "confidence": confidence}, "intent_ranking": ranking},
    }


def action(name: str) -> dict[str, Any]:
    return {"event": "action", "name": name}


def bot(text: str, **metadata: str) -> dict[str, Any]:
    return {"event": "bot", "text": text, "metadata": metadata}


LANGUAGE_FR = {"event": "slot", "name": "language", "value": "fr"}


def reasons(events: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(u.text, u.reason) for u in summarize({"sender_id": "t:1", "events": events}).unhandled]


def test_fallbacks_low_confidence_denials_and_rephrasings_are_unhandled() -> None:
    events = [
        LANGUAGE_FR,
        user("bonjour", "greet"),
        action("utter_greet"),
        bot("Bonjour !"),
        user("vous faites les cartes cadeaux", "nlu_fallback", 0.3),
        action("action_fallback"),
        bot("Pouvez-vous reformuler ?"),
        user("je veux un bon d'achat pour offrir", "payment_issue", 0.41),
        action("utter_payment_issue"),
        bot("Pour un problème de paiement..."),
        user("c'est pour offrir à ma soeur", "payment_issue", 0.9),
        action("utter_payment_issue"),
        bot("Pour un problème de paiement..."),
        user("non, ce n'est pas ma question", "deny"),
        user("programme de fidélité des points", "store_info", 0.9),
        action("utter_store_info"),
        bot("Nos magasins..."),
        user("programme de fidélité combien de points", "store_info", 0.9),
    ]
    assert reasons(events) == [
        ("vous faites les cartes cadeaux", "fallback"),
        ("je veux un bon d'achat pour offrir", "low_confidence"),
        ("c'est pour offrir à ma soeur", "denied"),
        ("programme de fidélité des points", "rephrased"),
    ]


def test_a_message_the_bot_answers_as_out_of_scope_is_unhandled() -> None:
    """The gate answers a topic the bot was never taught with out_of_scope, confidently: still not handled."""
    asked = user("vous faites des bons d'achat ?", "out_of_scope", 1.0)
    gate = {"score": 0.31, "threshold": 0.5, "intent": "payment_issue", "confidence": 0.62, "out_of_scope": True}
    asked["parse_data"]["out_of_scope_gate"] = gate
    events = [LANGUAGE_FR, asked, action("utter_out_of_scope"), bot("Je ne peux pas vous aider sur ce point.")]
    events += [user("quel temps fait-il", "out_of_scope", 0.97), action("utter_out_of_scope"), bot("...")]
    assert reasons(events) == [
        ("vous faites des bons d'achat ?", "out_of_scope"),
        ("quel temps fait-il", "out_of_scope"),
    ]


def test_a_no_to_a_yes_no_question_is_not_a_complaint_about_the_answer() -> None:
    events = [
        user("annulez la commande 48213", "cancel_order"),
        action("cancel_form"),
        {"event": "active_loop", "name": "cancel_form"},
        bot("Voulez-vous vraiment annuler ?"),
        user("non", "deny"),
    ]
    assert reasons(events) == []


def test_a_handoff_brings_the_question_and_the_managers_answers() -> None:
    events = [
        LANGUAGE_FR,
        user("ma carte cadeau ne marche pas", "payment_issue", 0.8),
        action("utter_payment_issue"),
        bot("Pour un problème de paiement..."),
        user("je veux parler à un humain", "request_human"),
        action("action_handoff"),
        {"event": "pause"},
        user("vous êtes là ?", "greet"),
        user("elle a été offerte à Noël", "inform", 0.5),
        bot("Bonjour, les cartes cadeaux sont valables un an.", agent="U1", source="slack"),
    ]
    found = summarize({"sender_id": "t:2", "events": events}).unhandled
    assert [(u.text, u.reason) for u in found] == [
        ("ma carte cadeau ne marche pas", "handoff"),
        ("elle a été offerte à Noël", "handoff"),
    ]
    assert found[0].answers == ("Bonjour, les cartes cadeaux sont valables un an.",)


GIFT = {
    "fr": [
        "vous vendez des cartes cadeaux",
        "carte cadeau de 50 euros",
        "solde de ma carte cadeau",
        "offrir une carte cadeau",
    ],
    "en": ["do you sell gift cards", "a 50 euro gift card", "my gift card balance", "buy a gift card as a present"],
}
LOYALTY = {
    "fr": [
        "mes points de fidélité",
        "combien de points de fidélité j'ai",
        "j'ai combien de points sur mon compte fidélité",
    ],
    "en": ["my loyalty points", "how many loyalty points do I have"],
}
# Known questions in words the training examples do not use (the nearest one shares "when", "my", "colis" at most).
KNOWN = {
    "fr": ["ou est ma commande ???", "j'attends toujours mon colis, il est où ?"],
    "en": ["when will my stuff arrive"],
}
# Off-topic messages that each ask something else: nothing recurs, so nothing is to be learned.
SCATTERED = {
    "fr": ["mon chat éternue tout le temps", "où acheter des graines de tomates", "comment apprendre le piano"],
    "en": [
        "how do I fix a flat tyre",
        "can you recommend a podcast about history",
        "what is the best cheese in normandy",
        "is it safe to swim after eating",
        "who painted the mona lisa",
    ],
}


def unhandled(text: str, language: str) -> Unhandled:
    return Unhandled("t:3", text, language, "fallback", "nlu_fallback", 0.3)


def items_of(*topics: dict[str, list[str]]) -> list[Unhandled]:
    return [unhandled(t, lang) for topic in topics for lang, texts in topic.items() for t in texts]


def texts_of(topic: dict[str, list[str]]) -> set[str]:
    return {t for texts in topic.values() for t in texts}


def proposed_groups(mined: Mined) -> list[set[str]]:
    return [{t for texts in c.examples.values() for t in texts} for c in mined.candidates]


def test_one_topic_in_two_languages_is_one_candidate_and_known_questions_become_examples() -> None:
    mined = propose(items_of(GIFT, LOYALTY, KNOWN), training_examples(ROOT), min_cluster=3)
    # French and English together from their meaning alone: no word, and no model ranking, links them.
    assert sorted(proposed_groups(mined), key=len) == [texts_of(LOYALTY), texts_of(GIFT)], mined.candidates
    names = [c.name for c in mined.candidates]
    assert names[0] in {"gift_card", "gift_cards", "gift"} and names[1] in {"loyalty", "loyalty_points"}
    assert {"carte cadeau", "gift card"} <= set(mined.candidates[0].keywords)
    assert [(a.intent, a.examples) for a in mined.additions] == [("order_status", KNOWN)]


def test_scattered_off_topic_messages_are_not_proposed(monkeypatch: pytest.MonkeyPatch) -> None:
    training = training_examples(ROOT)
    mined = propose(items_of(GIFT, SCATTERED), training, min_cluster=3)
    assert proposed_groups(mined) == [texts_of(GIFT)]
    assert not mined.additions
    # Even a cut lenient enough to join them (as micro-clusters can be) proposes nothing: they are not a topic.
    from bot.learn import topics

    monkeypatch.setattr(topics, "CLUSTER_DISTANCE", 0.9)
    assert propose(items_of(SCATTERED), training, min_cluster=3).candidates == []


def test_the_same_question_asked_often_is_a_topic_however_alone_its_wording() -> None:
    mined = propose([unhandled("vous faites la livraison en corse ?", "fr")] * 3, training_examples(ROOT))
    assert [(c.size, c.examples["fr"]) for c in mined.candidates] == [(3, ["vous faites la livraison en corse ?"])]


def stored_tracker(sender: str, events: list[dict[str, Any]]) -> str:
    """What Rasa's RedisTrackerStore writes: json.dumps(tracker.as_dialogue().as_dict())."""
    return json.dumps({"name": sender, "events": events})


def test_mining_reads_the_redis_tracker_store_and_writes_no_personal_data(tmp_path: Path) -> None:
    client = fakeredis.FakeRedis()
    for number, text in enumerate(GIFT["fr"] + ["écrivez à lea@example.fr pour ma carte cadeau de 50 euros"]):
        events = [LANGUAGE_FR, user(text, "nlu_fallback", 0.2), action("action_fallback"), bot("Pardon ?")]
        if number % 2:  # the event lists of bot/dialogue/tracker_store.py
            client.rpush(f"passerelle:events:web:{number}", *(json.dumps(event) for event in events))
        else:  # what Rasa's own RedisTrackerStore kept before it
            client.set(f"passerelle:tracker:web:{number}", stored_tracker(f"web:{number}", events))
    client.set("passerelle:lock:web:0", "x")  # not a tracker
    trackers = list(from_redis("redis://unused", client))
    assert sorted(t["sender_id"] for t in trackers) == [f"web:{n}" for n in range(5)]
    review, found = mine(trackers, "redis://test", ROOT)
    path = tmp_path / "review.yml"
    review_file.dump(review, path)
    html = render(review, found)
    assert "lea@example.fr" not in path.read_text() + html and "&lt;email&gt;" in html
    loaded = review_file.load(path)
    assert (loaded.conversations, loaded.messages, loaded.unhandled) == (5, 5, 5)
    assert [c.size for c in loaded.candidates] == [5]


def test_a_jsonl_file_of_trackers_is_read_and_a_broken_line_named(tmp_path: Path) -> None:
    path = tmp_path / "logs.jsonl"
    path.write_text(json.dumps({"sender_id": "a", "events": []}) + "\n\n{broken\n", encoding="utf-8")
    reader = from_jsonl(path)
    assert next(reader)["sender_id"] == "a"
    with pytest.raises(ValueError, match=r"logs\.jsonl:3"):
        next(reader)


def test_the_report_escapes_customer_text() -> None:
    item = unhandled("<script>alert(1)</script> carte cadeau", "fr")
    review = review_file.Review("s", 1, 1, 1, [review_file.Candidate("c01", "x", 1, {"fr": [item.text], "en": []})])
    html = render(review, [item])
    assert "<script>" not in html and "&lt;script&gt;" in html


@pytest.mark.parametrize("direct_limit", [3000, 200])  # 200: the k-means path used above 3,000 distinct texts
def test_synthetic_logs_give_back_their_unknown_topics(direct_limit: int, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.learn import topics
    from bot.learn.sample_logs import sample_trackers

    monkeypatch.setattr(topics, "DIRECT_LIMIT", direct_limit)
    examples = [(e.text, e.intent, e.language) for e in training_examples(ROOT)]
    review, found = mine(sample_trackers(examples, 2000, seed=1), "synthetic", ROOT)
    assert len(found) == 1000  # one unknown question per conversation, the known one answered
    keywords = " ".join(k for c in review.candidates for k in c.keywords)
    for topic in ("loyalty", "fidelite", "gift", "cadeau", "switzerland", "suisse"):
        assert topic in keywords, [c.keywords for c in review.candidates]
    assert "lea@example.fr" not in str(review)
