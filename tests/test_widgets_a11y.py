"""widgets.labelled: every field's visible label is tied to its control (issue 15
point 6: axe's `label`, `select-name` and `button-name` rules)."""

import re

import reflex as rx

from rxapp.components.widgets import labelled
from rxapp.i18n import MESSAGES
from rxapp.messages import a11y


def _render(component: rx.Component) -> str:
    return str(component)


def _label_for(js: str) -> str:
    found = re.search(r'jsx\("label",\{htmlFor:"([^"]+)"', js)
    assert found, js[:400]
    return found.group(1)


def test_label_names_an_input_by_its_own_id():
    js = _render(labelled("login.username", rx.input(id="username")))
    assert _label_for(js) == "username"
    assert 'id:"username"' in js
    assert "login.username" in js  # the caption comes from the catalog


def test_an_input_without_id_gets_one_the_label_points_to():
    field = labelled("cases.new.name", rx.input(name="requester_name"))
    js = _render(field)
    target = _label_for(js)
    assert target.endswith("-control")
    assert f'RadixThemesTextField.Root,{{id:"{target}"' in js


def test_ids_differ_between_fields():
    a, b = _label_for(_render(labelled("tw.month", rx.input()))), _label_for(_render(labelled("tw.month", rx.input())))
    assert a != b


def test_a_radix_select_is_named_on_its_trigger_and_the_label_wins_over_a_placeholder_name():
    select = rx.select.root(rx.select.trigger(placeholder="请选择", aria_label="请选择"), rx.select.content(rx.select.item("甲", value="a")))
    js = _render(labelled("admin.users.role", select))
    target = _label_for(js)
    assert re.search(r'RadixThemesSelect\.Trigger,\{id:"' + re.escape(target) + '"', js), js
    assert "aria-label" not in js  # the visible label names it, not "请选择"


def test_native_select_and_text_area_are_labelled():
    for control in (rx.el.select(rx.el.option("1", value="1"), id="ts-score"), rx.text_area(id="rate-comment")):
        js = _render(labelled("public.party.comment", control))
        assert _label_for(js) == control.id


def test_a_composite_control_becomes_a_named_group():
    js = _render(labelled("public.submit.grid", rx.flex(rx.el.select(id="d"), rx.el.select(id="t"))))
    assert 'jsx("label",{id:"' in js and "htmlFor" not in js
    label_id = re.search(r'jsx\("label",\{id:"([^"]+)"', js).group(1)
    compact = js.replace(" ", "")
    assert '"role":"group"' in compact or 'role:"group"' in compact
    assert f'"aria-labelledby":"{label_id}"' in compact


def test_required_mark_is_hidden_from_screen_readers_and_the_error_shows():
    error = rx.Var.create("name-required")
    js = _render(labelled("tw.res.name", rx.input(id="res-name"), error, required=True))
    assert '"aria-hidden":"true"' in js.replace(" ", "")
    assert "name-required" in js


def test_accessible_names_are_in_both_catalogs():
    assert set(a11y.ZH) == set(a11y.EN)
    for key in a11y.ZH:
        assert MESSAGES["zh"][key] == a11y.ZH[key] and MESSAGES["en"][key] == a11y.EN[key]
        assert re.search(r"[\u4e00-\u9fff]", a11y.ZH[key])
