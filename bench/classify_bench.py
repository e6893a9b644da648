"""Benchmark the request classifier (keyword rules + calibrated scikit-learn model).

Prints JSON lines:
- one per evaluation set: the labelled csv's held-out split (batch F) and the
  residents' set (tests/data/requests_residents.csv: 320 texts written apart
  from the training texts, the way residents write and phone in: colloquial,
  long-winded, typos, two issues in one, very short, traditional characters,
  pinyin), for the active classifier and for the rules alone: count, accuracy,
  the share accepted on their own (confidence >= the model's threshold, chosen
  from the calibration on the training texts) and the precision of those;
- one per voice of the residents' set;
- the throughput: texts per second per core (CPU time of this process over N
  single-text classifications, rules compiled and model loaded), beside the
  required floor of 2,000 and the rules alone measured in the same run;
- one confusion row per true category over the residents' set.

    .venv/bin/python bench/classify_bench.py [--texts 5000]

Neither evaluation set is used for training or for choosing any constant
(the model's threshold comes from out-of-fold results on the train split).
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

from rxapp.domain.classify import CATEGORY_CODES, active_model, classify  # noqa: E402

LABELLED = ROOT / "tests" / "data" / "requests_labelled.csv"
RESIDENTS = ROOT / "tests" / "data" / "requests_residents.csv"
REQUIRED_TEXTS_PER_S = 2000


def _emit(obj: dict) -> None:
    print(json.dumps(obj, ensure_ascii=False), flush=True)


def _read(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _summary(hits: list[tuple[bool, bool]]) -> dict:
    auto = [ok for ok, accepted in hits if accepted]
    correct = sum(ok for ok, _ in hits)
    return {
        "count": len(hits),
        "correct": correct,
        "accuracy": round(correct / len(hits), 4),
        "auto_accept_share": round(len(auto) / len(hits), 4),
        "auto_accept_precision": round(sum(auto) / len(auto), 4) if auto else None,
        "auto_accepted_wrong": len(auto) - sum(auto),
    }


def _rate(texts: list[str], model: object) -> float:
    classify(texts[0], model=model)  # rules compiled, model loaded
    cpu = time.process_time()
    for text in texts:
        classify(text, model=model)
    return len(texts) / max(time.process_time() - cpu, 1e-9)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=5000, help="classifications in the timed run")
    args = parser.parse_args(argv)

    model = active_model()
    if model is None:
        print(f"no labelled set at {LABELLED}", file=sys.stderr)
        return 2
    sets = {
        "heldout_batch_F": [r for r in _read(LABELLED) if r["split"] == "heldout"],
        "residents": _read(RESIDENTS),
    }
    confusion: dict[str, Counter] = defaultdict(Counter)
    for name, rows in sets.items():
        for mode, used in (("rules+model", model), ("rules", None)):
            hits = []
            per_voice: dict[str, list[tuple[bool, bool]]] = defaultdict(list)
            for row in rows:
                result = classify(row["text"], model=used)
                hit = (result.code == row["code"], result.auto_accept)
                hits.append(hit)
                if row.get("voice"):
                    per_voice[row["voice"]].append(hit)
                if name == "residents" and used is model:
                    confusion[row["code"]][result.code] += 1
            _emit({"set": name, "classifier": mode, "threshold": model.threshold if used else None, **_summary(hits)})
            if used is model:
                for voice, vh in sorted(per_voice.items()):
                    _emit({"set": name, "voice": voice, "classifier": mode, **_summary(vh)})

    texts = [r["text"] for rows in sets.values() for r in rows]
    timed = (texts * (args.texts // len(texts) + 1))[: args.texts]
    model_rate = _rate(timed, model)
    rules_rate = _rate(timed, None)
    _emit({"throughput": "classify", "texts": len(timed), "texts_per_s_per_core": round(model_rate, 1),
           "rules_only_texts_per_s_per_core": round(rules_rate, 1), "floor_texts_per_s": REQUIRED_TEXTS_PER_S,
           "meets_floor": model_rate >= REQUIRED_TEXTS_PER_S})

    for code in CATEGORY_CODES:
        row = confusion.get(code, Counter())
        _emit({"true": code, "set": "residents", "n": sum(row.values()), "correct": row.get(code, 0),
               "predicted": dict(sorted(row.items(), key=lambda kv: (-kv[1], kv[0])))})
    return 0


if __name__ == "__main__":
    try:
        raise SystemExit(main())
    except BrokenPipeError:  # e.g. piped into `head`
        sys.stderr.close()
        raise SystemExit(0)
