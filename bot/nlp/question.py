"""Whether a short message asks something, in French or English: a question mark, or a question's opening words.

The comment desk answers only questions in public: a model that reads "Magnifique collection 😍" as a question about
stock must not make the brand answer praise with a stock notice.
"""

from __future__ import annotations

import re
import unicodedata

OPENINGS = re.compile(
    r"^(?:est[- ]ce|avez[- ]vous|vous avez|as[- ]tu|tu as|y a[- ]t[- ]il|il y a|peut[- ]on|on peut|pouvez[- ]vous|"
    r"vous livrez|livrez[- ]vous|ou|quand|comment|combien|quel|quelle|quels|quelles|pourquoi|"
    r"do|does|did|is|are|can|could|will|would|where|when|how|what|which|why|any)\b"
)


def is_question(text: str) -> bool:
    """True when ``text`` has a question mark or one of its sentences opens like a question."""
    if "?" in text or "？" in text:
        return True
    plain = "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c))
    return any(OPENINGS.match(sentence.strip()) for sentence in re.split(r"[.!\n]+", plain))
