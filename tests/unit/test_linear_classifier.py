"""The linear intent classifier's arithmetic, and the CLINC150 benchmark's conversion and scoring."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import yaml
from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

from bot.bench.clinc150 import nlu_config, nlu_yaml, score
from bot.nlp.linear_intent_classifier import softmax, tfidf
from tests.paths import ROOT


def test_tfidf_rows_have_unit_length_and_rare_features_weigh_more() -> None:
    counts = sp.csr_matrix(np.array([[1.0, 1.0], [1.0, 0.0], [1.0, 0.0], [0.0, 0.0]]))
    document_frequency = np.asarray((counts > 0).sum(axis=0)).ravel()
    idf = np.log((1 + 4) / (1 + document_frequency)) + 1.0
    weighted = tfidf(counts, idf).toarray()
    assert np.allclose(np.linalg.norm(weighted[:3], axis=1), 1.0)
    assert weighted[0, 1] > weighted[0, 0]  # the second feature is in one message out of four, the first in three
    assert np.all(weighted[3] == 0)  # an empty message stays empty rather than dividing by zero


def test_softmax_confidences_sum_to_one_and_temperature_sharpens() -> None:
    scores = np.array([[1.0, 0.5, -1.0]])
    soft, sharp = softmax(scores, 1.0), softmax(scores, 10.0)
    assert np.allclose(soft.sum(axis=1), 1.0) and np.allclose(sharp.sum(axis=1), 1.0)
    assert sharp[0, 0] > soft[0, 0] > 1 / 3


def test_clinc150_queries_become_rasa_training_data() -> None:
    queries = [["what's my balance", "balance"], ["how much money do i have: now", "balance"], ["sing", "oos"]]
    data = RasaYAMLReader().reads(nlu_yaml(queries))
    assert sorted(data.intents) == ["balance", "oos"]
    assert {m.get("text") for m in data.intent_examples} == {q[0] for q in queries}


def test_clinc150_uses_the_projects_pipeline_without_policies() -> None:
    config = yaml.safe_load(nlu_config(ROOT / "config.yml"))
    project = yaml.safe_load((ROOT / "config.yml").read_text())
    names = [c["name"] for c in config["pipeline"]]
    assert names == [c["name"] for c in project["pipeline"]] and config["policies"] == []


def test_clinc150_scores_as_the_paper() -> None:
    figures = score(
        [("balance", "balance"), ("transfer", "oos"), ("pay_bill", "pay_bill"), ("a", "b")],
        ["oos", "nlu_fallback", "balance", "oos"],
    )
    assert figures == {"clinc150_in_scope_accuracy": 50.0, "clinc150_oos_recall": 75.0}
