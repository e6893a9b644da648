"""Feature catalogs: each module here holds one capability's UI strings as
``ZH = {...}`` and ``EN = {...}`` (same keys). ``rxapp.i18n`` merges them into
``MESSAGES`` at import, so a new capability adds its strings in a file of its
own instead of growing one shared dict."""

import importlib
import pkgutil


def feature_catalogs() -> list[tuple[str, dict[str, str], dict[str, str]]]:
    found = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        found.append((info.name, module.ZH, module.EN))
    return found
