"""Map widgets inserted into pages: the /map content and its /dashboard card,
the public township choropleth, a case's small map, and the place picker of
/public/submit and /cases/new.  Figures come from
:mod:`rxapp.components.map_figures` (no request to any host but the app)."""

import reflex as rx

from rxapp.components import styles
from rxapp.components.map_figures import locate_button, map_chart, pick_map
from rxapp.components.plot import deferred
from rxapp.state.base import T
from rxapp.state.map import CaseMapState, MapState as M, PublicMapState
from rxapp.state.place import PlaceState as P


# ----------------------------------------------------------------------------
# /map and the dashboard card
# ----------------------------------------------------------------------------
def measure_choice(measures: tuple[str, ...], value: rx.Var, on_change, id_: str) -> rx.Component:
    """Which measure colours a map: tabs from 768 px up, a select below it (four
    tabs do not fit a phone's width and scrolled sideways)."""
    return rx.fragment(
        rx.segmented_control.root(
            *[rx.segmented_control.item(T(f"map.measure.{m}"), value=m) for m in measures],
            value=value,
            on_change=on_change,
            size="1",
            id=id_,
            display=["none", "none", "inline-grid"],
        ),
        rx.box(
            rx.select.root(
                rx.select.trigger(aria_label=T("map.measure"), id=f"{id_}-select", width="100%"),
                rx.select.content(*[rx.select.item(T(f"map.measure.{m}"), value=m) for m in measures]),
                value=value,
                on_change=on_change,
                size="2",
            ),
            display=["block", "block", "none"],
            width="100%",
        ),
    )


def measure_picker() -> rx.Component:
    return measure_choice(("completion", "overdue", "intake", "satisfaction"), M.measure, M.set_measure, "map-measure")


def layer_toggles() -> rx.Component:
    return rx.hstack(
        rx.checkbox(T("map.layer.cases"), checked=M.show_cases, on_change=lambda _v: M.toggle_layer("cases"), size="2", id="layer-cases"),
        rx.checkbox(T("map.layer.visits"), checked=M.show_visits, on_change=lambda _v: M.toggle_layer("visits"), size="2", id="layer-visits"),
        spacing="3",
        wrap="wrap",
    )


def measure_note() -> rx.Component:
    return rx.text(
        rx.match(
            M.measure,
            ("overdue", T("map.def.overdue")),
            ("intake", T("map.def.intake")),
            ("satisfaction", T("map.def.satisfaction")),
            T("map.def.completion"),
        ),
        size="1",
        color_scheme="gray",
    )


def area_table() -> rx.Component:
    return rx.box(
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    rx.table.column_header_cell(T("map.table.area")),
                    rx.table.column_header_cell(T("map.table.value"), text_align="right"),
                    rx.table.column_header_cell(T("map.table.accepted"), text_align="right"),
                    rx.table.column_header_cell(T("map.table.overdue"), text_align="right"),
                    rx.table.column_header_cell(T("map.table.visits"), text_align="right"),
                )
            ),
            rx.table.body(
                rx.foreach(
                    M.rows,
                    lambda r: rx.table.row(
                        rx.table.cell(rx.link(r["name"], on_click=M.set_area(r["id"]).prevent_default, cursor="pointer")),
                        rx.table.cell(r["value"], text_align="right"),
                        rx.table.cell(rx.link(r["accepted"], on_click=M.drill("accepted", r["id"]), cursor="pointer"), text_align="right"),
                        rx.table.cell(rx.link(r["overdue"], on_click=M.drill("overdue", r["id"]), cursor="pointer"), text_align="right"),
                        rx.table.cell(r["visits"], text_align="right"),
                    ),
                )
            ),
            size="1",
            variant="ghost",
            width="100%",
            id="map-areas",
        ),
        width="100%",
        overflow_x="auto",
    )


def map_body() -> rx.Component:
    return rx.vstack(
        rx.hstack(rx.box(measure_picker(), max_width="100%", overflow_x="auto"), rx.spacer(), layer_toggles(), wrap="wrap", width="100%", align="center", spacing="3"),
        measure_note(),
        rx.cond(M.error != "", rx.callout(M.error, icon="triangle-alert", color_scheme="red", size="1", width="100%")),
        rx.cond(
            M.loading,
            rx.center(rx.spinner(size="3"), padding="60px", width="100%"),
            rx.box(deferred(map_chart(M.fig, id_="grid-map", on_click=M.click), M.fig["layout"].to(dict)["height"]), width="100%", min_width="0", contain="layout style", id="grid-map-box"),
        ),
        rx.cond(M.no_outline, rx.text(T("map.no_outline"), size="1", color_scheme="amber")),
        rx.hstack(
            rx.text(M.cases_note, size="1", color_scheme="gray", id="map-cases-note"),
            rx.cond(
                M.cases_note != "",
                rx.link(T("cases.status.open"), on_click=M.drill("open", ""), cursor="pointer", size="1"),
            ),
            spacing="2",
            wrap="wrap",
        ),
        rx.text(T("map.hint"), size="1", color_scheme="gray"),
        area_table(),
        spacing="2",
        width="100%",
    )


