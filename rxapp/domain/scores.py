"""一评价, staff side: the two-way scores that are not the requester's.

* Staff rate a case's request (kind ``staff``): was it reasonable, was the
  requester cooperative, an optional comment.  Dispatchers, the case's
  department and admins, within their scope; once per case per rater.
* Teams score teams each month (score 1–5 + comment), recorded by a member:
  ``team_self`` (their own team), ``peer`` (another team of the same township)
  and ``household_rep`` (the household representatives' verdict on the member's
  own team, recorded at a 户代表会议).  Once per (kind, rater team, team, month).

Leaders read all of it through ``rxapp.domain.public.team_scores``.
Every argument is untrusted."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from rxapp.domain.access import Actor, case_in_scope
from rxapp.domain.clock import month_key, now, today
from rxapp.domain.errors import AccessDenied, DomainError, NotFound
from rxapp.domain.public import parse_area_id, parse_month
from rxapp.models import Area, Case, Evaluation, EvaluationKind, Role, Team

STAFF_RATERS = (Role.DISPATCHER, Role.DEPT, Role.ADMIN)
TEAM_RATERS = (Role.MEMBER,)
TEAM_KINDS = (EvaluationKind.TEAM_SELF, EvaluationKind.PEER, EvaluationKind.HOUSEHOLD_REP)
COMMENT_MAX = 500

_TRUE = {"true", "yes", "1", "on", "y"}
_FALSE = {"false", "no", "0", "off", "n"}


# ----------------------------------------------------------------------------
# Untrusted arguments
# ----------------------------------------------------------------------------
def _actor(actor: object, roles: tuple[str, ...]) -> Actor:
    if not isinstance(actor, Actor):
        raise AccessDenied("请先登录")
    if actor.role not in roles:
        raise AccessDenied()
    return actor


def parse_bool(value: object, field: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE:
        return True
    if isinstance(value, str) and value.strip().lower() in _FALSE:
        return False
    raise DomainError("请选择“是”或“否”", field)


def parse_score(value: object) -> int:
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) == 1:
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        raise DomainError("评分应为1到5分", "score")
    return value


def parse_comment(value: object) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > COMMENT_MAX:
        raise DomainError(f"意见不能超过{COMMENT_MAX}个字", "comment")
    return value.strip()


def _case_id(value: object) -> int:
    return parse_area_id(value, "case_id")


# ----------------------------------------------------------------------------
# Staff rate the request of a case
# ----------------------------------------------------------------------------
@dataclass(frozen=True)
class StaffRating:
    reasonable: bool
    cooperative: bool
    comment: str
    at: str


def _case_for_rater(session: Session, who: Actor, case_id: object) -> Case:
    case = session.get(Case, _case_id(case_id))
    if case is None:
        raise NotFound("诉求不存在")
    if not case_in_scope(who, case):
        raise AccessDenied("该诉求不在您的工作范围内")
    return case


def may_rate_case(actor: object, case: Case) -> bool:
    return isinstance(actor, Actor) and actor.role in STAFF_RATERS and case_in_scope(actor, case)


def my_staff_rating(session: Session, *, actor: Actor, case_id: object) -> StaffRating | None:
    """This rater's rating of the case, if any."""
    who = _actor(actor, STAFF_RATERS)
    case = _case_for_rater(session, who, case_id)
    ev = session.exec(
        select(Evaluation).where(Evaluation.case_id == case.id, Evaluation.kind == EvaluationKind.STAFF, Evaluation.rater_user_id == who.user_id)
    ).first()
    if ev is None:
        return None
    return StaffRating(bool(ev.reasonable), bool(ev.cooperative), ev.comment, ev.created_at.strftime("%Y-%m-%d %H:%M"))


def rate_request(session: Session, *, actor: Actor, case_id: object, reasonable: object, cooperative: object, comment: object = "") -> Evaluation:
    """A staff member's rating of the request; once per case per rater."""
    who = _actor(actor, STAFF_RATERS)
    case = _case_for_rater(session, who, case_id)
    r = parse_bool(reasonable, "reasonable")
    c = parse_bool(cooperative, "cooperative")
    text = parse_comment(comment)
    dup = session.exec(
        select(Evaluation.id).where(Evaluation.case_id == case.id, Evaluation.kind == EvaluationKind.STAFF, Evaluation.rater_user_id == who.user_id)
    ).first()
    if dup is not None:
        raise DomainError("您已评价过该诉求", "form")
    at = now()
    ev = Evaluation(
        kind=EvaluationKind.STAFF,
        case_id=case.id,
        team_id=case.team_id,
        rater_user_id=who.user_id,
        period=month_key(at.date()),
        reasonable=r,
        cooperative=c,
        comment=text,
        created_at=at,
    )
    session.add(ev)
    session.commit()
    return ev


