"""The comment desk's policy: readable rules (bot/comments/policy.yml) from a comment's reading to one action.

Pure: the desk reads the comment (``CommentDesk.read``), the policy decides, the desk acts. The safe defaults
hold even when a rule asks for more: no public reply unless ``public_replies`` is on (the rule's answer goes in
private instead), no hiding unless ``hide_spam`` is on (the comment is left visible, and counted).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast, get_args

import yaml

Action = Literal["public_reply", "private_reply", "ticket", "hide", "leave"]
ACTIONS: tuple[str, ...] = get_args(Action)
LANGUAGES = ("fr", "en")
DEFAULT_POLICY = Path(__file__).with_name("policy.yml")
CONDITIONS = ("intents", "sentiment_at_most", "spam", "unsure", "question")


class PolicyError(ValueError):
    """The policy file cannot be used (the message says where and why)."""


@dataclass(frozen=True)
class Reading:
    """What the desk understood of a comment.

    Attributes:
        intent: The intent the model recognised, or None when it is not sure (see ``unsure``).
        confidence: The model's confidence in it, 0 to 1.
        sentiment: -1 (very negative) to 1 (very positive).
        language: ``fr`` or ``en``.
        spam: It reads as spam or abuse (bot/comments/spam.py).
        unsure: Fallback, out of scope, or under the policy's ``min_confidence``.
        question: It asks something (a question mark, or it opens like a question): only questions get answers,
            so that praise the model takes for a question is not answered.

    """

    intent: str | None
    confidence: float
    sentiment: float
    language: str
    spam: bool = False
    unsure: bool = False
    question: bool = False


@dataclass(frozen=True)
class Rule:
    """One line of the policy: conditions (all must hold; none given: always) and an action."""

    action: Action
    intents: frozenset[str] | None = None
    sentiment_at_most: float | None = None
    spam: bool | None = None
    unsure: bool | None = None
    question: bool | None = None
    answer: str | None = None

    def matches(self, reading: Reading) -> bool:
        """Whether every condition of the rule holds for ``reading``."""
        if self.intents is not None and (reading.unsure or reading.intent not in self.intents):
            return False
        if self.sentiment_at_most is not None and reading.sentiment > self.sentiment_at_most:
            return False
        if self.spam is not None and reading.spam != self.spam:
            return False
        if self.question is not None and reading.question != self.question:
            return False
        return self.unsure is None or reading.unsure == self.unsure


@dataclass(frozen=True)
class Decision:
    """What the desk does with one comment, and why (shown on cards and counted in the digest)."""

    action: Action
    why: str
    answer: str | None = None  # the name of the answer in the policy, for replies


@dataclass(frozen=True)
class Policy:
    """The whole policy file."""

    rules: tuple[Rule, ...]
    answers: dict[str, dict[str, str]]
    public_replies: bool = False
    hide_spam: bool = False
    min_confidence: float = 0.5

    def decide(self, reading: Reading) -> Decision:
        """The first matching rule's action, within the switches; ``leave`` when no rule matches."""
        for number, rule in enumerate(self.rules, start=1):
            if not rule.matches(reading):
                continue
            why = f"rule {number}: {describe(rule)}"
            if rule.action == "public_reply" and not self.public_replies:
                return Decision("private_reply", f"{why} (public replies are off: in private)", rule.answer)
            if rule.action == "hide" and not self.hide_spam:
                return Decision("leave", f"{why} (hiding is off: left visible)")
            return Decision(rule.action, why, rule.answer)
        return Decision("leave", "no rule matched")

    def answer(self, name: str, language: str, author: str | None) -> str:
        """The answer ``name`` in ``language`` (French when it has no such language), with the author's name."""
        texts = self.answers[name]
        template = texts.get(language) or texts["fr"]
        return template.replace("{name}", author or "").replace(" ,", ",").replace("  ", " ")


