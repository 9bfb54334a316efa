"""`create_app(state)`: the FastAPI application of `logwarden serve`.

Every module in `logwarden/web/routers/` that exposes `router: fastapi.APIRouter` is included (sorted by
module name), so a capability adds its endpoints by adding a module. Routers reach the shared state with
`Depends(deps.get_state)` and the caller with `Depends(deps.current_user)` / `deps.require_role(...)`.
Every endpoint but GET /healthz needs authentication: a router must depend on `current_user` (or a
role) for each route (tests/server check that an unauthenticated request is refused everywhere).
"""

from __future__ import annotations

import importlib
import pkgutil

from fastapi import FastAPI

from logwarden.server.state import ServerState
from logwarden.web import routers


def router_modules() -> list[str]:
    return sorted(info.name for info in pkgutil.iter_modules(routers.__path__) if not info.name.startswith("_"))


def create_app(state: ServerState) -> FastAPI:
    # No unauthenticated API docs: every endpoint but /healthz needs a login.
    app = FastAPI(title="logwarden", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.lw = state
    for name in router_modules():
        module = importlib.import_module(f"{routers.__name__}.{name}")
        router = getattr(module, "router", None)
        if router is not None:
            app.include_router(router)
    return app
