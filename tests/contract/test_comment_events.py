"""Public comments from recorded payloads (tests/fixtures/meta_social/, sources in its README): every Facebook
``feed`` and Instagram ``comments``/``mentions`` body's comment events at the shared Meta webhook, the brand's own
comments, reactions and visitor posts ignored, and the signature checked before parsing."""

from __future__ import annotations

import json

import pytest

from bot.channels.messenger import parse_webhook
from bot.conversation import Inbound
from tests.contract.test_instagram_events import FIXTURES, SIGNATURES, post, raw

# (platform, post, comment, verb, parent, author, name, text) per comment event of each body.
Row = tuple[str, str, str, str, str | None, str, str | None, str]
FB_POST = "137542570280222_139560936744456"
OUTCOMES: dict[str, list[Row]] = {
    "bottender_fb_feed_comment_add_toplevel_on_video_post": [
        (
            "facebook",
            FB_POST,
            "139560936755999_140077616693321",
            "add",
            None,  # parent_id == post_id: a top-level comment
            "1440971912666228",
            "Hsuan-Yih Shawn Chu",
            "100",
        )
    ],
    "bottender_fb_feed_comment_add_reply_to_comment": [
        (
            "facebook",
            FB_POST,
            "139560936744456_139620233405726",
            "add",
            "139560936744456_139562213411528",
            "139560936744123",
            "user",
            "Good",
        )
    ],
    "bottender_fb_feed_comment_edited": [
        ("facebook", FB_POST, "139560936744456_139597043408045", "edited", None, "139560936744123", "user", "Great")
    ],
    # a removal carries neither text nor name
    "bottender_fb_feed_comment_remove": [
        ("facebook", FB_POST, "139560936744456_139597043408045", "remove", None, "139560936744123", None, "")
    ],
    "bottender_fb_feed_comment_add_by_page_itself": [],  # the Page's own reply coming back: a loop otherwise
    "bottender_fb_feed_reaction_add_on_comment": [],
    "metadocs_fb_feed_post_add": [],  # a visitor's post, not a comment
    "constructed_ig_comments_add_toplevel": [
        (
            "instagram",
            "17895695668004550",
            "17873440459141021",
            "add",
            None,
            "<INSTAGRAM_SCOPED_USER_ID>",
            "<USERNAME>",
            "I love this!",
        )
    ],
    "constructed_ig_comments_add_reply": [
        (
            "instagram",
            "17895695668004550",
            "17871618799146774",
            "add",
            "17873440459141021",
            "<INSTAGRAM_SCOPED_USER_ID>",
            "<USERNAME>",
            "This is a great comment",
        )
    ],
    # a mention in someone's comment: only ids (the desk counts it); in a caption: nothing to answer
    "metadocs_ig_mentions_in_comment": [
        ("instagram", "17918195224117851", "17894227972186120", "add", None, "", None, "")
    ],
    "metadocs_ig_mentions_in_caption": [],
}


def comments(name: str) -> list[Inbound]:
    return [m for m in parse_webhook(json.loads(raw(name))) if m.comment is not None]


def row(message: Inbound) -> Row:
    c = message.comment
    assert c is not None
    return (c.platform, c.post_id, c.comment_id, c.verb, c.parent_id, c.author_id, message.display_name, message.text)


@pytest.mark.parametrize("name", sorted(OUTCOMES))
def test_every_comment_body_has_its_outcome(name: str) -> None:
    assert [row(m) for m in comments(name)] == OUTCOMES[name]


def test_every_comment_reference_body_is_covered() -> None:
    names = {p.stem for p in FIXTURES.glob("*.json") if "_fb_feed_" in p.stem or "_ig_comments_" in p.stem}
    assert names | {p.stem for p in FIXTURES.glob("*_ig_mentions_*.json")} == set(OUTCOMES)


@pytest.mark.parametrize("name", sorted(OUTCOMES))
def test_comments_of_one_post_are_one_conversation_and_deliveries_are_recognised(name: str) -> None:
    for message in comments(name):
        assert message.comment is not None
        assert message.conversation_id == f"{message.channel}:{message.comment.post_id}"  # ordered per post
    assert [m.dedupe_key for m in comments(name)] == [m.dedupe_key for m in comments(name)]  # a redelivery: same key


def test_an_edit_is_a_new_event_per_new_text_and_differs_from_the_comment() -> None:
    body = json.loads(raw("bottender_fb_feed_comment_edited"))
    first = comments("bottender_fb_feed_comment_edited")[0]
    body["entry"][0]["changes"][0]["value"]["message"] = "Great, really"
    second = parse_webhook(body)[0]
    body["entry"][0]["changes"][0]["value"]["verb"] = "add"
    added = parse_webhook(body)[0]
    assert len({first.dedupe_key, second.dedupe_key, added.dedupe_key}) == 3


def test_a_mention_and_the_comment_it_is_in_are_two_events() -> None:
    mention = comments("metadocs_ig_mentions_in_comment")[0]
    body = json.loads(raw("constructed_ig_comments_add_toplevel"))
    body["entry"][0]["changes"][0]["value"]["id"] = mention.comment.comment_id if mention.comment else ""
    assert parse_webhook(body)[0].dedupe_key != mention.dedupe_key


def test_a_facebook_comment_without_its_author_is_still_read() -> None:
    body = json.loads(raw("bottender_fb_feed_comment_add_reply_to_comment"))
    del body["entry"][0]["changes"][0]["value"]["from"]  # the app may not read who wrote it
    (message,) = parse_webhook(body)
    assert message.text == "Good" and message.display_name is None


def test_instagram_comment_from_the_account_itself_is_ignored() -> None:
    body = json.loads(raw("constructed_ig_comments_add_toplevel"))
    body["entry"][0]["changes"][0]["value"]["from"]["id"] = body["entry"][0]["id"]
    assert parse_webhook(body) == []


def test_malformed_changes_are_refused() -> None:
    body = json.loads(raw("constructed_ig_comments_add_toplevel"))
    body["entry"][0]["changes"] = {"field": "comments"}
    with pytest.raises(ValueError):
        parse_webhook(body)


@pytest.mark.parametrize("name", sorted(OUTCOMES))
async def test_each_signed_comment_body_is_acknowledged(name: str) -> None:
    response = await post(raw(name), SIGNATURES["files"][f"{name}.json"]["X-Hub-Signature-256"])
    assert (response.status_code, response.text) == (200, "EVENT_RECEIVED")


@pytest.mark.parametrize("signature", [None, "sha256=" + "0" * 64])
async def test_forged_or_missing_signature_on_a_comment_is_refused_before_parsing(signature: str | None) -> None:
    assert (await post(raw("bottender_fb_feed_comment_add_reply_to_comment"), signature)).status_code == 403
    assert (await post(b"{not json", signature)).status_code == 403  # refused before it is read
