from bot.conversation import escape
from bot.handoff.tickets import CLOSE, HAND_BACK, TAKE_OVER, Ticket, ticket_blocks, ticket_text

TICKET = Ticket(
    "telegram:7",
    "telegram",
    "Camille",
    "fr",
    "complaint",
    "Escalated: complaint.",
    order_ids=("48213",),
    transcript=({"from": "customer", "text": "c'est <b>nul</b> & lent"},),
)


def actions(ticket: Ticket) -> list[str]:
    block = next((b for b in ticket_blocks(ticket) if b["type"] == "actions"), {"elements": []})
    return [e["action_id"] for e in block["elements"]]


def test_escape_neutralises_slack_control_sequences() -> None:
    assert escape("<!channel> & <@U1>") == "&lt;!channel&gt; &amp; &lt;@U1&gt;"


def test_buttons_follow_the_ticket_state() -> None:
    assert actions(TICKET) == [TAKE_OVER, CLOSE]
    claimed = Ticket(**{**TICKET.__dict__, "status": "claimed", "owner": "U1"})
    assert actions(claimed) == [HAND_BACK, CLOSE]
    assert "<@U1>" in str(ticket_blocks(claimed))
    assert actions(Ticket(**{**TICKET.__dict__, "status": "closed"})) == []


def test_the_ticket_carries_what_a_manager_needs() -> None:
    text = str(ticket_blocks(TICKET))
    for expected in ("Camille", "Telegram", "fr", "complaint", "48213", "c'est &lt;b&gt;nul&lt;/b&gt; &amp; lent"):
        assert expected in text
    assert ticket_text(TICKET) == "Handoff (complaint): Camille"


def test_the_customers_rating_shows_on_the_ticket() -> None:
    rated = Ticket(**{**TICKET.__dict__, "status": "closed", "rating": 4})
    assert "Customer satisfaction: ★★★★☆ 4/5" in str(ticket_blocks(rated))
    assert "satisfaction" not in str(ticket_blocks(TICKET))
