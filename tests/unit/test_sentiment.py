import sys
from collections import Counter

import pytest

from bot.cli import main
from bot.nlp.sentiment.evaluation import DEV, HELDOUT, evaluate, load_examples
from bot.nlp.sentiment.lexicon import HERE, load
from bot.nlp.sentiment.scoring import score


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("fr", "Ça fait 3 semaines que j'attends ma commande, c'est inadmissible"),
        ("fr", "colis jamais reçu, vous êtes des arnaqueurs"),
        ("fr", "Je suis très déçue, la robe est arrivée abîmée"),
        ("fr", "remboursez-moi !!!"),
        ("fr", "service client nul, personne ne répond"),
        ("fr", "c'est honteux 😡"),
        ("en", "I've been waiting for weeks, this is a disgrace"),
        ("en", "scam. never arrived"),
        ("en", "refund me now"),
        ("en", "useless customer service, nobody answers"),
        ("en", "the jacket arrived damaged, really disappointed"),
    ],
)
def test_complaints_are_negative(language: str, text: str) -> None:
    assert score(text, language).label == "negative"


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("fr", "merci beaucoup !"),
        ("fr", "super, merci pour votre aide"),
        ("fr", "j'adore ma nouvelle veste, elle est parfaite"),
        ("fr", "ravie de ma commande, top 👍"),
        ("en", "thanks a lot!"),
        ("en", "love it, great service"),
        ("en", "perfect, thank you so much ❤️"),
    ],
)
def test_thanks_and_praise_are_positive(language: str, text: str) -> None:
    assert score(text, language).label == "positive"


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("fr", "Bonjour, où est ma commande 123 ?"),
        ("fr", "je voudrais retourner un pantalon, comment faire ?"),
        ("fr", "Bonjour, pouvez-vous me dire quand ma commande arrivera ? Merci"),
        ("fr", "merci de me communiquer le numéro de suivi"),
        ("fr", "j'aimerais savoir si la veste existe en 40"),
        ("fr", "commande n°48213"),
        ("en", "hello, what are your opening hours"),
        ("en", "I'd like to cancel my order please"),
        ("en", "can you tell me where my parcel is? thanks"),
        ("en", "no thanks"),
    ],
)
def test_questions_and_requests_are_neutral(language: str, text: str) -> None:
    assert score(text, language).label == "neutral"


def test_thanks_alone_is_mildly_positive() -> None:
    for text, language in [("merci", "fr"), ("thanks", "en")]:
        result = score(text, language)
        assert result.label == "positive"
        assert not result.strong


@pytest.mark.parametrize(
    ("language", "plain", "negated"),
    [
        ("fr", "je suis content", "je suis pas content"),
        ("fr", "je suis satisfait", "je ne suis pas satisfait"),
        ("fr", "j'aime la couleur", "je n'aime pas la couleur"),
        ("fr", "ce fut une bonne expérience", "ce n'est pas une bonne expérience"),
        ("en", "I'm happy", "I'm not happy"),
        ("en", "I'd recommend you", "I wouldn't recommend you"),
    ],
)
def test_negation_flips_positive_words(language: str, plain: str, negated: str) -> None:
    assert score(plain, language).label == "positive"
    assert score(negated, language).label == "negative"


def test_negation_of_a_negative_word_reads_positive() -> None:
    assert score("je ne suis jamais déçue", "fr").label == "positive"
    assert score("never been disappointed", "en").label == "positive"
    assert score("pas mal du tout !", "fr").label == "positive"


def test_negation_stops_at_a_possessive() -> None:
    # "ne règle pas" negates the verb, not "mon problème".
    assert score("merci mais ça ne règle pas mon problème", "fr").label == "negative"
    assert score("that doesn't solve my problem", "en").label == "negative"


