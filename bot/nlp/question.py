"""Whether a short message asks something, in French or English: a question mark, or a question's opening words.

The comment desk answers only questions in public: a model that reads "Magnifique collection 😍" as a question about
stock must not make the brand answer praise with a stock notice.
"""

from __future__ import annotations

import re

from bot.nlp.language import without_accents

# Openings that ask even without a question mark. Not "quel", "comment", "what", "how": they open exclamations
# too ("Quelle merveille", "What a dress", "How cute").
OPENINGS = re.compile(
    r"^(?:est[- ]ce|avez[- ]vous|as[- ]tu|y a[- ]t[- ]il|peut[- ]on|pouvez[- ]vous|livrez[- ]vous|ou|quand|combien|"
    r"pourquoi|do|does|did|is|are|can|could|will|would|where|when|which|why|any)\b"
)


def is_question(text: str) -> bool:
    """True when ``text`` has a question mark, or a sentence not ending in "!" opens like a question."""
    if "?" in text or "？" in text:
        return True
    plain = without_accents(text)
    sentences = re.findall(r"[^.!\n]+[.!\n]?", plain)
    return any(OPENINGS.match(s.strip()) for s in sentences if not s.rstrip().endswith("!"))
