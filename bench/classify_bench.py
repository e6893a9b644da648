"""Benchmark rxapp.domain.classify over the labelled request texts.

Prints JSON lines:
- one per batch (column ``batch`` of the csv: A, train, E, F, ...) and one per
  split: count, correct, accuracy, and the share of texts the system would accept
  on its own (confidence >= AUTO_ACCEPT_CONFIDENCE) with the precision (share
  right) of those. The model is trained on the ``train`` split, so only the
  ``heldout`` split (batch F) says how well it does on new texts;
- one with the throughput (texts/s over 1,000 classifications, rules compiled
  and model loaded);
- one per true category: the confusion row ({"true", "n", "correct", "predicted"})
  over the held-out split (``--confusion-split`` to change).

    .venv/bin/python bench/classify_bench.py [--csv FILE] [--texts 1000]
        [--confusion-split heldout|train|all] [--rules-only]

``--rules-only`` measures the keyword rules without the learned model.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rxapp.domain.classify import AUTO_ACCEPT_CONFIDENCE, CATEGORY_CODES, classify  # noqa: E402
from rxapp.domain.classify_model import MODEL_PATH, default_model  # noqa: E402


def _emit(obj: dict) -> None:
    print(json.dumps(obj, ensure_ascii=False), flush=True)


def _summary(hits: list[tuple[bool, bool]]) -> dict:
    auto = [ok for ok, accepted in hits if accepted]
    correct = sum(ok for ok, _ in hits)
    return {
        "count": len(hits),
        "correct": correct,
        "accuracy": round(correct / len(hits), 4),
        "auto_accept_share": round(len(auto) / len(hits), 4),
        "auto_accept_precision": round(sum(auto) / len(auto), 4) if auto else None,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", type=Path, default=ROOT / "tests" / "data" / "requests_labelled.csv")
    parser.add_argument("--texts", type=int, default=1000, help="classifications in the timed run")
    parser.add_argument("--confusion-split", choices=("heldout", "train", "all"), default="heldout")
    parser.add_argument("--rules-only", action="store_true", help="keyword rules alone, without the learned model")
    args = parser.parse_args(argv)

    with open(args.csv, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    model = None if args.rules_only else default_model()
    if not args.rules_only and model is None:
        print(f"no model at {MODEL_PATH}: run `python -m rxapp.domain.classify_model train`", file=sys.stderr)
        return 2

    by_split: dict[str, list[tuple[bool, bool]]] = defaultdict(list)  # (correct, auto-accepted)
    by_batch: dict[tuple[str, str], list[tuple[bool, bool]]] = defaultdict(list)
    confusion: dict[str, Counter] = defaultdict(Counter)
    for row in rows:
        result = classify(row["text"], model=model)
        hit = (result.code == row["code"], result.confidence >= AUTO_ACCEPT_CONFIDENCE)
        by_split[row["split"]].append(hit)
        by_batch[(row.get("batch") or "", row["split"])].append(hit)
        if args.confusion_split in ("all", row["split"]):
            confusion[row["code"]][result.code] += 1
    mode = "rules" if args.rules_only else "rules+model"
    for (batch, split), hits in by_batch.items():  # in the order of the csv
        _emit({"batch": batch, "split": split, "classifier": mode, **_summary(hits)})
    for split in sorted(by_split):
        _emit({"split": split, "classifier": mode, **_summary(by_split[split])})

    texts = [row["text"] for row in rows]
    timed = (texts * (args.texts // len(texts) + 1))[: args.texts]
    classify(timed[0], model=model)  # rules compiled, model loaded
    start = time.perf_counter()
    for text in timed:
        classify(text, model=model)
    elapsed = time.perf_counter() - start
    _emit({"throughput": "classify", "classifier": mode, "texts": len(timed), "seconds": round(elapsed, 4),
           "texts_per_s": round(len(timed) / elapsed, 1)})

    for code in CATEGORY_CODES:
        row = confusion.get(code, Counter())
        _emit({"true": code, "split": args.confusion_split, "n": sum(row.values()), "correct": row.get(code, 0),
               "predicted": dict(sorted(row.items(), key=lambda kv: (-kv[1], kv[0])))})
    return 0


if __name__ == "__main__":
    try:
        raise SystemExit(main())
    except BrokenPipeError:  # e.g. piped into `head`
        sys.stderr.close()
        raise SystemExit(0)
