"""The classifier's learning loop: corrections recorded at acceptance, a
candidate activated only when not worse, the active version on each case,
rollback in one step (rxapp.domain.classify.learning)."""

from __future__ import annotations

import pytest
from sqlmodel import select

from rxapp.domain import cases as C
from rxapp.domain.classify import classify, set_active_model
from rxapp.domain.classify import learning as L
from rxapp.domain.classify import model as M
from rxapp.domain.clock import now
from rxapp.domain.errors import AccessDenied, DomainError
from rxapp.models import ClassifierCorrection, LearnedModel
from tests.domain.cases_support import CONFIDENT_ENV, submit

UNSURE = "门口总有小黄狗乱窜"  # a suggestion, not confident enough to accept on its own


@pytest.fixture(autouse=True)
def _builtin_model_after_each_test():
    yield
    set_active_model(None)


def test_overriding_the_suggested_category_records_a_correction_with_the_text(session, world):
    case = submit(session, world, UNSURE)
    suggested = classify(UNSURE).code
    assert case.status == "submitted" and suggested != "ENV"
    C.accept_case(session, actor=world.actors["dispatcher"], case_id=case.id, expected_version=case.version, category_code="ENV")
    rows = session.exec(select(ClassifierCorrection).where(ClassifierCorrection.case_id == case.id)).all()
    assert [(r.text, r.suggested_code, r.chosen_code, r.user_id) for r in rows] == [
        (UNSURE, suggested, "ENV", world.actors["dispatcher"].user_id)]
    assert L.correction_rows(session)[-1] == (UNSURE, "ENV")


def test_accepting_the_suggested_category_records_no_correction(session, world):
    case = submit(session, world, UNSURE)
    C.accept_case(session, actor=world.actors["dispatcher"], case_id=case.id, expected_version=case.version)
    assert session.exec(select(ClassifierCorrection).where(ClassifierCorrection.case_id == case.id)).all() == []


def test_a_refused_override_records_nothing(session, world):
    case = submit(session, world, UNSURE)
    with pytest.raises(DomainError):
        C.accept_case(session, actor=world.actors["dispatcher"], case_id=case.id, expected_version=case.version + 5, category_code="ENV")
    assert session.exec(select(ClassifierCorrection)).all() == []


def _weak_model_row(session) -> LearnedModel:
    """A model trained on a dozen texts per category: worse on the held-out texts."""
    per_code: dict[str, list] = {}
    for text, code in M.read_rows(M.LABELLED_CSV, "train"):
        per_code.setdefault(code, []).append((text, code))
    weak = M.train([r for rows in per_code.values() for r in rows[:10]])
    row = LearnedModel(kind="classify", version=99, created_at=now(), threshold=weak.threshold, blob=M.dumps(weak))
    session.add(row)
    session.commit()
    return row


def test_only_an_administrator_trains_activates_and_rolls_back(session, world):
    for name in ("dispatcher", "leader"):
        with pytest.raises(AccessDenied):
            L.train_candidate(session, actor=world.actors[name])
        with pytest.raises(AccessDenied):
            L.activate_model(session, actor=world.actors[name], model_id=1)
        with pytest.raises(AccessDenied):
            L.rollback_model(session, actor=world.actors[name])


def test_a_worse_candidate_is_not_activated(session, world):
    row = _weak_model_row(session)
    with pytest.raises(DomainError, match="不如当前模型"):
        L.activate_model(session, actor=world.actors["admin"], model_id=row.id)
    session.refresh(row)
    assert not row.active
    with pytest.raises(DomainError, match="模型编号无效"):
        L.activate_model(session, actor=world.actors["admin"], model_id="1; drop")


def test_a_candidate_learns_from_the_corrections(session, world):
    case = submit(session, world, UNSURE)
    C.accept_case(session, actor=world.actors["dispatcher"], case_id=case.id, expected_version=case.version, category_code="ENV")
    row = L.train_candidate(session, actor=world.actors["admin"])
    assert row.corrections == 1 and not row.active and row.trained_rows == len(M.read_rows(M.LABELLED_CSV, "train")) + 1
    assert row.accuracy is not None and 0.5 < row.threshold < 1.0
    assert classify(UNSURE, model=M.loads(row.blob)).code == "ENV"


def test_retrain_activate_version_on_cases_and_rollback(session, world):
    admin = world.actors["admin"]
    row = L.train_candidate(session, actor=admin)  # the same texts as the built-in model: not worse
    summary = L.model_summaries(session, actor=admin)[0]
    assert summary.version == row.version and summary.baseline_accuracy == row.accuracy

    L.activate_model(session, actor=admin, model_id=row.id)
    assert session.get(LearnedModel, row.id).active
    taken = submit(session, world, CONFIDENT_ENV)
    assert taken.classifier_version == row.version  # the active model's version on each case it classified

    assert L.rollback_model(session, actor=admin) is None  # back to the built-in model
    assert not session.get(LearnedModel, row.id).active
    again = submit(session, world, CONFIDENT_ENV)
    assert again.classifier_version is None
    with pytest.raises(DomainError, match="内置模型"):
        L.rollback_model(session, actor=admin)


def test_not_worse_means_as_many_right_and_no_more_wrongly_auto_accepted():
    current = {"accuracy": 0.9307, "auto_accept_precision": 0.982, "auto_accepted_wrong": 3}
    same_errors_fewer_accepted = {"accuracy": 0.9307, "auto_accept_precision": 0.9819, "auto_accepted_wrong": 3}
    assert L._not_worse(same_errors_fewer_accepted, current)
    assert not L._not_worse({**same_errors_fewer_accepted, "accuracy": 0.9264}, current)
    assert not L._not_worse({"accuracy": 0.94, "auto_accept_precision": 0.97, "auto_accepted_wrong": 5}, current)
    assert L._not_worse({"accuracy": 0.94, "auto_accept_precision": 0.99, "auto_accepted_wrong": 2}, current)
