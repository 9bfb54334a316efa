"""Command modules beyond the core ones in `logwarden.cli`.

Each module here defines `register(cli)` and adds its commands to the group; `logwarden.cli` calls
`register_all` once, so a capability brings its command without editing the core CLI module.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any


def register_all(cli: Any) -> None:
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(cli)