@pytest.mark.parametrize(
    ("language", "weak", "base", "strong"),
    [
        ("fr", "un peu déçu", "déçu", "très déçu"),
        ("fr", "je suis pas très contente", "je suis pas contente", "je suis pas contente du tout"),
        ("en", "a bit disappointed", "disappointed", "extremely disappointed"),
        ("en", "slightly late", "late", "so late"),
    ],
)
def test_intensifiers_and_diminishers_scale_the_score(language: str, weak: str, base: str, strong: str) -> None:
    assert score(weak, language).score > score(base, language).score > score(strong, language).score


def test_super_is_an_intensifier_before_a_term_and_positive_alone() -> None:
    assert score("super déçu", "fr").score < score("déçu", "fr").score
    assert score("super contente", "fr").score > score("contente", "fr").score
    assert score("super !", "fr").label == "positive"


def test_capitals_exclamations_and_elongations_are_emphasis() -> None:
    assert score("DÉÇU", "fr").score < score("déçu", "fr").score
    assert score("déçu !!!", "fr").score < score("déçu", "fr").score
    assert score("merciiii", "fr").score > score("merci", "fr").score
    assert score("nuuuul", "fr").label == "negative"


def test_emojis_and_emoticons_count_and_are_not_negated() -> None:
    assert score("ma commande est arrivée", "fr").label == "neutral"
    assert score("ma commande est arrivée 😡", "fr").label == "negative"
    assert score("ma commande est arrivée 👍🏼", "fr").label == "positive"
    assert score("order arrived :-(", "en").label == "negative"
    assert score("order arrived :)", "en").label == "positive"
    assert score("not happy 😡", "en").label == "negative"


def test_accents_case_elision_and_inflections_are_folded() -> None:
    expected = score("déçu", "fr").score
    for text in ["decu", "Déçue", "déçues", "DECUS"]:
        assert score(text, "fr").score <= expected
    assert score("jadore", "fr").label == score("j'adore", "fr").label == "positive"
    assert score("arnaques", "fr").label == score("scammed", "en").label == "negative"
    assert score("dont like it", "en").score == score("don't like it", "en").score


def test_sarcasm_with_an_ellipsis_and_but_clauses() -> None:
    assert score("commande annulée sans explication, bravo...", "fr").label == "negative"
    assert score("the delivery was slow but the dress is gorgeous", "en").label == "positive"


def test_strong_marks_clearly_charged_messages() -> None:
    assert score("vraiment très déçue 😡", "fr").strong
    assert not score("déçu", "fr").strong


def test_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="de"):
        score("sehr gut", "de")


@pytest.mark.parametrize("language", ["fr", "en"])
def test_held_out_accuracy_clearly_beats_always_neutral(language: str) -> None:
    figures = evaluate(HELDOUT)[language]
    assert figures["messages"] >= 150
    assert figures["accuracy"] >= 0.8
    assert figures["accuracy"] >= figures["baseline_accuracy"] + 0.3
    assert figures["macro_f1"] >= figures["baseline_macro_f1"] + 0.4


def test_labelled_sets_are_separate_and_balanced() -> None:
    dev, held = load_examples(DEV), load_examples(HELDOUT)
    assert not {e.text.lower() for e in dev} & {e.text.lower() for e in held}
    for examples, per_language in ((dev, 120), (held, 150)):
        counts = Counter((e.language, e.label) for e in examples)
        for language in ("fr", "en"):
            assert sum(counts[language, label] for label in ("negative", "neutral", "positive")) == per_language
            assert counts[language, "neutral"] / per_language == pytest.approx(0.4, abs=0.05)


def test_without_spacy_lookups_data_only_listed_forms_match(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "spacy_lookups_data", None)
    lexicon = load("fr", [HERE / "lexicon_fr.tsv"], frozenset())
    assert ("decu",) in lexicon.terms
    assert ("decues",) not in lexicon.terms


def test_cli_prints_score_label_and_language(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sentiment", "vraiment déçue, colis jamais reçu 😡"]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first.endswith("negative (strong) [fr]")
    assert main(["sentiment", "--eval", str(DEV)]) == 0
    assert "always neutral" in capsys.readouterr().out
