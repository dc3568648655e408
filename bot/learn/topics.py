"""Unhandled messages grouped into candidate intents, French and English together (scikit-learn).

1. Features: TF-IDF over words (1-2 grams, French and English stop words out) and character 3-5 grams, accents
   folded, fitted on the training examples and the mined messages together. Identical texts are counted once.
2. A message whose nearest training example is close (cosine >= ``ADDITION_SIMILARITY``) belongs to that example's
   intent: it is proposed as a new example of it, not as a new intent.
3. The rest is clustered: agglomerative clustering with average linkage, cut at a cosine distance
   (``CLUSTER_DISTANCE``; short messages on one topic share few words, so the cut is high); above ``DIRECT_LIMIT``
   distinct texts, mini-batch k-means on a 100-dimension SVD first makes micro-clusters whose centroids are then
   agglomerated the same way, which keeps time and memory bounded at 100,000 messages.
4. Words do not cross languages ("carte cadeau" / "gift card"), but the bot's own mistakes do: the model is
   bilingual, so French and English questions about the same unknown topic get similar intent rankings. A French and
   an English cluster that are each other's closest by mean intent ranking (cosine >= ``BRIDGE_SIMILARITY``) become
   one candidate. The trainer can still merge or split by hand in the review file.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from sklearn.cluster import AgglomerativeClustering, MiniBatchKMeans
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from bot.learn.evaluate import Example
from bot.learn.review import Addition, Candidate
from bot.learn.signals import Unhandled

ADDITION_SIMILARITY = 0.72
CLUSTER_DISTANCE = 0.9
BRIDGE_SIMILARITY = 0.8
DIRECT_LIMIT = 3000
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


def fold(text: str) -> str:
    """Lower case without accents."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


class Features:
    """Word and character TF-IDF, fitted once on training and mined texts."""

    def __init__(self, texts: Sequence[str]) -> None:
        """Fit the vocabularies."""
        self.words = TfidfVectorizer(
            ngram_range=(1, 2), sublinear_tf=True, preprocessor=fold, stop_words=sorted(STOP_WORDS), min_df=1
        )
        self.chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, preprocessor=fold)
        self.words.fit(texts)
        self.chars.fit(texts)

    def __call__(self, texts: Sequence[str]) -> sp.csr_matrix:
        """Unit-length rows of both feature sets side by side."""
        return normalize(sp.hstack([self.words.transform(texts), self.chars.transform(texts)]).tocsr())


