"""The case pages (registers /cases, /cases/new and /cases/[code])."""

from rxapp.pages import case_detail, case_list, case_new  # noqa: F401  (registers the pages)
