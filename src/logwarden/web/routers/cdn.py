"""The CDN raw-log API, as the CDN documents it (seed 003): partners fetch the stored raw access log of
their account's sources.

    GET /app/logs/v1/accounts/{account}/exists?startdate=2019-08-01T00:00:00Z&enddate=2019-09-01T00:00:00Z
        → {"account": …, "startdate": "2019-08-01T00:00:00+0000", "enddate": …, "exists": true}
    GET /app/logs/v1/accounts/{account}/get?startdate=…&enddate=…
        → a gzip stream: the header line, then the stored raw TSV lines with startdate <= time < enddate

Header `CDN-AUTH-TOKEN: <token>`. Accounts come from the server config (`[cdn.accounts.NAME]` token,
sources). Answers: 400 `No startdate or enddate in query` (or a date not in `YYYY-MM-DDTHH:mm:ssZ`),
401 for a missing or wrong token, 404 for an unknown account, 500 when the engine fails the query, 503
when the server cannot take queries (shutting down). Errors are plain text, as the CDN's are.
"""

from __future__ import annotations

import hmac
import re
import zlib
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse

from logwarden.server.config import CdnAccount
from logwarden.store.chdb_store import Store
from logwarden.store.schema import DB
from logwarden.web.deps import ServerState, get_state

router = APIRouter(prefix="/app/logs/v1/accounts", tags=["cdn"])

# The fields of the log file, in the CDN's order (seed 003), written as the first line of `get`.
FIELDS = (
    "timestamp", "remote_addr", "remote_user", "time_local", "request", "status", "body_bytes_sent",
    "out_bytes", "referrer", "useragent", "http_x_forwarded_for", "host", "torso_id", "duration",
    "upstream_response_time", "upstream_status", "country", "service", "cache_status", "logtype",
    "custom_field",
)  # fmt: skip
DATE_RE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
# The stored records of the account's sources in [start, end), chronological; header lines of the
# ingested files (marked tsv_header) are not log records.
_WHERE = (f"FROM {DB}.events WHERE has({{src:Array(String)}}, source) AND ts >= {{t0:DateTime64(6, 'UTC')}} "
          f"AND ts < {{t1:DateTime64(6, 'UTC')}} AND fields['tsv_header'] != '1'")
SPILL = (" SETTINGS max_bytes_before_external_sort = 67108864, max_bytes_ratio_before_external_sort = 0, "
         "max_block_size = 8192, max_threads = 1")


class CdnError(Exception):
    def __init__(self, code: int, text: str) -> None:
        super().__init__(text)
        self.code = code
        self.text = text


def _date(value: str) -> datetime:
    if not DATE_RE.fullmatch(value):
        raise CdnError(400, f"Bad date {value!r}: use YYYY-MM-DDTHH:mm:ssZ, e.g. 2019-08-01T00:00:00Z")
    try:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        raise CdnError(400, f"Bad date {value!r}: no such day or time") from None


def _check(request: Request, account: str) -> tuple[CdnAccount, datetime, datetime]:
    """The account, start and end of a request, or a CdnError with the answer the CDN documents."""
    state: ServerState = get_state(request)
    acct = state.config.cdn_accounts.get(account)
    if acct is None:
        raise CdnError(404, f"Account {account} not found")
    token = request.headers.get("cdn-auth-token", "")
    if not token or not hmac.compare_digest(token.encode(), acct.token.encode()):
        raise CdnError(401, "Access denied: missing or wrong CDN-AUTH-TOKEN")
    start, end = request.query_params.get("startdate"), request.query_params.get("enddate")
    if not start or not end:
        raise CdnError(400, "No startdate or enddate in query")
    lo, hi = _date(start), _date(end)
    if hi < lo:
        raise CdnError(400, "enddate is before startdate")
    return acct, lo, hi


def _params(acct: CdnAccount, lo: datetime, hi: datetime) -> dict[str, Any]:
    fmt = "%Y-%m-%d %H:%M:%S.%f"
    return {"src": list(acct.sources), "t0": lo.strftime(fmt), "t1": hi.strftime(fmt)}


def _exists(store: Store, params: dict[str, Any]) -> bool:
    return bool(store.rows(f"SELECT 1 AS x {_WHERE} LIMIT 1", params))


def _gzip_lines(store: Store, params: dict[str, Any]) -> Iterator[bytes]:
    """The header line and every raw record, gzip-compressed, in chunks as they fill."""
    z = zlib.compressobj(6, zlib.DEFLATED, 31)
    out = [z.compress(("\t".join(FIELDS) + "\n").encode())]
    size = 0
    for row in store.stream(f"SELECT raw {_WHERE} ORDER BY ts, origin, seq{SPILL}", params):
        data = z.compress(row["raw"].encode("utf-8", "surrogateescape") + b"\n")
        if data:
            out.append(data)
            size += len(data)
        if size >= 64 * 1024:
            yield b"".join(out)
            out, size = [], 0
    out.append(z.flush())
    yield b"".join(out)


async def _guard(request: Request, account: str) -> tuple[ServerState, CdnAccount, dict[str, Any], datetime,
                                                           datetime, bool]:
    acct, lo, hi = _check(request, account)
    state: ServerState = get_state(request)
    params = _params(acct, lo, hi)
    try:
        exists = await state.run(_exists, params)
    except RuntimeError as exc:  # the engine worker no longer takes jobs: the server is stopping
        raise CdnError(503, f"Service unavailable: {exc}") from None
    except Exception as exc:  # noqa: BLE001 — any engine failure is the CDN's documented 500
        raise CdnError(500, f"Internal server error: {type(exc).__name__}") from None
    return state, acct, params, lo, hi, exists


def _plain(exc: CdnError) -> Response:
    return PlainTextResponse(exc.text, status_code=exc.code)


@router.get("/{account}/exists")
async def exists(account: str, request: Request) -> Response:
    """Whether the account has at least one log line with startdate <= time < enddate."""
    try:
        _, acct, _, lo, hi, found = await _guard(request, account)
    except CdnError as exc:
        return _plain(exc)
    return JSONResponse({"account": acct.name, "startdate": lo.strftime("%Y-%m-%dT%H:%M:%S+0000"),
                         "enddate": hi.strftime("%Y-%m-%dT%H:%M:%S+0000"), "exists": found})


@router.get("/{account}/get", response_class=StreamingResponse,
            responses={200: {"content": {"application/gzip": {}}, "description": "the raw log, gzip"}})
async def get(account: str, request: Request) -> Response:
    """The raw log of startdate <= time < enddate as a gzip stream: a header line, then one line per request."""
    try:
        state, acct, params, lo, hi, _ = await _guard(request, account)
    except CdnError as exc:
        return _plain(exc)
    name = f"{acct.name}_{lo.strftime('%Y%m%dT%H%M%SZ')}_{hi.strftime('%Y%m%dT%H%M%SZ')}.log.gz"
    body: AsyncIterator[bytes] = state.stream(_gzip_lines, params)
    return StreamingResponse(body, media_type="application/gzip",
                             headers={"Content-Disposition": f'attachment; filename="{name}"'})
