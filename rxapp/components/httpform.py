"""Forms that post to our own HTTP routes (login, logout).

Reflex forms always prevent the browser's own submit, so the browser posts
with fetch and then follows where the server redirected it. The session
cookie is still set by the server's response (HttpOnly: no script sees it)."""

import json

import reflex as rx


def post_form_script(form_id: str, url: str) -> rx.event.EventSpec:
    return rx.call_script(
        "(async () => {"
        f"const f = document.getElementById({json.dumps(form_id)});"
        "const body = f ? new URLSearchParams(new FormData(f)) : new URLSearchParams();"
        f"const r = await fetch({json.dumps(url)}, {{method: 'POST', body, credentials: 'same-origin', redirect: 'follow'}});"
        "window.location.assign(r.url);"
        "})()"
    )
