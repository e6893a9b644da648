"""One Plotly component for every chart and map: plotly.js's *basic* bundle.

``rx.plotly`` loads the full plotly.js (4.6 MB minified, ~1.4 MB gzipped) on
the first chart of a page: parsing and running it took 0.3-1 s of the main
thread on this machine before any chart was drawn (profiled in Chromium,
bench/map_bench.py and bench/first_open_bench.py).  Every figure of the app is
``scatter``, ``bar`` or ``pie`` in cartesian axes, which the basic bundle
(1.1 MB, shipped inside the same ``plotly.js`` package, so no new dependency)
holds with all of plotly's core components (colour bars, legends, layout
images for the optional tiles, hover, locales).  All pages use this one
component so a page never loads two bundles.
"""

from __future__ import annotations

import reflex as rx
from reflex_base.utils.imports import ImportDict, ImportVar
from reflex_components_plotly.plotly import CREATE_PLOTLY_COMPONENT, Plotly, dynamic_plotly_import

BUNDLE = "plotly.js/dist/plotly-basic.min.js"


class BasicPlot(Plotly):
    """``rx.plotly`` with plotly.js's basic bundle (scatter, bar, pie)."""

    tag: str = "GdBasicPlot"

    library = "react-plotly.js@4.1.0"

    lib_dependencies: list[str] = ["plotly.js@3.7.0"]

    def add_imports(self) -> ImportDict:
        return CREATE_PLOTLY_COMPONENT

    def _get_dynamic_imports(self) -> str:
        return dynamic_plotly_import(self.tag, BUNDLE)


plot = BasicPlot.create


class _Preload(type(rx.fragment())):
    """Starts loading the bundle when the page is drawn, not when its first
    chart is: the chart mounts only once its figure came over the socket
    (after hydrate and the page's load event), and the bundle's download and
    parse then ran after the figure had arrived (0.2-0.6 s on /map)."""

    def add_imports(self) -> ImportDict:
        return {"react": [ImportVar(tag="useEffect")]}

    def add_hooks(self) -> list[str]:
        return [f"useEffect(() => {{ import({BUNDLE!r}).catch(() => null); }}, []);"]


def preload() -> rx.Component:
    """Put on a page whose charts come later (behind its load event)."""
    return _Preload.create()


# One chart drawn at a time, in page order, once the browser is idle: a chart
# in the viewport mounts at once; the others mount one per idle slot (or when
# scrolled into view), so the figures on screen are never held up by plotly drawing
# the charts below them (about 0.6 s of the main thread for the dashboard's
# seven on a cold open on this machine, in a CDP profile of Chromium).
_DEFER_JS = """
const gdDeferQueue = [];
let gdDeferWaiting = false;
let gdDeferSettle = null;
function gdDeferPump() {
  if (gdDeferWaiting || gdDeferQueue.length === 0) return;
  gdDeferWaiting = true;
  const idle = window.requestIdleCallback || ((cb) => setTimeout(cb, 50));
  idle(() => {
    gdDeferWaiting = false;
    const next = gdDeferQueue.shift();
    if (next) next();
    gdDeferPump();
  }, {timeout: 1500});
}
// charts mount in a burst when a page's data arrives, and the page's next
// deltas (the map card's, a card's count) follow within a few milliseconds:
// the first idle mount waits for 150 ms without a new chart, so those are
// drawn first and a chart's drawing never holds them up
function gdDeferAdd(show) {
  gdDeferQueue.push(show);
  if (gdDeferSettle !== null) clearTimeout(gdDeferSettle);
  gdDeferSettle = setTimeout(() => { gdDeferSettle = null; gdDeferPump(); }, 150);
}
function GdDeferred({children, height, ...rest}) {
  const ref = useRef(null);
  const [shown, setShown] = useState(false);
  useEffect(() => {
    if (shown) return undefined;
    let live = true;
    const show = () => { if (live) { live = false; setShown(true); } };
    let io = null;
    if (ref.current && typeof IntersectionObserver !== 'undefined') {
      io = new IntersectionObserver((entries) => { if (entries.some((e) => e.isIntersecting)) show(); }, {rootMargin: '0px'});
      io.observe(ref.current);
    }
    gdDeferAdd(show);
    return () => { live = false; if (io) io.disconnect(); };
  }, [shown]);
  const style = shown ? {width: '100%'} : {width: '100%', minHeight: (Number(height) || 320) + 'px'};
  return createElement('div', {ref, style, 'data-deferred': shown ? 'drawn' : 'waiting', ...rest}, shown ? children : null);
}
"""


class _Deferred(rx.Component):
    """Mounts its child (a chart) when it is in the viewport, or at the
    browser's next idle slot: see ``_DEFER_JS``."""

    tag: str = "GdDeferred"

    height: rx.Var[int]

    def add_imports(self) -> ImportDict:
        return {"react": [ImportVar(tag="useEffect"), ImportVar(tag="useRef"), ImportVar(tag="useState"), ImportVar(tag="createElement")]}

    def add_custom_code(self) -> list[str]:
        return [_DEFER_JS]


def deferred(child: rx.Component, height: rx.Var | int = 320) -> rx.Component:
    """``child`` drawn once it is in the viewport or the page is idle; until
    then a box ``height`` px tall holds its place."""
    return _Deferred.create(child, height=height)
