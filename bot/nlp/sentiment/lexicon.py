"""Sentiment lexicons: tokenizing customer messages, and reading ``lexicon_<language>.tsv`` with lemma expansion.

Messages and lexicon entries go through the same tokenizer, so an entry is written as a customer would write it
("remboursez-moi", "don't", ":-)") and matches every spelling the tokenizer folds together: case, accents, French
elision (``j'adore`` is ``j`` + ``adore``), English apostrophes (``don't`` and ``dont``), hyphens, elongations
("merciiii") and emoticon variants (``:-)))`` is ``:)``).

Single-word entries are lemmas: spaCy's French and English lemma tables (spacy-lookups-data) map every inflected
form to its lemma, and each form of a listed lemma gets the lemma's weight ("déçu" covers déçue, déçus, déçues; "scam"
covers scams and scammed). The tables are read once per process straight from spacy-lookups-data (under a second for
the 217,000 French forms, then dropped: only the few thousand expanded terms stay in memory) rather than through
``spacy.lookups.load_lookups``, because importing spaCy costs 4-5 s here (thinc loads TensorFlow) for the same JSON
files. Without spacy-lookups-data (a slim image), only the listed forms match, and a warning says so.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)
HERE = Path(__file__).parent

_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_IGNORED = re.compile("[\ufe0f\u200d\U0001f3fb-\U0001f3ff]")  # emoji variation selector, joiner, skin tones
_EMOTICON = r"(?<![\w:])(?:[:;=][-'^]?[()\[\]|/\\dpos*3]+|xd+|</?3+|\^[_-]?\^|-_-|t_t)(?!\w)"
_TOKEN = re.compile(
    rf"(?P<emoticon>{_EMOTICON})"
    r"|(?P<word>[^\W\d_]+(?:'[^\W\d_]+)*'?)"
    r"|(?P<emoji>[\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff])"
    r"|(?P<punct>!+|\?+|\.{2,}|…|[.,;:])",
    re.IGNORECASE,
)
_RUN = re.compile(r"(.)\1{2,}")


def fold(text: str) -> str:
    """Lower case without accents: ``Déçue`` -> ``decue``."""
    decomposed = unicodedata.normalize("NFD", text.lower())
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn")


@dataclass(frozen=True)
class Token:
    """One unit of a message.

    Attributes:
        norm: The folded form looked up in the lexicon (punctuation: ``!``, ``?``, ``…``, ``.``).
        kind: ``word``, ``emoticon``, ``emoji`` or ``punct``.
        emphatic: Written in capitals ("NUL") or elongated ("nuuul").

    """

    norm: str
    kind: str
    emphatic: bool = False


def _word(raw: str, vocabulary: frozenset[str]) -> Token:
    folded = fold(raw)
    shortened = _RUN.sub(r"\1\1", folded)
    if shortened != folded and shortened not in vocabulary:
        shortened = _RUN.sub(r"\1", folded)
    emphatic = shortened != folded or (raw.isupper() and len(raw) > 2)
    return Token(shortened, "word", emphatic)


def tokenize(text: str, language: str, vocabulary: frozenset[str] = frozenset()) -> Iterator[Token]:
    """Split ``text`` into tokens; ``vocabulary`` tells how to shorten elongated words ("cooool" -> "cool")."""
    text = _IGNORED.sub("", _URL.sub(" ", unicodedata.normalize("NFC", text))).replace("’", "'").replace("`", "'")
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or "punct"
        raw = match.group()
        if kind == "word":
            pieces = raw.split("'")
            # French keeps the elided article ("n'" is a negation, "n" is "n°"); English drops apostrophes.
            parts = [p + "'" for p in pieces[:-1]] + pieces[-1:] if language == "fr" else ["".join(pieces)]
            yield from (_word(part, vocabulary) for part in parts if part)
        elif kind == "emoticon":
            nose_free = re.sub(r"^([:;=])[-'^]", r"\1", raw.lower())
            yield Token(re.sub(r"(?<=.)(.)\1+$", r"\1", nose_free), kind)  # ":-)))" -> ":)"
        elif kind == "punct":
            yield Token("…" if raw.startswith("..") else raw[0], kind)
        else:
            yield Token(raw, kind)


def _lemmas(language: str) -> dict[str, list[str] | str]:
    """The form -> lemma table of spaCy for ``language`` (French values are one-element lists), or {} if missing."""
    try:
        import spacy_lookups_data
        import srsly
    except ImportError:
        log.warning("spacy-lookups-data is not installed: the %s sentiment lexicon matches listed forms only", language)
        return {}
    path = Path(str(getattr(spacy_lookups_data, language)["lemma_lookup"]) + ".gz")
    table: dict[str, list[str] | str] = srsly.read_gzip_json(path)
    return table


@dataclass(frozen=True)
class Lexicon:
    """Weighted terms of one language, keyed by their folded tokens.

    Attributes:
        terms: ``("merci", "beaucoup") -> 2.5``; single words include every inflected form of a listed lemma.
        longest: The most tokens in one term.

    """

    terms: dict[tuple[str, ...], float]
    longest: int


def read_entries(path: Path) -> Iterator[tuple[str, float]]:
    """``(term, weight)`` pairs of a ``term<TAB>weight`` file; ``#`` starts a comment line."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        term, _, weight = line.partition("\t")
        try:
            yield term.strip(), float(weight)
        except ValueError:
            raise ValueError(f"{path}:{number}: expected term<TAB>weight, got {line!r}") from None


def load(language: str, files: list[Path], protected: frozenset[str]) -> Lexicon:
    """Read ``files`` (later files override earlier ones) and expand single words to their inflected forms.

    Args:
        language: ``fr`` or ``en``, for the tokenizer and the lemma table.
        files: Lexicon files.
        protected: Grammar words (negations, intensifiers) that lemma expansion must never turn into terms.

    """
    terms: dict[tuple[str, ...], float] = {}
    lemma_weights: dict[str, float] = {}
    for path in files:
        for term, weight in read_entries(path):
            key = tuple(token.norm for token in tokenize(term, language))
            terms[key] = weight
            if len(key) == 1 and term.isalpha():
                lemma_weights[unicodedata.normalize("NFC", term.lower())] = weight
    for form, lemma in _lemmas(language).items():
        lemma_weight = lemma_weights.get(lemma[0] if isinstance(lemma, list) else lemma)
        if lemma_weight is None:
            continue
        key = (fold(form),)
        if key not in terms and key[0] not in protected and len(key[0]) > 2:
            terms[key] = lemma_weight
    return Lexicon(terms, max(len(key) for key in terms))
