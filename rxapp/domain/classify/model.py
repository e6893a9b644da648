"""The learned half of the request classifier (scikit-learn).

A character 1-3-gram TF-IDF (sublinear tf) feeds a linear SVM whose scores
``CalibratedClassifierCV`` turns into probabilities (sigmoid per category,
fitted on 5-fold cross-validated scores, one final SVM: ``ensemble=False``).
Texts are normalised exactly as for the keyword rules (OpenCC traditional ->
simplified, NFKC, upper case, no whitespace).

``classify`` (rxapp.domain.classify) adds the keyword evidence to the model's
log-probabilities: ``total(c) = max(log p(c), -MODEL_FLOOR_NATS) + KEYWORD_NATS x
keyword score(c)`` (no floor term for a category a weight-5 keyword names), and
the confidence is the softmax share of the winner. The auto-accept threshold
is chosen from the calibration, not by hand: the lowest confidence at which
the out-of-fold decisions on the training texts (5-fold, the same ``decide``
as at run time) are right at least ``TARGET_PRECISION`` of the time.

Speed: sklearn's ``predict_proba`` costs about 2 ms for a single text, too slow
for intake (≥ 2,000 texts/s per core is the target). ``TextModel`` therefore
reads the fitted pipeline's parameters once (vocabulary, idf x SVM weights,
sigmoid a/b) and scores one text with a dictionary walk; a test proves the
result equal to the pipeline's ``predict_proba``.

The built-in model (used until an administrator activates a trained one) is
trained on the ``train`` split of tests/data/requests_labelled.csv at first use
and kept in .cache/ under the csv's hash, so later processes load it.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import os
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import joblib
import numpy as np
import sklearn
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import Pipeline
from sklearn.svm import LinearSVC

from rxapp.domain.classify.keywords import (
    CATEGORY_CODES,
    FALLBACK_CODE,
    Classification,
    _CompiledRules,
    certain_codes,
    compile_rules,
    keyword_scores,
    no_match,
    normalize_text,
    ranked_terms,
    rules_only,
)

ROOT = Path(__file__).resolve().parents[3]
LABELLED_CSV = ROOT / "tests" / "data" / "requests_labelled.csv"
CACHE_DIR = ROOT / ".cache"
FORMAT = "griddesk-tfidf-svc/1"

# Chosen on the training texts' out-of-fold results (batch F and the residents'
# set untouched): see NOTES / bench/classify_bench.py.
KEYWORD_NATS: float = 0.5
MODEL_FLOOR_NATS: float = 6.0
# Without any keyword the model alone names a category only from this probability on.
MODEL_ALONE_MIN: float = 0.4
TARGET_PRECISION: float = 0.99
SVM_C: float = 1.0
CV_FOLDS = 5


def build_pipeline() -> Pipeline:
    return Pipeline([
        ("tfidf", TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True, dtype=np.float64)),
        ("svm", CalibratedClassifierCV(LinearSVC(C=SVM_C, random_state=0), method="sigmoid", cv=CV_FOLDS, ensemble=False)),
    ])


@dataclass
class TextModel:
    """A fitted pipeline, its auto-accept threshold and what it was trained on."""

    pipeline: Pipeline
    threshold: float
    trained_texts: int = 0
    version: int | None = None  # the database row's version; None: built-in
    info: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        vec = self.pipeline.named_steps["tfidf"]
        cal = self.pipeline.named_steps["svm"]
        inner = cal.calibrated_classifiers_[0]
        svm = inner.estimator
        self.codes: tuple[str, ...] = tuple(str(c) for c in cal.classes_)
        self.index = {c: i for i, c in enumerate(self.codes)}
        self._analyze = vec.build_analyzer()
        idf = vec.idf_
        # row j: feature j's per-class weight with its idf folded in; idf squared for the norm
        self._weights = np.ascontiguousarray((svm.coef_ * idf[None, :]).T)
        self._idf2 = idf ** 2
        self._vocabulary: dict[str, int] = dict(vec.vocabulary_)
        self._names = vec.get_feature_names_out()
        self._intercept = np.asarray(svm.intercept_, dtype=np.float64)
        # calibrators in the order of svm.classes_ (== cal.classes_, both sorted)
        self._a = np.array([c.a_ for c in inner.calibrators], dtype=np.float64)
        self._b = np.array([c.b_ for c in inner.calibrators], dtype=np.float64)

    def _decision(self, norm: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Decision scores, and the rows and normalised tf-idf weights behind them."""
        vocabulary = self._vocabulary
        counts = Counter(j for j in map(vocabulary.get, self._analyze(norm)) if j is not None)
        if not counts:
            return self._intercept.copy(), np.empty(0, dtype=np.intp), np.empty(0)
        rows = np.fromiter(counts.keys(), dtype=np.intp, count=len(counts))
        tf = 1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))
        tf /= math.sqrt(float(tf * tf @ self._idf2[rows]))
        return tf @ self._weights[rows] + self._intercept, rows, tf

    def proba(self, norm: str) -> np.ndarray:
        """Calibrated probabilities of ``self.codes`` for a normalised text
        (equal to the pipeline's ``predict_proba``)."""
        decision, _, _ = self._decision(norm)
        p = 1.0 / (1.0 + np.exp(self._a * decision + self._b))
        total = p.sum()
        return p / total if total > 0 else np.full(len(self.codes), 1.0 / len(self.codes))

    def top_terms(self, norm: str, code: str, n: int = 3) -> list[str]:
        """The n-grams (two characters or more) of the text that speak most for ``code``."""
        _, rows, tf = self._decision(norm)
        if not len(rows):
            return []
        contribution = tf * self._weights[rows, self.index[code]]
        names = self._names[rows].tolist()
        ranked = sorted(((v, t) for v, t in zip(contribution.tolist(), names) if len(t) > 1), reverse=True)
        return [t for v, t in ranked[:n] if v > 0]


