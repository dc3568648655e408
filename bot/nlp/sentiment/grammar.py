"""The words that change how a sentiment term counts, per language: negations, intensifiers, contrasts, requests.

Entries are written as customers write them and go through the lexicon's tokenizer, so "n'" and "don't" need no
spelling variants. Factors above 1 strengthen the next term ("très déçu"), factors below 1 soften it ("un peu lent").
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.nlp.sentiment.lexicon import tokenize

Key = tuple[str, ...]


def _keys(language: str, words: str) -> frozenset[Key]:
    return frozenset(tuple(t.norm for t in tokenize(w, language)) for w in words.split("|"))


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _factors(language: str, table: dict[float, str]) -> dict[Key, float]:
    return {key: factor for factor, words in table.items() for key in _keys(language, words)}


@dataclass(frozen=True)
class Grammar:
    """Word classes of one language, as tuples of folded tokens.

    Attributes:
        negators: Flip the next terms ("pas content", "not happy"), up to the end of the clause.
        scales: Intensifiers and diminishers, with their factor.
        boosters: Strengthen a negation wherever they stand in it ("pas du tout", "not ... at all").
        contrasts: "mais", "but": what follows counts more than what precedes.
        requests: Mark a request, where thanks are a polite formula ("svp", "please").
        thanks: Words of thanks (single tokens).
        determiners: Possessives and demonstratives: a negation does not reach past them ("not my problem" is not
            "not a problem"); ``articles`` do, when they follow the negation at once ("pas une bonne expérience").
        articles: See ``determiners``.

    """

    negators: frozenset[Key]
    scales: dict[Key, float]
    boosters: frozenset[Key]
    contrasts: frozenset[Key]
    requests: frozenset[Key]
    thanks: frozenset[str]
    determiners: frozenset[str]
    articles: frozenset[str]

    def words(self) -> frozenset[str]:
        """Every token the grammar knows (kept out of lemma expansion, and known to the elongation folding)."""
        keys = self.negators | self.scales.keys() | self.boosters | self.contrasts | self.requests
        return frozenset(token for key in keys for token in key) | self.determiners | self.articles


def _french() -> Grammar:
    fr = "fr"
    return Grammar(
        negators=_keys(fr, "ne|n'|pas|jamais|aucun|aucune|sans|ni|nullement|guère|peu"),
        scales=_factors(
            fr,
            {
                1.5: "extrêmement|profondément|énormément",
                1.3: "très|tres|vraiment|trop|tellement|super|hyper|ultra|méga|vachement|grave|complètement|"
                "totalement|absolument|carrément|franchement|tout à fait",
                1.2: "si|particulièrement|sincèrement",
                0.6: "un peu|légèrement|un tantinet|à peine",
                0.5: "un petit peu|moyennement",
            },
        ),
        boosters=_keys(fr, "du tout"),
        contrasts=_keys(fr, "mais|cependant|par contre|pourtant|néanmoins|toutefois|en revanche"),
        requests=_keys(
            fr, "svp|stp|s'il vous plaît|s'il te plaît|pouvez-vous|pourriez-vous|je voudrais|je souhaiterais"
        ),
        thanks=_words("merci mercis mrc mci merki thx remercie remercier remercions"),
        determiners=_words("mon ma mes ton ta tes son sa ses notre nos votre vos leur leurs ce cet cette ces"),
        articles=_words("le la les l' un une des du de d'"),
    )


def _english() -> Grammar:
    en = "en"
    return Grammar(
        negators=_keys(
            en,
            "not|no|never|without|nor|neither|cannot|hardly|don't|doesn't|didn't|can't|couldn't|won't|wouldn't|"
            "shouldn't|isn't|aren't|wasn't|weren't|haven't|hasn't|hadn't|ain't|mustn't|needn't",
        ),
        scales=_factors(
            en,
            {
                1.5: "extremely|incredibly|utterly|hugely|massively",
                1.3: "very|really|so|totally|absolutely|completely|super|truly|highly|bloody|damn|deeply|terribly|"
                "awfully|mega",
                1.2: "way|such|seriously|genuinely|especially|particularly",
                0.6: "a bit|a little|slightly|a tad",
                0.7: "somewhat|kind of|kinda|sort of|sorta",
                0.5: "a little bit",
            },
        ),
        boosters=_keys(en, "at all|whatsoever"),
        contrasts=_keys(en, "but|however"),
        requests=_keys(en, "please|pls|plz|could you|can you|would you|i'd like|i would like"),
        thanks=_words("thanks thank thx ty tysm tyvm cheers thanx thnx thankyou"),
        determiners=_words("my your his her its our their this that these those ur"),
        articles=_words("a an the any"),
    )


GRAMMARS = {"fr": _french, "en": _english}
