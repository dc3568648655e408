"""A linear intent classifier for Rasa: TF-IDF over the pipeline's sparse features, a linear SVM, softmax confidences.

Why: on CLINC150 (150 intents, 15,000 examples) it trains in seconds where DIET needs minutes per epoch, and scores
better than the paper's Rasa and better than BERT at recognising out-of-scope queries (`make bench`, bot/clinc150.py).
Confidence is ``softmax(temperature * scores)``, so the FallbackClassifier threshold keeps its meaning.

The trained model is stored as plain arrays (``.npz``): loading it runs no pickled code.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.featurizers.featurizer import Featurizer
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

log = logging.getLogger(__name__)


def sentence_features(messages: list[Message]) -> sp.csr_matrix:
    """Every featurizer's sentence-level features of each message, side by side (sparse, then dense)."""
    rows = []
    for message in messages:
        sparse, dense = message.get_sparse_features(TEXT)[1], message.get_dense_features(TEXT)[1]
        parts = [sp.csr_matrix(f.features) for f in (sparse, dense) if f is not None]
        rows.append(sp.hstack(parts) if parts else sp.csr_matrix((1, 0)))
    return sp.vstack(rows).tocsr()


def tfidf(counts: sp.csr_matrix, idf: npt.NDArray[np.float64]) -> sp.csr_matrix:
    """Sublinear term frequency times inverse document frequency, each row scaled to unit length."""
    weighted = counts.copy().astype(np.float64)
    weighted.data = np.where(weighted.data > 0, 1.0 + np.log(np.maximum(weighted.data, 1e-12)), weighted.data)
    weighted = weighted.multiply(idf).tocsr()
    norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1))).ravel()
    norms[norms == 0] = 1.0
    return sp.diags(1.0 / norms) @ weighted


def softmax(scores: npt.NDArray[np.float64], temperature: float) -> npt.NDArray[np.float64]:
    """Row-wise softmax of ``temperature * scores``."""
    scaled = temperature * scores
    scaled -= scaled.max(axis=1, keepdims=True)
    exp = np.exp(scaled)
    probabilities: npt.NDArray[np.float64] = exp / exp.sum(axis=1, keepdims=True)
    return probabilities


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LinearIntentClassifier(IntentClassifier, GraphComponent):  # type: ignore[misc]
    """Intent classifier: linear SVM over TF-IDF-weighted features."""

    @classmethod
    def required_components(cls) -> list[type]:
        """Featurizers must run first."""
        return [Featurizer]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """``C``: SVM regularisation; ``temperature``: sharpness of the confidences; ``ranking_length``."""
        return {"C": 1.0, "temperature": 10.0, "ranking_length": 10}

    def __init__(self, config: dict[str, Any], model_storage: ModelStorage, resource: Resource) -> None:
        """An untrained classifier."""
        self.config = {**self.get_default_config(), **config}
        self._storage = model_storage
        self._resource = resource
        self.idf = np.zeros(0)
        self.weights = np.zeros((0, 0))
        self.bias = np.zeros(0)
        self.intents: list[str] = []

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LinearIntentClassifier:
        """A new untrained component."""
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        """Fit the IDF weights and the SVM on the intent examples."""
        from sklearn.svm import LinearSVC

        examples = [e for e in training_data.intent_examples if e.get(INTENT) and e.get(TEXT)]
        labels = [str(e.get(INTENT)) for e in examples]
        if len(set(labels)) < 2:
            log.debug("LinearIntentClassifier needs at least two intents; not trained")
            return self._resource
        counts = sentence_features(examples)
        document_frequency = np.asarray((counts > 0).sum(axis=0)).ravel()
        self.idf = np.log((1 + counts.shape[0]) / (1 + document_frequency)) + 1.0
        svm = LinearSVC(C=float(self.config["C"]), random_state=0)
        svm.fit(tfidf(counts, self.idf), labels)
        self.intents = [str(c) for c in svm.classes_]
        self.weights, self.bias = svm.coef_, svm.intercept_
        if len(self.intents) == 2:  # a binary SVM has one score: the second class's
            self.weights = np.vstack([-svm.coef_, svm.coef_])
            self.bias = np.concatenate([-svm.intercept_, svm.intercept_])
        self.persist()
        return self._resource

    def process(self, messages: list[Message]) -> list[Message]:
        """Set each message's intent and ranking."""
        if not self.intents:
            return messages
        scores = tfidf(sentence_features(messages), self.idf) @ self.weights.T + self.bias
        probabilities = softmax(np.asarray(scores), float(self.config["temperature"]))
        for message, row in zip(messages, probabilities, strict=True):
            order = np.argsort(-row)[: max(1, int(self.config["ranking_length"]))]
            ranking = [{"name": self.intents[i], "confidence": float(row[i])} for i in order]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set("intent_ranking", ranking, add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Classify the training examples too (as Rasa's other classifiers do)."""
        self.process(training_data.training_examples)
        return training_data

    def persist(self) -> None:
        """Store the arrays."""
        with self._storage.write_to(self._resource) as folder:
            np.savez(
                folder / "linear.npz",
                idf=self.idf,
                weights=self.weights,
                bias=self.bias,
                intents=np.array(self.intents),
            )

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> LinearIntentClassifier:
        """Load the stored arrays (no pickle), or an untrained component if there are none."""
        component = cls(config, model_storage, resource)
        try:
            with model_storage.read_from(resource) as folder:
                stored = np.load(folder / "linear.npz", allow_pickle=False)
                component.idf, component.weights, component.bias = stored["idf"], stored["weights"], stored["bias"]
                component.intents = [str(i) for i in stored["intents"]]
        except (ValueError, FileNotFoundError):
            log.debug("LinearIntentClassifier: nothing stored under %s", resource.name)
        return component
