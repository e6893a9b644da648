"""The server's garbage-collection policy.

Python's full (oldest-generation) collection walks every tracked object of
the process.  A Reflex worker holds several hundred thousand long-lived ones
(the compiled app, SQLAlchemy's metadata and caches, the message catalogues),
so a full collection that happens to fall inside an event handler stalls it
for tens to hundreds of milliseconds: measured on a dashboard refresh at
1,000,000 cases, every refresh slower than 1.5× the median had a full
collection in it.  Once the app is loaded those objects are moved to the
permanent generation (:func:`gc.freeze`), which collections skip; what
requests create is still collected as usual.
"""

from __future__ import annotations

import gc


def settle() -> None:
    """Collect once, then freeze everything alive now (the app as loaded):
    later collections walk only what was created since.  Called once per
    worker at startup (a lifespan task) and by the benches that time domain
    calls outside the server, so they see what a worker sees."""
    gc.collect()
    gc.freeze()
