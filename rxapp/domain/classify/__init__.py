"""Classification of a resident request text into one of the 14 categories.

- ``keywords``: the administrators' keyword rules (explainable, editable),
  text normalisation (OpenCC traditional -> simplified, NFKC, upper case);
- ``model``: the learned model (scikit-learn character n-gram TF-IDF + linear
  SVM, calibrated), its threshold and how rules and model add up;
- ``learning``: the learning loop in the database (dispatchers' corrections,
  candidate models, activation only when not worse, rollback).

Import arrows point down: this package imports keywords and model; model
imports keywords; learning imports both; nothing imports upwards.

``classify(text, rules, model)``: ``model`` not given -> the process's active
model (the one an administrator activated, refreshed by ``learning`` when the
active version changes; the built-in one before that); ``None`` -> the rules
alone.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence

from rxapp.domain.classify.keywords import (
    AUTO_ACCEPT_CONFIDENCE,
    CATEGORY_CODES,
    DEFAULT_KEYWORDS,
    FALLBACK_CODE,
    MAX_WEIGHT,
    MIN_WEIGHT,
    NO_MATCH_CONFIDENCE,
    Classification,
    compile_rules,
    format_keywords,
    join_entry,
    normalize_text,
    parse_keywords,
    split_entry,
)
from rxapp.domain.classify.model import TextModel, builtin_model, classify_with

__all__ = [
    "AUTO_ACCEPT_CONFIDENCE", "CATEGORY_CODES", "DEFAULT_KEYWORDS", "FALLBACK_CODE", "MAX_WEIGHT", "MIN_WEIGHT",
    "NO_MATCH_CONFIDENCE", "Classification", "TextModel", "active_model", "classify", "format_keywords",
    "join_entry", "normalize_text", "parse_keywords", "set_active_model", "split_entry",
]

_USE_ACTIVE = object()  # sentinel: classify(..., model=) not given
_ACTIVE: list[TextModel | None] = [None]
_ACTIVE_LOCK = threading.Lock()


def set_active_model(model: TextModel | None) -> None:
    """The model ``classify`` uses by default in this process (None: the built-in one)."""
    with _ACTIVE_LOCK:
        _ACTIVE[0] = model


def active_model() -> TextModel | None:
    return _ACTIVE[0] or builtin_model()


def classify(text: str, rules: Mapping[str, Sequence[str] | str] | None = None,
             model: TextModel | None | object = _USE_ACTIVE) -> Classification:
    """The category of a request text under ``rules`` (code -> keyword entries;
    DEFAULT_KEYWORDS when None) and ``model``. Only the codes ``rules`` names
    can come out, plus OTHER when nothing is found. Deterministic; raises
    ValueError for a bad rule."""
    compiled = compile_rules(rules)
    if model is _USE_ACTIVE:
        model = active_model()
    return classify_with(text, compiled, model)  # type: ignore[arg-type]
