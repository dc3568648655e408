"""Unhandled messages grouped by meaning into candidate intents, French and English together (scikit-learn).

1. Vectors: each distinct text's sentence vector (``bot/nlp/encoder.py``, multilingual: "carte cadeau" and
   "gift card" land near each other). Identical texts are encoded and clustered once, counted as often as sent.
   The redaction placeholders are left out of what is encoded: "<email>" says nothing of the topic, yet it pulled
   "écrivez à <email> pour ma carte cadeau" out of the gift-card cluster.
2. A message whose nearest training example is close (cosine >= ``ADDITION_SIMILARITY``) asks something the bot
   knows in new words: it is proposed as a new example of that example's intent, not as a new intent.
3. The rest is clustered: agglomerative clustering with average linkage on cosine distance, cut at
   ``CLUSTER_DISTANCE``, so a French and an English message about one topic share a cluster directly. Above
   ``DIRECT_LIMIT`` distinct texts, mini-batch k-means first makes micro-clusters whose mean vectors are then
   agglomerated the same way, which keeps time and memory bounded at 100,000 messages.
4. A cluster is proposed only when it is a recurring topic: at least ``min_cluster`` messages, and its distinct texts
   close to one another (``cohesion`` >= ``MIN_COHESION``), so off-topic messages that each ask something else do
   not become an intent. The closest existing intent is the one whose examples' centroid is nearest.
5. Keywords and names stay on words (TF-IDF): the trainer recognises a topic by the words customers used.

The three thresholds were chosen on CLINC150's validation split, never on test data: ``bot/learn/tune_topics.py``.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.cluster import AgglomerativeClustering, MiniBatchKMeans
from sklearn.decomposition import PCA
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from bot.learn.evaluate import Example
from bot.learn.review import Addition, Candidate
from bot.learn.signals import Unhandled
from bot.nlp.encoder import encode
from bot.nlp.language import without_accents

Vectors = npt.NDArray[np.float32]
# What bot/learn/pii.py puts in place of personal data.
PLACEHOLDER = re.compile(r"<(?:email|phone|card|number|order_id|person)>")

# Chosen by bot/learn/tune_topics.py on CLINC150's validation split: the best adjusted Rand index (0.577).
CLUSTER_DISTANCE = 0.49
# Chosen there: the best F0.5 (0.844) of "the nearest example's intent is right", 30 intents playing new topics.
ADDITION_SIMILARITY = 0.75
# Chosen there: the best Youden's J (0.70) of recurring topics' messages proposed (88%) against scattered ones (18%).
MIN_COHESION = 0.56
DIRECT_LIMIT = 3000
MICRO_DIMENSIONS = 64
MAX_EXAMPLES = 30
# Words that say nothing about a topic (accents folded, as the features see them).
STOP_WORDS = frozenset(
    (  # noqa: SIM905 (a list literal would take 200 lines)
        "a au aux avec ce ces c cest dans de des du elle en est et eux il ils je j la le les leur lui ma mais me mes "
        "moi mon ne nos notre nous on ou par pas pour qu que qui sa se ses son sur ta te tes toi ton tu un une vos "
        "votre vous y ai as avez peux puis peut faire fait etre avoir suis svp merci bonjour bonsoir salut oui non "
        "cette quel quelle comment ca tres plus bien aussi si "
        "an the and or of to in for with is are was be been am i my we our you your it its this that these those do "
        "does did can could would will should have has had at by from as so if not no yes please hi hello thanks "
        "thank what how where when which who why there their they them he she his her im dont cant"
    ).split()
)


@dataclass(frozen=True)
class Mined:
    """What clustering proposes."""

    candidates: list[Candidate]
    additions: list[Addition]


def nearest(queries: Vectors, references: Vectors, batch: int = 4096) -> tuple[npt.NDArray[np.int64], Vectors]:
    """Index and cosine of each query's nearest reference row (rows are unit length), a batch at a time."""
    index, best = np.zeros(len(queries), dtype=np.int64), np.zeros(len(queries), dtype=np.float32)
    for start in range(0, len(queries), batch):
        similarity = queries[start : start + batch] @ references.T
        index[start : start + batch] = similarity.argmax(axis=1)
        best[start : start + batch] = similarity.max(axis=1)
    return index, best


