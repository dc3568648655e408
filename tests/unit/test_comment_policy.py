"""The comment desk's policy (bot/comments/policy.yml): rules read top to bottom, safe switches, clear errors."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from bot.comments.policy import DEFAULT_POLICY, Policy, PolicyError, Reading, load_policy, parse_policy
from bot.nlp.question import is_question

SHIPPED = load_policy()


def reading(intent: str | None = "store_info", sentiment: float = 0.0, spam: bool = False) -> Reading:
    return Reading(intent, 0.9, sentiment, "fr", spam=spam, unsure=intent is None)


def question(intent: str) -> Reading:
    return replace(reading(intent), question=True)


def with_switches(**switches: bool) -> Policy:
    data = yaml.safe_load(DEFAULT_POLICY.read_text(encoding="utf-8"))
    return parse_policy({**data, **switches})


def test_shipped_policy_is_safe_no_public_reply_and_no_hiding() -> None:
    assert (SHIPPED.public_replies, SHIPPED.hide_spam) == (False, False)
    asked = SHIPPED.decide(question("store_info"))
    assert (asked.action, asked.answer) == ("private_reply", "store_info")  # the answer goes in private
    assert "public replies are off" in asked.why
    assert SHIPPED.decide(reading("greet", spam=True)).action == "leave"  # flagged, left visible


def test_switched_on_the_brand_answers_in_public_and_hides_spam() -> None:
    policy = with_switches(public_replies=True, hide_spam=True)
    assert policy.decide(question("product_availability")).action == "public_reply"
    assert policy.decide(reading("greet", spam=True)).action == "hide"


@pytest.mark.parametrize("intent", ["order_status", "cancel_order", "payment_issue", "account_access"])
def test_orders_accounts_and_payments_are_never_answered_in_public(intent: str) -> None:
    policy = with_switches(public_replies=True)
    decision = policy.decide(reading(intent))
    assert (decision.action, decision.answer) == ("private_reply", "continue_in_private")


@pytest.mark.parametrize(
    ("given", "action"),
    [
        (reading("complaint"), "ticket"),
        (reading("request_human"), "ticket"),
        (reading("store_info", sentiment=-0.7), "ticket"),  # an angry question: a person, first
        (reading("greet", sentiment=0.8), "leave"),  # praise
        (reading(None), "leave"),  # off-topic or unsure
        (reading(None, sentiment=-0.9), "leave"),  # not about the brand: counted in the alerts, no ticket
    ],
)
def test_complaints_and_strong_negativity_go_to_a_person_the_rest_is_left(given: Reading, action: str) -> None:
    assert SHIPPED.decide(given).action == action


def test_answers_exist_in_both_languages_with_the_authors_name() -> None:
    assert SHIPPED.answer("continue_in_private", "en", "Lea").startswith("Hi Lea,")
    assert SHIPPED.answer("continue_in_private", "fr", "Lea").startswith("Bonjour Lea,")
    assert SHIPPED.answer("continue_in_private", "de", None).startswith("Bonjour,")  # French by default; no name


@pytest.mark.parametrize(
    ("broken", "says"),
    [
        ({"rules": [{"do": "shout"}]}, "rule 1: needs `do:`"),
        ({"rules": [{"when": {"mood": "bad"}, "do": "leave"}]}, "takes only"),
        ({"rules": [{"do": "private_reply", "answer": "nope"}]}, "needs `answer:`"),
        ({"rules": [], "answers": {"x": {"fr": "Bonjour"}}}, "answer x: needs both"),
        ({"rules": [], "public_replies": "yes"}, "`public_replies:` is true or false"),
        ({"rules": [{"when": {"sentiment_at_most": -3}, "do": "ticket"}]}, "from -1 to 1"),
        ({}, "needs `rules:`"),
    ],
)
def test_a_broken_policy_says_where(broken: dict[str, object], says: str) -> None:
    with pytest.raises(PolicyError, match=says.replace("`", "`").replace("(", r"\(")):
        parse_policy(broken)


def test_an_unreadable_file_names_itself(tmp_path: Path) -> None:
    path = tmp_path / "policy.yml"
    path.write_text("rules: [\n", encoding="utf-8")
    with pytest.raises(PolicyError, match=str(path)):
        load_policy(path)


def test_only_questions_get_an_answer_praise_read_as_a_question_is_left_alone() -> None:
    policy = with_switches(public_replies=True)
    asked = replace(reading("product_availability"), question=True)
    assert policy.decide(asked).action == "public_reply"
    assert policy.decide(reading("product_availability")).action == "leave"


@pytest.mark.parametrize(
    ("text", "asks"),
    [
        ("Vous avez une boutique à Lyon ?", True),
        ("Avez-vous la robe bleue en 38", True),
        ("Où est votre boutique", True),
        ("Do you ship to Belgium", True),
        ("Super. Is the blue one back", True),
        ("Magnifique collection 😍", False),
        ("Quelle merveille 😍", False),
        ("What a beautiful dress!", False),
        ("How cute!", False),
        ("Are you kidding me!", False),
        ("Love it!", False),
        ("Ma commande n'est pas arrivée", False),
    ],
)
def test_questions_are_recognised_in_french_and_english(text: str, asks: bool) -> None:
    assert is_question(text) == asks
