"""Choose ``bot learn``'s three clustering thresholds on CLINC150's validation split, never on test data.

Run ``python -m bot.learn.tune_topics path/to/data_full.json``; it prints each threshold's curve and its best value,
which ``bot/learn/topics.py`` then ships as a constant. CLINC150 has 150 intents of 20 validation queries each;
the train split stands in for the project's training examples. The test split is never read.

- ``CLUSTER_DISTANCE``: cluster the 3,000 in-scope validation queries at each cut; the best adjusted Rand index
  against the gold intents (V-measure printed beside it).
- ``ADDITION_SIMILARITY``: 30 of the 150 intents play new topics (their training examples removed); each validation
  query, out-of-scope ones included, is proposed as an addition when its nearest training example is close enough,
  and is right when that example's intent is its own. The best F0.5 (a wrong addition teaches the bot a wrong answer
  and takes a message away from a new topic; a missed one still reaches the trainer in a cluster), averaged over
  ``SPLITS`` draws.
- ``MIN_COHESION``: logs as mining sees them: 30 intents recur (all their queries), every other intent is asked once
  (scattered). Clustered at that cut, messages in a cluster of 3 or more at least this cohesive are proposed; the
  best Youden's J at the message level (recurring topics' messages proposed minus scattered ones proposed, over
  ``DRAWS`` draws), which is what a trainer notices: a count of clusters would weigh a 3-message cluster as much as
  a 20-message topic.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import numpy.typing as npt
from sklearn.metrics import adjusted_rand_score, v_measure_score

from bot.learn.topics import Vectors, cluster_labels, cohesion, nearest
from bot.nlp.encoder import encode

SPLITS = 5
NEW_TOPICS = 30
DRAWS = 10
MIN_CLUSTER = 3


def _grid(start: float, stop: float, step: float) -> list[float]:
    return [round(float(x), 3) for x in np.arange(start, stop + step / 2, step)]


def choose_cut(vectors: Vectors, gold: npt.NDArray[np.str_]) -> float:
    """The cut with the best adjusted Rand index on the in-scope validation queries."""
    best = (-1.0, 0.0)
    for cut in _grid(0.35, 0.7, 0.01):
        labels = cluster_labels(vectors, cut)
        ari, v_measure = adjusted_rand_score(gold, labels), v_measure_score(gold, labels)
        print(f"cut {cut:.2f}: {labels.max() + 1:4d} clusters, ARI {ari:.3f}, V-measure {v_measure:.3f}")
        best = max(best, (ari, cut))
    return best[1]


def choose_addition(
    queries: Vectors, gold: npt.NDArray[np.str_], train: Vectors, train_gold: npt.NDArray[np.str_]
) -> float:
    """The similarity with the best mean F0.5 of additions, new topics and out-of-scope queries counting as wrong."""
    intents = sorted(set(train_gold.tolist()))
    grid = _grid(0.6, 0.95, 0.025)
    f_half = np.zeros((SPLITS, len(grid)))
    for split in range(SPLITS):
        new = set(np.random.default_rng(split).choice(intents, NEW_TOPICS, replace=False).tolist())
        kept = ~np.isin(train_gold, list(new))
        index, similarity = nearest(queries, train[kept])
        right = train_gold[kept][index] == gold
        known = ~np.isin(gold, [*new, "oos"])
        for column, threshold in enumerate(grid):
            added = similarity >= threshold
            precision = (added & right).sum() / max(1, added.sum())
            recall = (added & right).sum() / known.sum()
            f_half[split, column] = 1.25 * precision * recall / max(1e-9, 0.25 * precision + recall)
    for threshold, score in zip(grid, f_half.mean(axis=0), strict=True):
        print(f"addition {threshold:.3f}: F0.5 {score:.3f}")
    return grid[int(f_half.mean(axis=0).argmax())]


def choose_cohesion(vectors: Vectors, gold: npt.NDArray[np.str_], cut: float) -> float:
    """The cohesion with the best message-level Youden's J between recurring topics and scattered queries."""
    intents = sorted(set(gold.tolist()))
    grid = _grid(0.5, 0.7, 0.01)
    figures = np.zeros((DRAWS, len(grid), 2))  # share of topic messages proposed, share of scattered ones proposed
    for draw in range(DRAWS):
        rng = np.random.default_rng(draw)
        recurring = set(rng.choice(intents, NEW_TOPICS, replace=False).tolist())
        rows = np.flatnonzero(np.isin(gold, list(recurring))).tolist()
        rows += [int(rng.choice(np.flatnonzero(gold == intent))) for intent in intents if intent not in recurring]
        logs, topic = vectors[rows], np.isin(gold[rows], list(recurring))
        labels = cluster_labels(logs, cut)
        groups = [np.flatnonzero(labels == k) for k, n in Counter(labels.tolist()).items() if n >= MIN_CLUSTER]
        scores = [cohesion(logs[g], ["en"] * len(g)) for g in groups]
        for column, threshold in enumerate(grid):
            proposed = np.zeros(len(rows), dtype=bool)
            for group, score in zip(groups, scores, strict=True):
                proposed[group] |= score >= threshold
            figures[draw, column] = proposed[topic].mean(), proposed[~topic].mean()
    mean = figures.mean(axis=0)
    for threshold, (kept, leaked) in zip(grid, mean, strict=True):
        print(f"cohesion {threshold:.2f}: topic messages {kept:.3f}, scattered {leaked:.3f}, J {kept - leaked:.3f}")
    return grid[int((mean[:, 0] - mean[:, 1]).argmax())]


def main(data_full: Path) -> dict[str, float]:
    """The three thresholds, chosen on the validation split (see the module docstring)."""
    data = json.loads(data_full.read_text(encoding="utf-8"))
    validation, oos = data["val"], data["oos_val"]
    vectors = encode([text for text, _ in validation + oos])
    gold = np.array([intent for _, intent in validation + oos])
    train = encode([text for text, _ in data["train"]])
    train_gold = np.array([intent for _, intent in data["train"]])
    in_scope = gold != "oos"
    cut = choose_cut(vectors[in_scope], gold[in_scope])
    addition = choose_addition(vectors, gold, train, train_gold)
    return {
        "CLUSTER_DISTANCE": cut,
        "ADDITION_SIMILARITY": addition,
        "MIN_COHESION": choose_cohesion(vectors[in_scope], gold[in_scope], cut),
    }


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]))))
