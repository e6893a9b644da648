"""The learning loop: dispatchers' corrections -> a candidate model -> an
administrator activates it only when it is not worse -> rollback in one step.

- ``accept_case`` (rxapp.domain.cases) records every override of the suggested
  category as a ``ClassifierCorrection`` in the same transaction.
- ``train_candidate``: the labelled set's train split plus the corrections (the
  latest per case; a correction's text wins over a labelled copy of it), trained
  under the administrators' current keyword rules; measured on the held-out
  split beside the active model; stored as an inactive ``LearnedModel`` row.
- ``activate_model``: only when on the held-out texts the candidate is not
  worse than the active model: accuracy at least as high, and no more texts
  wrongly auto-accepted (or a precision of the auto-accepted at least as high).
- ``rollback_model``: the model active before the current one becomes active
  again (none before it: the built-in model).

Every worker picks up the change at its next intake (rxapp.domain.classify.store).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlmodel import Session, func, select

from rxapp.domain import clock
from rxapp.domain.access import Actor, require_role
from rxapp.domain.cases import category_rules
from rxapp.domain.classify.model import LABELLED_CSV, TextModel, dumps, evaluate, read_rows, train
from rxapp.domain.classify.store import KIND, active_version, current_model
from rxapp.domain.errors import DomainError, NotFound
from rxapp.models import ClassifierCorrection, LearnedModel, Role


@dataclass(frozen=True)
class ModelSummary:
    id: int
    version: int
    active: bool
    created_at: str
    activated_at: str
    trained_rows: int
    corrections: int
    threshold: float
    accuracy: float | None
    precision: float | None
    coverage: float | None
    # the model active when this one was trained, on the same held-out texts
    baseline_accuracy: float | None
    baseline_precision: float | None
    note: str


def correction_rows(session: Session) -> list[tuple[str, str]]:
    """(text, chosen code) of the latest correction of each case."""
    latest = select(func.max(ClassifierCorrection.id)).group_by(ClassifierCorrection.case_id).scalar_subquery()
    rows = session.exec(
        select(ClassifierCorrection.text, ClassifierCorrection.chosen_code).where(ClassifierCorrection.id.in_(latest))
        .order_by(ClassifierCorrection.id)
    ).all()
    return [(t, c) for t, c in rows]


def training_rows(session: Session) -> tuple[list[tuple[str, str]], int]:
    """The labelled train split plus the corrections; how many corrections."""
    corrections = correction_rows(session)
    corrected = {t for t, _ in corrections}
    labelled = [(t, c) for t, c in read_rows(LABELLED_CSV, "train") if t not in corrected]
    return labelled + corrections, len(corrections)


def heldout_rows() -> list[tuple[str, str]]:
    return read_rows(LABELLED_CSV, "heldout")


def _not_worse(candidate: dict, current: dict) -> bool:
    """Not worse on the held-out texts: at least as many right, and no more
    wrongly auto-accepted (or an auto-accept precision at least as high)."""
    def at_least(a, b):
        return b is None or (a is not None and a >= b)
    fewer_wrong = candidate.get("auto_accepted_wrong", 1 << 30) <= current.get("auto_accepted_wrong", -1)
    return at_least(candidate["accuracy"], current["accuracy"]) and (
        fewer_wrong or at_least(candidate["auto_accept_precision"], current["auto_accept_precision"]))


def train_candidate(session: Session, *, actor: Actor | None, note: str = "") -> LearnedModel:
    """Train, measure and store a candidate (inactive). ``actor`` None: the
    command line (``python -m rxapp.classify retrain``)."""
    if actor is not None:
        require_role(actor, Role.ADMIN)
    rows, n_corrections = training_rows(session)
    rules = category_rules(session)
    try:
        model = train(rows, rules)
    except ValueError as exc:
        raise DomainError(f"无法训练模型：{exc}") from exc
    heldout = heldout_rows()
    candidate = evaluate(model, heldout, rules)
    current = evaluate(current_model(session), heldout, rules)
    found = active_version(session)
    version = (session.exec(select(func.max(LearnedModel.version)).where(LearnedModel.kind == KIND)).one() or 0) + 1
    row = LearnedModel(
        kind=KIND, version=version, created_at=clock.now(), created_by_user_id=actor.user_id if actor else None,
        trained_rows=len(rows), corrections=n_corrections, threshold=model.threshold,
        accuracy=candidate["accuracy"], precision=candidate["auto_accept_precision"], coverage=candidate["auto_accept_share"],
        metrics_json=json.dumps({"heldout": candidate, "baseline": current, "baseline_version": found[1] if found else None,
                                 "not_worse": _not_worse(candidate, current), **model.info}, ensure_ascii=False),
        blob=dumps(model), note=note[:255],
    )
    session.add(row)
    session.commit()
    session.refresh(row)
    return row


def _active_rows(session: Session) -> list[LearnedModel]:
    return list(session.exec(select(LearnedModel).where(LearnedModel.kind == KIND, LearnedModel.active == True)).all())  # noqa: E712


def activate_model(session: Session, *, actor: Actor | None, model_id: object) -> LearnedModel:
    """Make a stored model the active one, if on the held-out texts it is not
    worse than the active model (``_not_worse``)."""
    if actor is not None:
        require_role(actor, Role.ADMIN)
    if isinstance(model_id, bool) or not isinstance(model_id, int):
        raise DomainError("模型编号无效", "model_id")
    row = session.get(LearnedModel, model_id)
    if row is None or row.kind != KIND:
        raise NotFound("模型不存在")
    if row.active:
        return row
    rules = category_rules(session)
    heldout = heldout_rows()
    from rxapp.domain.classify.model import loads  # the candidate as stored

    candidate = evaluate(loads(bytes(row.blob), row.version), heldout, rules)
    current = evaluate(current_model(session), heldout, rules)
    if not _not_worse(candidate, current):
        raise DomainError(
            f"候选模型在留出集上不如当前模型（准确率 {candidate['accuracy']:.1%} 对 {current['accuracy']:.1%}，"
            f"自动受理准确率 {_pct(candidate['auto_accept_precision'])} 对 {_pct(current['auto_accept_precision'])}），未启用"
        )
    _switch(session, row)
    return row


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _switch(session: Session, row: LearnedModel | None) -> None:
    for other in _active_rows(session):
        other.active = False
        session.add(other)
    if row is not None:
        row.active = True
        row.activated_at = clock.now()
        session.add(row)
    session.commit()
    current_model(session)


def rollback_model(session: Session, *, actor: Actor | None) -> LearnedModel | None:
    """One step back: the model that was active before the current one (the
    built-in model when there was none). Returns the now active row (None: built-in)."""
    if actor is not None:
        require_role(actor, Role.ADMIN)
    active = _active_rows(session)
    if not active:
        raise DomainError("当前使用的是内置模型，没有可回退的版本")
    since = max(r.activated_at for r in active if r.activated_at is not None)
    before = session.exec(
        select(LearnedModel).where(LearnedModel.kind == KIND, LearnedModel.active == False,  # noqa: E712
                                   LearnedModel.activated_at.is_not(None), LearnedModel.activated_at < since)
        .order_by(LearnedModel.activated_at.desc()).limit(1)
    ).first()
    for other in active:  # out of the history: the next rollback steps further back
        other.activated_at = None
        session.add(other)
    _switch(session, before)
    return before


def model_summaries(session: Session, *, actor: Actor, limit: int = 20) -> list[ModelSummary]:
    require_role(actor, Role.ADMIN)
    rows = session.exec(
        select(LearnedModel.id, LearnedModel.version, LearnedModel.active, LearnedModel.created_at, LearnedModel.activated_at,
               LearnedModel.trained_rows, LearnedModel.corrections, LearnedModel.threshold, LearnedModel.accuracy,
               LearnedModel.precision, LearnedModel.coverage, LearnedModel.metrics_json, LearnedModel.note)
        .where(LearnedModel.kind == KIND).order_by(LearnedModel.version.desc()).limit(limit)
    ).all()
    out = []
    for (mid, version, active, created, activated, n, corr, thr, acc, prec, cov, metrics, note) in rows:
        base = json.loads(metrics or "{}").get("baseline") or {}
        out.append(ModelSummary(mid, version, bool(active), created.strftime("%Y-%m-%d %H:%M"),
                                activated.strftime("%Y-%m-%d %H:%M") if activated else "", n, corr, thr, acc, prec, cov,
                                base.get("accuracy"), base.get("auto_accept_precision"), note))
    return out


def correction_count(session: Session) -> int:
    return session.exec(select(func.count(ClassifierCorrection.id))).one()


def builtin_summary() -> dict:
    """The built-in model on the held-out texts (for the admin page)."""
    from rxapp.domain.classify.model import builtin_model

    model: TextModel | None = builtin_model()
    return {"threshold": model.threshold if model else None, **evaluate(model, heldout_rows())}
