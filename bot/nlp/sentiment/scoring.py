"""Sentiment of one customer message, French or English, from hand-written lexicons: no model, no network.

The method follows VADER (Hutto & Gilbert, 2014), adapted to what customers write to a shop. A message is split
into tokens (``bot.nlp.sentiment.lexicon``) and matched, longest first, against the weighted terms of
``lexicon_<language>.tsv`` and ``lexicon_emoji.tsv`` (-4 to 4; a lemma covers its inflected forms through spaCy's
lemma tables, read without importing spaCy: see ``bot.nlp.sentiment.lexicon`` for why) and the grammar words of
``bot.nlp.sentiment.grammar``. Each term's weight is then adjusted by its context:

- a negation up to three words before it, in the same clause, flips it and softens it ("pas content",
  "je ne suis pas satisfait", "not happy", "never disappointed"); "du tout" / "at all" strengthen the negation;
- an intensifier or diminisher before it scales it ("très déçu", "un peu lent", "so happy", "a bit late");
  an ambiguous word such as "super" is an intensifier before a term ("super contente") and a term otherwise;
- capitals and elongations ("NUL", "nuuul") strengthen it; emojis and emoticons are never negated;
- thanks in a request ("?", "svp", "please") are a polite formula and count for little;
- a positive word followed by an ellipsis ("super...", "great...") is read as sarcasm;
- what follows "mais" / "but" counts more than what precedes it.

The sum, raised by exclamation marks, is squashed into [-1, 1] by ``x / sqrt(x² + 15)``. Cut-offs: a message is
``positive`` from 0.25, ``negative`` at -0.25 and under, ``neutral`` between; ``strong`` from 0.6 in either
direction (one plain term such as "déçu" or "merci" stays under it; "arnaque" or "vraiment déçue 😡" go over it).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

from bot.nlp.sentiment.grammar import GRAMMARS, Grammar, Key
from bot.nlp.sentiment.lexicon import HERE, Lexicon, Token, load, tokenize

POSITIVE_FROM = 0.25
NEGATIVE_TO = -0.25
STRONG_FROM = 0.6

_WINDOW = 3  # words before a term that a negation or an intensifier may stand
_NEGATED_POSITIVE = -0.75  # "pas content" is less negative than "mécontent"
_NEGATED_NEGATIVE = -0.5  # "pas mauvais" is weaker still
_BOOST = 1.3  # "pas du tout", capitals and elongations
_COURTESY = 0.3  # thanks inside a request
_SARCASM = -0.5
_BEFORE_CONTRAST, _AFTER_CONTRAST = 0.5, 1.5
_EXCLAMATION = 0.3  # per "!", up to four
_ALPHA = 15.0

BOUNDARY, NEGATOR, SCALE, BOOSTER, CONTRAST, REQUEST, DETERMINER, ARTICLE = (
    "boundary",
    "negator",
    "scale",
    "booster",
    "contrast",
    "request",
    "determiner",
    "article",
)


@dataclass(frozen=True)
class Sentiment:
    """A message's sentiment.

    Attributes:
        score: From -1 (very negative) to 1 (very positive).
        label: ``negative``, ``neutral`` or ``positive`` (see ``label``).
        terms: The terms that counted and their contribution, for explanations.

    """

    score: float
    label: str
    terms: tuple[tuple[str, float], ...] = ()

    @property
    def strong(self) -> bool:
        """The score is at least ``STRONG_FROM`` away from zero."""
        return abs(self.score) >= STRONG_FROM


def label(score: float) -> str:
    """``positive`` from ``POSITIVE_FROM``, ``negative`` at ``NEGATIVE_TO`` and under, else ``neutral``."""
    if score >= POSITIVE_FROM:
        return "positive"
    return "negative" if score <= NEGATIVE_TO else "neutral"


@dataclass(frozen=True)
class _Unit:
    text: str
    weight: float = 0.0
    role: str | None = None
    factor: float = 1.0
    emphatic: bool = False
    word: bool = True
    idiom: bool = False  # holds its own negation ("pas mal", "never arrived"): not negated again


@dataclass(frozen=True)
class _Model:
    lexicon: Lexicon
    grammar: Grammar
    roles: dict[Key, tuple[str, float]]
    vocabulary: frozenset[str]
    longest: int  # the most tokens in a term or grammar phrase


@functools.cache
def _model(language: str) -> _Model:
    if language not in GRAMMARS:
        raise ValueError(f"no sentiment lexicon for language {language!r}")
    grammar = GRAMMARS[language]()
    lexicon = load(language, [HERE / "lexicon_emoji.tsv", HERE / f"lexicon_{language}.tsv"], grammar.words())
    roles: dict[Key, tuple[str, float]] = {key: (SCALE, factor) for key, factor in grammar.scales.items()}
    for role, keys in (
        (NEGATOR, grammar.negators),
        (BOOSTER, grammar.boosters),
        (CONTRAST, grammar.contrasts),
        (REQUEST, grammar.requests),
        (DETERMINER, {(word,) for word in grammar.determiners}),
        (ARTICLE, {(word,) for word in grammar.articles}),
    ):
        roles.update({key: (role, 1.0) for key in keys})
    vocabulary = frozenset(token for key in lexicon.terms for token in key) | grammar.words()
    return _Model(lexicon, grammar, roles, vocabulary, max(lexicon.longest, *(len(key) for key in roles)))


def _units(tokens: list[Token], model: _Model) -> list[_Unit]:
    """Group tokens into terms and grammar words, longest match first."""
    units: list[_Unit] = []
    i = 0
    while i < len(tokens):
        if tokens[i].kind == "punct":
            units.append(_Unit(tokens[i].norm, role=BOUNDARY))
            i += 1
            continue
        for n in range(min(model.longest, len(tokens) - i), 0, -1):
            key = tuple(t.norm for t in tokens[i : i + n])
            weight = model.lexicon.terms.get(key)
            role, factor = model.roles.get(key, (None, 1.0))
            if weight is not None or role is not None or n == 1:
                break
        text = " ".join(key).replace("' ", "'")
        emphatic = any(t.emphatic for t in tokens[i : i + n])
        idiom = n > 1 and any(model.roles.get((token,), ("",))[0] == NEGATOR for token in key)
        units.append(_Unit(text, weight or 0.0, role, factor, emphatic, tokens[i].kind == "word", idiom))
        i += n
    return units


def _context(units: list[_Unit], i: int) -> float:
    """The factor that the words before term ``i`` (and "du tout" / "at all" after it) apply to its weight."""
    scale, negated, softened, boosted = 1.0, False, 1.0, False
    for j in range(i - 1, max(i - 1 - _WINDOW, -1), -1):
        unit = units[j]
        after_negation = j > 0 and units[j - 1].role == NEGATOR
        if unit.role in (BOUNDARY, CONTRAST, DETERMINER) or (unit.role == ARTICLE and not after_negation):
            break
        if unit.role == NEGATOR:
            negated = True
        elif unit.role == SCALE and negated:
            scale *= unit.factor  # "vraiment pas content": the intensifier strengthens the negation
        elif unit.role == SCALE:
            softened *= unit.factor  # "pas très content" is milder than "pas content"
        boosted = boosted or unit.role == BOOSTER
    for unit in units[i + 1 : i + 3]:
        if unit.role in (BOUNDARY, CONTRAST):
            break
        boosted = boosted or unit.role == BOOSTER
    if not negated or units[i].idiom:
        return softened
    flip = _NEGATED_POSITIVE if units[i].weight > 0 else _NEGATED_NEGATIVE
    return flip * scale / softened * (_BOOST if boosted else 1.0)


def score(text: str, language: str) -> Sentiment:
    """The sentiment of ``text``, written in ``language`` (``fr`` or ``en``)."""
    model = _model(language)
    units = _units(list(tokenize(text, language, model.vocabulary)), model)
    request = "?" in text or any(unit.role == REQUEST for unit in units)
    contrast = max((i for i, unit in enumerate(units) if unit.role == CONTRAST), default=-1)
    terms: list[tuple[str, float]] = []
    for i, unit in enumerate(units):
        following = units[i + 1] if i + 1 < len(units) else None
        if not unit.weight or (unit.role == SCALE and following is not None and following.weight and following.word):
            continue
        weight = unit.weight * (_BOOST if unit.emphatic else 1.0) * (_context(units, i) if unit.word else 1.0)
        thanks = any(token in model.grammar.thanks for token in unit.text.split())
        if weight > 0 and thanks and request:
            weight *= _COURTESY
        elif weight > 0 and following is not None and following.text == "…":
            weight *= _SARCASM
        if contrast >= 0:
            weight *= _BEFORE_CONTRAST if i < contrast else _AFTER_CONTRAST
        terms.append((unit.text, round(weight, 3)))
    total = sum(weight for _, weight in terms)
    if total:
        total += math.copysign(_EXCLAMATION * min(text.count("!"), 4), total)
    value = total / math.sqrt(total * total + _ALPHA)
    return Sentiment(round(value, 4), label(value), tuple(terms))
