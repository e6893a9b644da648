"""How alike two request texts are: character n-gram TF-IDF cosine.

Chinese requests have no spaces, and residents describe one incident in
different words ("水管爆了" / "自来水管爆裂" / "停水了"), so whole words are a
poor unit; character uni- and bigrams catch the shared core (measured against
bi+trigrams on reports of one incident vs unrelated requests: better separation).  Texts are
hashed into n-gram features with scikit-learn's stateless
``HashingVectorizer`` (no vocabulary to fit or share between workers), then
weighted by an inverse document frequency taken once from the demo request
templates of every category: the words all requests share (希望, 反映, 请, 解决)
weigh little, the words of the matter itself (爆管, 停电, 臭味) much.

Vectors are kept per text in an LRU cache, so the detector pays the
vectorizer once per case, and a dot product of two short sparse vectors per
candidate (a set intersection of ~100 keys).
"""

from __future__ import annotations

import math
from functools import lru_cache

from sklearn.feature_extraction.text import HashingVectorizer

NGRAMS = (1, 2)
_HASHER = HashingVectorizer(analyzer="char", ngram_range=NGRAMS, n_features=2**20, alternate_sign=False, norm=None)
# Boilerplate a channel puts before the text says nothing about the matter.
_STRIP = ("来电反映：", "来访反映：", "网上留言：", "短信：", "民情日记记录：", "走访日记：", "入户走访时群众反映：")


def _reference_texts() -> list[str]:
    from rxapp.domain import seed_text as T

    texts = []
    pools = [*T.CASE_TEMPLATES.values(), T.OPENERS, T.DETAILS, T.CLOSINGS, T.LANDMARKS, T.WHEN]
    for templates in pools:
        for tpl in templates:
            texts.append(tpl.replace("{", "").replace("}", ""))
    return texts


@lru_cache(maxsize=1)
def _idf() -> tuple[dict[int, float], float]:
    docs = _reference_texts()
    df: dict[int, int] = {}
    for row in _HASHER.transform(docs):
        for k in row.indices:
            df[int(k)] = df.get(int(k), 0) + 1
    n = len(docs)
    unseen = math.log((1 + n) / 1) + 1.0
    return {k: math.log((1 + n) / (1 + d)) + 1.0 for k, d in df.items()}, unseen


def clean(text: str) -> str:
    """The text without the boilerplate a channel puts before it."""
    text = (text or "").strip()
    for prefix in _STRIP:
        if text.startswith(prefix):
            text = text[len(prefix):]
    return text


@lru_cache(maxsize=200_000)
def vector(text: str) -> dict[int, float]:
    """The L2-normalised TF-IDF vector of a text, as {feature: weight}."""
    row = _HASHER.transform([clean(text)])
    idf, unseen = _idf()
    out: dict[int, float] = {}
    for k, tf in zip(row.indices, row.data):
        k = int(k)
        out[k] = (1.0 + math.log(tf)) * idf.get(k, unseen)
    norm = math.sqrt(sum(v * v for v in out.values())) or 1.0
    return {k: v / norm for k, v in out.items()}


def cosine(a: dict[int, float], b: dict[int, float]) -> float:
    if len(b) < len(a):
        a, b = b, a
    return sum(v * b[k] for k, v in a.items() if k in b)


def similarity(text_a: str, text_b: str) -> float:
    return cosine(vector(text_a), vector(text_b))
