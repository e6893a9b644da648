"""The active classifier model in the database, shared by every worker.

Each worker keeps the model it loaded and asks the database, once per intake
transaction, which version is active (one indexed row); it loads the blob only
when that version changed, and makes it the process's default for
``classify``. No active row: the built-in model.
"""

from __future__ import annotations

import logging
import threading

from sqlmodel import Session, select

from rxapp.domain.classify import set_active_model
from rxapp.domain.classify.model import TextModel, builtin_model, loads
from rxapp.models import LearnedModel

log = logging.getLogger(__name__)

KIND = "classify"
_LOADED: dict[str, tuple[tuple | None, TextModel | None]] = {}
_LOCK = threading.Lock()


def active_version(session: Session) -> tuple[int, int, object] | None:
    """(row id, version, created at) of the active classifier model, or None."""
    row = session.exec(
        select(LearnedModel.id, LearnedModel.version, LearnedModel.created_at).where(LearnedModel.kind == KIND, LearnedModel.active == True)  # noqa: E712
        .order_by(LearnedModel.activated_at.desc()).limit(1)
    ).first()
    return (row[0], row[1], row[2]) if row else None


def current_model(session: Session) -> TextModel | None:
    """The active model of this database, loaded once per version per process."""
    found = active_version(session)
    key = str(session.get_bind().engine.url)
    version = found[1] if found else None
    with _LOCK:
        kept = _LOADED.get(key)
    if kept is not None and kept[0] == found:
        model = kept[1]
    elif found is None:
        model = builtin_model()
    else:
        blob = session.exec(select(LearnedModel.blob).where(LearnedModel.id == found[0])).one()
        try:
            model = loads(bytes(blob), version)
        except (ValueError, EOFError, KeyError, TypeError, AttributeError) as exc:
            log.error("active classifier model v%s unreadable, using the built-in one: %s", version, exc)
            model = builtin_model()
    with _LOCK:
        _LOADED[key] = (found, model)
    set_active_model(model if found is not None else None)
    return model
