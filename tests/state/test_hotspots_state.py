"""The hot-spot card: viewers in scope see open hot spots; dispatchers act."""

import pytest
from sqlmodel import Session, select

from rxapp.domain.errors import AccessDenied
from rxapp.models import Case, CaseStatus, HotspotCase
from rxapp.state.hotspots import HotspotsState
from tests.domain.cases_support import submit
from tests.domain.test_hotspots import PIPE
from tests.state.helpers import root_with_cookie


@pytest.fixture(scope="module")
def spot_cases(state_db):
    from rxapp.db import get_engine

    with Session(get_engine(), expire_on_commit=False) as s:
        return [submit(s, state_db, PIPE[i], grid="g3", requester_phone=f"1392222{i:04d}").id for i in range(3)]


def spot_of(case_ids) -> str:
    """The hot spot the fixture's three reports opened (other tests share the database)."""
    from rxapp.db import get_engine

    with Session(get_engine()) as s:
        return str(s.exec(select(HotspotCase.hotspot_id).where(HotspotCase.case_id == case_ids[0])).first())


async def card_for(token):
    root = root_with_cookie(token)
    return await root.get_state(HotspotsState)


@pytest.mark.anyio
async def test_members_see_no_card_and_leaders_cannot_act(state_db, login_token, spot_cases):
    h = await card_for(login_token("member"))
    await h.load()
    assert not h.visible and h.rows == []
    h = await card_for(login_token("leader_zhujiajian"))
    await h.load()
    row = next(r for r in h.rows if str(r["id"]) == spot_of(spot_cases))
    assert h.visible and not h.can_act and int(row["count"]) >= 3  # other tests' reports of the same kind may join
    with pytest.raises(AccessDenied):
        await h.handle(row["id"], row["version"])


@pytest.mark.anyio
async def test_a_dispatcher_handles_a_hot_spot_as_one(state_db, login_token, spot_cases):
    from rxapp.db import get_engine

    h = await card_for(login_token("dispatcher"))
    await h.load()
    row = next(r for r in h.rows if str(r["id"]) == spot_of(spot_cases))
    await h.handle(row["id"], row["version"])
    assert h.message == "hotspots.done.handle" and h.error == ""
    with Session(get_engine()) as s:
        statuses = sorted(s.exec(select(Case.status).where(Case.id.in_(spot_cases))).all())
    # one lead for the whole hot spot (it may be another test's report that joined): the rest duplicates
    assert statuses.count(CaseStatus.DUPLICATE) >= 2 and len(statuses) - statuses.count(CaseStatus.DUPLICATE) <= 1
