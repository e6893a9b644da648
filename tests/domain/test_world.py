from sqlmodel import select

from rxapp.domain.access import case_scope_clause
from rxapp.models import Area, Category, Department


def test_reference_data_loads_all_townships_and_categories(session, world):
    townships = session.exec(select(Area).where(Area.level == "township")).all()
    assert len(townships) == 36
    assert len(session.exec(select(Category)).all()) == 14
    assert session.get(Department, world.ref.department_ids["ENV"]).name_zh == "生态环境局"


def test_reference_loader_is_idempotent(session, world):
    from rxapp.domain.reference import load_reference

    again = load_reference(session)
    assert again.township_ids == world.ref.township_ids
    assert len(session.exec(select(Category)).all()) == 14


def test_scope_clause_compiles_for_every_role(world):
    for actor in world.actors.values():
        assert case_scope_clause(actor) is not None
