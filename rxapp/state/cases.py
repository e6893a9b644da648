"""The staff case pages' states moved to one module per page:
``case_list`` (/cases), ``case_new`` (/cases/new), ``case_detail``
(/cases/[code]), with what they share in ``case_common``. This module keeps
the old import path working for code written against it."""

from rxapp.state.case_common import *  # noqa: F401,F403
from rxapp.state.case_common import (  # noqa: F401  (the private helpers callers used)
    _case_code,
    _choice,
    _date,
    _day,
    _form,
    _int_text,
    _status_key,
    _text,
    _toast_error,
    _when,
)
from rxapp.state.case_detail import CaseDetailState  # noqa: F401
from rxapp.state.case_list import CaseListState  # noqa: F401
from rxapp.state.case_new import CaseNewState  # noqa: F401
