"""``python -m rxapp.classify [--rules FILE] [--rules-only]``: classify resident request texts.
``python -m rxapp.classify retrain [--db URL] [--activate]``: train a candidate model.

Reads texts one per line on stdin (blank lines skipped) and prints one JSON
object per line: ``{"code": "ENV", "confidence": 0.873, "terms": ["油烟"]}``.

``--rules FILE`` is JSON ``{code: [keywords]}`` (a list, or the free text an
administrator edits, such as ``"油烟:5、噪音"``). Each category named in the file
replaces that category's default keywords; the others keep theirs.

The keyword rules are combined with the built-in learned model (see
rxapp.domain.classify.model); ``--rules-only`` uses none.

``retrain`` trains a candidate on the labelled set plus the dispatchers'
corrections in the database, prints its held-out figures beside the active
model's (one JSON line) and, with ``--activate``, activates it when it is not
worse (rxapp.domain.classify.learning).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TextIO

from rxapp.domain.classify import DEFAULT_KEYWORDS, TextModel, active_model, classify, parse_keywords

Rules = Mapping[str, Sequence[str]]
_ACTIVE = object()  # the process's active model


def load_rules_file(path: Path, base: Rules = DEFAULT_KEYWORDS) -> dict[str, list[str]]:
    """``base`` with the categories of the JSON file at ``path`` replaced.
    Raises ValueError with a Chinese message for an unreadable or invalid file."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"规则文件“{path}”无法读取：{exc}") from exc
    if not isinstance(data, dict):
        raise ValueError(f"规则文件“{path}”应为 JSON 对象：{{类别代码: [关键词, ...]}}")
    rules = {code: list(words) for code, words in base.items()}
    for code, words in data.items():
        if code not in rules:
            raise ValueError(f"规则文件“{path}”中有未知的诉求类别代码“{code}”")
        if isinstance(words, str):
            rules[code] = parse_keywords(words)
        elif isinstance(words, list) and all(isinstance(w, str) for w in words):
            rules[code] = parse_keywords("\n".join(words))
        else:
            raise ValueError(f"规则文件“{path}”中类别“{code}”的关键词应为字符串列表")
    return rules


def classify_lines(lines: Iterable[str], rules: Rules, model: TextModel | None | object = _ACTIVE) -> Iterator[dict]:
    """One result per non-blank line, in order (``model`` None: the rules alone)."""
    if model is _ACTIVE:
        model = active_model()
    for line in lines:
        text = line.strip().lstrip("\ufeff")
        if not text:
            continue
        result = classify(text, rules, model=model)
        yield {"code": result.code, "confidence": round(result.confidence, 3), "terms": list(result.terms)}


def run(lines: Iterable[str], out: TextIO, rules: Rules, model: TextModel | None | object = _ACTIVE) -> None:
    """Classify ``lines`` under ``rules`` and ``model`` and write JSON lines to ``out``."""
    for item in classify_lines(lines, rules, model):
        out.write(json.dumps(item, ensure_ascii=False) + "\n")
        out.flush()  # a caller may feed one line and wait for its answer


def retrain(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m rxapp.classify retrain", description="用标注集和派单员的更正训练候选分类模型")
    parser.add_argument("--db", metavar="URL", help="SQLAlchemy URL (default: $REFLEX_DB_URL or sqlite:///griddesk.db)")
    parser.add_argument("--activate", action="store_true", help="不比当前模型差时启用")
    args = parser.parse_args(argv)
    from sqlmodel import Session

    from rxapp.db import db_url, make_engine
    from rxapp.domain.classify.learning import activate_model, train_candidate
    from rxapp.domain.errors import DomainError

    with Session(make_engine(args.db or db_url())) as session:
        row = train_candidate(session, actor=None, note="python -m rxapp.classify retrain")
        report = {"version": row.version, "trained_rows": row.trained_rows, "corrections": row.corrections,
                  "threshold": row.threshold, **json.loads(row.metrics_json), "activated": False}
        if args.activate:
            try:
                activate_model(session, actor=None, model_id=row.id)
                report["activated"] = True
            except DomainError as exc:
                report["refused"] = exc.message
        print(json.dumps(report, ensure_ascii=False))
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["retrain"]:
        return retrain(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m rxapp.classify", description="按关键词规则和学习模型给诉求文本分类（每行一条）")
    parser.add_argument("--rules", type=Path, help="JSON 规则文件 {类别代码: [关键词, ...]}，覆盖其中类别的默认关键词")
    parser.add_argument("--rules-only", action="store_true", help="只用关键词规则，不用学习模型")
    args = parser.parse_args(argv)

    for stream in (sys.stdin, sys.stdout):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8", errors="replace")
    try:
        rules = load_rules_file(args.rules) if args.rules else DEFAULT_KEYWORDS
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    run(sys.stdin, sys.stdout, rules, None if args.rules_only else _ACTIVE)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
