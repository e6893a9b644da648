"""Benchmark rxapp.domain.classify over the labelled request texts.

Prints JSON lines:
- one per split: count, correct, accuracy, and the share and accuracy of the
  texts the system would accept on its own (confidence >= AUTO_ACCEPT_CONFIDENCE);
- one with the throughput (texts/s over 1,000 classifications, rules compiled);
- one per true category: the confusion row ({"true", "n", "correct", "predicted"})
  over the held-out split (``--confusion-split`` to change).

    .venv/bin/python bench/classify_bench.py [--csv FILE] [--texts 1000] [--confusion-split heldout|train|all]
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


def _emit(obj: dict) -> None:
    print(json.dumps(obj, ensure_ascii=False), flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", type=Path, default=ROOT / "tests" / "data" / "requests_labelled.csv")
    parser.add_argument("--texts", type=int, default=1000, help="classifications in the timed run")
    parser.add_argument("--confusion-split", choices=("heldout", "train", "all"), default="heldout")
    args = parser.parse_args(argv)

    with open(args.csv, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))

    by_split: dict[str, list[tuple[bool, bool]]] = defaultdict(list)  # (correct, auto-accepted)
    confusion: dict[str, Counter] = defaultdict(Counter)
    for row in rows:
        result = classify(row["text"])
        by_split[row["split"]].append((result.code == row["code"], result.confidence >= AUTO_ACCEPT_CONFIDENCE))
        if args.confusion_split in ("all", row["split"]):
            confusion[row["code"]][result.code] += 1
    for split in sorted(by_split):
        hits = by_split[split]
        auto = [ok for ok, accepted in hits if accepted]
        correct = sum(ok for ok, _ in hits)
        _emit({
            "split": split,
            "count": len(hits),
            "correct": correct,
            "accuracy": round(correct / len(hits), 4),
            "auto_accept_share": round(len(auto) / len(hits), 4),
            "auto_accept_accuracy": round(sum(auto) / len(auto), 4) if auto else None,
        })

    texts = [row["text"] for row in rows]
    timed = (texts * (args.texts // len(texts) + 1))[: args.texts]
    start = time.perf_counter()
    for text in timed:
        classify(text)
    elapsed = time.perf_counter() - start
    _emit({"throughput": "classify", "texts": len(timed), "seconds": round(elapsed, 4),
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
