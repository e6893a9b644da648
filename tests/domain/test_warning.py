"""超期预警 (rxapp.domain.warning): trained on a seeded history, the worklist for
a department handler and a dispatcher, one reminder SMS per case at most."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlmodel import Session, select

from rxapp.db import make_engine
from rxapp.domain.access import actor_for
from rxapp.domain.errors import AccessDenied
from rxapp.domain.warning import send_reminders, train_model, warning_count, worklist
from rxapp.i18n import translate
from rxapp.models import Case, Sms, User, WarningReminder

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('warning')}/w.db"
    subprocess.run([sys.executable, "-m", "rxapp.seed", "--cases", "4000", "--db", url, "--random-seed", "3"],
                   cwd=ROOT, check=True, capture_output=True, env={**__import__("os").environ, "GRIDDESK_DEMO": "1"})
    engine = make_engine(url)
    with Session(engine) as session:
        row = train_model(session, actor=None)
        assert row.active and row.kind == "warning" and "test" in row.metrics_json
    return engine


def _actor(session: Session, username: str):
    return actor_for(session, session.exec(select(User).where(User.username == username)).one())


def test_worklist_for_a_department_handler_is_their_department_highest_risk_first(seeded):
    with Session(seeded) as session:
        dept = _actor(session, "dept_env")
        items = worklist(session, actor=dept)  # a department sees all its open cases, warned ones marked
        assert items, "open cases of the department"
        open_cases = session.exec(select(Case.id).where(
            Case.department_id == dept.department_id, Case.status.in_(("accepted", "routed", "in_progress")),
            Case.deadline.is_not(None))).all()
        assert len(items) == min(len(open_cases), 50)
        assert [i.risk for i in items] == sorted((i.risk for i in items), reverse=True)
        departments = {session.get(Case, i.case_id).department_id for i in items}
        assert departments == {dept.department_id}
        # every row says why (or that nothing stands out: a department sees its calm cases too)
        assert all(i.reasons for i in items)


def test_worklist_for_a_dispatcher_and_the_count_for_a_leader(seeded):
    with Session(seeded) as session:
        items = worklist(session, actor=_actor(session, "dispatcher"), threshold=0.0, limit=20)
        assert len(items) == 20
        assert items[0].reasons != translate("warning.reason.none", "zh")  # the city's riskiest open case names what raises it
        english = worklist(session, actor=_actor(session, "dispatcher"), threshold=0.0, limit=20, lang="en")
        assert [i.case_id for i in english] == [i.case_id for i in items]
        assert all(i.reasons and not re.search(r"[\u4e00-\u9fff]", i.reasons) for i in english), [i.reasons for i in english]
        assert warning_count(session, actor=_actor(session, "leader")) >= 1
        with pytest.raises(AccessDenied):
            worklist(session, actor=_actor(session, "member"))


def test_a_reminder_is_sent_at_most_once_per_case(seeded):
    with Session(seeded) as session:
        for user in session.exec(select(User).where(User.role == "dept")).all():
            user.phone = "13900001111"
            session.add(user)
        session.commit()
        first = send_reminders(session, threshold=0.0)
        assert first >= 1
        reminders = session.exec(select(WarningReminder)).all()
        assert len(reminders) == len({r.case_id for r in reminders})
        assert send_reminders(session, threshold=0.0) == 0
        sms = session.exec(select(Sms).where(Sms.template == "warning_reminder")).all()
        assert len(sms) == first and all("超期预警" in s.text for s in sms)


def test_a_reason_of_time_says_overdue_once_no_time_is_left():
    from rxapp.domain.warning import _reason

    assert _reason("days_left", {"days_left": 2.5}, "en") == "2.5 days left"
    for left in (0.0, -3.2):  # not "0.0 days left" on a case past its deadline
        assert _reason("days_left", {"days_left": left}, "zh") == "已过办理期限"
        assert _reason("days_left", {"days_left": left}, "en") == "deadline already passed"