# ----------------------------------------------------------------------------
# Monthly team scores
# ----------------------------------------------------------------------------
@dataclass(frozen=True)
class TeamOption:
    id: int
    name: str
    own: bool


@dataclass(frozen=True)
class TeamScoreRow:
    kind: str
    team: str
    period: str
    score: int
    comment: str


def _my_team(session: Session, who: Actor) -> Team:
    team = session.get(Team, who.team_id) if who.team_id else None
    if team is None or not team.active:
        raise AccessDenied("您不属于任何服务团队")
    return team


def team_options(session: Session, *, actor: Actor) -> list[TeamOption]:
    """The member's own team first, then the other active teams of the township."""
    who = _actor(actor, TEAM_RATERS)
    mine = _my_team(session, who)
    out = [TeamOption(mine.id, mine.name, True)]
    if mine.township_id is not None:
        others = session.exec(
            select(Team)
            .join(Area, Area.id == Team.grid_id)
            .where(Team.township_id == mine.township_id, Team.id != mine.id, Team.active)
            .order_by(Area.path, Team.id)
        ).all()
        out += [TeamOption(t.id, t.name, False) for t in others]
    return out


def record_team_score(session: Session, *, actor: Actor, kind: object, team_id: object, period: object, score: object, comment: object = "") -> Evaluation:
    """A monthly team score. ``team_self``/``household_rep``: the member's own
    team; ``peer``: another team of the same township."""
    who = _actor(actor, TEAM_RATERS)
    mine = _my_team(session, who)
    if not isinstance(kind, str) or kind not in TEAM_KINDS:
        raise DomainError("评价类型无效", "kind")
    team = session.get(Team, parse_area_id(team_id, "team_id"))
    if team is None or not team.active:
        raise NotFound("服务团队不存在")
    if kind == EvaluationKind.PEER:
        if team.id == mine.id:
            raise AccessDenied("互评不能评价本团队")
        if mine.township_id is None or team.township_id != mine.township_id:
            raise AccessDenied("只能互评同一乡镇街道的服务团队")
    elif team.id != mine.id:
        raise AccessDenied("只能为本团队录入自评或户代表评议")
    month = parse_month(period)
    if month > month_key(today()):
        raise DomainError("不能评价未来月份", "period")
    value = parse_score(score)
    text = parse_comment(comment)
    dup = session.exec(
        select(Evaluation.id).where(
            Evaluation.kind == kind, Evaluation.rater_team_id == mine.id, Evaluation.team_id == team.id, Evaluation.period == month
        )
    ).first()
    if dup is not None:
        raise DomainError("该团队本月此类评价已录入", "period")
    ev = Evaluation(
        kind=kind,
        team_id=team.id,
        rater_user_id=who.user_id,
        rater_team_id=mine.id,
        period=month,
        score=value,
        comment=text,
        created_at=now(),
    )
    session.add(ev)
    session.commit()
    return ev


def my_team_scores(session: Session, *, actor: Actor, limit: int = 100) -> list[TeamScoreRow]:
    """What the member's team recorded (as rater), newest first."""
    who = _actor(actor, TEAM_RATERS)
    mine = _my_team(session, who)
    rows = session.exec(
        select(Evaluation, Team)
        .join(Team, Team.id == Evaluation.team_id)
        .where(Evaluation.rater_team_id == mine.id, Evaluation.kind.in_(TEAM_KINDS))
        .order_by(Evaluation.period.desc(), Evaluation.id.desc())
        .limit(limit)
    ).all()
    return [TeamScoreRow(ev.kind, t.name, ev.period, ev.score or 0, ev.comment) for ev, t in rows]


__all__ = [
    "may_rate_case",
    "my_staff_rating",
    "my_team_scores",
    "rate_request",
    "record_team_score",
    "team_options",
]
