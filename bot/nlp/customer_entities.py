"""A Rasa NLU component: the ``language`` entity, and ``order_id`` and ``email`` entities in their tidy form.

Placed after the RegexEntityExtractor in config.yml's pipeline. The domain maps the ``language`` slot from the
``language`` entity (which does not influence the conversation), so that the slot follows the customer with no
action server round trip per message (bot/nlp/entity_values.py says why and how it decides).
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    EXTRACTOR,
    METADATA,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from bot.nlp.entity_values import message_language, normalize_email, normalize_order_id

NORMALIZERS = {"order_id": normalize_order_id, "email": normalize_email}


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class CustomerEntities(GraphComponent, EntityExtractorMixin):  # type: ignore[misc]
    """Adds the message's language and tidies the order ids and emails the regexes found."""

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> CustomerEntities:
        """Nothing to configure or train."""
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        """Annotate each message."""
        for message in messages:
            text = message.get(TEXT) or ""
            entities = [tidy for entity in message.get(ENTITIES) or [] if (tidy := self._tidy(entity)) is not None]
            metadata = message.get(METADATA)
            language = message_language(text, metadata if isinstance(metadata, dict) else None)
            if language is not None:
                entities.append(
                    {
                        ENTITY_ATTRIBUTE_TYPE: "language",
                        ENTITY_ATTRIBUTE_VALUE: language,
                        ENTITY_ATTRIBUTE_START: 0,
                        ENTITY_ATTRIBUTE_END: len(text),
                        EXTRACTOR: self.__class__.__name__,
                    }
                )
            message.set(ENTITIES, entities, add_to_output=True)
        return messages

    @staticmethod
    def _tidy(entity: dict[str, Any]) -> dict[str, Any] | None:
        """The entity with its tidy value; None when nothing usable is left (the slot then keeps its value)."""
        normalize = NORMALIZERS.get(str(entity.get(ENTITY_ATTRIBUTE_TYPE)))
        if normalize is None:
            return entity
        value = normalize(entity.get(ENTITY_ATTRIBUTE_VALUE))
        return {**entity, ENTITY_ATTRIBUTE_VALUE: value} if value is not None else None
