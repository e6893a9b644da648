"""The websocket firewall's decisions (the flood test against the running app
is in tests/browser/test_socket_security.py)."""

from rxapp.state.firewall import MAX_DROPS_BEFORE_DISCONNECT, EventFirewall
from rxapp.state.home import HomeState


def real_event() -> dict:
    return {"name": f"{HomeState.get_full_name()}.load", "payload": {}, "router_data": {"pathname": "/"}}


def test_real_events_pass_and_junk_is_dropped():
    fw = EventFirewall()
    assert fw.admit("a", real_event())
    junk = [
        None,
        42,
        "not json",
        [],
        {},
        {"name": 5},
        {"name": "x" * 1000},
        {"name": "reflex___state____state.nope.load"},
        {"name": f"{HomeState.get_full_name()}.no_such_handler"},
        {**real_event(), "payload": "x"},
        {**real_event(), "router_data": []},
    ]
    for data in junk:
        assert not fw.admit("a", data), data
    assert fw.dropped_total == len(junk)


def test_junk_names_do_not_grow_the_cache():
    fw = EventFirewall()
    for i in range(5000):
        fw.admit("a", {"name": f"reflex___state____state.junk{i}.x"})
    assert len(fw._known) == 0


def test_each_connection_has_a_generous_rate_ceiling():
    fw = EventFirewall(max_events=5, window=10)
    assert all(fw.within_rate("a", now=float(i) * 0.01) for i in range(5))
    assert not fw.within_rate("a", now=0.06)
    assert fw.within_rate("b", now=0.06)  # other connections are not affected
    assert fw.within_rate("a", now=11.0)  # the window moves on


def test_a_connection_sending_only_junk_is_marked_for_disconnect_and_forgotten_after():
    fw = EventFirewall()
    for _ in range(MAX_DROPS_BEFORE_DISCONNECT):
        fw.admit("evil", {"name": "x.y"})
    assert fw.too_many_drops("evil")
    fw.forget("evil")
    assert not fw.too_many_drops("evil") and "evil" not in fw._recent


def test_setvar_naming_unknown_backend_or_unsettable_vars_is_dropped_with_one_log_line(caplog):
    """issue 12: ``<state>.setvar`` with an unknown var passed the firewall and
    logged a ~30-line traceback per event."""
    import logging

    from rxapp.state.base import UiState
    from rxapp.state.cases import CaseListState
    from rxapp.state.public import PublicTrackState

    def setvar(cls, var_name, value="x"):
        return {"name": f"{cls.get_full_name()}.setvar", "payload": {"var_name": var_name, "value": value}, "router_data": {}}

    fw = EventFirewall()
    attacks = [
        setvar(PublicTrackState, "no_such_var"),
        setvar(PublicTrackState, "case"),  # a real var without a setter of its own
        setvar(PublicTrackState, "_backend"),
        setvar(PublicTrackState, 5),
        setvar(UiState, "lang"),  # computed
        setvar(UiState, "t"),
        setvar(CaseListState, "view"),  # its setter is async: setvar cannot run it
        {"name": f"{PublicTrackState.get_full_name()}.setvar", "payload": {}, "router_data": {}},
    ]
    with caplog.at_level(logging.WARNING, logger="griddesk.firewall"):
        for _ in range(30):
            for data in attacks:
                assert not fw.admit("conn-1", data), data
    assert len([r for r in caplog.records if r.name == "griddesk.firewall"]) == 1
    assert fw.admit("conn-1", setvar(UiState, "locale", "en"))  # a var with its own (validating) setter