def cluster_labels(vectors: Vectors, distance: float, seed: int = 0) -> npt.NDArray[Any]:
    """A cluster label per row, cut at a cosine ``distance`` (see the module docstring)."""
    rows = len(vectors)
    if rows <= DIRECT_LIMIT:
        return _agglomerate(vectors, distance)
    # Micro-clusters only need near neighbours together: k-means on a 64-dimension PCA from random centres matches
    # 512 dimensions and k-means++ (members at cosine 0.93 of their mean, 100k benchmark) in 10 s instead of 230 s.
    reduced = PCA(MICRO_DIMENSIONS, random_state=seed).fit_transform(vectors)
    micro = MiniBatchKMeans(
        min(rows // 10, DIRECT_LIMIT), init="random", random_state=seed, batch_size=4096, n_init=3
    ).fit(reduced)
    # Each micro-cluster's mean vector, not renormalised: the product of two means is the mean cosine between their
    # messages, so the cut means what it means on messages. (Renormalised centroids sit closer than their messages,
    # which joined loose clusters that the cohesion check then threw away whole.)
    sums = np.zeros((micro.n_clusters, vectors.shape[1]))
    np.add.at(sums, micro.labels_, vectors)
    means = sums / np.maximum(1, np.bincount(micro.labels_, minlength=micro.n_clusters))[:, None]
    centroid_labels = _agglomerate(means.astype(np.float32), distance)
    return np.asarray(centroid_labels[micro.labels_])


def _agglomerate(vectors: Vectors, distance: float) -> npt.NDArray[Any]:
    """Average-linkage clustering of rows by the distance 1 - their dot product, cut at ``distance``."""
    if len(vectors) < 2:
        return np.zeros(len(vectors), dtype=int)
    distances = np.clip(1.0 - (vectors @ vectors.T).astype(np.float64), 0.0, 2.0)
    np.fill_diagonal(distances, 0.0)
    model = AgglomerativeClustering(
        n_clusters=None, distance_threshold=distance, affinity="precomputed", linkage="average"
    )
    return np.asarray(model.fit_predict(distances))


def cohesion(vectors: Vectors, languages: Sequence[str]) -> float:
    """Mean cosine between two different rows (unit length) in the same language; 1 for a single row.

    Pairwise rather than to the centroid: the centroid's cosine grows as a group shrinks (three unrelated texts
    already score 1/sqrt(3) = 0.58), and small groups are the ones to judge. Within a language: ``MIN_COHESION``
    was measured on English alone, and a French and an English text on one topic sit lower (0.53 against 0.59 for
    the gift-card messages of tests/e2e); the cut already vouches for those links. All pairs when no two texts
    share a language.
    """
    if len(vectors) < 2:
        return 1.0
    spoken = np.asarray(languages)
    groups = [g for g in (vectors[spoken == lang] for lang in np.unique(spoken)) if len(g) > 1] or [vectors]
    same, pairs = 0.0, 0
    for group in groups:
        total = group.astype(np.float64).sum(axis=0)
        same += float(total @ total) - len(group)  # the sum of the cosines of all ordered pairs, self-pairs taken off
        pairs += len(group) * (len(group) - 1)
    return float(same / pairs)


def word_features(texts: Sequence[str]) -> TfidfVectorizer:
    """Word TF-IDF (1-2 grams, stop words out) fitted on ``texts``, to name and describe clusters."""
    words = TfidfVectorizer(
        ngram_range=(1, 2), sublinear_tf=True, preprocessor=without_accents, stop_words=sorted(STOP_WORDS), min_df=1
    )
    return words.fit(texts)


def keywords(words: TfidfVectorizer, texts: list[str], weights: list[int], count: int = 4) -> list[str]:
    """The words that set these texts apart (highest mean TF-IDF), most telling first."""
    matrix = words.transform(texts)
    mean = np.asarray(matrix.multiply(np.array(weights)[:, None]).sum(axis=0)).ravel() / max(1, sum(weights))
    vocabulary = words.get_feature_names_out()
    chosen: list[str] = []
    scores: dict[str, float] = {}
    for i in np.argsort(-mean)[: 20 * count]:
        term, score = str(vocabulary[i]), float(mean[i])
        if score <= 0:
            break
        inside = [c for c in chosen if c in term.split()]
        if inside and score >= 0.6 * scores[inside[0]]:  # "gift card" nearly as telling as "gift": the phrase wins
            chosen[chosen.index(inside[0])] = term
            scores[term] = score
        elif len(chosen) < count and not any(term in c or c in term for c in chosen):
            chosen.append(term)
            scores[term] = score
    return chosen


def intent_name(words: list[str], taken: set[str]) -> str:
    """A snake_case intent name from keywords, not clashing with ``taken``."""
    base = re.sub(r"[^a-z0-9]+", "_", without_accents(words[0] if words else "topic")).strip("_") or "topic"
    base = base if base[0].isalpha() else f"topic_{base}"
    name, number = base, 2
    while name in taken:
        name, number = f"{base}_{number}", number + 1
    taken.add(name)
    return name


def _by_language(texts: list[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {"fr": [], "en": []}
    for language, text in texts:
        bucket = out.setdefault(language, [])
        if text not in bucket and len(bucket) < MAX_EXAMPLES:
            bucket.append(text)
    return {k: out[k] for k in ("fr", "en")}


def _draft_responses(items: list[Unhandled]) -> dict[str, str]:
    drafts = {}
    for language in ("fr", "en"):
        answers = Counter(a for i in items if i.language == language for a in i.answers)
        drafts[language] = answers.most_common(1)[0][0] if answers else ""
    return drafts


def _centroid(vectors: Vectors) -> Vectors:
    return np.asarray(normalize(vectors.mean(axis=0, keepdims=True))[0], dtype=np.float32)


class _Texts:
    """The distinct unhandled texts, their vectors, and the messages behind each."""

    def __init__(self, unhandled: list[Unhandled]) -> None:
        """Group the messages by text and encode each text once, without the redaction placeholders."""
        self.messages: dict[str, list[Unhandled]] = defaultdict(list)
        for item in unhandled:
            self.messages[item.text].append(item)
        self.texts = list(self.messages)
        self.languages = [self.messages[t][0].language for t in self.texts]
        self.vectors = encode([" ".join(PLACEHOLDER.sub(" ", t).split()) for t in self.texts])

    def size(self, members: Sequence[int]) -> int:
        """How many messages these texts stand for."""
        return sum(len(self.messages[self.texts[i]]) for i in members)

    def examples(self, members: Sequence[int]) -> dict[str, list[str]]:
        """The texts by language, as the review file shows them."""
        return _by_language([(self.languages[i], self.texts[i]) for i in members])


def _recurring_topics(texts: _Texts, rest: list[int], min_cluster: int) -> list[list[int]]:
    """The clusters of ``rest`` (indices into ``texts``) that are recurring topics, largest first."""
    clusters: dict[int, list[int]] = defaultdict(list)
    for label, i in zip(cluster_labels(texts.vectors[rest], CLUSTER_DISTANCE) if rest else [], rest, strict=True):
        clusters[int(label)].append(i)
    topics = [
        members
        for members in clusters.values()
        if texts.size(members) >= min_cluster
        and cohesion(texts.vectors[members], [texts.languages[i] for i in members]) >= MIN_COHESION
    ]
    return sorted(topics, key=texts.size, reverse=True)


def propose(unhandled: list[Unhandled], training: list[Example], min_cluster: int = 3) -> Mined:
    """Candidate intents and additions to existing intents from the (already redacted) unhandled messages."""
    if not unhandled:
        return Mined([], [])
    texts = _Texts(unhandled)
    train_vectors = encode([e.text for e in training])
    additions: dict[str, list[int]] = defaultdict(list)
    rest = list(range(len(texts.texts)))
    if training:
        index, similarity = nearest(texts.vectors, train_vectors)
        for i in np.flatnonzero(similarity >= ADDITION_SIMILARITY):
            additions[training[index[i]].intent].append(int(i))
        rest = [int(i) for i in np.flatnonzero(similarity < ADDITION_SIMILARITY)]
    labels = np.array([e.intent for e in training])
    centroids = {intent: _centroid(train_vectors[labels == intent]) for intent in sorted(set(labels.tolist()))}
    words = word_features([e.text for e in training] + texts.texts)
    taken = set(centroids)
    candidates = []
    for number, members in enumerate(_recurring_topics(texts, rest, min_cluster), 1):
        distinct = [texts.texts[i] for i in members]
        english = [t for i, t in zip(members, distinct, strict=True) if texts.languages[i] == "en"]
        found = keywords(words, distinct, [len(texts.messages[t]) for t in distinct])
        name_words = keywords(words, english, [len(texts.messages[t]) for t in english], 1) if english else found
        centroid = _centroid(texts.vectors[members])
        closest = max(centroids, key=lambda k: float(centroids[k] @ centroid)) if centroids else ""
        candidates.append(
            Candidate(
                id=f"c{number:02d}",
                name=intent_name(name_words or found, taken),
                size=texts.size(members),
                examples=texts.examples(members),
                keywords=found,
                closest_intent=closest,
                closest_similarity=round(float(centroids[closest] @ centroid), 3) if closest else 0.0,
                response=_draft_responses([item for t in distinct for item in texts.messages[t]]),
            )
        )
    found_additions = [Addition(intent=k, examples=texts.examples(v)) for k, v in sorted(additions.items())]
    return Mined(candidates, found_additions)
