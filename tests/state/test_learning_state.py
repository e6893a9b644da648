"""/admin → 分类模型 and /warnings states driven as a client would: the
administrator's handlers work, other roles are refused by the guard and by the
handlers, garbage arguments never crash a handler."""

import pytest
from sqlmodel import Session, select

from rxapp.db import get_engine
from rxapp.models import Category
from rxapp.state.admin_classify import AdminClassifyState
from rxapp.state.warnings import WarningCardState, WarningsState
from tests.state.helpers import guard_allows, root_with_cookie
from tests.state.test_admin_state import GARBAGE, admin_db, call, tokens  # noqa: F401  (fixtures)


def _keywords(code: str) -> str:
    with Session(get_engine()) as s:
        return s.exec(select(Category.keywords).where(Category.code == code)).one()


@pytest.mark.anyio
async def test_admin_tests_a_sentence_and_edits_the_keyword_table(admin_db, tokens):
    root = root_with_cookie(tokens("admin"))
    s = await root.get_state(AdminClassifyState)
    await call(s.load)
    assert s.keywords and {"word", "weight", "code", "category"} <= set(s.keywords[0])
    assert s.category_options and s.active_threshold
    s.set_test_text("路灯又坏了")
    await call(s.test_sentence)
    assert s.test_result["code"] == "INFRA" and "路灯" in s.test_result["terms"]

    s.set_new_word("海鸥扰民")
    s.set_new_weight("5")
    s.set_new_code("ENV")
    await call(s.add_keyword)
    assert "海鸥扰民:5" in _keywords("ENV")
    await call(s.remove_keyword, "ENV", "海鸥扰民")
    assert "海鸥扰民" not in _keywords("ENV")


@pytest.mark.anyio
async def test_other_roles_are_refused(admin_db, tokens):
    for username in ("leader", "dispatcher", "member"):
        root = root_with_cookie(tokens(username))
        for handler in ("retrain", "activate", "rollback", "test_sentence", "add_keyword", "remove_keyword"):
            assert not await guard_allows(root, AdminClassifyState, handler)
        s = await root.get_state(AdminClassifyState)
        s.set_test_text("路灯又坏了")
        await call(s.test_sentence)
        assert s.test_result == {}
    member = root_with_cookie(tokens("member"))
    assert not await guard_allows(member, WarningsState, "load")
    assert not await guard_allows(member, WarningCardState, "load")
    assert await guard_allows(root_with_cookie(tokens("dispatcher")), WarningsState, "load")
    assert await guard_allows(root_with_cookie(tokens("dept_env")), WarningsState, "load")


@pytest.mark.anyio
async def test_garbage_arguments_never_crash_the_handlers(admin_db, tokens):
    root = root_with_cookie(tokens("admin"))
    s = await root.get_state(AdminClassifyState)
    before = _keywords("ENV")
    for g in GARBAGE:
        await call(s.activate, g)
        await call(s.remove_keyword, g, g)
        await call(s.set_keyword_code, g)
        s.set_test_text(g)
        s.set_new_word(g)
        s.set_new_weight(g)
        s.set_new_code(g)
        await call(s.add_keyword)
        await call(s.test_sentence)
    assert _keywords("ENV") == before
    w = await root.get_state(WarningsState)
    await call(w.load)
    assert w.items == [] and not w.loading  # no warning model trained in this database


@pytest.mark.anyio
async def test_admin_retrains_activates_and_rolls_back(admin_db, tokens):
    root = root_with_cookie(tokens("admin"))
    s = await root.get_state(AdminClassifyState)
    await call(s.load)
    await call(s.retrain)
    assert s.models and s.models[0]["version"] == "v1" and not s.models[0]["active"] and not s.working
    await call(s.activate, s.models[0]["id"])
    assert s.models[0]["active"] == "1" and s.active_version == "v1"
    await call(s.rollback)
    assert s.active_version == "" and not s.models[0]["active"]