def map_card() -> rx.Component:
    """The map on /dashboard: the dashboard's filters and scope."""
    return rx.box(
        rx.hstack(
            rx.text(T("map.card_title"), weight="medium"),
            rx.spacer(),
            rx.link(rx.hstack(rx.icon("maximize-2", size=14), rx.text(T("map.open_full"), size="2"), spacing="1", align="center"), href="/map"),
            width="100%",
            align="center",
        ),
        map_body(),
        width="100%",
        min_width="0",
        id="map-card",
        **styles.CARD,
    )


# ----------------------------------------------------------------------------
# /public: township choropleth (areas only)
# ----------------------------------------------------------------------------
def public_map() -> rx.Component:
    return rx.box(
        rx.hstack(
            rx.text(T("public_map.title"), weight="medium"),
            rx.spacer(),
            measure_choice(("completion", "on_time", "satisfaction"), PublicMapState.measure, PublicMapState.set_measure,
                           "public-map-measure"),
            width="100%",
            wrap="wrap",
            align="center",
            spacing="2",
        ),
        map_chart(PublicMapState.fig, id_="public-map", interactive=False),
        rx.text(T("public_map.hint"), size="1", color_scheme="gray"),
        rx.moment(display="none", on_mount=PublicMapState.load),
        width="100%",
        min_width="0",
        id="public-map-card",
        **styles.CARD,
    )


# ----------------------------------------------------------------------------
# /cases/<code>: the case's place
# ----------------------------------------------------------------------------
def case_map() -> rx.Component:
    return rx.box(
        rx.text(T("case_map.title"), weight="medium", size="2"),
        rx.cond(
            CaseMapState.has_point,
            map_chart(CaseMapState.fig, id_="case-map", interactive=False),
            rx.text(T("case_map.none"), size="1", color_scheme="gray"),
        ),
        rx.moment(display="none", on_mount=CaseMapState.load),
        width="100%",
        min_width="0",
        id="case-map-card",
        **styles.CARD,
    )


# ----------------------------------------------------------------------------
# the place picker (/public/submit, /cases/new)
# ----------------------------------------------------------------------------
_ENTER_RESOLVES = rx.Var("((e) => { if (e.key === 'Enter' && !e.nativeEvent.isComposing) { e.preventDefault(); e.currentTarget.blur(); } })")

def place_picker(staff: bool = False) -> rx.Component:
    """Tap the spot, type an address or use the phone's location; shows
    “已定位到：…” and can be corrected; “不清楚” sends the case to triage."""
    return rx.vstack(
        rx.text(T("pick.title"), weight="medium"),
        rx.text(T("pick.hint"), size="1", color_scheme="gray"),
        pick_map(P.fig, id_="pick-map", on_pick=P.pick),
        rx.hstack(
            locate_button("pick-map", T("pick.use_location")),
            rx.cond(P.located != "", rx.button(rx.icon("rotate-ccw", size=14), T("pick.reset"), type="button", variant="ghost", size="2", on_click=P.reset_pick)),
            rx.checkbox(T("pick.unknown"), checked=P.unknown, on_change=P.set_unknown, size="2", id="pick-unknown"),
            spacing="3",
            wrap="wrap",
            align="center",
        ),
        rx.hstack(
            rx.input(
                placeholder=T("pick.address_ph"),
                aria_label=T("pick.address_ph"),
                id="pick-address",
                size="2",
                flex="1",
                on_blur=P.find_address,
                # Enter looks the address up (by leaving the box) instead of submitting the surrounding form
                custom_attrs={"onKeyDown": _ENTER_RESOLVES},
            ),
            rx.button(T("pick.find"), type="button", size="2", variant="soft"),
            width="100%",
        ),
        rx.cond(
            P.located != "",
            rx.callout(rx.text(T("pick.located"), P.located), icon="map-pin", color_scheme="green", size="1", width="100%", id="pick-located"),
        ),
        rx.cond(P.unknown, rx.callout(T("pick.unknown_note"), icon="info", color_scheme="blue", size="1", width="100%")),
        rx.cond(P.error != "", rx.text(P.error, color_scheme="red", size="1", id="pick-error")),
        rx.text(T("pick.fallback"), size="1", color_scheme="gray"),
        rx.moment(display="none", on_mount=P.load),
        spacing="2",
        width="100%",
        id="place-picker",
    )
