"""Customers on Telegram, Messenger and Instagram, through the gateway, to the real Rasa, actions and Redis."""

from __future__ import annotations

import time

import httpx
import pytest

from bot.local.stack import Stack
from bot.notices import DELAY_NOTICE
from tests.support.demo import take_cancellable_order
from tests.support.gateway_harness import (
    VERIFY_TOKEN,
    Platforms,
    instagram_body,
    messenger_body,
    post_messenger,
    post_telegram,
    sign,
    telegram_button,
    telegram_update,
)

pytestmark = pytest.mark.stack

_chat = iter(range(910_000, 999_999))


def new_chat() -> int:
    return next(_chat)


def test_french_conversation_on_telegram(gateway: str, platforms: Platforms) -> None:
    chat = new_chat()
    assert post_telegram(gateway, telegram_update(chat, "Bonjour")).status_code == 200
    assert "Bonjour" in platforms.telegram.wait_for(chat, 1)[0]
    post_telegram(gateway, telegram_update(chat, "où en est ma commande CMD-48213 ?"))
    assert "expédiée" in platforms.telegram.wait_for(chat, 2)[1]


def test_english_conversation_with_buttons_on_telegram(gateway: str, platforms: Platforms) -> None:
    order = take_cancellable_order()
    chat = new_chat()
    post_telegram(gateway, telegram_update(chat, f"I'd like to cancel order {order['id']}", language="en"))
    platforms.telegram.wait_for(chat, 1)
    question = platforms.telegram.sent(chat)[0]
    assert "Do you really want to cancel" in question["text"]
    buttons = [b["callback_data"] for row in question["reply_markup"]["inline_keyboard"] for b in row]
    assert buttons == ["/affirm", "/deny"]
    press = telegram_button(chat, "/affirm")
    post_telegram(gateway, press)
    assert "is cancelled" in platforms.telegram.wait_for(chat, 2)[1]
    acknowledged = [p for m, p in platforms.telegram.calls if m == "answerCallbackQuery"]
    assert {"callback_query_id": press["callback_query"]["id"]}.items() <= acknowledged[-1].items()


def test_a_message_without_clues_keeps_the_conversations_language_over_the_channel_hint(
    gateway: str, platforms: Platforms
) -> None:
    chat = new_chat()  # Telegram says "en" but the customer writes French: the gateway decides, Rasa's slot follows
    post_telegram(gateway, telegram_update(chat, "bonjour, je voudrais savoir où est mon colis", language="en"))
    platforms.telegram.wait_for(chat, 1)
    post_telegram(gateway, telegram_update(chat, "48213", language="en"))
    assert "expédiée" in platforms.telegram.wait_for(chat, 2)[1]


def test_a_sticker_gets_a_polite_answer_in_the_customers_language(gateway: str, platforms: Platforms) -> None:
    chat = new_chat()
    post_telegram(gateway, telegram_update(chat, None, language="fr", sticker={"file_id": "x", "emoji": "👍"}))
    assert "stickers" in platforms.telegram.wait_for(chat, 1)[0] and "texte" in platforms.telegram.texts(chat)[0]


def test_a_repeated_delivery_gets_one_answer(gateway: str, platforms: Platforms) -> None:
    chat = new_chat()
    update = telegram_update(chat, "merci beaucoup")
    first, second = post_telegram(gateway, update), post_telegram(gateway, update)
    assert first.json()["queued"] == 1 and second.json() == {"ok": True, "queued": 0, "duplicates": 1}
    platforms.telegram.wait_for(chat, 1)
    time.sleep(1.5)
    assert len(platforms.telegram.texts(chat)) == 1


def test_messages_are_answered_in_order(gateway: str, platforms: Platforms) -> None:
    chat = new_chat()
    for text in ("bonjour", "merci", "au revoir"):
        assert post_telegram(gateway, telegram_update(chat, text)).status_code == 200
    texts = platforms.telegram.wait_for(chat, 3)
    assert "Bonjour" in texts[0] and "Avec plaisir" in texts[1] and "à bientôt" in texts[2]


