"""The comment desk end to end: comments under the brand's posts come through the signed Meta webhook of a gateway
process, are read by the real Rasa model, and are answered, hidden or brought to Slack through the fake Graph and
Slack APIs; the community manager replies in private from the card's form."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import yaml

from bot.comments.policy import DEFAULT_POLICY
from bot.local.stack import Stack
from tests.support.gateway_harness import (
    Platforms,
    facebook_comment_body,
    instagram_comment_body,
    post_messenger,
    post_slack,
    sign,
    slack_button,
    slack_form_submission,
)

pytestmark = pytest.mark.stack
FORM = "application/x-www-form-urlencoded"
_n = itertools.count(1)


@pytest.fixture(scope="module")
def desk_gateway(stack: Stack, platforms: Platforms, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A gateway whose brand turned on public replies and spam hiding (the shipped policy has both off)."""
    policy = yaml.safe_load(DEFAULT_POLICY.read_text(encoding="utf-8")) | {"public_replies": True, "hide_spam": True}
    path = tmp_path_factory.mktemp("policy") / "policy.yml"
    path.write_text(yaml.safe_dump(policy, allow_unicode=True), encoding="utf-8")
    process = platforms.new_gateway(stack, stack.log_dir, redis_db=13)
    process.env["COMMENT_POLICY_FILE"] = str(path)
    process.start()
    yield process.url
    process.stop()


def comment(gateway: str, text: str, post: str = "PAGE_post1", **extra: Any) -> str:
    """Post a signed Facebook comment; returns its id."""
    comment_id = f"{post}_{next(_n)}{int(time.time() * 1000) % 10**6}"
    body = facebook_comment_body(comment_id, post, text, **extra)
    assert post_messenger(gateway, body, sign(body)).status_code == 200
    return comment_id


def card_of(platforms: Platforms, comment_id: str) -> dict[str, Any]:
    return platforms.slack.wait_for(
        lambda m, p: m == "chat.postMessage" and f"facebook:{comment_id}" in str(p.get("blocks"))
    )


def test_a_public_complaint_reaches_slack_and_the_managers_private_reply_reaches_the_customer(
    desk_gateway: str, platforms: Platforms
) -> None:
    complaint = "Commande jamais arrivée et aucune réponse du service client depuis deux semaines, c'est honteux"
    comment_id = comment(desk_gateway, complaint, name="Léa Martin")
    card = str(card_of(platforms, comment_id)["blocks"])
    assert "Léa Martin" in card and "aucune réponse du service client" in card
    assert "https://www.example-social.test/posts/PAGE_post1" in card  # the post's link, from the Graph API
    assert platforms.graph.private_replies(comment_id) == []  # nothing said by the bot, neither in public

    clicked = post_slack(desk_gateway, slack_button("comment_reply_private", f"facebook:{comment_id}"), FORM)
    assert clicked.status_code == 200
    opened = platforms.slack.wait_for(lambda m, p: m == "views.open" and comment_id in str(p.get("view")))
    view = opened["view"] if isinstance(opened["view"], dict) else json.loads(opened["view"])
    reply = "Bonjour Léa, je suis Camille du service client : je regarde votre commande tout de suite."
    submitted = post_slack(desk_gateway, slack_form_submission(view, {"reply": reply}), FORM)
    assert submitted.status_code == 200

    assert platforms.graph.wait_until(lambda: platforms.graph.private_replies(comment_id)) == [reply]
    updated = platforms.slack.wait_for(
        lambda m, p: m == "chat.update" and comment_id in str(p.get("blocks")) and "replied in private" in str(p)
    )
    assert "comment_reply_private" not in str(updated["blocks"])  # Meta allows one private reply per comment

    again = post_slack(desk_gateway, slack_button("comment_reply_private", f"facebook:{comment_id}"), FORM)
    assert again.status_code == 200
    second = post_slack(desk_gateway, slack_form_submission(view, {"reply": "Encore moi"}), FORM)
    assert "one private reply" in second.text  # refused in the form itself
    assert platforms.graph.private_replies(comment_id) == [reply]


def test_an_order_question_is_moved_to_private_once_though_delivered_twice(
    desk_gateway: str, platforms: Platforms
) -> None:
    comment_id = f"PAGE_post2_{next(_n)}"
    body = facebook_comment_body(comment_id, "PAGE_post2", "Où en est ma commande 48213 ? Toujours pas reçue")
    for _ in range(2):  # Meta delivers again when it thinks it was not acknowledged
        assert post_messenger(desk_gateway, body, sign(body)).status_code == 200
    (sent,) = platforms.graph.wait_until(lambda: platforms.graph.private_replies(comment_id))
    assert sent.startswith("Bonjour Léa Martin, nous vous écrivons en message privé")
    marker = comment(desk_gateway, "Magnifique collection 😍", post="PAGE_post2")  # after it, in the post's order
    time.sleep(1.0)
    assert platforms.graph.private_replies(comment_id) == [sent]
    assert not [a for a in platforms.graph.comment_actions if a[1] in (comment_id, marker)]  # praise: left alone


def test_a_store_question_is_answered_in_public_when_the_brand_turned_it_on(
    desk_gateway: str, platforms: Platforms
) -> None:
    comment_id = comment(desk_gateway, "Vous avez une boutique à Lyon ? Quels sont vos horaires ?")
    actions = platforms.graph.wait_until(lambda: [a for a in platforms.graph.comment_actions if a[1] == comment_id])
    assert actions == [("public_reply", comment_id, actions[0][2])]
    assert "Lyon, Paris et Bordeaux" in actions[0][2] and actions[0][2].startswith("Bonjour Léa Martin !")


def test_spam_is_hidden_and_the_brands_own_comment_triggers_nothing(desk_gateway: str, platforms: Platforms) -> None:
    own = comment(desk_gateway, "Merci à tous pour vos messages !", post="PAGE_post3", author="PAGE", name="Atelier")
    spam = comment(
        desk_gateway, "Gagnez 500€ par jour avec le bitcoin, écrivez-moi sur WhatsApp +33 6 12 34 56 78", "PAGE_post3"
    )
    hidden = platforms.graph.wait_until(lambda: [a for a in platforms.graph.comment_actions if a[1] == spam])
    assert hidden == [("hide", spam, "")]
    assert not [a for a in platforms.graph.comment_actions if a[1] == own]
    assert platforms.graph.private_replies(own) == []


def test_an_instagram_comment_about_an_order_gets_a_private_reply_in_english(
    desk_gateway: str, platforms: Platforms
) -> None:
    comment_id = f"1787{next(_n):08d}"
    body = instagram_comment_body(comment_id, "17895695668004550", "Where is my order 48213? It still hasn't arrived")
    assert post_messenger(desk_gateway, body, sign(body)).status_code == 200
    (sent,) = platforms.graph.wait_until(lambda: platforms.graph.private_replies(comment_id))
    assert sent.startswith("Hi lea.m, we've sent you a private message")


def test_graph_api_failures_on_a_reply_are_retried_and_the_reply_is_sent_once(
    desk_gateway: str, platforms: Platforms
) -> None:
    platforms.graph.fail_next = [503, 429]
    comment_id = comment(desk_gateway, "Je n'arrive pas à me connecter à mon compte", post="PAGE_post4")
    assert platforms.graph.wait_until(lambda: platforms.graph.private_replies(comment_id), timeout=60)
    time.sleep(1.0)
    assert len(platforms.graph.private_replies(comment_id)) == 1
    metrics = httpx.get(f"{desk_gateway}/metrics", timeout=10).text
    assert 'passerelle_comments_total{action="private_reply",channel="facebook_comments"}' in metrics
