"""The /login page: shows the error the login form came back with."""

import reflex as rx

from rxapp.state.base import PUBLIC, access

ERRORS = {"invalid": "login.error.invalid", "locked": "login.error.locked", "required": "login.error.required"}


@access(PUBLIC)
class LoginState(rx.State):
    error_key: str = ""
    next_path: str = "/"

    @rx.event
    def load(self):
        params = self.router.url.query_parameters
        self.error_key = ERRORS.get(str(params.get("error", "")), "")
        nxt = str(params.get("next", "/"))
        self.next_path = nxt if nxt.startswith("/") and not nxt.startswith("//") and len(nxt) < 200 else "/"
