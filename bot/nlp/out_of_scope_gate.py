"""Whether a message is for the bot at all: how close it is to what the bot was taught for the intent it predicts.

Why: a linear classifier always picks one of the intents it knows, and its confidence says how much it prefers
that intent over the others, not whether the message resembles any of them. "Ajouter Recalled to life à ma liste"
got ``complaint`` at 0.99. The gate scores the predicted intent's evidence in three parts, on CLINC150's validation
split the best mix of the signals tried (nearest example, centroid, top-k, Mahalanobis, margin, raw score):

    score = mean cosine of the sentence vector to the ``neighbours`` closest training examples of that intent
            + ``score_weight`` * the classifier's raw score for it
            + ``lexical_weight`` * the highest TF-IDF cosine to one of its training examples

and a message scoring under ``threshold`` is out of scope. The threshold is chosen on a validation split
(``bot calibrate``), never on a benchmark's test split. Pure numpy: the classifier stores the examples' vectors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

# Where the gate's score and decision go in the parse data (bot learn, bot calibrate and the CLINC150 bench read it),
# and the name of its block in the classifier's configuration.
GATE_KEY = "out_of_scope_gate"


@dataclass(frozen=True)
class GateConfig:
    """The gate's parameters (config.yml, under the classifier's ``out_of_scope_gate``)."""

    threshold: float | None  # None: the gate only scores, it never decides
    neighbours: int = 5
    score_weight: float = 0.1
    lexical_weight: float = 0.1
    intent: str = "out_of_scope"

    @classmethod
    def of(cls, config: dict[str, Any] | None) -> GateConfig:
        """From the component's configuration block (missing keys take the defaults)."""
        config = config or {}
        threshold = config.get("threshold")
        return cls(
            threshold=None if threshold is None else float(threshold),
            neighbours=int(config.get("neighbours", cls.neighbours)),
            score_weight=float(config.get("score_weight", cls.score_weight)),
            lexical_weight=float(config.get("lexical_weight", cls.lexical_weight)),
            intent=str(config.get("intent", cls.intent)),
        )


def top_mean(similarities: npt.NDArray[np.float64], k: int) -> float:
    """Mean of the ``k`` highest values (all of them when there are fewer)."""
    if similarities.size == 0:
        return 0.0
    k = min(k, similarities.size)
    return float(np.partition(similarities, -k)[-k:].mean())


class Examples:
    """The training examples grouped by intent, so a message is compared with its predicted intent's only.

    Why grouped: comparing with every example costs a sparse product over all of them (100 ms a message on
    CLINC150's 15,000 examples); one intent's block costs well under a millisecond.
    """

    def __init__(
        self, dense: npt.NDArray[np.float32], lexical: sp.csr_matrix, labels: npt.NDArray[np.int64], intents: int
    ) -> None:
        """Split the example rows by their intent index."""
        rows = [np.flatnonzero(labels == intent) for intent in range(intents)]
        self.dense = [dense[r] for r in rows]
        self.lexical = [lexical[r].T.tocsr() for r in rows]


def gate_scores(
    predicted: npt.NDArray[np.int64],
    raw_scores: npt.NDArray[np.float64],
    dense: npt.NDArray[np.float32],
    lexical: sp.csr_matrix,
    examples: Examples,
    config: GateConfig,
) -> npt.NDArray[np.float64]:
    """The gate score of each message for its predicted intent (rows: messages; see the module docstring)."""
    scores = np.zeros(len(predicted))
    for row, intent in enumerate(predicted):
        own_dense, own_lexical = examples.dense[intent], examples.lexical[intent]
        if own_dense.shape[0] == 0:
            continue
        semantic = (own_dense @ dense[row]).astype(np.float64)
        surface = (lexical[row] @ own_lexical).toarray().ravel()
        scores[row] = (
            top_mean(semantic, config.neighbours)
            + config.score_weight * float(raw_scores[row, intent])
            + config.lexical_weight * float(surface.max())
        )
    return scores
