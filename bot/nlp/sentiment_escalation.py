"""A Rasa NLU component: each message's sentiment in the parse data, and strongly negative messages as complaints.

Placed last in config.yml's pipeline (after the FallbackClassifier), it scores the message with
``bot.nlp.sentiment.scoring`` (French or English, found by ``bot.nlp.language.detect_language``) and adds
``{"score", "label", "language", "escalated"}`` under ``sentiment`` in the parse data, so Rasa keeps it with the
message in the tracker. When the score is at or under ``escalate_at_or_below`` and the message is not already a
complaint, a request for a person or out of scope (a message not for the bot never opens a ticket by itself), the
intent becomes ``complaint`` (the original stays in ``intent_ranking``): the complaint rule then apologises and hands
the conversation over, and actions/handoff.py writes the reason on the ticket. Button payloads (``/intent``) never
reach NLU components, so a button press is never escalated.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlp.language import detect_language
from bot.nlp.sentiment.scoring import score

SENTIMENT = "sentiment"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class SentimentEscalation(GraphComponent, IntentClassifier):  # type: ignore[misc]
    """Scores sentiment and turns strongly negative messages into complaints."""

    @classmethod
    def required_components(cls) -> list[type]:
        """An intent classifier must run first."""
        return [IntentClassifier]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """``escalate_at_or_below``: the score (-1..1) at or under which a message escalates; -1.01 turns it off."""
        return {
            "escalate_at_or_below": -0.8,
            "escalation_intent": "complaint",
            "never_escalate": ["complaint", "request_human", "out_of_scope"],
        }

    def __init__(self, config: dict[str, Any]) -> None:
        """Keep the configuration."""
        self.threshold = float(config["escalate_at_or_below"])
        self.intent = str(config["escalation_intent"])
        self.keep = frozenset(config["never_escalate"])

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SentimentEscalation:
        """Create the component (nothing to train) and load the lexicons now, not on the first customer message."""
        for language in ("fr", "en"):
            score("merci", language)
        return cls(config)

    def process(self, messages: list[Message]) -> list[Message]:
        """Annotate each message; escalate the strongly negative ones."""
        for message in messages:
            text = message.get(TEXT) or ""
            language = detect_language(text)
            result = score(text, language)
            intent = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
            escalated = result.score <= self.threshold and intent not in self.keep
            if escalated:
                forced = {INTENT_NAME_KEY: self.intent, PREDICTED_CONFIDENCE_KEY: 1.0}
                message.set(INTENT, forced, add_to_output=True)
                ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get(INTENT_NAME_KEY) != self.intent]
                message.set(INTENT_RANKING_KEY, [forced, *ranking], add_to_output=True)
            annotation = {
                "score": round(result.score, 3),
                "label": result.label,
                "language": language,
                "escalated": escalated,
            }
            message.set(SENTIMENT, annotation, add_to_output=True)
        return messages
