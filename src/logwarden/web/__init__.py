"""The HTTP face of `logwarden serve`: the app factory (`app.create_app`), shared dependencies (`deps`),
and routers auto-discovered in `routers/` (each module exposes `router: fastapi.APIRouter`)."""