def test_a_message_too_long_to_read_gets_a_request_to_sum_it_up(gateway: str, platforms: Platforms) -> None:
    chat = new_chat()
    long_text = "Bonjour, je vous écris au sujet de ma commande. " * 50  # 2,450 characters, over the 2,000 limit
    post_telegram(gateway, telegram_update(chat, long_text))
    assert "trop long" in platforms.telegram.wait_for(chat, 1)[0]
    post_telegram(gateway, telegram_update(chat, "où en est ma commande CMD-48213 ?"))
    assert "expédiée" in platforms.telegram.wait_for(chat, 2)[1]


def test_a_flood_is_told_once_and_the_rest_is_not_read(gateway: str, platforms: Platforms) -> None:
    """Past 20 messages in a minute, one notice, then silence: Rasa does not see the flood."""
    chat = new_chat()
    for i in range(26):
        assert post_telegram(gateway, telegram_update(chat, f"merci {i}")).status_code == 200
    deadline = time.monotonic() + 60
    while not any("beaucoup de messages" in t for t in platforms.telegram.texts(chat)):
        assert time.monotonic() < deadline, platforms.telegram.texts(chat)
        time.sleep(0.1)
    time.sleep(1.5)  # nothing else comes
    texts = platforms.telegram.texts(chat)
    assert "beaucoup de messages" in texts[-1] and sum("beaucoup de messages" in t for t in texts) == 1
    assert sum("plaisir" in t for t in texts) == 20  # the first 20 were read and answered, one answer each


@pytest.mark.parametrize("secret", [None, "wrong-secret", ""])
def test_telegram_requests_without_the_secret_are_refused(
    gateway: str, platforms: Platforms, secret: str | None
) -> None:
    chat = new_chat()
    response = post_telegram(gateway, telegram_update(chat, "bonjour"), secret=secret)
    assert response.status_code == 401
    time.sleep(1)
    assert platforms.telegram.texts(chat) == []


@pytest.mark.parametrize("body", [b"{not json", b"[]", b'{"update_id": "x"}', "é".encode("latin-1")])
def test_malformed_telegram_bodies_get_a_400(gateway: str, body: bytes) -> None:
    from tests.support.gateway_harness import TELEGRAM_SECRET

    response = httpx.post(
        f"{gateway}/webhooks/telegram", content=body, headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}
    )
    assert response.status_code == 400


def test_an_oversized_body_is_refused(gateway: str) -> None:
    from tests.support.gateway_harness import TELEGRAM_SECRET

    response = httpx.post(
        f"{gateway}/webhooks/telegram",
        content=b"x" * 2_000_000,
        headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET},
    )
    assert response.status_code == 413


@pytest.mark.parametrize(
    ("psid", "text", "expected"),
    [
        ("PSID_FR_1", "Bonjour, où en est ma commande 48213 ?", "expédiée"),
        ("PSID_EN_1", "Hi, where is my order 48213?", "shipped on"),
    ],
)
def test_conversations_on_messenger(gateway: str, platforms: Platforms, psid: str, text: str, expected: str) -> None:
    body = messenger_body(psid, text)
    response = post_messenger(gateway, body, sign(body))
    assert response.status_code == 200 and response.text == "EVENT_RECEIVED"
    assert expected in platforms.graph.wait_for(psid, 1)[0]
    assert platforms.graph.bodies[-1]["messaging_type"] == "RESPONSE"


def test_an_instagram_dm_about_an_order_is_answered_on_instagram(gateway: str, platforms: Platforms) -> None:
    body = instagram_body("IGSID_ORDER_FR", "Bonjour, où en est ma commande 48213 ?")
    response = post_messenger(gateway, body, sign(body))  # the same callback URL as Messenger, told apart by object
    assert response.status_code == 200 and response.text == "EVENT_RECEIVED"
    [answer] = platforms.graph.wait_for("IGSID_ORDER_FR", 1)
    assert "48213" in answer and "expédiée" in answer
    sent = [b for b in platforms.graph.bodies if b["recipient"].get("id") == "IGSID_ORDER_FR"]
    assert all(len(b["message"]["text"].encode()) <= 1000 for b in sent)


def test_an_instagram_story_mention_gets_a_polite_answer_and_a_reaction_none(
    gateway: str, platforms: Platforms
) -> None:
    body = instagram_body("IGSID_STORY", attachment="story_mention")
    assert post_messenger(gateway, body, sign(body)).status_code == 200
    [answer] = platforms.graph.wait_for("IGSID_STORY", 1)
    assert "je ne vois pas les mentions en story" in answer  # no words, no hint: the default language


