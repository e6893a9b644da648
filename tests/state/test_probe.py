"""The latency probe: public, harmless, and it answers with what it was sent."""

import pytest

from rxapp.state.base import AppState
from rxapp.state.firewall import EventFirewall
from rxapp.state.probe import ProbeState
from tests.state.helpers import guard_allows, root_with_cookie


@pytest.mark.anyio
@pytest.mark.parametrize("username", [None, "leader", "member"])
async def test_anyone_may_send_the_echo(state_db, login_token, username):
    root = root_with_cookie(login_token(username) if username else None)
    assert await guard_allows(root, ProbeState, "echo", {"seq": 7})


@pytest.mark.anyio
async def test_echo_answers_the_number_and_touches_nothing_else(state_db, login_token):
    root = root_with_cookie(login_token("leader"))
    probe = await root.get_state(ProbeState)
    app_state = await root.get_state(AppState)
    root._clean()
    probe.echo(41)
    assert probe.seq == 41
    assert probe.dirty_vars == {"seq"}
    assert app_state.dirty_vars == set() and app_state.user_role == ""


@pytest.mark.anyio
async def test_echo_refuses_anything_but_a_small_int(state_db):
    root = root_with_cookie(None)
    probe = await root.get_state(ProbeState)
    for garbage in ["abc", "12", -1, 2**60, 1.5, True, None, {"x": 1}, [1]]:
        probe.echo(5)
        probe.echo(garbage)
        assert probe.seq == 0, garbage


def test_the_firewall_lets_the_echo_through():
    fw = EventFirewall()
    assert fw.admit("a", {"name": f"{ProbeState.get_full_name()}.echo", "payload": {"seq": 1}, "router_data": {"pathname": "/"}})
