"""The web UI: plain HTML, vanilla JS and CSS from `web/static/`, no build step.

Pages (one HTML shell; the script renders each from the JSON API, so every page has a JSON twin — add
`?_format=json` to a page's address to be sent to it):

    /                 search: query, time range, histogram, facets, results, export, live tail
                      (twin: /api/v1/search, /api/v1/histogram, /api/v1/facets)
    /event/{id}       one event with every field, its raw record and its context (/api/v1/events/{id}[/context])
    /trace/{id}       every record of a trace, request or queue id (/api/v1/traces/{id})
    /mail             mail flows (/api/v1/mail/flows)
    /requests         VK Teams client requests paired with their responses (/api/v1/requests/pairs)
    /login            the sign-in form (POST /api/v1/login sets the session cookie)
    /docs             the API reference (Swagger UI over /api/v1/openapi.json), for signed-in users

A page asked for without a session redirects to /login. /static/* (the assets, the i18n table) is public.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response

from logwarden.web import i18n
from logwarden.web.deps import User, current_user, optional_user

router = APIRouter(tags=["ui"])
STATIC = Path(__file__).resolve().parents[1] / "static"
MaybeUser = Annotated[User | None, Depends(optional_user)]
# Page → its JSON twin (path template, the page's query parameters passed on).
TWINS = {"search": "/api/v1/search", "event": "/api/v1/events/{id}", "trace": "/api/v1/traces/{id}",
         "mail": "/api/v1/mail/flows", "requests": "/api/v1/requests/pairs"}
NO_CACHE = {"Cache-Control": "no-cache"}


def _page(request: Request, user: User | None, twin: str) -> Response:
    if request.query_params.get("_format") == "json":
        params = [(k, v) for k, v in request.query_params.multi_items() if k != "_format"]
        return RedirectResponse(twin + ("?" + urlencode(params) if params else ""), status_code=307)
    if user is None:
        target = request.url.path + ("?" + request.url.query if request.url.query else "")
        return RedirectResponse("/login?next=" + quote(target, safe=""), status_code=303)
    return FileResponse(STATIC / "index.html", media_type="text/html", headers=NO_CACHE)


@router.get("/", include_in_schema=False)
async def search_page(request: Request, user: MaybeUser) -> Response:
    return _page(request, user, TWINS["search"])


@router.get("/event/{event_id}", include_in_schema=False)
async def event_page(event_id: str, request: Request, user: MaybeUser) -> Response:
    return _page(request, user, TWINS["event"].format(id=quote(event_id, safe="")))


@router.get("/trace/{trace_id}", include_in_schema=False)
async def trace_page(trace_id: str, request: Request, user: MaybeUser) -> Response:
    return _page(request, user, TWINS["trace"].format(id=quote(trace_id, safe="")))


@router.get("/trace", include_in_schema=False)
async def trace_form(request: Request, user: MaybeUser) -> Response:
    return _page(request, user, "/api/v1/search")


@router.get("/mail", include_in_schema=False)
async def mail_page(request: Request, user: MaybeUser) -> Response:
    return _page(request, user, TWINS["mail"])


@router.get("/requests", include_in_schema=False)
async def requests_page(request: Request, user: MaybeUser) -> Response:
    return _page(request, user, TWINS["requests"])


@router.get("/login", include_in_schema=False)
async def login_page() -> Response:
    return FileResponse(STATIC / "login.html", media_type="text/html", headers=NO_CACHE)


def _strings(request: Request, lang: str | None) -> tuple[str, dict[str, Any]]:
    chosen = lang if lang in i18n.LANGS else i18n.pick_lang(request.headers.get("accept-language"),
                                                             request.cookies.get("lw_lang"))
    return chosen, {"lang": chosen, "langs": list(i18n.LANGS), "strings": {l: i18n.table(l) for l in i18n.LANGS},
                    "examples": list(i18n.EXAMPLES)}


@router.get("/static/i18n.js", include_in_schema=False)
async def i18n_script(request: Request) -> Response:
    """The i18n table for the pages (public: the login page needs it), with the language picked from
    Accept-Language (or the `lw_lang` cookie)."""
    _, data = _strings(request, None)
    body = "window.LW_I18N = " + json.dumps(data, ensure_ascii=False) + ";\n"
    return Response(body, media_type="text/javascript; charset=utf-8",
                    headers={**NO_CACHE, "Vary": "Accept-Language, Cookie"})


SWAGGER_ASSETS = ("swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png")


@router.get("/static/swagger/{name}", include_in_schema=False)
async def swagger_asset(name: str) -> Response:
    """Swagger UI's script and style, shipped in the package (swagger-ui-bundle): /docs works offline, as an
    on-prem server usually is."""
    from swagger_ui_bundle import swagger_ui_path

    if name not in SWAGGER_ASSETS:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no static file swagger/{name}")
    return FileResponse(Path(str(swagger_ui_path)) / name, headers={"Cache-Control": "max-age=86400"})


@router.get("/static/{name:path}", include_in_schema=False)
async def static_file(name: str) -> Response:
    path = (STATIC / name).resolve()
    if not path.is_file() or not path.is_relative_to(STATIC):
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no static file {name}")
    return FileResponse(path, headers=NO_CACHE)


@router.get("/api/v1/i18n", tags=["ui"])
async def i18n_table(request: Request, user: Annotated[User, Depends(current_user)],
                     lang: str | None = None) -> dict[str, Any]:
    """The UI's strings in every language, and the one picked for this caller (Accept-Language, cookie)."""
    return _strings(request, lang)[1]


@router.get("/api/v1/openapi.json", tags=["ui"])
async def openapi(request: Request, user: Annotated[User, Depends(current_user)]) -> JSONResponse:
    """This API's OpenAPI description."""
    return JSONResponse(request.app.openapi())


@router.get("/docs", include_in_schema=False)
async def docs(request: Request, user: MaybeUser) -> Response:
    if user is None:
        return RedirectResponse("/login?next=%2Fdocs", status_code=303)
    page: HTMLResponse = get_swagger_ui_html(
        openapi_url="/api/v1/openapi.json", title="logwarden API",
        swagger_js_url="/static/swagger/swagger-ui-bundle.js", swagger_css_url="/static/swagger/swagger-ui.css",
        swagger_favicon_url="/static/swagger/favicon-32x32.png")
    return page