@pytest.mark.parametrize("signature", [None, "sha256=" + "0" * 64, "sha1=abc"])
def test_unsigned_or_forged_messenger_requests_are_refused(
    gateway: str, platforms: Platforms, signature: str | None
) -> None:
    body = messenger_body("PSID_FORGED", "bonjour")
    assert post_messenger(gateway, body, signature).status_code == 403
    time.sleep(1)
    assert platforms.graph.texts("PSID_FORGED") == []


def test_messenger_verification_handshake(gateway: str) -> None:
    params = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "31337"}
    assert httpx.get(f"{gateway}/webhooks/messenger", params=params).text == "31337"
    params["hub.verify_token"] = "nope"
    assert httpx.get(f"{gateway}/webhooks/messenger", params=params).status_code == 403


def test_health_reports_each_part(gateway: str) -> None:
    health = httpx.get(f"{gateway}/healthz").json()
    assert health["checks"]["store"] == "ok" and health["checks"]["store_durable"] is True  # redis-server, AOF on
    assert health["checks"]["store_persistence"] == "aof"
    assert health["checks"]["telegram"] == "webhook" and health["checks"]["messenger"] == "configured"


def test_a_killed_gateway_loses_nothing_and_repeats_only_a_send_cut_short(stack: Stack, platforms: Platforms) -> None:
    """kill -9 mid-traffic: every message is answered after the restart, and at most once, except a reply whose
    send was in flight when the process died: Telegram received it but the gateway never learnt so, and the Bot
    API offers no idempotency key, so it is sent again (at least once beats never).

    Each turn takes 0.3 s more (a proxy before Rasa), so that the kill lands mid-traffic however fast the machine
    is: a turn held there when the gateway dies still reaches Rasa, whose answer the restarted gateway then reads
    from the tracker instead of asking again.
    """
    from bot.local.threaded_server import serve_in_thread
    from tests.support.fakes.slow_rasa import SlowRasa

    slow = SlowRasa(stack.settings.rasa_url, delay=0.3)
    with serve_in_thread(slow.app()) as slow_url:
        gateway = platforms.new_gateway(stack, stack.log_dir, rasa_url=slow_url, redis_db=2)  # alone on its queue
        gateway.start()
        chats = [new_chat() for _ in range(30)]
        try:
            for chat in chats:
                assert post_telegram(gateway.url, telegram_update(chat, "bonjour")).status_code == 200
            gateway.kill()  # kill -9 while most messages are still queued or half handled
            killed_at = time.monotonic()
            answered_before = sum(bool(platforms.telegram.texts(c)) for c in chats)
            gateway.start()
            for chat in chats:
                platforms.telegram.wait_for(chat, 1, timeout=60)
            time.sleep(2)
            assert answered_before < len(chats), "the kill came too late to test anything"
            # A delay notice is no repeat: the backlog waits for the restart, and the customer may be told so.
            answers = {c: [t for t in platforms.telegram.texts(c) if "retard" not in t] for c in chats}
            repeated = [c for c in chats if len(answers[c]) > 1]
            assert all(len(answers[c]) <= 2 for c in chats)
            # A repeat is allowed only for a reply that reached Telegram in the last moments before the kill.
            assert all(killed_at - platforms.telegram.send_times(c)[0] < 0.5 for c in repeated), repeated
            assert len(repeated) <= 8  # at most one in-flight send per worker
        finally:
            gateway.stop()


def test_messages_wait_while_rasa_is_down_and_the_customer_is_told(stack: Stack, platforms: Platforms) -> None:
    from bot.local.stack import free_port

    down = platforms.new_gateway(stack, stack.log_dir, rasa_url=f"http://127.0.0.1:{free_port()}", redis_db=3)
    down.start()
    chat = new_chat()
    try:
        post_telegram(down.url, telegram_update(chat, "où en est ma commande 48213 ?"))
        notice = platforms.telegram.wait_for(chat, 1, timeout=20)[0]
        assert "retard" in notice and "bien reçu" in notice
        assert httpx.get(f"{down.url}/healthz").json()["checks"]["rasa"] == "unreachable"
    finally:
        down.kill()
    back = platforms.new_gateway(stack, stack.log_dir, redis_db=3)  # the same queue, with Rasa reachable again
    back.start()
    try:
        texts = platforms.telegram.wait_for(chat, 2, timeout=30)
        assert "expédiée" in texts[1]
        time.sleep(1)
        assert len(platforms.telegram.texts(chat)) == 2
    finally:
        back.stop()