def decide(norm: str, compiled: _CompiledRules, proba: Mapping[str, float], threshold: float,
           version: int | None = None, model: TextModel | None = None) -> Classification:
    """Keyword evidence + the model's probabilities -> one classification.
    The same function serves run time and the threshold's choice at training."""
    scores, evidence, enough = keyword_scores(norm, compiled)
    candidates = [c for c in compiled.codes if c in proba] or list(compiled.codes)
    order = {c: i for i, c in enumerate(compiled.codes)}
    if not enough:
        # No keyword: the model alone may name a category (OTHER stays "nothing found").
        best = min(candidates, key=lambda c: (-proba.get(c, 0.0), order[c]))
        share = proba.get(best, 0.0)
        if best == FALLBACK_CODE or share < MODEL_ALONE_MIN:
            return Classification(FALLBACK_CODE, no_match().confidence, [], threshold, version)
        terms = model.top_terms(norm, best) if model is not None else []
        return Classification(best, round(share, 6), terms, threshold, version)
    certain = certain_codes(compiled, evidence)
    total = {
        c: (0.0 if c in certain else max(math.log(max(proba.get(c, 0.0), 1e-300)), -MODEL_FLOOR_NATS))
        + KEYWORD_NATS * scores.get(c, 0.0)
        for c in candidates
    }
    best = min(candidates, key=lambda c: (-total[c], -scores.get(c, 0.0), order[c]))
    top = total[best]
    share = 1.0 / sum(math.exp(v - top) for v in total.values())
    terms = ranked_terms(evidence.get(best, []))
    if not terms and model is not None:  # the model chose a category no keyword names
        terms = model.top_terms(norm, best)
    return Classification(best, round(min(1.0, share), 6), terms, threshold, version)


def classify_with(text: str, compiled: _CompiledRules, model: TextModel | None) -> Classification:
    norm = normalize_text(text or "")
    if model is None or not norm:
        return rules_only(compiled, norm)
    p = model.proba(norm)
    return decide(norm, compiled, dict(zip(model.codes, p.tolist())), model.threshold, model.version, model)


def choose_threshold(confident: Sequence[tuple[float, bool]], target: float = TARGET_PRECISION) -> float:
    """The lowest confidence t such that the decisions at or above t are right
    at least ``target`` of the time (1.0 when none is)."""
    ranked = sorted(confident, key=lambda x: -x[0])
    right = 0
    best = 1.0
    for n, (conf, ok) in enumerate(ranked, start=1):
        right += ok
        # only where the next decision has a lower confidence (ties go together)
        if (n == len(ranked) or ranked[n][0] < conf) and right / n >= target:
            best = conf
    return round(best, 6)


