from bot.channels.terminal import render, resolve_input
from bot.conversation import Button, Inbound, reply_from_rasa

HANDOFF_REPLY = [
    {"recipient_id": "t:1", "text": "Je vous mets en relation avec un conseiller."},
    {
        "recipient_id": "t:1",
        "custom": {
            "handoff": {
                "reason": "customer_request",
                "language": "fr",
                "summary": "Escalated: asked for a person.",
                "order_ids": ["48213"],
                "transcript": [{"from": "customer", "text": "je veux un humain"}],
            }
        },
    },
]


def test_rest_messages_become_outbound_messages_with_buttons() -> None:
    reply = reply_from_rasa(
        [
            {
                "recipient_id": "x",
                "text": "Voulez-vous annuler ?",
                "buttons": [{"title": "Oui", "payload": "/affirm"}, {"title": "Non", "payload": "/deny"}],
            },
            {"recipient_id": "x", "image": "https://example.com/a.png"},
        ]
    )
    assert reply.messages[0].buttons == (Button("Oui", "/affirm"), Button("Non", "/deny"))
    assert reply.messages[1].image == "https://example.com/a.png"
    assert reply.handoff is None


def test_the_handoff_signal_is_taken_out_of_the_messages() -> None:
    reply = reply_from_rasa(HANDOFF_REPLY)
    assert [m.text for m in reply.messages] == ["Je vous mets en relation avec un conseiller."]
    assert reply.handoff is not None
    assert reply.handoff.reason == "customer_request" and reply.handoff.order_ids == ("48213",)


def test_other_custom_payloads_are_kept_apart() -> None:
    reply = reply_from_rasa([{"custom": {"kind": "carousel"}}])
    assert reply.messages == () and reply.custom == ({"kind": "carousel"},)


def test_metadata_sent_to_rasa_carries_the_language_and_the_hint() -> None:
    message = Inbound(
        "telegram:1", "telegram", "hi", language_hint="en-GB", display_name="Ann", message_id="7", language="en"
    )
    assert message.rasa_metadata() == {
        "channel": "telegram",
        "user_id": "1",
        "language": "en",
        "language_hint": "en-GB",
        "display_name": "Ann",
        "message_id": "7",
    }


def test_terminal_numbers_buttons_and_maps_a_number_to_its_payload() -> None:
    frame = {"type": "bot", "text": "Sure?", "buttons": [{"title": "Yes", "payload": "/affirm"}], "image": None}
    lines, buttons = render(frame)
    assert lines == ["bot > Sure?", "      1) Yes"]
    assert resolve_input("1", buttons) == "/affirm"
    assert resolve_input("2", buttons) == "2"
    assert resolve_input(" hello ", buttons) == "hello"


def test_terminal_prints_a_refused_message_and_ignores_acknowledgements() -> None:
    assert render({"type": "error", "error": "empty or too long message, or bad id"}) == (
        ["[not sent: empty or too long message, or bad id]"],
        [],
    )
    assert render({"type": "ack", "id": "s:1", "new": True}) == ([], [])


def test_terminal_numbers_buttons_across_frames_until_the_customer_types() -> None:
    _, buttons = render({"type": "bot", "text": "A?", "buttons": [{"title": "Oui", "payload": "/affirm"}]})
    second, more = render({"type": "bot", "text": "B?", "buttons": [{"title": "Non", "payload": "/deny"}]}, first=2)
    assert second[-1] == "      2) Non" and resolve_input("2", buttons + more) == "/deny"
