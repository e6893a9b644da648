"""State of the 分类模型 tab on /admin: the model versions with their held-out
figures beside the model active when each was trained, retrain / activate /
roll back, the keyword table (word, weight, category) and "test a sentence"."""

from __future__ import annotations

from typing import Any

import reflex as rx

from rxapp.domain.classify import learning as LR
from rxapp.domain.classify import rules_admin as RA
from rxapp.domain.errors import DomainError
from rxapp.state.admin import ADMIN, AdminState
from rxapp.state.base import access, run_db

KEYWORD_ROWS = 300  # the table shows this many rows (filter by category for the rest)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _model_row(m: LR.ModelSummary) -> dict[str, str]:
    return {
        "id": str(m.id), "version": f"v{m.version}", "active": "1" if m.active else "", "created_at": m.created_at,
        "trained": str(m.trained_rows), "corrections": str(m.corrections), "threshold": f"{m.threshold:.3f}",
        "accuracy": _pct(m.accuracy), "precision": _pct(m.precision), "coverage": _pct(m.coverage),
        "baseline": f"{_pct(m.baseline_accuracy)} / {_pct(m.baseline_precision)}",
    }


@access(ADMIN)
class AdminClassifyState(AdminState):
    models: list[dict[str, str]] = []
    active_version: str = ""
    active_threshold: str = ""
    builtin: dict[str, str] = {}
    corrections: int = 0
    working: bool = False
    loading: bool = True
    keywords: list[dict[str, str]] = []
    keyword_code: str = ""
    new_word: str = ""
    new_weight: str = "3"
    new_code: str = ""
    test_text: str = ""
    test_result: dict[str, str] = {}
    category_options: list[dict[str, str]] = []

    async def _fetch(self, actor) -> None:
        code = self.keyword_code
        lang = await self.ui_lang()

        def fetch(s):
            return (LR.model_summaries(s, actor=actor), LR.correction_count(s), LR.builtin_summary(),
                    RA.keyword_table(s, actor=actor, code=code, lang=lang), RA.category_choices(s, actor=actor, lang=lang))

        models, corrections, builtin, keywords, choices = await run_db(fetch)
        self.category_options = [{"id": c, "label": n} for c, n in choices]
        self.models = [_model_row(m) for m in models]
        active = next((m for m in models if m.active), None)
        self.active_version = f"v{active.version}" if active else ""
        self.active_threshold = f"{(active.threshold if active else builtin['threshold'] or 0):.3f}"
        self.builtin = {"accuracy": _pct(builtin["accuracy"]), "precision": _pct(builtin["auto_accept_precision"]),
                        "coverage": _pct(builtin["auto_accept_share"])}
        self.corrections = corrections
        self.keywords = [{"word": k.word, "weight": str(k.weight), "code": k.code, "category": k.category}
                         for k in keywords[:KEYWORD_ROWS]]

    @rx.event
    async def load(self):
        try:
            actor = await self.require("admin")
            self.loading = True
            yield
            await self._fetch(actor)
        except DomainError as exc:
            yield self._fail(exc)
        finally:
            self.loading = False

    async def _act(self, action, ok_key: str, **params: Any):
        try:
            actor = await self.require("admin")
            self.working = True
            yield
            row = await run_db(lambda s: action(s, actor))
            await self._fetch(actor)
            yield await self._ok(ok_key, version=getattr(row, "version", ""), **params)
        except DomainError as exc:
            yield self._fail(exc)
        finally:
            self.working = False

    @rx.event
    async def retrain(self):
        async for update in self._act(lambda s, a: LR.train_candidate(s, actor=a), "classify.model.trained"):
            yield update

    @rx.event
    async def activate(self, model_id: Any):
        if not isinstance(model_id, str) or not model_id.isdigit() or len(model_id) > 12:
            return
        async for update in self._act(lambda s, a: LR.activate_model(s, actor=a, model_id=int(model_id)), "classify.model.activated"):
            yield update

    @rx.event
    async def rollback(self):
        async for update in self._act(lambda s, a: LR.rollback_model(s, actor=a), "classify.model.rolled_back"):
            yield update

    @rx.event
    def set_test_text(self, value: Any):
        self.test_text = value[:2000] if isinstance(value, str) else ""

    @rx.event
    async def test_sentence(self):
        try:
            actor = await self.require("admin")
            text = self.test_text
            lang = await self.ui_lang()
            r = await run_db(lambda s: RA.test_sentence(s, actor=actor, text=text, lang=lang))
            self.test_result = {"code": r.code, "category": r.category, "confidence": f"{r.confidence:.3f}",
                                "threshold": f"{r.threshold:.3f}", "auto": "1" if r.auto_accept else "",
                                "terms": "、".join(r.terms) or "—", "version": f"v{r.model_version}" if r.model_version else ""}
        except DomainError as exc:
            self.test_result = {}
            return self._fail(exc)
        return None

    @rx.event
    async def set_keyword_code(self, value: Any):
        self.keyword_code = value if isinstance(value, str) and value.isalpha() and len(value) <= 16 and value != "ALL" else ""
        try:
            await self._fetch(await self.require("admin"))
        except DomainError as exc:
            return self._fail(exc)
        return None

    @rx.event
    def set_new_word(self, value: Any):
        self.new_word = value[:40] if isinstance(value, str) else ""

    @rx.event
    def set_new_weight(self, value: Any):
        self.new_weight = value if isinstance(value, str) and value in {"1", "2", "3", "4", "5"} else "3"

    @rx.event
    def set_new_code(self, value: Any):
        self.new_code = value if isinstance(value, str) and len(value) <= 16 else ""

    @rx.event
    async def add_keyword(self):
        code, word, weight = self.new_code, self.new_word, self.new_weight
        async for update in self._act(lambda s, a: RA.set_keyword(s, actor=a, code=code, word=word, weight=weight),
                                      "classify.keyword.saved"):
            yield update
        self.new_word = ""

    @rx.event
    async def remove_keyword(self, code: Any, word: Any):
        async for update in self._act(lambda s, a: RA.remove_keyword(s, actor=a, code=code, word=word),
                                      "classify.keyword.removed"):
            yield update