def nearest(
    queries: sp.csr_matrix, references: sp.csr_matrix, batch: int = 2000
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """Index and cosine of each query's nearest reference row (rows are unit length)."""
    index, best = np.zeros(queries.shape[0], dtype=int), np.zeros(queries.shape[0])
    for start in range(0, queries.shape[0], batch):
        similarity = (queries[start : start + batch] @ references.T).toarray()
        index[start : start + batch] = similarity.argmax(axis=1)
        best[start : start + batch] = similarity.max(axis=1)
    return index, best


def cluster_labels(vectors: sp.csr_matrix, distance: float = CLUSTER_DISTANCE, seed: int = 0) -> npt.NDArray[Any]:
    """A cluster label per row (see the module docstring)."""
    rows = vectors.shape[0]
    if rows <= DIRECT_LIMIT:
        return _agglomerate(vectors, distance)
    dimensions = min(100, vectors.shape[1] - 1)
    reduced = normalize(TruncatedSVD(dimensions, random_state=seed).fit_transform(vectors))
    micro = MiniBatchKMeans(min(rows // 10, DIRECT_LIMIT), random_state=seed, batch_size=4096, n_init=3).fit(reduced)
    # Each micro-cluster's centroid in the original space, so the same distance threshold means the same thing.
    members = sp.csr_matrix((np.ones(rows), (micro.labels_, np.arange(rows))), shape=(micro.n_clusters, rows))
    centroid_labels = _agglomerate(normalize(members @ vectors), distance)
    return np.asarray(centroid_labels[micro.labels_])


def _agglomerate(vectors: sp.csr_matrix, distance: float) -> npt.NDArray[Any]:
    """Average-linkage clustering of unit-length rows, cut at a cosine distance."""
    if vectors.shape[0] < 2:
        return np.zeros(vectors.shape[0], dtype=int)
    distances = np.clip(1.0 - (vectors @ vectors.T).toarray(), 0.0, 2.0)
    np.fill_diagonal(distances, 0.0)
    model = AgglomerativeClustering(
        n_clusters=None, distance_threshold=distance, affinity="precomputed", linkage="average"
    )
    return np.asarray(model.fit_predict(distances))


def keywords(features: Features, texts: list[str], weights: list[int], count: int = 4) -> list[str]:
    """The words that set these texts apart (highest mean TF-IDF), most telling first."""
    matrix = features.words.transform(texts)
    mean = np.asarray(matrix.multiply(np.array(weights)[:, None]).sum(axis=0)).ravel() / max(1, sum(weights))
    vocabulary = features.words.get_feature_names_out()
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
    base = re.sub(r"[^a-z0-9]+", "_", fold(words[0] if words else "topic")).strip("_") or "topic"
    base = base if base[0].isalpha() else f"topic_{base}"
    name, number = base, 2
    while name in taken:
        name, number = f"{base}_{number}", number + 1
    taken.add(name)
    return name


def _ranking_vector(items: list[Unhandled], intents: list[str]) -> npt.NDArray[Any]:
    vector = np.zeros(len(intents))
    for item in items:
        for i, intent in enumerate(intents):
            vector[i] += item.ranking.get(intent, 0.0)
    norm = np.linalg.norm(vector)
    return vector / norm if norm else vector


def bridge_languages(groups: list[list[Unhandled]], intents: list[str]) -> list[list[Unhandled]]:
    """Join a French and an English group that are each other's closest by the model's intent rankings."""
    language = [Counter(i.language for i in g).most_common(1)[0][0] for g in groups]
    vectors = [_ranking_vector(g, intents) for g in groups]
    french = [i for i, lang in enumerate(language) if lang == "fr"]
    english = [i for i, lang in enumerate(language) if lang == "en"]
    if not french or not english:
        return groups
    similarity = np.array([[float(vectors[f] @ vectors[e]) for e in english] for f in french])
    joined: list[list[Unhandled]] = []
    used: set[int] = set()
    for row, f in enumerate(french):
        column = int(similarity[row].argmax())
        e = english[column]
        if similarity[row, column] >= BRIDGE_SIMILARITY and int(similarity[:, column].argmax()) == row:
            joined.append(groups[f] + groups[e])
            used |= {f, e}
    return joined + [g for i, g in enumerate(groups) if i not in used]


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


def propose(unhandled: list[Unhandled], training: list[Example], min_cluster: int = 3) -> Mined:
    """Candidate intents and additions to existing intents from the (already redacted) unhandled messages."""
    if not unhandled:
        return Mined([], [])
    groups_by_text: dict[str, list[Unhandled]] = defaultdict(list)
    for item in unhandled:
        groups_by_text[item.text].append(item)
    texts = list(groups_by_text)
    train_texts = [e.text for e in training]
    features = Features(train_texts + texts)
    vectors = features(texts)
    intents = sorted({e.intent for e in training})
    additions: dict[str, list[tuple[str, str]]] = defaultdict(list)
    rest: list[int] = []
    if training:
        index, similarity = nearest(vectors, features(train_texts))
        for i, text in enumerate(texts):
            if similarity[i] >= ADDITION_SIMILARITY:
                additions[training[index[i]].intent].append((groups_by_text[text][0].language, text))
            else:
                rest.append(i)
    else:
        rest = list(range(len(texts)))
    labels = cluster_labels(vectors[rest]) if rest else np.zeros(0, dtype=int)
    clusters: dict[int, list[Unhandled]] = defaultdict(list)
    for label, i in zip(labels, rest, strict=True):
        clusters[int(label)].extend(groups_by_text[texts[i]])
    groups = bridge_languages([g for g in clusters.values() if len(g) >= min_cluster], intents)
    centroids = {
        intent: normalize(np.asarray(features([e.text for e in training if e.intent == intent]).mean(axis=0)))
        for intent in intents
    }
    taken = set(intents)
    candidates = []
    for number, group in enumerate(sorted(groups, key=len, reverse=True), 1):
        distinct = list(dict.fromkeys(i.text for i in group))
        weights = [len(groups_by_text[t]) for t in distinct]
        words = keywords(features, distinct, weights)
        english = [t for t in distinct if groups_by_text[t][0].language == "en"]
        name_words = keywords(features, english, [len(groups_by_text[t]) for t in english], 1) if english else words
        centroid = normalize(np.asarray(features(distinct).mean(axis=0)))
        closest = max(centroids, key=lambda k: float(centroids[k] @ centroid.T)) if centroids else ""
        candidates.append(
            Candidate(
                id=f"c{number:02d}",
                name=intent_name(name_words or words, taken),
                size=len(group),
                examples=_by_language([(groups_by_text[t][0].language, t) for t in distinct]),
                keywords=words,
                closest_intent=closest,
                closest_similarity=round(float(centroids[closest] @ centroid.T), 3) if closest else 0.0,
                response=_draft_responses(group),
            )
        )
    found = [Addition(intent=k, examples=_by_language(v)) for k, v in sorted(additions.items())]
    return Mined(candidates, found)
