"""``python -m rxapp.classify [--rules FILE]``: classify resident request texts.

Reads texts one per line on stdin (blank lines skipped) and prints one JSON
object per line: ``{"code": "ENV", "confidence": 0.873, "terms": ["油烟"]}``.

``--rules FILE`` is JSON ``{code: [keywords]}`` (a list, or the free text an
administrator edits, such as ``"油烟:5、噪音"``). Each category named in the file
replaces that category's default keywords; the others keep theirs.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TextIO

from rxapp.domain.classify import DEFAULT_KEYWORDS, classify, parse_keywords

Rules = Mapping[str, Sequence[str]]


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


def classify_lines(lines: Iterable[str], rules: Rules) -> Iterator[dict]:
    """One result per non-blank line, in order."""
    for line in lines:
        text = line.strip().lstrip("\ufeff")
        if not text:
            continue
        result = classify(text, rules)
        yield {"code": result.code, "confidence": round(result.confidence, 3), "terms": list(result.terms)}


def run(lines: Iterable[str], out: TextIO, rules: Rules) -> None:
    """Classify ``lines`` under ``rules`` and write JSON lines to ``out``."""
    for item in classify_lines(lines, rules):
        out.write(json.dumps(item, ensure_ascii=False) + "\n")
        out.flush()  # a caller may feed one line and wait for its answer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rxapp.classify", description="按关键词规则给诉求文本分类（每行一条）")
    parser.add_argument("--rules", type=Path, help="JSON 规则文件 {类别代码: [关键词, ...]}，覆盖其中类别的默认关键词")
    args = parser.parse_args(argv)

    for stream in (sys.stdin, sys.stdout):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8", errors="replace")
    try:
        rules = load_rules_file(args.rules) if args.rules else DEFAULT_KEYWORDS
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    run(sys.stdin, sys.stdout, rules)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
