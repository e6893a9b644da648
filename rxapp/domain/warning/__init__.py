"""超期预警: the probability that an open case misses its deadline.

A logistic regression (scikit-learn: one-hot category, department, channel and
season; scaled working time left, total time, returns, extension requests and
the department's open load) trained on done cases (rxapp.domain.warning.features
builds the same features for training and live scoring). Evaluated on a time
split: trained on the older cases, tested on those accepted in the most recent
three months: ROC AUC, precision and recall among the top 10 % risk, and a
reliability table. Stored as a ``LearnedModel`` row (kind ``warning``), the
newest trained one active; ``python -m rxapp.warning train`` nightly.

Shown where people act: ``worklist`` (dispatchers: their area; department
handlers: their department; leaders: their area) highest risk first with the
main reasons in words; ``send_reminders`` queues one SMS per case to its
department's handler when the risk crosses the threshold (``WarningReminder``).
"""

from __future__ import annotations

import io
import json
import logging
import threading
from dataclasses import dataclass
from datetime import datetime

import joblib
import numpy as np
from sklearn.feature_extraction import DictVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sqlmodel import Session, func, select

from rxapp.domain import clock
from rxapp.domain.access import Actor, case_scope_clause, require_role
from rxapp.domain.errors import DomainError
from rxapp.domain.warning.features import (
    DepartmentLoad,
    month_before,
    open_load_now,
    open_snapshots,
    rows_for,
    training_snapshots,
)
from rxapp.i18n import DEFAULT_LOCALE, MESSAGES, local_name, translate
from rxapp.models import Case, Category, Department, LearnedModel, Role, User, WarningReminder

log = logging.getLogger(__name__)

KIND = "warning"
FORMAT = "griddesk-warning-lr/1"
TRAIN_LIMIT = 50_000  # the most recent done cases used for training (a sample of a big history)
TEST_MONTHS = 3


def build_pipeline() -> Pipeline:
    # DictVectorizer: one column per category / department / channel / season
    # value (string features), the numbers as they are; then scaled.
    return Pipeline([
        ("features", DictVectorizer(sparse=True)),
        ("scale", StandardScaler(with_mean=False)),
        ("lr", LogisticRegression(max_iter=2000, C=1.0)),
    ])


def _top_decile(y: np.ndarray, p: np.ndarray) -> tuple[float | None, float | None]:
    k = max(1, int(round(len(p) * 0.1)))
    top = np.argsort(-p, kind="stable")[:k]
    positives = int(y.sum())
    hit = int(y[top].sum())
    return round(hit / k, 4), (round(hit / positives, 4) if positives else None)


def reliability(y: np.ndarray, p: np.ndarray, bins: int = 10) -> list[dict]:
    out = []
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        m = (p >= lo) & ((p < hi) if b < bins - 1 else (p <= hi))
        if m.any():
            out.append({"bin": f"{lo:.1f}-{hi:.1f}", "n": int(m.sum()), "mean_predicted": round(float(p[m].mean()), 4),
                        "observed_late": round(float(y[m].mean()), 4)})
    return out


def evaluate(y: np.ndarray, p: np.ndarray) -> dict:
    precision, recall = _top_decile(y, p)
    both = len(set(y.tolist())) == 2
    return {"n": int(len(y)), "late_share": round(float(y.mean()), 4) if len(y) else None,
            "roc_auc": round(float(roc_auc_score(y, p)), 4) if both else None,
            "precision_at_top10": precision, "recall_at_top10": recall, "reliability": reliability(y, p)}


@dataclass
class WarningModel:
    pipeline: Pipeline
    threshold: float
    version: int | None = None

    def risk(self, rows: list[dict]) -> np.ndarray:
        if not rows:
            return np.empty(0)
        return self.pipeline.predict_proba(rows)[:, 1]

    def reasons(self, row: dict, n: int = 2, lang: str = DEFAULT_LOCALE) -> list[str]:
        """The features that raise this case's risk most, in words (``lang``)."""
        x = self.pipeline[:-1].transform([row]).toarray()[0]
        coef = self.pipeline.named_steps["lr"].coef_[0]
        names = self.pipeline.named_steps["features"].get_feature_names_out()
        contrib = sorted(((coef[i] * x[i], names[i]) for i in np.flatnonzero(x) if coef[i] * x[i] > 0), reverse=True)
        words = []
        for _, name in contrib[:n]:
            words.append(_reason(name, row, lang))
        return [w for w in words if w]


