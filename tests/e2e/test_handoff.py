"""A customer on Telegram asks for a human; a community manager takes over in Slack and hands back."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest

from bot.local.stack import Stack
from bot.rasa_client import RasaClient
from tests.support.gateway_harness import (
    SUPPORT_CHANNEL,
    Platforms,
    post_slack,
    post_telegram,
    slack_button,
    slack_button_payload,
    slack_thread_event,
    slack_thread_reply,
    telegram_button,
    telegram_update,
)

pytestmark = pytest.mark.stack
_chat = iter(range(3_100_000, 3_199_999))


def ticket_for(platforms: Platforms, conversation_id: str) -> dict:
    return platforms.slack.wait_for(
        lambda m, p: (
            m == "chat.postMessage"
            and p.get("channel") == SUPPORT_CHANNEL
            and not p.get("thread_ts")
            and conversation_id in str(p.get("blocks"))
        )
    )


def hand_over(gateway_url: str, platforms: Platforms, text: str = "je veux parler à un humain") -> str:
    """A new Telegram customer asks for a person; returns the conversation once its ticket is posted."""
    chat = next(_chat)
    post_telegram(gateway_url, telegram_update(chat, text, language="fr"))
    platforms.telegram.wait_for(chat, 1)
    conversation = f"telegram:{chat}"
    ticket_for(platforms, conversation)
    return conversation


def chat_of(conversation: str) -> int:
    return int(conversation.removeprefix("telegram:"))


def block_text(blocks: list[dict]) -> str:
    return str(blocks)


def mrkdwn_texts(value: object) -> list[str]:
    if isinstance(value, dict):
        if value.get("type") == "mrkdwn":
            return [value["text"]]
        return [t for v in value.values() for t in mrkdwn_texts(v)]
    if isinstance(value, list):
        return [t for v in value for t in mrkdwn_texts(v)]
    return []


async def test_the_whole_handoff_loop(gateway: str, platforms: Platforms, rasa: RasaClient) -> None:
    chat = next(_chat)
    conversation = f"telegram:{chat}"
    post_telegram(gateway, telegram_update(chat, "bonjour"))
    platforms.telegram.wait_for(chat, 1)
    post_telegram(gateway, telegram_update(chat, "je veux parler à un humain"))
    assert "Une personne va vous répondre" in platforms.telegram.wait_for(chat, 2)[1]

    # The ticket: who, which channel, language, why, summary, transcript, buttons.
    ticket = ticket_for(platforms, conversation)
    text = block_text(ticket["blocks"])
    assert "Client" in text and "Telegram" in text and "*Language*\\nfr" in text and "asked for a person" in text
    assert "je veux parler à un humain" in text and "handoff_take_over" in text

    # Take over: the ticket shows the owner.
    assert (
        post_slack(
            gateway, slack_button("handoff_take_over", conversation), "application/x-www-form-urlencoded"
        ).status_code
        == 200
    )
    update = platforms.slack.wait_for(lambda m, p: m == "chat.update" and "<@U_AGENT>" in str(p.get("blocks")))
    thread = update["ts"]

    # The customer's next message goes to the thread, and the bot stays silent.
    post_telegram(gateway, telegram_update(chat, "ma commande 48213 n'est toujours pas là"))
    mirrored = platforms.slack.wait_for(lambda m, p: m == "chat.postMessage" and p.get("thread_ts") == thread)
    assert "ma commande 48213" in mirrored["text"]
    time.sleep(1)
    assert len(platforms.telegram.texts(chat)) == 2

    # The manager's thread reply reaches the customer and is logged in Rasa with the agent.
    reply = "Bonjour, je suis Camille du service client, je regarde votre colis."
    assert post_slack(gateway, slack_thread_reply(thread, reply), "application/json").status_code == 200
    assert platforms.telegram.wait_for(chat, 3)[2] == reply
    events = (await rasa.tracker(conversation))["events"]
    agent = [e for e in events if e["event"] == "bot" and e.get("text") == reply]
    assert agent and agent[0]["metadata"]["agent"] == "U_AGENT"
    assert [e["text"] for e in events if e["event"] == "user"][-1] == "ma commande 48213 n'est toujours pas là"

    # An internal note stays in Slack.
    post_slack(gateway, slack_thread_reply(thread, "! client VIP, geste commercial ok"), "application/json")
    time.sleep(1)
    assert len(platforms.telegram.texts(chat)) == 3

    # Hand back: the bot resumes, says so in French, and answers the next question itself.
    assert (
        post_slack(
            gateway, slack_button("handoff_hand_back", conversation), "application/x-www-form-urlencoded"
        ).status_code
        == 200
    )
    assert "assistant virtuel" in platforms.telegram.wait_for(chat, 5)[3]
    survey = platforms.telegram.sent(chat)[4]
    assert "de 1 (mauvaise) à 5" in survey["text"]
    options = [b["callback_data"] for row in survey["reply_markup"]["inline_keyboard"] for b in row]
    assert options == ["csat:1", "csat:2", "csat:3", "csat:4", "csat:5"]

    # The customer's rating is thanked and shown on the ticket; it never reaches Rasa as a question.
    post_telegram(gateway, telegram_button(chat, "csat:4", language="fr"))
    assert platforms.telegram.wait_for(chat, 6)[5] == "Merci pour votre avis !"
    platforms.slack.wait_for(lambda m, p: m == "chat.update" and "4/5" in str(p.get("blocks")))
    post_telegram(gateway, telegram_update(chat, "où en est ma commande 48213 ?"))
    assert "expédiée" in platforms.telegram.wait_for(chat, 7)[6]
    assert (await rasa.tracker(conversation))["paused"] is False


def test_customer_text_cannot_mention_or_link_in_slack(gateway: str, platforms: Platforms) -> None:
    chat = next(_chat)
    update = telegram_update(chat, "<!channel> <@U123> <https://evil.example|cliquez ici> je veux un humain")
    update["message"]["from"]["first_name"] = "<!here>"
    post_telegram(gateway, update)
    ticket = ticket_for(platforms, f"telegram:{chat}")
    # Slack interprets mrkdwn and the notification text; plain_text (the header) is shown literally.
    text = ticket["text"] + "".join(mrkdwn_texts(ticket["blocks"]))
    assert "<!channel>" not in text and "<!here>" not in text and "<https://evil" not in text
    assert "&lt;!channel&gt;" in text and "&lt;!here&gt;" in text


@pytest.mark.parametrize(("stamp_offset", "secret"), [(0, None), (0, "wrong-secret"), (-600, "test_signing_secret")])
def test_unsigned_forged_or_stale_slack_requests_are_refused(
    gateway: str, stamp_offset: int, secret: str | None
) -> None:
    body = slack_button("handoff_take_over", "telegram:1")
    response = post_slack(
        gateway, body, "application/x-www-form-urlencoded", timestamp=int(time.time()) + stamp_offset, secret=secret
    )
    assert response.status_code == 401


def test_a_slack_retry_of_the_same_event_is_relayed_once(gateway: str, platforms: Platforms) -> None:
    conversation = hand_over(gateway, platforms, "je veux parler à un conseiller")
    chat = chat_of(conversation)
    post_slack(gateway, slack_button("handoff_take_over", conversation), "application/x-www-form-urlencoded")
    update = platforms.slack.wait_for(lambda m, p: m == "chat.update" and conversation in str(p.get("blocks")))
    body = slack_thread_reply(update["ts"], "Je m'en occupe.", event_id="EvRETRY1")
    assert post_slack(gateway, body, "application/json").status_code == 200
    retry = post_slack(
        gateway, body, "application/json", headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "x"}
    )
    assert retry.status_code == 200  # acknowledged, or Slack would retry again
    platforms.telegram.wait_for(chat, 2)
    time.sleep(1)
    assert platforms.telegram.texts(chat).count("Je m'en occupe.") == 1


@pytest.mark.parametrize("failure", [429, 503])
def test_slack_429_or_5xx_then_success_posts_the_ticket_once(gateway: str, platforms: Platforms, failure: int) -> None:
    chat = next(_chat)
    platforms.slack.fail_next.append(failure)
    post_telegram(gateway, telegram_update(chat, "I want to talk to a human", language="en"))
    ticket_for(platforms, f"telegram:{chat}")
    time.sleep(2)
    tickets = [
        p
        for m, p in platforms.slack.calls
        if m == "chat.postMessage" and not p.get("thread_ts") and f"telegram:{chat}" in str(p.get("blocks"))
    ]
    assert len(tickets) == 1


def test_an_unclaimed_ticket_is_announced_again_and_the_customer_reassured(stack: Stack, platforms: Platforms) -> None:
    gateway = platforms.new_gateway(stack, stack.log_dir, redis_db=5)
    gateway.env["HANDOFF_REANNOUNCE_SECONDS"] = "2"
    gateway.start()
    chat = next(_chat)
    try:
        post_telegram(gateway.url, telegram_update(chat, "je veux parler à un humain"))
        platforms.telegram.wait_for(chat, 1)
        ticket_for(platforms, f"telegram:{chat}")
        again = platforms.slack.wait_for(
            lambda m, p: (
                m == "chat.postMessage"
                and p.get("thread_ts")
                and "<!here>" in p.get("text", "")
                and "Client" in p.get("text", "")
            ),
            timeout=20,
        )
        assert again["reply_broadcast"] in (True, "true", "1")
        assert "attente estimée" in platforms.telegram.wait_for(chat, 2, timeout=20)[1]
        time.sleep(3)  # announced once, not every tick
        assert len(platforms.telegram.texts(chat)) == 2
    finally:
        gateway.stop()


def test_a_restart_in_the_middle_of_a_handoff(stack: Stack, platforms: Platforms) -> None:
    chat = next(_chat)
    conversation = f"telegram:{chat}"
    first = platforms.new_gateway(stack, stack.log_dir, redis_db=6)
    first.start()
    try:
        post_telegram(first.url, telegram_update(chat, "je veux parler à un humain"))
        platforms.telegram.wait_for(chat, 1)
        ticket_for(platforms, conversation)
        post_slack(first.url, slack_button("handoff_take_over", conversation), "application/x-www-form-urlencoded")
        thread = platforms.slack.wait_for(lambda m, p: m == "chat.update" and conversation in str(p.get("blocks")))[
            "ts"
        ]
    finally:
        first.kill()
    second = platforms.new_gateway(stack, stack.log_dir, redis_db=6)
    second.start()
    try:
        post_telegram(second.url, telegram_update(chat, "vous êtes toujours là ?"))
        mirrored = platforms.slack.wait_for(
            lambda m, p: m == "chat.postMessage" and p.get("thread_ts") == thread and "toujours là" in p.get("text", "")
        )
        assert mirrored
        post_slack(second.url, slack_thread_reply(thread, "Oui, je suis là."), "application/json")
        assert platforms.telegram.wait_for(chat, 2)[1] == "Oui, je suis là."
    finally:
        second.stop()


def test_outside_business_hours_the_customer_is_told_when_someone_is_back(stack: Stack, platforms: Platforms) -> None:
    gateway = platforms.new_gateway(stack, stack.log_dir, redis_db=7)
    gateway.env["HANDOFF_HOURS"] = "sun 00:00-00:01"  # a team that is practically never there
    gateway.start()
    chat = next(_chat)
    try:
        post_telegram(gateway.url, telegram_update(chat, "je veux parler à un humain"))
        texts = platforms.telegram.wait_for(chat, 2)
        assert "absents pour le moment" in texts[1] and "dimanche" in texts[1]
        ticket_for(platforms, f"telegram:{chat}")
        platforms.slack.wait_for(lambda m, p: m == "chat.postMessage" and "Outside business hours" in p.get("text", ""))
    finally:
        gateway.stop()


def test_a_managers_reply_on_messenger_carries_the_human_agent_tag(gateway: str, platforms: Platforms) -> None:
    from tests.support.gateway_harness import messenger_body, post_messenger, sign

    psid = f"PSID_AGENT_{next(_chat)}"
    body = messenger_body(psid, "je veux parler à un humain")
    post_messenger(gateway, body, sign(body))
    platforms.graph.wait_for(psid, 1)
    ticket_for(platforms, f"messenger:{psid}")
    post_slack(gateway, slack_button("handoff_take_over", f"messenger:{psid}"), "application/x-www-form-urlencoded")
    update = platforms.slack.wait_for(lambda m, p: m == "chat.update" and psid in str(p.get("blocks")))
    post_slack(gateway, slack_thread_reply(update["ts"], "Bonjour, Camille à votre service."), "application/json")
    assert platforms.graph.wait_for(psid, 2)[-1] == "Bonjour, Camille à votre service."
    sent = [b for b in platforms.graph.bodies if b["recipient"].get("id") == psid]
    assert sent[0]["messaging_type"] == "RESPONSE"
    assert sent[-1]["messaging_type"] == "MESSAGE_TAG" and sent[-1]["tag"] == "HUMAN_AGENT"


def test_without_slack_the_local_agent_console_runs_the_whole_loop(stack: Stack, platforms: Platforms) -> None:

    gateway = platforms.new_gateway(stack, stack.log_dir, redis_db=8)
    for key in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_SUPPORT_CHANNEL"):
        gateway.env[key] = ""
    gateway.start()
    chat = next(_chat)
    conversation = f"telegram:{chat}"

    def act(**body: str) -> httpx.Response:
        return httpx.post(f"{gateway.url}/agent/action", json={"agent": "Camille", **body}, timeout=10)

    def ticket() -> dict:
        return next(
            t for t in httpx.get(f"{gateway.url}/agent/state").json()["tickets"] if t["conversation_id"] == conversation
        )

    try:
        assert "stand-in for Slack" in httpx.get(f"{gateway.url}/agent").text
        post_telegram(gateway.url, telegram_update(chat, "je veux parler à un humain"))
        platforms.telegram.wait_for(chat, 1)
        deadline = time.monotonic() + 20
        while not any(
            t["conversation_id"] == conversation for t in httpx.get(f"{gateway.url}/agent/state").json()["tickets"]
        ):
            assert time.monotonic() < deadline
            time.sleep(0.2)
        assert ticket()["status"] == "waiting" and ticket()["reason"] == "customer_request"
        assert act(action="take_over", conversation_id=conversation).status_code == 200
        assert ticket()["owner"] == "Camille"
        post_telegram(gateway.url, telegram_update(chat, "c'est pour la commande 48213"))
        deadline = time.monotonic() + 20
        while not any("48213" in line for line in ticket()["thread"]):
            assert time.monotonic() < deadline
            time.sleep(0.2)
        assert act(action="reply", conversation_id=conversation, text="Je regarde tout de suite.").status_code == 200
        assert platforms.telegram.wait_for(chat, 2)[1] == "Je regarde tout de suite."
        assert act(action="hand_back", conversation_id=conversation).status_code == 200
        assert "assistant virtuel" in platforms.telegram.wait_for(chat, 3)[2]
        assert ticket()["status"] == "closed"
        assert act(action="dance", conversation_id=conversation).status_code == 400
        assert httpx.get(f"{gateway.url}/healthz").json()["checks"]["slack"].startswith("off")
    finally:
        gateway.stop()


def test_the_console_is_off_when_slack_is_configured(gateway: str) -> None:

    assert httpx.get(f"{gateway}/agent/state").status_code == 404


def test_the_slash_command_lists_tickets_and_hands_back(gateway: str, platforms: Platforms) -> None:
    from urllib.parse import urlencode

    conversation = hand_over(gateway, platforms)
    chat = chat_of(conversation)

    def command(text: str) -> str:
        body = urlencode(
            {
                "command": "/passerelle",
                "text": text,
                "user_id": "U_AGENT",
                "user_name": "camille",
                "team_id": "T1",
                "channel_id": SUPPORT_CHANNEL,
                "response_url": "https://x.invalid/r",
                "trigger_id": "1.2",
                "api_app_id": "A1",
                "token": "legacy",
            }
        ).encode()
        response = post_slack(gateway, body, "application/x-www-form-urlencoded")
        assert response.status_code == 200
        return response.text  # bolt answers a text-only ack as text/plain, which Slack shows as is

    assert conversation in command("list")
    assert "back with the bot" in command(f"handback {conversation}")
    assert "assistant virtuel" in platforms.telegram.wait_for(chat, 2)[1]
    assert conversation not in command("list")
    assert "No open ticket" in command(f"close {conversation}")
    assert "`/passerelle list`" in command("dance")


def test_socket_mode_runs_the_loop_without_a_public_url(stack: Stack, platforms: Platforms) -> None:
    from tests.support.fakes.slack_api import APP_TOKEN

    slack = platforms.slack
    gateway = platforms.new_gateway(stack, stack.log_dir, redis_db=9)
    gateway.env.update({"SLACK_APP_TOKEN": APP_TOKEN, "SLACK_SIGNING_SECRET": ""})
    connections = slack.socket_connections
    gateway.start()
    try:
        deadline = time.monotonic() + 20
        while slack.socket_connections == connections and time.monotonic() < deadline:
            time.sleep(0.1)
        assert slack.socket_connections > connections, "the gateway did not open a Socket Mode connection"
        assert httpx.get(f"{gateway.url}/healthz").json()["checks"]["slack"] == "socket mode"
        # HTTP mode is off: without a signing secret nothing is accepted on /slack/events.
        assert post_slack(gateway.url, slack_thread_reply("1.2", "x"), "application/json").status_code == 404

        conversation = hand_over(gateway.url, platforms)
        chat = chat_of(conversation)
        slack.wait_ack(slack.socket_send("interactive", slack_button_payload("handoff_take_over", conversation)))
        thread = slack.wait_for(lambda m, p: m == "chat.update" and conversation in str(p.get("blocks")))["ts"]

        event = slack_thread_event(thread, "Bonjour, ici Camille.")
        slack.wait_ack(slack.socket_send("events_api", event))
        assert platforms.telegram.wait_for(chat, 2)[1] == "Bonjour, ici Camille."
        slack.wait_ack(slack.socket_send("events_api", event, retry_attempt=1))  # Slack's retry: same event_id

        command = {
            "command": "/passerelle",
            "text": "list",
            "user_id": "U_AGENT",
            "team_id": "T1",
            "channel_id": SUPPORT_CHANNEL,
            "api_app_id": "A1",
            "response_url": "https://x.invalid/r",
            "trigger_id": "1.2",
        }
        listed = slack.wait_ack(slack.socket_send("slash_commands", command))
        assert conversation in listed["payload"]["text"]
        handed = slack.wait_ack(slack.socket_send("slash_commands", {**command, "text": f"handback {conversation}"}))
        assert "back with the bot" in handed["payload"]["text"]
        assert "assistant virtuel" in platforms.telegram.wait_for(chat, 3)[2]
        assert platforms.telegram.texts(chat).count("Bonjour, ici Camille.") == 1
    finally:
        gateway.stop()


def test_an_edited_reply_is_not_resent_and_the_thread_says_so(gateway: str, platforms: Platforms) -> None:
    conversation = hand_over(gateway, platforms)
    chat = chat_of(conversation)
    post_slack(gateway, slack_button("handoff_take_over", conversation), "application/x-www-form-urlencoded")
    thread = platforms.slack.wait_for(lambda m, p: m == "chat.update" and conversation in str(p.get("blocks")))["ts"]
    post_slack(gateway, slack_thread_reply(thread, "Votre colis part demain."), "application/json")
    platforms.telegram.wait_for(chat, 2)

    # Slack's recorded message_changed event, placed in the ticket's thread.
    edit = json.loads((Path(__file__).parents[1] / "fixtures/slack/events_message_changed.json").read_text())
    edit["event_id"] = f"EvEdit{chat}"
    edit["event"]["channel"] = SUPPORT_CHANNEL
    edit["event"]["previous_message"].update(text="Votre colis part demain.", thread_ts=thread, ts="1700000099.1")
    edit["event"]["message"].update(text="Votre colis part lundi.", thread_ts=thread, ts="1700000099.1")
    assert post_slack(gateway, json.dumps(edit).encode(), "application/json").status_code == 200
    notice = platforms.slack.wait_for(
        lambda m, p: m == "chat.postMessage" and p.get("thread_ts") == thread and "Edits are not sent" in p["text"]
    )
    assert notice
    time.sleep(0.5)
    assert platforms.telegram.texts(chat)[1:] == ["Votre colis part demain."]


async def test_a_customer_back_after_the_session_expired_still_reaches_the_person(
    gateway: str, platforms: Platforms, rasa: RasaClient
) -> None:
    """Rasa starts a new session after 120 idle minutes, which would unpause the conversation: a customer writing
    the next morning, ticket still open, must reach the person, not the bot (the desk takes the message itself)."""
    chat = next(_chat)
    conversation = f"telegram:{chat}"
    post_telegram(gateway, telegram_update(chat, "je veux parler à un humain"))
    assert "Une personne va vous répondre" in platforms.telegram.wait_for(chat, 1)[0]
    ticket_for(platforms, conversation)
    # Three hours pass: the customer's last message is now that old (Rasa dates a session by it).
    old = time.time() - 3 * 3600
    await rasa.append_events(conversation, [{"event": "user", "text": "…", "timestamp": old, "parse_data": {}}])
    post_telegram(gateway, telegram_update(chat, "bonjour, toujours personne ?"))
    mirrored = platforms.slack.wait_for(
        lambda m, p: m == "chat.postMessage" and p.get("thread_ts") and "toujours personne" in p["text"]
    )
    assert mirrored
    time.sleep(1.5)
    assert len(platforms.telegram.texts(chat)) == 1  # the bot said nothing
    events = (await rasa.tracker(conversation))["events"]
    assert events[-1]["event"] == "user" and events[-1]["text"] == "bonjour, toujours personne ?"  # in the record