def test_a_customer_waiting_on_a_slow_rasa_is_told_then_answered_once(stack: Stack, platforms: Platforms) -> None:
    """Each turn takes 4 s (a slow custom action, an overloaded Rasa): the webhook is still acknowledged at once, the
    customer hears after DELAY_NOTICE_SECONDS (1 s here) that the message is safe, then gets the answer, once."""
    from bot.local.threaded_server import serve_in_thread
    from tests.support.fakes.slow_rasa import SlowRasa

    slow = SlowRasa(stack.settings.rasa_url, delay=4.0)
    with serve_in_thread(slow.app()) as slow_url:
        gateway = platforms.new_gateway(stack, stack.log_dir, rasa_url=slow_url, redis_db=12)
        gateway.start()
        chat = new_chat()
        try:
            started = time.monotonic()
            assert post_telegram(gateway.url, telegram_update(chat, "où en est ma commande CMD-48213 ?")).is_success
            assert time.monotonic() - started < 1.0  # the platform never waits for Rasa
            notice, answer = platforms.telegram.wait_for(chat, 2, timeout=30)[:2]
            assert "retard" in notice and "expédiée" in answer
            time.sleep(1.5)
            assert len(platforms.telegram.texts(chat)) == 2 and slow.turns == 1
        finally:
            gateway.stop()


def test_polling_mode_without_a_public_url(stack: Stack, platforms: Platforms) -> None:
    gateway = platforms.new_gateway(stack, stack.log_dir, redis_db=4)
    gateway.env["PUBLIC_URL"] = ""
    gateway.start()
    chat = new_chat()
    try:
        platforms.telegram.updates.append(telegram_update(chat, "hello", language="en"))
        assert "Hello" in platforms.telegram.wait_for(chat, 1)[0]
        assert any(m == "deleteWebhook" for m, _ in platforms.telegram.calls)
        assert httpx.get(f"{gateway.url}/healthz").json()["checks"]["telegram"] == "polling"
        time.sleep(1.5)  # the update was confirmed (offset moved on): it is not answered again
        assert len(platforms.telegram.texts(chat)) == 1
    finally:
        platforms.telegram.updates.clear()
        gateway.stop()


def test_telegram_429_then_success_delivers_once(gateway: str, platforms: Platforms) -> None:
    chat = new_chat()
    platforms.telegram.fail_next.extend([429, 500])
    post_telegram(gateway, telegram_update(chat, "bonjour"))
    texts = platforms.telegram.wait_for(chat, 1, timeout=40)
    time.sleep(1.5)
    assert len(platforms.telegram.texts(chat)) == 1 and "Bonjour" in texts[0]


def test_order_holds_per_conversation_under_concurrent_deliveries(gateway: str, platforms: Platforms) -> None:
    import concurrent.futures

    chats = [new_chat() for _ in range(8)]
    script = ("bonjour", "merci", "au revoir")

    def customer(chat: int) -> None:
        for text in script:  # Telegram sends one chat's updates one after the other
            assert post_telegram(gateway, telegram_update(chat, text)).status_code == 200

    def answers(chat: int) -> list[str]:  # a customer kept waiting is told so first (DELAY_NOTICE), then answered
        return [text for text in platforms.telegram.texts(chat) if text not in DELAY_NOTICE.values()]

    with concurrent.futures.ThreadPoolExecutor(len(chats)) as pool:
        list(pool.map(customer, chats))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and any(len(answers(chat)) < 3 for chat in chats):
        time.sleep(0.1)
    for chat in chats:
        texts = answers(chat)
        assert len(texts) == 3, platforms.telegram.texts(chat)
        assert "Bonjour" in texts[0] and "Avec plaisir" in texts[1] and "à bientôt" in texts[2]
    time.sleep(1)
    assert all(len(answers(c)) == 3 for c in chats)