def _reason(name: str, row: dict, lang: str = DEFAULT_LOCALE) -> str:
    """A feature's words (the catalog's ``warning.reason.*``), its own name where it has none."""
    field, _, _ = name.partition("=")
    if field == "days_left" and row.get("days_left", 0) <= 0:
        field = "overdue"  # no time left: "0.0 days left" would hide that the deadline has passed
    key = f"warning.reason.{field}"
    if key not in MESSAGES[DEFAULT_LOCALE]:
        return field
    return translate(key, lang, **row)


def dumps(model: WarningModel) -> bytes:
    buf = io.BytesIO()
    joblib.dump({"format": FORMAT, "pipeline": model.pipeline, "threshold": model.threshold}, buf, compress=3)
    return buf.getvalue()


def loads(blob: bytes, version: int | None = None) -> WarningModel:
    doc = joblib.load(io.BytesIO(blob))
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ValueError("unknown warning model format")
    return WarningModel(doc["pipeline"], float(doc["threshold"]), version)


def train_model(session: Session, *, actor: Actor | None, limit: int = TRAIN_LIMIT, note: str = "") -> LearnedModel:
    """Train on the done history (time split measured, then refit on all), store and activate."""
    if actor is not None:
        require_role(actor, Role.ADMIN)
    cases, labels = training_snapshots(session, limit)
    if len(cases) < 50 or len(set(labels)) < 2:
        raise DomainError("已办结的诉求太少（或全部按时/全部超期），无法训练超期预警模型")
    rows = rows_for(session, cases, DepartmentLoad(session))
    y = np.array(labels)
    split_at = month_before(max(c.accepted_at for c in cases), TEST_MONTHS)
    old = np.array([c.accepted_at < split_at for c in cases])
    metrics: dict = {"trained_on": int(len(cases)), "split_at": split_at.strftime("%Y-%m-%d")}
    if old.sum() >= 30 and (~old).sum() >= 10 and len(set(y[old].tolist())) == 2:
        older = [r for r, o in zip(rows, old) if o]
        recent = [r for r, o in zip(rows, old) if not o]
        held = build_pipeline().fit(older, y[old])
        metrics["test"] = evaluate(y[~old], held.predict_proba(recent)[:, 1])
        metrics["train_n"] = int(old.sum())
    pipeline = build_pipeline().fit(rows, y)
    # the 预警 threshold: the risk of the top 10 % of the training cases (what the figures measure)
    threshold = round(float(np.quantile(pipeline.predict_proba(rows)[:, 1], 0.9)), 4)
    model = WarningModel(pipeline, threshold)
    test = metrics.get("test") or {}
    version = (session.exec(select(func.max(LearnedModel.version)).where(LearnedModel.kind == KIND)).one() or 0) + 1
    for other in session.exec(select(LearnedModel).where(LearnedModel.kind == KIND, LearnedModel.active == True)).all():  # noqa: E712
        other.active = False
        session.add(other)
    at = clock.now()
    row = LearnedModel(kind=KIND, version=version, created_at=at, created_by_user_id=actor.user_id if actor else None,
                       trained_rows=len(cases), threshold=model.threshold, accuracy=test.get("roc_auc"),
                       precision=test.get("precision_at_top10"), coverage=test.get("recall_at_top10"),
                       metrics_json=json.dumps(metrics, ensure_ascii=False), blob=dumps(model), active=True,
                       activated_at=at, note=note[:255])
    session.add(row)
    session.commit()
    session.refresh(row)
    return row


_LOADED: dict[str, tuple[tuple, WarningModel]] = {}
_LOCK = threading.Lock()


def active_warning_model(session: Session) -> WarningModel | None:
    """The active warning model, loaded once per version per process."""
    found = session.exec(
        select(LearnedModel.id, LearnedModel.version, LearnedModel.created_at)
        .where(LearnedModel.kind == KIND, LearnedModel.active == True).order_by(LearnedModel.id.desc()).limit(1)  # noqa: E712
    ).first()
    if found is None:
        return None
    key = str(session.get_bind().engine.url)
    with _LOCK:
        kept = _LOADED.get(key)
    if kept is not None and kept[0] == tuple(found):
        return kept[1]
    blob = session.exec(select(LearnedModel.blob).where(LearnedModel.id == found[0])).one()
    model = loads(bytes(blob), found[1])
    with _LOCK:
        _LOADED[key] = (tuple(found), model)
    return model


@dataclass(frozen=True)
class WarningItem:
    case_id: int
    code: str
    category: str
    department: str
    deadline: str
    status: str
    risk: float
    reasons: str
    warned: bool  # at or above the threshold