def train(rows: Sequence[tuple[str, str]], rules: Mapping[str, Sequence[str] | str] | None = None) -> TextModel:
    """Fit the pipeline on (text, code) rows and choose the threshold from
    out-of-fold decisions under ``rules``. Raises ValueError when a category
    has fewer texts than folds."""
    texts = [normalize_text(t) for t, _ in rows]
    codes = [c for _, c in rows]
    unknown = set(codes) - set(CATEGORY_CODES)
    if unknown:
        raise ValueError(f"unknown category code(s) {sorted(unknown)}")
    per_code = Counter(codes)
    if len(per_code) < 3 or min(per_code.values()) < 2 * CV_FOLDS:
        raise ValueError(f"至少需要3个类别，每个类别至少{2 * CV_FOLDS}条训练文本")
    pipeline = build_pipeline().fit(texts, codes)
    folds = StratifiedKFold(CV_FOLDS, shuffle=True, random_state=0)
    oof = cross_val_predict(build_pipeline(), texts, codes, cv=folds, method="predict_proba")
    classes = [str(c) for c in pipeline.classes_]
    compiled = compile_rules(rules)
    decided = []
    for norm, truth, p in zip(texts, codes, oof):
        result = decide(norm, compiled, dict(zip(classes, p.tolist())), 1.0)
        decided.append((result.confidence, result.code == truth))
    threshold = choose_threshold(decided)
    return TextModel(pipeline, threshold, trained_texts=len(rows),
                     info={"format": FORMAT, "sklearn": sklearn.__version__,
                           "oof_accuracy": round(sum(ok for _, ok in decided) / len(decided), 4)})


def evaluate(model: TextModel | None, rows: Iterable[tuple[str, str]],
             rules: Mapping[str, Sequence[str] | str] | None = None) -> dict:
    """Accuracy, auto-accepted share and the precision of those on (text, code) rows."""
    compiled = compile_rules(rules)
    hits = []
    for text, code in rows:
        result = classify_with(text, compiled, model)
        hits.append((result.code == code, result.auto_accept))
    auto = [ok for ok, accepted in hits if accepted]
    n = len(hits)
    return {
        "count": n,
        "accuracy": round(sum(ok for ok, _ in hits) / n, 4) if n else None,
        "auto_accept_share": round(len(auto) / n, 4) if n else None,
        "auto_accept_precision": round(sum(auto) / len(auto), 4) if auto else None,
        "auto_accepted_wrong": len(auto) - sum(auto),
    }


def dumps(model: TextModel) -> bytes:
    """The model as bytes for the database (joblib of the fitted pipeline and its threshold)."""
    buf = io.BytesIO()
    joblib.dump({"format": FORMAT, "pipeline": model.pipeline, "threshold": model.threshold,
                 "trained_texts": model.trained_texts, "info": model.info}, buf, compress=3)
    return buf.getvalue()


def loads(blob: bytes, version: int | None = None) -> TextModel:
    """Bytes written by ``dumps`` (our own database rows only: joblib is pickle)."""
    doc = joblib.load(io.BytesIO(blob))
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ValueError("unknown classifier model format")
    return TextModel(doc["pipeline"], float(doc["threshold"]), int(doc.get("trained_texts", 0)), version,
                     dict(doc.get("info") or {}))


def read_rows(path: Path | str = LABELLED_CSV, split: str = "train") -> list[tuple[str, str]]:
    """(text, code) of the rows of a labelled csv (text,code,split[,batch]) in ``split``."""
    with open(path, encoding="utf-8", newline="") as fh:
        return [(r["text"], r["code"]) for r in csv.DictReader(fh) if r.get("split", split) == split]


@lru_cache(maxsize=1)
def builtin_model() -> TextModel | None:
    """The model trained on the labelled set's train split; None without the csv."""
    try:
        data = LABELLED_CSV.read_bytes()
    except FileNotFoundError:
        return None
    key = hashlib.sha256(data + FORMAT.encode() + sklearn.__version__.encode()).hexdigest()[:16]
    cached = CACHE_DIR / f"classifier-{key}.joblib"
    try:
        return loads(cached.read_bytes())
    except (OSError, ValueError, EOFError):
        pass
    model = train(read_rows(LABELLED_CSV, "train"))
    try:
        CACHE_DIR.mkdir(exist_ok=True)
        tmp = cached.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(dumps(model))
        tmp.replace(cached)
    except OSError:
        pass  # a read-only checkout trains again next time
    return model
