"""The households and residents registry and the skill search: members keep
their own grid only, leaders read masked within scope, optimistic locking,
untrusted arguments refused with a message for the field."""

import io

import pytest

from rxapp.domain import households as H
from rxapp.domain.errors import AccessDenied, DomainError, NotFound, StaleVersion
from rxapp.domain.excel import Column, write_xlsx
from rxapp.models import Household, Resident


def _new(session, world, actor="member", **extra):
    data = {"address": "朱家尖街道c1路99号", "representative": "张海生", "phone": "13900001111", "size": 3, "needs": "独居老人", **extra}
    return H.create_household(session, actor=world.actors[actor], data=data)


def test_member_registers_a_household_in_own_grid(session, world):
    hh = _new(session, world)
    assert hh.grid_id == world.areas["g1"].id
    assert hh.community_id == world.areas["c1"].id
    assert hh.version == 1


def test_member_cannot_register_a_household_in_another_grid(session, world):
    with pytest.raises(AccessDenied):
        _new(session, world, grid_id=world.areas["g2"].id)
    with pytest.raises(AccessDenied):
        _new(session, world, actor="member_g4", grid_id=world.areas["g1"].id)


@pytest.mark.parametrize("who", ["leader", "leader_zhujiajian", "dispatcher", "dept_env"])
def test_only_members_and_admins_write_the_registry(session, world, who):
    with pytest.raises(AccessDenied):
        _new(session, world, actor=who, grid_id=world.areas["g1"].id)


def test_admin_registers_in_any_grid_but_must_name_it(session, world):
    with pytest.raises(DomainError) as err:
        _new(session, world, actor="admin")
    assert err.value.field == "grid_id"
    hh = _new(session, world, actor="admin", grid_id=world.areas["g4"].id)
    assert hh.grid_id == world.areas["g4"].id


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("address", "", "请填写地址"),
        ("address", "路" * 129, "地址不能超过128个字"),
        ("representative", "   ", "请填写户代表"),
        ("phone", "abc", "电话号码格式不正确"),
        ("size", 0, "家庭人口应为1到30人"),
        ("size", True, "家庭人口应为1到30人"),
        ("notes", "记" * 501, "备注不能超过500个字"),
    ],
)
def test_bad_household_fields_are_refused_with_the_field(session, world, field, value, message):
    with pytest.raises(DomainError) as err:
        _new(session, world, **{field: value})
    assert err.value.field == field
    assert message in err.value.message


def test_household_edit_is_optimistically_locked(session, world):
    hh = world.households["g1"][0]
    v = hh.version
    H.update_household(session, actor=world.actors["member"], household_id=hh.id, data={"needs": "低保"}, expected_version=v)
    assert session.get(Household, hh.id).needs == "低保"
    with pytest.raises(StaleVersion):
        H.update_household(session, actor=world.actors["member"], household_id=hh.id, data={"needs": "残疾"}, expected_version=v)
    assert session.get(Household, hh.id).needs == "低保"


def test_member_cannot_edit_another_grids_household(session, world):
    hh = world.households["g4"][0]
    with pytest.raises(AccessDenied):
        H.update_household(session, actor=world.actors["member"], household_id=hh.id, data={"needs": "低保"}, expected_version=hh.version)
    with pytest.raises(AccessDenied):
        H.add_resident(session, actor=world.actors["member"], household_id=hh.id, data={"name": "李四"})


def test_unknown_and_garbage_ids_are_refused(session, world):
    m = world.actors["member"]
    with pytest.raises(NotFound):
        H.household_detail(session, actor=m, household_id=2**31 - 2)
    for bad in ("abc", {"x": 1}, -1, True, None, "1 OR 1=1"):
        with pytest.raises(DomainError):
            H.household_detail(session, actor=m, household_id=bad)


def test_residents_added_and_edited_with_normalised_skills(session, world):
    hh = world.households["g1"][1]
    m = world.actors["member"]
    r = H.add_resident(session, actor=m, household_id=hh.id, data={"name": "王焊", "gender": "男", "birth_year": "1980", "skills": "焊工，电工、 焊工", "party_member": True})
    assert r.skills == "焊工 电工"
    assert r.grid_id == hh.grid_id and r.birth_year == 1980
    H.update_resident(session, actor=m, resident_id=r.id, data={"specialties": "书法"}, expected_version=r.version)
    assert session.get(Resident, r.id).specialties == "书法"
    with pytest.raises(StaleVersion):
        H.update_resident(session, actor=m, resident_id=r.id, data={"specialties": "唱歌"}, expected_version=1)
    with pytest.raises(DomainError) as err:
        H.add_resident(session, actor=m, household_id=hh.id, data={"name": "赵", "birth_year": 1800})
    assert err.value.field == "birth_year"
    with pytest.raises(DomainError) as err:
        H.add_resident(session, actor=m, household_id=hh.id, data={"name": "赵", "gender": "X"})
    assert err.value.field == "gender"


def test_member_lists_only_own_grid_unmasked(session, world):
    rows, total = H.list_households(session, actor=world.actors["member"])
    assert total == 3
    assert {r.grid_id for r in rows} == {world.areas["g1"].id}
    assert not any(r.masked for r in rows)
    assert rows[0].phone == world.households["g1"][0].phone
    # a member asking for another area is refused, not silently widened
    with pytest.raises(AccessDenied):
        H.list_households(session, actor=world.actors["member"], area_id=world.areas["g4"].id)