def _scope(actor: Actor) -> list:
    if actor.role == Role.DEPT:
        return [Case.department_id == (actor.department_id or -1)]
    return [case_scope_clause(actor)]


def scored_open_cases(session: Session, actor: Actor, at: datetime | None = None) -> list[tuple[int, float, dict]]:
    """(case id, risk, features) of the open cases in the actor's scope, highest risk first."""
    model = active_warning_model(session)
    if model is None:
        return []
    cases = open_snapshots(session, _scope(actor), at)
    rows = rows_for(session, cases, open_load_now(session))
    risk = model.risk(rows)
    order = np.argsort(-risk, kind="stable")
    return [(cases[i].case_id, float(risk[i]), rows[i]) for i in order]


def worklist(session: Session, *, actor: Actor, limit: int = 50, threshold: float | None = None, lang: str = DEFAULT_LOCALE) -> list[WarningItem]:
    """预警 list, highest risk first, reasons in words: for a department handler
    every open case of the department (those at or above the threshold marked),
    for the others the open cases in scope at or above the threshold."""
    require_role(actor, Role.ADMIN, Role.DISPATCHER, Role.DEPT, Role.LEADER)
    model = active_warning_model(session)
    if model is None:
        return []
    cut = (0.0 if actor.role == Role.DEPT else model.threshold) if threshold is None else threshold
    top = [(cid, r, row) for cid, r, row in scored_open_cases(session, actor) if r >= cut][: max(1, min(int(limit), 200))]
    if not top:
        return []
    # a case no feature raises (a department's list shows its calm cases too) says so
    sep, calm = translate("warning.reason.sep", lang), translate("warning.reason.none", lang)
    info = {
        cid: (code, local_name((cat or "", cat_en or ""), lang), local_name((dept or "", dept_en or ""), lang), dl, st)
        for cid, code, cat, cat_en, dept, dept_en, dl, st in session.exec(
            select(Case.id, Case.code, Category.name_zh, Category.name_en, Department.name_zh, Department.name_en, Case.deadline, Case.status)
            .outerjoin(Category, Category.id == Case.category_id).outerjoin(Department, Department.id == Case.department_id)
            .where(Case.id.in_([cid for cid, _, _ in top]))
        ).all()
    }
    return [WarningItem(cid, info[cid][0], info[cid][1], info[cid][2], info[cid][3].strftime("%Y-%m-%d %H:%M"), info[cid][4],
                        round(r, 3), sep.join(model.reasons(row, lang=lang)) or calm, r >= model.threshold)
            for cid, r, row in top]


def warning_count(session: Session, *, actor: Actor) -> int:
    """How many open cases in scope are at or above the threshold (the dashboard card)."""
    model = active_warning_model(session)
    if model is None:
        return 0
    return sum(1 for _, r, _ in scored_open_cases(session, actor) if r >= model.threshold)


def send_reminders(session: Session, *, threshold: float | None = None) -> int:
    """Queue one reminder SMS per case whose risk crossed the threshold, to its
    department's handlers (active users with a phone); at most once per case,
    recorded in ``WarningReminder`` even when no handler has a phone."""
    from rxapp.domain.admin import cli_actor
    from rxapp.domain.sms import queue_sms

    model = active_warning_model(session)
    if model is None:
        return 0
    cut = model.threshold if threshold is None else threshold
    reminded = set(session.exec(select(WarningReminder.case_id)).all())
    # every open case: the server's own trusted administrator (no user) asks
    due = [(cid, r) for cid, r, _ in scored_open_cases(session, cli_actor()) if r >= cut and cid not in reminded]
    sent = 0
    for cid, r in due:
        case = session.get(Case, cid)
        phones = session.exec(select(User.phone).where(User.department_id == case.department_id, User.role == Role.DEPT,
                                                       User.active == True, User.phone != "")).all() if case.department_id else []  # noqa: E712
        sms_id = None
        for phone in phones[:1]:
            try:
                sms_id = queue_sms(session, phone=phone, template="warning_reminder", case_id=cid, code=case.code,
                                   deadline=case.deadline, risk=f"{r:.0%}").id
                sent += 1
            except DomainError as exc:
                log.warning("reminder for %s not queued: %s", case.code, exc.message)
        session.add(WarningReminder(case_id=cid, probability=round(r, 4), model_version=model.version, sms_id=sms_id,
                                    created_at=clock.now()))
    session.commit()
    return sent
