"""The keyword rules as a table (word, weight, category) for /admin, and the
"test a sentence" box: suggestion, confidence and the words that decided it.

Edits go through ``rxapp.domain.admin.update_category`` (validation,
optimistic locking, audit), one word at a time."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from rxapp.domain.access import Actor, require_role
from rxapp.domain.admin import update_category
from rxapp.domain.cases import category_rules
from rxapp.domain.classify import MAX_WEIGHT, MIN_WEIGHT, classify, format_keywords, join_entry, parse_keywords, split_entry
from rxapp.domain.classify.store import current_model
from rxapp.domain.errors import DomainError, NotFound
from rxapp.i18n import DEFAULT_LOCALE, local_name
from rxapp.models import Category, Role


@dataclass(frozen=True)
class KeywordRow:
    word: str
    weight: int
    code: str
    category: str


@dataclass(frozen=True)
class SentenceTest:
    code: str
    category: str
    confidence: float
    threshold: float
    auto_accept: bool
    terms: list[str]
    model_version: int | None


def keyword_table(session: Session, *, actor: Actor, code: str = "", lang: str = DEFAULT_LOCALE) -> list[KeywordRow]:
    """Every keyword of every category (or of ``code``), heaviest first."""
    require_role(actor, Role.ADMIN)
    q = select(Category.code, Category.name_zh, Category.name_en, Category.keywords).order_by(Category.sort, Category.id)
    if code:
        q = q.where(Category.code == code)
    rows = []
    for c, name_zh, name_en, text in session.exec(q).all():
        name = local_name((name_zh, name_en), lang)
        try:
            entries = parse_keywords(text or "")
        except ValueError:
            continue
        for entry in entries:
            word, weight = split_entry(entry)
            rows.append(KeywordRow(word, weight, c, name))
    rows.sort(key=lambda r: (-r.weight, r.code, r.word))
    return rows


def _category(session: Session, code: object) -> Category:
    if not isinstance(code, str) or not code or len(code) > 16:
        raise DomainError("请选择诉求类别", "code")
    cat = session.exec(select(Category).where(Category.code == code)).first()
    if cat is None:
        raise NotFound("诉求类别不存在")
    return cat


def set_keyword(session: Session, *, actor: Actor, code: object, word: object, weight: object) -> Category:
    """Add a word to a category, or change its weight there."""
    require_role(actor, Role.ADMIN)
    cat = _category(session, code)
    if isinstance(weight, bool) or not isinstance(weight, int | str) or not str(weight).strip().isdigit() \
            or not MIN_WEIGHT <= int(str(weight).strip()) <= MAX_WEIGHT:
        raise DomainError(f"权重必须是{MIN_WEIGHT}到{MAX_WEIGHT}的整数", "weight")
    if not isinstance(word, str) or not word.strip():
        raise DomainError("请填写关键词", "word")
    try:
        clean, _ = split_entry(word.strip())
        (entry,) = parse_keywords(join_entry(clean, int(str(weight).strip())))
    except ValueError as exc:
        raise DomainError(str(exc), "word") from None
    entries = [e for e in parse_keywords(cat.keywords or "") if split_entry(e)[0] != clean] + [entry]
    return update_category(session, actor=actor, category_id=cat.id, data={"keywords": format_keywords(entries)},
                           expected_version=cat.version)


def remove_keyword(session: Session, *, actor: Actor, code: object, word: object) -> Category:
    require_role(actor, Role.ADMIN)
    cat = _category(session, code)
    if not isinstance(word, str):
        raise DomainError("请填写关键词", "word")
    entries = parse_keywords(cat.keywords or "")
    kept = [e for e in entries if split_entry(e)[0] != word]
    if len(kept) == len(entries):
        raise NotFound("该类别没有这个关键词")
    return update_category(session, actor=actor, category_id=cat.id, data={"keywords": format_keywords(kept)},
                           expected_version=cat.version)


def test_sentence(session: Session, *, actor: Actor, text: object, lang: str = DEFAULT_LOCALE) -> SentenceTest:
    """How the active rules and model classify ``text`` (nothing is written)."""
    require_role(actor, Role.ADMIN)
    if not isinstance(text, str) or not text.strip():
        raise DomainError("请输入一句诉求", "text")
    if len(text) > 2000:
        raise DomainError("内容太长，最多2000字", "text")
    result = classify(text, category_rules(session), current_model(session))
    name = local_name(session.exec(select(Category).where(Category.code == result.code)).first(), lang) or result.code
    return SentenceTest(result.code, name, result.confidence, result.threshold, result.auto_accept, list(result.terms),
                        result.model_version)


test_sentence.__test__ = False  # not a pytest test


def category_choices(session: Session, *, actor: Actor, lang: str = DEFAULT_LOCALE) -> list[tuple[str, str]]:
    """(code, name) of every category, in the admin's order."""
    require_role(actor, Role.ADMIN)
    return [(c.code, local_name(c, lang)) for c in session.exec(select(Category).order_by(Category.sort, Category.id)).all()]
