"""Builds the bilingual spaCy pipeline that Rasa's ``SpacyNLP`` loads (``config.yml``).

spaCy 3.4's pretrained pipelines cannot be installed here, so the pipeline is a blank French tokenizer plus spaCy's
built-in lookup lemmatizer, fed with the French and English tables of ``spacy-lookups-data`` merged into one
(French first, English filling the gaps). ``bot nlp build`` writes it to ``build/spacy/fr_en``.
"""

from __future__ import annotations

from pathlib import Path

DEFAULT_PATH = Path("build") / "spacy" / "fr_en"


def build(path: Path) -> Path:
    """Write the pipeline to ``path`` and return it."""
    import spacy
    from spacy.lookups import Lookups, load_lookups
    from spacy.pipeline import Lemmatizer

    tables = [load_lookups(lang, ["lemma_lookup"]).get_table("lemma_lookup") for lang in ("fr", "en")]
    lookups = Lookups()
    merged = lookups.add_table("lemma_lookup")
    for table in reversed(tables):  # French last, so it wins where both languages know a form
        for key, value in table.items():
            merged[key] = value
    nlp = spacy.blank("fr")
    lemmatizer = nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    assert isinstance(lemmatizer, Lemmatizer)
    lemmatizer.initialize(lookups=lookups)
    path.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(path)
    return path
