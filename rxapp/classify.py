"""``python -m rxapp.classify [--rules FILE] [--model FILE | --rules-only]``: classify resident request texts.

Reads texts one per line on stdin (blank lines skipped) and prints one JSON
object per line: ``{"code": "ENV", "confidence": 0.873, "terms": ["油烟"]}``.

``--rules FILE`` is JSON ``{code: [keywords]}`` (a list, or the free text an
administrator edits, such as ``"油烟:5、噪音"``). Each category named in the file
replaces that category's default keywords; the others keep theirs.

The keyword rules are combined with the learned model shipped in
rxapp/data/classifier_model.json (see rxapp.domain.classify_model);
``--model FILE`` uses another model file, ``--rules-only`` none.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TextIO

from rxapp.domain.classify import DEFAULT_KEYWORDS, classify, parse_keywords
from rxapp.domain.classify_model import NaiveBayesModel, default_model, load

Rules = Mapping[str, Sequence[str]]
_SHIPPED = object()  # the model shipped in rxapp/data (default_model())


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


def classify_lines(lines: Iterable[str], rules: Rules, model: NaiveBayesModel | None | object = _SHIPPED) -> Iterator[dict]:
    """One result per non-blank line, in order (``model`` None: the rules alone)."""
    if model is _SHIPPED:
        model = default_model()
    for line in lines:
        text = line.strip().lstrip("\ufeff")
        if not text:
            continue
        result = classify(text, rules, model=model)
        yield {"code": result.code, "confidence": round(result.confidence, 3), "terms": list(result.terms)}


def run(lines: Iterable[str], out: TextIO, rules: Rules, model: NaiveBayesModel | None | object = _SHIPPED) -> None:
    """Classify ``lines`` under ``rules`` and ``model`` and write JSON lines to ``out``."""
    for item in classify_lines(lines, rules, model):
        out.write(json.dumps(item, ensure_ascii=False) + "\n")
        out.flush()  # a caller may feed one line and wait for its answer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rxapp.classify", description="按关键词规则和学习模型给诉求文本分类（每行一条）")
    parser.add_argument("--rules", type=Path, help="JSON 规则文件 {类别代码: [关键词, ...]}，覆盖其中类别的默认关键词")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--model", type=Path, help="另用一个模型文件（python -m rxapp.domain.classify_model train 生成）")
    which.add_argument("--rules-only", action="store_true", help="只用关键词规则，不用学习模型")
    args = parser.parse_args(argv)

    for stream in (sys.stdin, sys.stdout):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8", errors="replace")
    try:
        rules = load_rules_file(args.rules) if args.rules else DEFAULT_KEYWORDS
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    if args.rules_only:
        model = None
    elif args.model:
        try:
            model = load(args.model)
        except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
            print(f"模型文件“{args.model}”无法读取：{exc}", file=sys.stderr)
            return 2
    else:
        model = default_model()
    run(sys.stdin, sys.stdout, rules, model)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
