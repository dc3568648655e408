"""The sentence encoder, the out-of-scope gate's arithmetic, and how `bot calibrate` chooses its threshold."""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from bot.bench.clinc150 import nlu_config
from bot.learn.calibration import choose_threshold, rejected
from bot.nlp.encoder import encode, truncate
from bot.nlp.out_of_scope_gate import Examples, GateConfig, gate_scores, top_mean
from tests.paths import ROOT


def test_french_and_english_share_one_space_and_topics_stay_apart() -> None:
    cancel_fr, cancel_en, weather, gift_fr, gift_en = encode(
        [
            "je voudrais annuler ma commande",
            "I would like to cancel my order",
            "quel temps fera-t-il demain à Lyon ?",
            "vous vendez des cartes cadeaux ?",
            "do you sell gift cards?",
        ]
    )
    assert np.allclose(np.linalg.norm(cancel_fr), 1.0, atol=1e-4)
    assert cancel_fr @ cancel_en > 0.7 > cancel_fr @ weather
    assert gift_fr @ gift_en > max(gift_fr @ cancel_en, gift_fr @ weather) + 0.3


def test_bad_input_is_encoded_without_failing() -> None:
    texts = ["", "   ", "😀😀🙏", "x" * 5000, "https://example.com/a?b=c", "Привет 你好 bonjour", "SELECT * FROM t;"]
    vectors = encode(texts)
    assert vectors.shape == (len(texts), 512) and np.isfinite(vectors).all()


def test_long_text_is_cut_at_a_word() -> None:
    text = "colis " * 100
    cut = truncate(text, 50)
    assert len(cut) <= 50 and cut.endswith("colis")
    assert truncate("court", 50) == "court"
    assert len(truncate("x" * 500, 50)) == 50  # no space to cut at: cut anyway


def test_top_mean_takes_the_k_highest() -> None:
    assert top_mean(np.array([0.1, 0.9, 0.5, 0.7]), 2) == 0.8
    assert top_mean(np.array([0.4]), 5) == 0.4
    assert top_mean(np.array([]), 5) == 0.0


def test_the_gate_scores_a_message_against_its_predicted_intents_examples_only() -> None:
    # Two intents; the message's vector is close to intent 1's examples and far from intent 0's.
    examples = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.6, 0.8]], dtype=np.float32)
    labels = np.array([0, 0, 1, 1])
    message = np.array([[0.0, 1.0]], dtype=np.float32)
    lexical = sp.csr_matrix((1, 3))
    config = GateConfig(threshold=0.5, neighbours=2, score_weight=0.0, lexical_weight=0.0)
    raw = np.zeros((1, 2))

    def score(predicted: int) -> float:
        grouped = Examples(examples, sp.csr_matrix((4, 3)), labels, intents=2)
        scored = gate_scores(np.array([predicted]), raw, message, lexical, grouped, config)
        return float(scored[0])

    assert np.isclose(score(1), (1.0 + 0.8) / 2)
    assert np.isclose(score(0), 0.0)  # a confident classifier pick with no similar example is caught


def test_the_gate_config_keeps_defaults_and_can_stay_open() -> None:
    assert GateConfig.of({}).threshold is None
    config = GateConfig.of({"threshold": 0.42, "intent": "oos", "neighbours": 3})
    assert (config.threshold, config.intent, config.neighbours, config.score_weight) == (0.42, "oos", 3, 0.1)


def _parse(intent: str, score: float) -> dict[str, Any]:
    return {"intent": {"name": intent}, "out_of_scope_gate": {"score": score}}


def test_a_parse_is_rejected_when_it_falls_back_or_scores_under_the_threshold() -> None:
    assert rejected(_parse("oos", 0.9), 0.5) and rejected(_parse("nlu_fallback", 0.9), 0.5)
    assert rejected(_parse("balance", 0.4), 0.5) and not rejected(_parse("balance", 0.6), 0.5)


def test_calibration_trades_at_most_the_allowed_in_scope_accuracy() -> None:
    # Two in-scope queries score low (0.5); ten out-of-scope ones score 0.55; the other in-scope ones 0.9.
    in_scope = [("balance", _parse("balance", 0.9)) for _ in range(18)] + [("balance", _parse("balance", 0.5))] * 2
    out_of_scope = [_parse("balance", 0.55) for _ in range(10)]
    strict = choose_threshold(in_scope, out_of_scope, max_loss=0.0)
    assert (strict["in_scope_accuracy"], strict["oos_recall"]) == (100.0, 0.0)
    loose = choose_threshold(in_scope, out_of_scope, max_loss=15.0)
    assert (loose["threshold"], loose["in_scope_accuracy"], loose["oos_recall"]) == (0.9, 90.0, 100.0)


def test_clinc150_config_answers_oos_and_calibration_opens_the_gate() -> None:
    import yaml

    def gate(config: str) -> dict[str, Any]:
        pipeline = yaml.safe_load(config)["pipeline"]
        return next(c["out_of_scope_gate"] for c in pipeline if "out_of_scope_gate" in c)

    shipped = gate(nlu_config(ROOT / "config.yml"))
    assert shipped["intent"] == "oos" and shipped["threshold"] is not None
    assert gate(nlu_config(ROOT / "config.yml", opened=True))["threshold"] is None
