"""A small, complete world for tests: the real reference data, a few
communities and grids, teams, households, and one user per demo role."""

from dataclasses import dataclass, field
from functools import lru_cache

from sqlmodel import Session

from rxapp.domain.access import Actor, actor_for
from rxapp.domain.clock import now
from rxapp.domain.geo.store import cut_township
from rxapp.domain.reference import Reference, add_area, load_reference
from rxapp.domain.security import hash_password
from rxapp.models import Area, AreaLevel, Household, Resident, Role, Team, TeamMember, User

PASSWORD = "griddesk-demo"


@lru_cache(maxsize=1)
def password_hash() -> str:
    return hash_password(PASSWORD)


@dataclass
class World:
    ref: Reference
    areas: dict[str, Area] = field(default_factory=dict)  # short name -> area
    teams: dict[str, Team] = field(default_factory=dict)  # grid short name -> team
    users: dict[str, User] = field(default_factory=dict)
    actors: dict[str, Actor] = field(default_factory=dict)
    households: dict[str, list[Household]] = field(default_factory=dict)  # grid short name -> households


def add_user(session: Session, world: World, username: str, role: str, scope: Area | None = None, **extra) -> User:
    user = User(
        username=username,
        display_name=extra.pop("display_name", username),
        role=role,
        scope_area_id=scope.id if scope else None,
        password_hash=password_hash(),
        created_at=now(),
        **extra,
    )
    session.add(user)
    session.flush()
    world.users[username] = user
    world.actors[username] = actor_for(session, user)
    return user


def make_world(session: Session) -> World:
    ref = load_reference(session)
    w = World(ref=ref)
    w.areas["city"] = session.get(Area, ref.city_id)
    w.areas["putuo"] = session.get(Area, ref.district_ids["普陀区"])
    w.areas["dinghai"] = session.get(Area, ref.district_ids["定海区"])
    w.areas["zhujiajian"] = session.get(Area, ref.township_ids["朱家尖街道"])
    w.areas["changguo"] = session.get(Area, ref.township_ids["昌国街道"])
    layout = {
        "zhujiajian": {"c1": ["g1", "g2"], "c2": ["g3"]},
        "changguo": {"c3": ["g4"]},
    }
    for township, communities in layout.items():
        for cname, grids in communities.items():
            comm = add_area(session, name=f"{cname}社区", level=AreaLevel.COMMUNITY, parent=w.areas[township])
            w.areas[cname] = comm
            for gname in grids:
                grid = add_area(session, name=f"{cname}社区第{gname[1:]}网格", level=AreaLevel.GRID, parent=comm)
                w.areas[gname] = grid
                team = Team(name=f"{grid.name}服务团队", grid_id=grid.id, township_id=w.areas[township].id)
                session.add(team)
                session.flush()
                w.teams[gname] = team
                w.households[gname] = []
                for i in range(3):
                    hh = Household(
                        grid_id=grid.id,
                        community_id=comm.id,
                        address=f"{w.areas[township].name}{cname}路{i + 1}号",
                        representative=f"{gname}户主{i + 1}",
                        phone=f"1380000{grid.id:02d}{i:02d}"[:11],
                        created_at=now(),
                    )
                    session.add(hh)
                    session.flush()
                    session.add(
                        Resident(
                            household_id=hh.id,
                            grid_id=grid.id,
                            name=hh.representative,
                            phone=hh.phone,
                            skills="电工" if i == 0 else "",
                            created_at=now(),
                        )
                    )
                    w.households[gname].append(hh)
    # real places: each township's land cut into these communities and grids, households on points inside
    for township, communities in layout.items():
        cut_township(
            session,
            w.areas[township],
            [(w.areas[c], [w.areas[g] for g in grids]) for c, grids in communities.items()],
            roads={w.areas[g].id: [f"{g}甲路", f"{g}乙街"] for grids in communities.values() for g in grids},
        )
    env_dept = ref.department_ids["ENV"]
    add_user(session, w, "admin", Role.ADMIN, w.areas["city"])
    add_user(session, w, "leader", Role.LEADER, w.areas["city"])
    add_user(session, w, "leader_putuo", Role.LEADER, w.areas["putuo"])
    add_user(session, w, "leader_zhujiajian", Role.LEADER, w.areas["zhujiajian"])
    add_user(session, w, "leader_changguo", Role.LEADER, w.areas["changguo"])
    add_user(session, w, "dispatcher", Role.DISPATCHER, w.areas["city"])
    add_user(session, w, "dispatcher_zhujiajian", Role.DISPATCHER, w.areas["zhujiajian"])
    add_user(session, w, "dept_env", Role.DEPT, w.areas["city"], department_id=env_dept)
    add_user(session, w, "dept_other", Role.DEPT, w.areas["city"], department_id=ref.department_ids["SAFETY"])
    add_user(session, w, "member", Role.MEMBER, w.areas["g1"], team_id=w.teams["g1"].id)
    add_user(session, w, "member_g4", Role.MEMBER, w.areas["g4"], team_id=w.teams["g4"].id)
    session.add(TeamMember(team_id=w.teams["g1"].id, name="member", user_id=w.users["member"].id, party_member=True))
    session.flush()
    return w
