"""The learned half of the request classifier: multinomial naive Bayes over
character 1- and 2-grams.

Keyword rules (rxapp.domain.classify) only know the words an administrator
wrote down; this model has read every labelled request of the training split
and gives evidence for the rest of a text. ``classify`` adds the two.

Features: the text is normalised like the keyword rules (NFKC, upper case, no
whitespace), cut at punctuation, and each piece gives its characters and
character pairs, plus its first and last character marked as such (``^关``,
``议$``). Each feature counts once per text (Bernoulli-style counts in a
multinomial model), with add-``alpha`` smoothing.

The trained counts live in rxapp/data/classifier_model.json, written by

    python -m rxapp.domain.classify_model train [--csv FILE] [--out FILE]

from the rows of tests/data/requests_labelled.csv whose split is ``train``
(deterministic: the same csv gives the same file byte for byte). At run time
the file is read once, lazily, and cached; nothing under tests/ is read.

Pure standard library.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MODEL_PATH = ROOT / "rxapp" / "data" / "classifier_model.json"
TRAINING_CSV = ROOT / "tests" / "data" / "requests_labelled.csv"

FORMAT = "griddesk-nb-char12/1"
DEFAULT_ALPHA = 0.3
# Log-likelihoods of naive Bayes are far too sure of themselves (the features of
# a text are not independent); divided by this temperature, the posteriors of
# out-of-fold predictions matched how often they were right (maximum likelihood
# over 10-fold cross-validation on the training texts gave 4.25; see classify.py).
DEFAULT_TEMPERATURE = 4.0

_PIECES = re.compile(r"[\W_]+")


def _normalize(text: str) -> str:
    from rxapp.domain.classify import normalize_text  # one normalisation for rules and model

    return normalize_text(text)


def features(text: str) -> list[str]:
    """The distinct features of ``text`` in a fixed order (first occurrence)."""
    out: dict[str, None] = {}
    for piece in _PIECES.split(_normalize(text or "")):
        if not piece:
            continue
        out["^" + piece[0]] = None
        for i, ch in enumerate(piece):
            out[ch] = None
            if i + 1 < len(piece):
                out[piece[i : i + 2]] = None
        out[piece[-1] + "$"] = None
    return list(out)


def feature_text(feature: str) -> str:
    """The characters of the text a feature stands for (without ^ and $)."""
    return feature.strip("^$")


@dataclass(frozen=True)
class NaiveBayesModel:
    codes: tuple[str, ...]
    log_prior: tuple[float, ...]
    # feature -> log P(feature | code) per code, in the order of ``codes``
    log_likelihood: dict[str, tuple[float, ...]]
    temperature: float = DEFAULT_TEMPERATURE

    def log_likelihoods(self, text: str) -> tuple[dict[str, float], list[str]]:
        """Unnormalised log P(c) + sum log P(f|c) per code, over the features the
        model knows; and those known features (in text order)."""
        table = self.log_likelihood
        known = [f for f in features(text) if f in table]
        # column-wise sums in C; fsum is exactly rounded, so the order cannot matter
        columns = zip(self.log_prior, *(table[f] for f in known))
        return {code: math.fsum(col) for code, col in zip(self.codes, columns)}, known

    def log_posterior(self, text: str) -> tuple[dict[str, float], list[str]]:
        """Tempered log P(c | text) per code (sums to one over ``codes``); and the known features."""
        raw, known = self.log_likelihoods(text)
        t = self.temperature
        top = max(raw.values())
        z = math.log(sum(math.exp((v - top) / t) for v in raw.values()))
        return {c: (v - top) / t - z for c, v in raw.items()}, known

    def top_features(self, known: Iterable[str], code: str, n: int = 3) -> list[str]:
        """The known features that speak most for ``code`` against the other codes."""
        i = self.codes.index(code)
        k = len(self.codes)
        table = self.log_likelihood
        ranked = []
        for order, f in enumerate(known):
            row = table[f]
            others = max(row[j] for j in range(k) if j != i)
            lead = row[i] - others
            if lead > 0:
                ranked.append((-lead, -len(feature_text(f)), order, feature_text(f)))
        ranked.sort()
        result: list[str] = []
        for *_, word in ranked:
            if word and word not in result:
                result.append(word)
            if len(result) == n:
                break
        return result


def _model(codes: Sequence[str], docs: Sequence[int], counts: dict[str, Sequence[tuple[int, int]]], alpha: float,
           temperature: float, vocabulary: int | None = None) -> NaiveBayesModel:
    """The model from counts: ``docs[i]`` texts of code i; ``counts[f]`` pairs
    (code index, texts of that code with feature f). Add-``alpha`` smoothing over
    ``vocabulary`` features (default: those counted)."""
    k = len(codes)
    total = [0] * k
    for row in counts.values():
        for i, n in row:
            total[i] += n
    vocab = len(counts) if vocabulary is None else vocabulary
    n_docs = sum(docs)
    log_prior = tuple(math.log((docs[i] + 1) / (n_docs + k)) for i in range(k))
    log_den = [math.log(total[i] + alpha * vocab) for i in range(k)]
    floor = [math.log(alpha) - log_den[i] for i in range(k)]
    table = {}
    for f, row in counts.items():
        values = list(floor)
        for i, n in row:
            values[i] = math.log(n + alpha) - log_den[i]
        table[f] = tuple(values)
    return NaiveBayesModel(tuple(codes), log_prior, table, temperature)


def train_counts(rows: Iterable[tuple[str, str]], codes: Sequence[str]) -> tuple[dict[str, dict[str, int]], dict[str, int]]:
    """(text, code) rows -> (feature -> code -> number of texts, code -> number of texts)."""
    counts: dict[str, Counter] = {}
    docs: Counter = Counter()
    for text, code in rows:
        if code not in codes:
            raise ValueError(f"unknown category code {code!r}")
        docs[code] += 1
        for f in features(text):
            counts.setdefault(f, Counter())[code] += 1
    return {f: dict(c) for f, c in counts.items()}, dict(docs)


def train(rows: Iterable[tuple[str, str]], codes: Sequence[str] | None = None, alpha: float = DEFAULT_ALPHA,
          temperature: float = DEFAULT_TEMPERATURE) -> NaiveBayesModel:
    """A model from (text, code) rows, in memory."""
    if codes is None:
        from rxapp.domain.classify import CATEGORY_CODES as codes
    counts, docs = train_counts(rows, codes)
    index = {c: i for i, c in enumerate(codes)}
    table = {f: sorted((index[c], n) for c, n in per.items()) for f, per in counts.items()}
    return _model(codes, [docs.get(c, 0) for c in codes], table, alpha, temperature)


def model_document(rows: Sequence[tuple[str, str]], codes: Sequence[str], alpha: float = DEFAULT_ALPHA,
                   temperature: float = DEFAULT_TEMPERATURE, max_features: int | None = None) -> dict:
    """The JSON document of a model trained on ``rows``: counts, so that loading
    recomputes the same floats everywhere. ``max_features`` keeps the features
    seen in most texts (ties: most one-sided, then the feature itself)."""
    counts, docs = train_counts(rows, codes)
    kept = sorted(counts)
    if max_features is not None and len(kept) > max_features:
        def rank(f: str) -> tuple:
            per = counts[f]
            n = sum(per.values())
            return (-n, -max(per.values()) / n, f)
        kept = sorted(sorted(counts, key=rank)[:max_features])
    table = {f: [[codes.index(c), n] for c, n in sorted(counts[f].items(), key=lambda kv: codes.index(kv[0]))]
             for f in kept}
    return {
        "format": FORMAT,
        "about": "Naive Bayes over character 1-2-grams; written by `python -m rxapp.domain.classify_model train`.",
        "codes": list(codes),
        "alpha": alpha,
        "temperature": temperature,
        "texts": len(rows),
        "docs": [docs.get(c, 0) for c in codes],
        # the vocabulary size used for smoothing is the trained one, also when pruned
        "vocabulary": len(counts),
        "features": table,
    }


def from_document(doc: dict) -> NaiveBayesModel:
    if doc.get("format") != FORMAT:
        raise ValueError(f"unknown classifier model format {doc.get('format')!r}")
    counts = {f: [(int(i), int(n)) for i, n in row] for f, row in doc["features"].items()}
    return _model(doc["codes"], doc["docs"], counts, float(doc["alpha"]), float(doc["temperature"]),
                  int(doc["vocabulary"]))


def load(path: Path | str = MODEL_PATH) -> NaiveBayesModel:
    with open(path, encoding="utf-8") as fh:
        return from_document(json.load(fh))


@lru_cache(maxsize=1)
def default_model() -> NaiveBayesModel | None:
    """The shipped model, read once; None when the file is missing (rules only)."""
    try:
        return load(MODEL_PATH)
    except FileNotFoundError:
        return None


def write_document(doc: dict, path: Path | str) -> None:
    text = json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    Path(path).write_text(text + "\n", encoding="utf-8")


def read_rows(path: Path | str, split: str = "train") -> list[tuple[str, str]]:
    """(text, code) of the rows of a labelled csv (text,code,split[,batch]) in ``split``."""
    with open(path, encoding="utf-8", newline="") as fh:
        return [(r["text"], r["code"]) for r in csv.DictReader(fh) if r["split"] == split]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rxapp.domain.classify_model",
                                     description="Train the request classifier's naive Bayes model.")
    sub = parser.add_subparsers(dest="command", required=True)
    tr = sub.add_parser("train", help="train on the csv's train split and write the model file")
    tr.add_argument("--csv", type=Path, default=TRAINING_CSV)
    tr.add_argument("--out", type=Path, default=MODEL_PATH)
    tr.add_argument("--alpha", type=float, default=DEFAULT_ALPHA)
    tr.add_argument("--temperature", type=float, default=DEFAULT_TEMPERATURE)
    tr.add_argument("--max-features", type=int, default=None)
    args = parser.parse_args(argv)

    from rxapp.domain.classify import CATEGORY_CODES

    rows = read_rows(args.csv, "train")
    doc = model_document(rows, CATEGORY_CODES, args.alpha, args.temperature, args.max_features)
    write_document(doc, args.out)
    size = Path(args.out).stat().st_size
    print(f"trained on {len(rows)} texts: {len(doc['features'])} features, {size} bytes -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
