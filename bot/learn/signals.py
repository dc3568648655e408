"""What the bot did not handle, read from one conversation's events (pure functions).

A customer message counts as unhandled when:
- ``fallback``: the NLU fell back (``nlu_fallback``) or the dialogue ran the fallback action;
- ``out_of_scope``: the message ended as ``out_of_scope`` (the classifier's out-of-scope gate, or an example taught as
  such): the bot said it cannot help, which is what a topic it was never taught now mostly gets;
- ``low_confidence``: the predicted intent's confidence is below a threshold;
- ``denied``: the customer's next message is a denial right after the bot answered (outside a yes/no question);
- ``rephrased``: the customer's next message asks the same thing again in other words;
- ``handoff``: the conversation was handed to a person: the customer's questions before it and during it.
The managers' answers (``bot`` events whose metadata names an ``agent``) come along as draft responses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.nlp.language import detect_language, normalize_language
from bot.rasa_client import FALLBACK_INTENT, OUT_OF_SCOPE_INTENT

FALLBACK_ACTIONS = ("action_fallback",)
HANDOFF_ACTION = "action_handoff"
# Intents that carry no question of their own: never proposed as a new topic.
PLEASANTRIES = ("greet", "goodbye", "thank", "affirm", "deny")
SMALL_TALK = (*PLEASANTRIES, "request_human", "inform", "bot_challenge")


@dataclass(frozen=True)
class Unhandled:
    """A customer message the bot did not handle, with what the logs say about it."""

    conversation_id: str
    text: str
    language: str
    reason: str
    intent: str
    confidence: float
    answers: tuple[str, ...] = ()


@dataclass
class ConversationSummary:
    """One conversation's unhandled messages, and how many customer messages it had."""

    messages: int
    unhandled: list[Unhandled]


def _is_customer_text(text: str) -> bool:
    text = text.strip()
    return bool(text) and not text.startswith("/") and not text.startswith("csat:")


def _intent(event: dict[str, Any]) -> tuple[str, float]:
    intent = (event.get("parse_data") or {}).get("intent") or {}
    return str(intent.get("name") or ""), float(intent.get("confidence") or 0.0)


def _same_question(first: str, second: str) -> bool:
    """Whether ``second`` repeats ``first`` in other words (half their words shared, not word for word)."""
    a, b = set(first.lower().split()), set(second.lower().split())
    return bool(a and b) and a != b and len(a & b) / len(a | b) >= 0.5


def _handoff_turns(turns: list[dict[str, Any]]) -> set[int]:
    """The customer's question that led to the handoff (the last one before it) and those asked during it."""
    during = {i for i, t in enumerate(turns) if t["paused"]}
    start = next((i for i, t in enumerate(turns) if HANDOFF_ACTION in t["actions"]), len(turns))
    before = [i for i in range(min(start + 1, len(turns))) if _intent(turns[i]["event"])[0] not in SMALL_TALK]
    return during | set(before[-1:])


def summarize(tracker: dict[str, Any], threshold: float = 0.6) -> ConversationSummary:
    """The unhandled customer messages of one conversation."""
    events = tracker.get("events") or []
    conversation_id = str(tracker.get("sender_id") or "")
    language: str | None = None
    turns: list[dict[str, Any]] = []  # one per customer message: the event, what followed, the language then
    answers: list[tuple[str, str]] = []  # (language, text) of the managers' replies
    handed_over = paused = False
    for event in events:
        kind = event.get("event")
        if kind == "slot" and event.get("name") == "language" and event.get("value"):
            language = str(event["value"])
        elif kind == "user":
            if _is_customer_text(str(event.get("text") or "")):
                turns.append({"event": event, "actions": [], "bot": False, "language": language, "paused": paused})
        elif kind == "action" and turns:
            turns[-1]["actions"].append(str(event.get("name") or ""))
        elif kind == "active_loop" and turns and event.get("name"):
            turns[-1]["actions"].append("form")
        elif kind == "bot":
            if (event.get("metadata") or {}).get("agent"):
                answers.append((language or "", str(event.get("text") or "")))
            elif turns:
                turns[-1]["bot"] = True
        elif kind == "rewind" and turns:  # a failed turn, undone to be asked again (see RasaClient.send)
            turns.pop()
        elif kind == "pause":
            paused = True
        elif kind == "resume":
            paused = False
        if kind == "action" and event.get("name") == HANDOFF_ACTION:
            handed_over = True
    handoff_turns = _handoff_turns(turns) if handed_over else set()
    found: list[Unhandled] = []
    for index, turn in enumerate(turns):
        event = turn["event"]
        intent, confidence = _intent(event)
        following = turns[index + 1] if index + 1 < len(turns) else None
        reason = ""
        if intent == FALLBACK_INTENT or any(a in FALLBACK_ACTIONS for a in turn["actions"]):
            reason = "fallback"
        elif turn["paused"]:  # said to the person: all but pleasantries is part of the question
            if intent in PLEASANTRIES:
                continue
            reason = "handoff"
        elif intent == OUT_OF_SCOPE_INTENT:  # before the confidence: the gate answers it at 1.0
            reason = "out_of_scope"
        elif intent in SMALL_TALK:
            continue
        elif confidence < threshold:
            reason = "low_confidence"
        elif following is not None and turn["bot"] and "form" not in turn["actions"]:
            if _intent(following["event"])[0] == "deny":
                reason = "denied"
            elif _same_question(str(event.get("text") or ""), str(following["event"].get("text") or "")):
                reason = "rephrased"
        if not reason and index in handoff_turns:
            reason = "handoff"
        if not reason:
            continue
        text = str(event.get("text") or "").strip()
        lang = normalize_language(turn["language"]) or detect_language(text)
        replies = tuple(t for lang_, t in answers if not lang_ or lang_ == lang)
        found.append(Unhandled(conversation_id, text, lang, reason, intent, confidence, replies))
    return ConversationSummary(messages=len(turns), unhandled=found)