def describe(rule: Rule) -> str:
    """A rule as a community manager reads it on a card."""
    parts = []
    if rule.intents is not None:
        parts.append("about " + " or ".join(sorted(rule.intents)))
    if rule.sentiment_at_most is not None:
        parts.append(f"sentiment at most {rule.sentiment_at_most:+.2f}")
    if rule.spam is not None:
        parts.append("spam" if rule.spam else "not spam")
    if rule.unsure is not None:
        parts.append("unsure what it is about" if rule.unsure else "understood")
    if rule.question is not None:
        parts.append("a question" if rule.question else "not a question")
    return (", ".join(parts) or "any comment") + f" → {rule.action.replace('_', ' ')}"


def _rule(number: int, raw: Any, answers: dict[str, dict[str, str]]) -> Rule:
    where = f"rule {number}"
    if not isinstance(raw, dict) or raw.get("do") not in ACTIONS:
        raise PolicyError(f"{where}: needs `do:` one of {', '.join(ACTIONS)}")
    when = raw.get("when") or {}
    if not isinstance(when, dict) or set(when) - set(CONDITIONS):
        raise PolicyError(f"{where}: `when:` takes only {', '.join(CONDITIONS)}")
    intents = when.get("intents")
    if intents is not None and (not isinstance(intents, list) or not all(isinstance(i, str) for i in intents)):
        raise PolicyError(f"{where}: `intents:` is a list of intent names")
    at_most = when.get("sentiment_at_most")
    if at_most is not None and (not isinstance(at_most, int | float) or not -1 <= at_most <= 1):
        raise PolicyError(f"{where}: `sentiment_at_most:` is a number from -1 to 1")
    for flag in ("spam", "unsure", "question"):
        if flag in when and not isinstance(when[flag], bool):
            raise PolicyError(f"{where}: `{flag}:` is true or false")
    answer = raw.get("answer")
    if raw["do"] in ("public_reply", "private_reply") and answer not in answers:
        raise PolicyError(f"{where}: a reply needs `answer:` naming one of the answers ({', '.join(answers)})")
    return Rule(
        action=cast(Action, raw["do"]),
        intents=None if intents is None else frozenset(intents),
        sentiment_at_most=None if at_most is None else float(at_most),
        spam=when.get("spam"),
        unsure=when.get("unsure"),
        question=when.get("question"),
        answer=answer,
    )


def parse_policy(data: Any) -> Policy:
    """A policy from the YAML file's content.

    Raises:
        PolicyError: when a part is missing or malformed.

    """
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        raise PolicyError("the policy needs `rules:`, a list")
    answers = data.get("answers") or {}
    if not isinstance(answers, dict):
        raise PolicyError("`answers:` maps a name to its French and English texts")
    for name, texts in answers.items():
        if not isinstance(texts, dict) or not all(isinstance(texts.get(lang), str) for lang in LANGUAGES):
            raise PolicyError(f"answer {name}: needs both `fr:` and `en:` texts")
    for switch in ("public_replies", "hide_spam"):
        if not isinstance(data.get(switch, False), bool):
            raise PolicyError(f"`{switch}:` is true or false")
    confidence = data.get("min_confidence", 0.5)
    if not isinstance(confidence, int | float) or not 0 <= confidence <= 1:
        raise PolicyError("`min_confidence:` is a number from 0 to 1")
    return Policy(
        rules=tuple(_rule(n, raw, answers) for n, raw in enumerate(data["rules"], start=1)),
        answers=answers,
        public_replies=bool(data.get("public_replies", False)),
        hide_spam=bool(data.get("hide_spam", False)),
        min_confidence=float(confidence),
    )


def load_policy(path: Path | None = None) -> Policy:
    """The policy in ``path`` (the shipped bot/comments/policy.yml when None).

    Raises:
        PolicyError: when the file cannot be read or is malformed.

    """
    path = path or DEFAULT_POLICY
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise PolicyError(f"{path}: {error}") from error
    try:
        return parse_policy(data)
    except PolicyError as error:
        raise PolicyError(f"{path}: {error}") from error