def test_leader_reads_within_scope_with_personal_fields_masked(session, world):
    rows, total = H.list_households(session, actor=world.actors["leader_zhujiajian"])
    assert total == 9  # g1, g2, g3
    assert all(r.masked for r in rows)
    real = {h.id: h for hs in world.households.values() for h in hs}
    for r in rows:
        assert r.representative != real[r.id].representative
        assert "****" in r.phone
        assert r.notes == ""
    with pytest.raises(AccessDenied):
        H.household_detail(session, actor=world.actors["leader_zhujiajian"], household_id=world.households["g4"][0].id)
    with pytest.raises(DomainError):  # no name search on masked rows
        H.list_households(session, actor=world.actors["leader_zhujiajian"], query="户主")
    detail = H.household_detail(session, actor=world.actors["leader_zhujiajian"], household_id=world.households["g1"][0].id)
    assert detail.household.masked and not detail.can_edit
    assert all(r.masked and r.birth_year is None for r in detail.residents)


@pytest.mark.parametrize("who", ["dispatcher", "dept_env"])
def test_dispatchers_and_departments_have_no_registry(session, world, who):
    with pytest.raises(AccessDenied):
        H.list_households(session, actor=world.actors[who])
    with pytest.raises(AccessDenied):
        H.skill_search(session, actor=world.actors[who], skill="电工")


def test_skill_search_within_scope(session, world):
    m = world.actors["member"]
    hh = world.households["g4"][1]
    H.add_resident(session, actor=world.actors["member_g4"], household_id=hh.id, data={"name": "钱焊工", "skills": "焊工"})
    H.add_resident(session, actor=m, household_id=world.households["g1"][1].id, data={"name": "孙师傅", "specialties": "电焊工"})

    # 焊工 within 普陀区 (朱家尖): only the g1 specialty; the 定海 welder is outside
    rows, total = H.skill_search(session, actor=world.actors["leader_putuo"], skill="焊工")
    assert total == 1 and rows[0].grid_name.startswith("c1社区")
    assert rows[0].masked and rows[0].name != "孙师傅"
    assert rows[0].team_name.endswith("服务团队") and rows[0].township_name == "朱家尖街道"

    # the city leader narrows to 定海区
    rows, total = H.skill_search(session, actor=world.actors["leader"], skill="焊工", area_id=world.areas["dinghai"].id)
    assert total == 1 and rows[0].township_name == "昌国街道"

    # a member searches their own grid and sees names
    rows, total = H.skill_search(session, actor=m, skill="焊工")
    assert total == 1 and not rows[0].masked and rows[0].name == "孙师傅"
    assert rows[0].phone == "" and rows[0].address == world.households["g1"][1].address

    # a leader cannot widen beyond scope
    with pytest.raises(AccessDenied):
        H.skill_search(session, actor=world.actors["leader_zhujiajian"], skill="焊工", area_id=world.areas["dinghai"].id)
    with pytest.raises(DomainError) as err:
        H.skill_search(session, actor=m, skill="")
    assert err.value.field == "skill"
    # LIKE wildcards are literal
    assert H.skill_search(session, actor=world.actors["leader"], skill="%")[1] == 0


def test_skill_export_rows_and_xlsx(session, world):
    rows, cut = H.skill_export(session, actor=world.actors["leader_zhujiajian"], skill="电工")
    assert len(rows) == 3 and not cut
    data = write_xlsx([Column("姓名"), Column("出生年份", "int")], [(r.name, r.birth_year) for r in rows], sheet_name="技能")
    assert data[:2] == b"PK"


def test_household_choices_are_the_members_grid(session, world):
    choices = H.household_choices(session, actor=world.actors["member"])
    assert {c.id for c in choices} == {h.id for h in world.households["g1"]}
    with pytest.raises(AccessDenied):
        H.household_choices(session, actor=world.actors["leader_zhujiajian"])


def test_area_choices_stay_inside_scope(session, world):
    ids = {c.id for c in H.area_choices(session, actor=world.actors["leader_zhujiajian"])}
    assert world.areas["g1"].id in ids and world.areas["zhujiajian"].id in ids
    assert world.areas["g4"].id not in ids and world.areas["putuo"].id not in ids


def test_excel_cells_are_typed_and_text_never_a_formula():
    import zipfile
    from datetime import date, datetime

    data = write_xlsx(
        [Column("名称"), Column("数量", "int"), Column("比例", "percent"), Column("日期", "date"), Column("时间", "datetime"), Column("党员", "bool")],
        [("=HYPERLINK(\"http://x\")", 3, 0.5, date(2026, 5, 1), datetime(2026, 5, 1, 9, 30), True), ("普通\x07文本", None, "n/a", None, None, False)],
        sheet_name="a/b:c",
        title="导出",
    )
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
        strings = z.read("xl/sharedStrings.xml").decode() if "xl/sharedStrings.xml" in z.namelist() else sheet
    assert "<f>" not in sheet  # no formula cell
    assert "HYPERLINK" in strings
    assert "<v>3</v>" in sheet and "<v>0.5</v>" in sheet
    assert "\x07" not in strings
    with pytest.raises(ValueError):
        Column("x", "money")
