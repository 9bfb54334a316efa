"""Routers of the HTTP app, one module per capability, each exposing `router: fastapi.APIRouter`
(auto-discovered by `logwarden.web.app.create_app`)."""
