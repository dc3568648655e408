"""A Rasa dense featurizer: each message's meaning as one 512-d vector, French and English in one space.

Why: TF-IDF features know surface strings; customers on social networks write the same thing in other words, in
either language, and write things that are not for the bot at all. The multilingual encoder (``bot/nlp/encoder.py``)
maps "je veux annuler ma commande" and "I want to cancel my order" near each other and far from "quel temps fait-il",
so one French example teaches the English side too, and ``bot/nlp/out_of_scope_gate.py`` can tell how far a message
is from everything the bot was taught.

Only sentence-level features are set (the encoder gives no per-token vectors); the linear intent classifier
reads them beside the sparse ones. A long message is cut at ``max_characters`` (at a space when there is one):
the encoder averages over its words, so the start of a 5,000-character message says what it is about, and the
cost of a parse stays bounded.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import FEATURIZER_CLASS_ALIAS
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlp.encoder import encode, load_encoder


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class SentenceEncoderFeaturizer(DenseFeaturizer, GraphComponent):  # type: ignore[misc]
    """Sets the sentence vector of each message's text as a dense sentence feature."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """``max_characters``: longer texts are cut; ``threads``: BLAS threads for the encoder.

        Two threads halve a parse's encoding time on two cores (3.5 against 6 ms here); Rasa parses one message at
        a time per process, so they do not compete with each other.
        """
        return {**DenseFeaturizer.get_default_config(), "max_characters": 300, "threads": 2}

    def __init__(self, config: dict[str, Any], name: str) -> None:
        """Keep the configuration."""
        super().__init__(name, {**self.get_default_config(), **config})
        self.limit = int(self._config["max_characters"])
        self.threads = int(self._config["threads"])

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SentenceEncoderFeaturizer:
        """A new featurizer (nothing to train), with its encoder loaded now.

        Loaded on first use, it held up the first customer after a start by 1.3-2 s; Rasa builds its components
        when it loads the model, before it says it is up.
        """
        featurizer = cls(config, execution_context.node_name)
        encode(["bonjour"], featurizer.limit, load_encoder(featurizer.threads))
        return featurizer

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        """Nothing to check beyond the defaults."""

    def process(self, messages: list[Message]) -> list[Message]:
        """Add the sentence vector to every message that has text, in one batch."""
        with_text = [m for m in messages if isinstance(m.get(TEXT), str)]
        vectors = encode([str(m.get(TEXT)) for m in with_text], self.limit, load_encoder(self.threads))
        for message, vector in zip(with_text, vectors, strict=True):
            feature = Features(vector[None, :], FEATURE_TYPE_SENTENCE, TEXT, self._config[FEATURIZER_CLASS_ALIAS])
            message.add_features(feature)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Featurize the training examples too."""
        self.process(training_data.training_examples)
        return training_data
