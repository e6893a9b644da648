"""A harmless public handler for latency probes (``bench/ws_bench.py``).

Reflex sends nothing back for an event that changes no var, so a handler that
truly does nothing cannot be timed from the client.  ``ProbeState.echo`` is
the nearest thing: it stores the number it was sent in its own one-int state
and so answers with a delta of a few bytes.  It reads no database, touches no
other state and holds no personal data, so it is public (anyone may send it,
as anyone may send ``UiState.toggle_locale``); the guard middleware still
resolves the socket's session for it, as for every event, so its round trip is
the floor of every handler's.
"""

import reflex as rx

from rxapp.state.base import PUBLIC, access

_MAX_SEQ = 2**53  # what a JavaScript number holds exactly


@access(PUBLIC)
class ProbeState(rx.State):
    seq: int = 0

    @rx.event
    def echo(self, seq: int = 0):
        """Answer with ``seq`` (any other argument answers 0)."""
        ok = isinstance(seq, int) and not isinstance(seq, bool) and 0 <= seq <= _MAX_SEQ
        self.seq = seq if ok else 0
