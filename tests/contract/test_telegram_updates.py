"""Every Telegram update type, from recorded payloads, gets its defined outcome."""

from __future__ import annotations

import json

import pytest

from bot.channels.telegram import keyboard, parse_update, secret_matches, split_text
from bot.conversation import Button, Outbound
from tests.paths import ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "telegram"


def load(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def only(name: str):
    parsed = parse_update(load(name))
    assert len(parsed.messages) == 1, parsed.note
    return parsed.messages[0]


def test_text_message() -> None:
    message = only("official_docs_message_text")
    data = load("official_docs_message_text")
    assert message.text == data["message"]["text"]
    assert message.conversation_id == f"telegram:{data['message']['chat']['id']}"
    assert message.message_id == str(data["update_id"]) and message.attachment is None


def test_language_code_and_name_are_passed_on() -> None:
    message = only("aiogram_message_text")
    assert message.language_hint == "ru" and message.display_name == "FirstName LastName"


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("aiogram_message_sticker_no_text", "sticker"),
        ("aiogram_message_voice_no_text", "voice"),
        ("official_docs_message_voice", "voice"),
        ("official_docs_message_document", "document"),
        ("aiogram_message_location", "location"),
    ],
)
def test_media_without_text_is_flagged_for_a_polite_answer(name: str, kind: str) -> None:
    message = only(name)
    assert message.text == "" and message.attachment == kind


def test_a_photo_caption_is_read_as_text() -> None:
    message = only("aiogram_message_photo_with_caption_no_text")
    assert message.text and message.attachment is None


@pytest.mark.parametrize("name", ["official_docs_edited_message", "aiogram_edited_message", "rasa_test_edited_message"])
def test_an_edit_is_a_new_message_with_its_own_id(name: str) -> None:
    message = only(name)
    assert message.text and message.message_id.endswith(":edited")


def test_button_press_with_its_message() -> None:
    data = load("telegrinder_callback_query_with_message")
    message = only("telegrinder_callback_query_with_message")
    assert message.text == data["callback_query"]["data"]
    assert message.callback_id == data["callback_query"]["id"]
    assert message.conversation_id == f"telegram:{data['callback_query']['message']['chat']['id']}"


def test_button_press_without_a_message_answers_the_user_privately() -> None:
    data = load("official_docs_callback_query")
    message = parse_update(data).messages[0]
    assert message.conversation_id == f"telegram:{data['callback_query']['from']['id']}"


@pytest.mark.parametrize("name", ["constructed_my_chat_member_blocked", "constructed_group_message"])
def test_updates_that_are_recorded_not_answered(name: str) -> None:
    parsed = parse_update(load(name))
    assert parsed.messages == () and parsed.note


@pytest.mark.parametrize("data", [{}, {"update_id": "x"}, [], {"update_id": 1, "message": {"chat": "nope"}}])
def test_malformed_updates_are_rejected(data: object) -> None:
    with pytest.raises(ValueError):
        parse_update(data)  # type: ignore[arg-type]


def test_secret_comparison() -> None:
    assert secret_matches("s3cret", "s3cret")
    assert not secret_matches("s3cret", "s3cret ")
    assert not secret_matches("s3cret", None)
    assert not secret_matches("", "")


def test_long_replies_are_split_under_4096_characters() -> None:
    text = ("Une phrase assez longue pour remplir. " * 300).strip()
    chunks = split_text(text)
    assert len(chunks) == 3 and all(len(c) <= 4096 for c in chunks)
    assert " ".join(chunks) == text


def test_buttons_become_an_inline_keyboard_carrying_payloads() -> None:
    markup = keyboard(Outbound(text="?", buttons=(Button("Oui", "/affirm"), Button("Non", "/deny"))))
    assert markup is not None
    assert [[b.callback_data for b in row] for row in markup.inline_keyboard] == [["/affirm"], ["/deny"]]
