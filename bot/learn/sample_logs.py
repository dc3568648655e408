"""Synthetic conversation logs at any size, to time ``bot learn mine`` (``make bench``).

Customers ask questions the bot knows (from the project's training examples, varied) and questions about topics it
does not know (templates below), in French and English, with typos and personal data sprinkled in. Running it as
``python -m bot.learn.sample_logs N`` mines N messages in a fresh process and prints its time and peak memory.
"""

from __future__ import annotations

import json
import random
import resource
import sys
import time
from pathlib import Path
from typing import Any

from bot.rasa_client import OUT_OF_SCOPE_INTENT

UNKNOWN = {
    "fr": [
        "vous avez un programme de fidélité {x}",
        "combien de points de fidélité j'ai {x}",
        "vous vendez des cartes cadeaux {x}",
        "le solde de ma carte cadeau {x}",
        "vous recrutez des vendeurs {x}",
        "je voudrais postuler chez vous {x}",
        "vous faites la livraison en suisse {x}",
        "est-ce que vous livrez en belgique {x}",
    ],
    "en": [
        "do you have a loyalty program {x}",
        "how many loyalty points do I have {x}",
        "do you sell gift cards {x}",
        "what's the balance on my gift card {x}",
        "are you hiring sales staff {x}",
        "I'd like to apply for a job {x}",
        "do you ship to switzerland {x}",
        "can you deliver to belgium {x}",
    ],
}
TAILS = ["", "?", "svp", "please", "!!", "merci", "asap", "écrivez à lea@example.fr", "call 06 12 34 56 78"]
OPENINGS = ["", "bonjour", "hello", "salut", "hi", "excusez-moi", "quick question", "dites", "hey", "re"]


def vary(text: str, rng: random.Random) -> str:
    """A customer's version of ``text``: an opening, a typo or two, a number, as real logs have them."""
    words = f"{rng.choice(OPENINGS)} {text} {rng.randint(1, 999) if rng.random() < 0.3 else ''}".split()
    for _ in range(rng.randint(0, 2)):
        i = rng.randrange(len(words))
        if len(words[i]) > 3:
            j = rng.randrange(len(words[i]))
            words[i] = words[i][:j] + words[i][j + 1 :]
    return " ".join(words)


def sample_trackers(examples: list[tuple[str, str, str]], messages: int, seed: int = 0) -> list[dict[str, Any]]:
    """Conversations of two messages each: a known question answered, then an unknown one that falls back."""
    rng = random.Random(seed)
    answered = [e for e in examples if e[1] != OUT_OF_SCOPE_INTENT]  # the bot says it cannot help with those
    trackers = []
    for number in range(messages // 2):
        language = rng.choice(("fr", "en"))
        text, intent, _ = rng.choice([e for e in answered if e[2] == language] or answered)
        unknown = vary(rng.choice(UNKNOWN[language]).format(x=rng.choice(TAILS)), rng)
        events = [
            {"event": "slot", "name": "language", "value": language},
            {"event": "user", "text": vary(text, rng), "parse_data": {"intent": {"name": intent, "confidence": 0.93}}},
            {"event": "action", "name": f"utter_{intent}"},
            {"event": "bot", "text": "..."},
            {"event": "user", "text": unknown, "parse_data": {"intent": {"name": "nlu_fallback", "confidence": 0.4}}},
            {"event": "action", "name": "action_fallback"},
            {"event": "bot", "text": "..."},
        ]
        trackers.append({"sender_id": f"bench:{number}", "events": events})
    return trackers


def main(messages: int, project: Path) -> dict[str, float]:
    """Mine ``messages`` synthetic messages; the figures."""
    from bot.learn.mining import mine, training_examples

    examples = [(e.text, e.intent, e.language) for e in training_examples(project)]
    trackers = sample_trackers(examples, messages)
    started = time.monotonic()
    review, _ = mine(trackers, "synthetic", project)
    seconds = time.monotonic() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        f"learn_mine_{messages // 1000}k_seconds": round(seconds, 1),
        f"learn_mine_{messages // 1000}k_peak_rss_mb": round(peak, 1),
        f"learn_mine_{messages // 1000}k_candidates": len(review.candidates),
    }


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000, Path.cwd())))
