"""VK Teams desktop client network logs, laid out as the vendor's log guide shows them.

A request is its request line, headers, a blank line and the JSON body (`aimsid`, `params`, `reqId`), then
curl's "We are completely uploaded and fine" on the gzip-style requests; a response is `HTTP/2 200`, a blank
line and the JSON (the seed's example 1: `getPrivacySettings`), or the server's JSON alone
(`{"ts": …, "status": {"code": …, "reason": …}, "method": …, "reqId": …, "results": {}}`, examples 2 and 3).
reqIds are `<counter>-<unix time>`. What the demo plants: slow answers, 50000 timeouts retried under the same
reqId (example 2 then 3), 40000 bad requests, a DNS failure (example 4), a request the app never got an answer
to, and, in the second file, a response whose request is in the previous (rotated) file.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from .pools import TZ_OFFSET_S, Pace, Rng, cumulative

HOST = "u.icq.net"
DEV_ID = "ic18eTwFBO7vAdt9"
CHATS = ["681826564@chat.agent", "682004117@chat.agent", "690113752@chat.agent", "701552318@chat.agent"]
MESSAGES = ["Добрый день! Договор во вложении.", "Созвонимся в 15:00?", "Отчёт отправил на почту.",
            "Коллеги, планёрка переносится на завтра.", "Спасибо!", "Посмотрите, пожалуйста, задачу в Directum."]
# method -> weight among the working-day requests
METHODS = {
    "pingSession": 14, "getHistory": 12, "sendIM": 10, "setDlgState": 10, "histDlgState": 6, "getChatInfo": 6,
    "getChatMembers": 4, "getUserInfo": 5, "getRecentWriters": 2, "searchAllDialogs": 2, "searchOneDialog": 1,
    "reaction/set": 2, "reaction/get": 2, "getPreview": 3, "files/init": 2, "files/getinfo": 2, "getEntryGallery": 1,
    "poll/get": 1, "getSuggest": 2, "getSmartReply": 2, "webrtc/alloc": 1, "voip/webrtcMsg": 1, "masks/list": 1,
    "getIdInfo": 1, "delMsgBatch": 1, "hideChat": 1, "search": 1, "session/list": 1,
}
_NAMES = list(METHODS)
_CUM = cumulative(list(METHODS.values()))
REASONS = {40000: "Bad request", 50000: "Request timed out"}


def _js(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class _Client:
    def __init__(self, rng: Rng, user: str, build: str, os_name: str, version: int):
        self.rng, self.user, self.version = rng, user, version
        self.ua = f"ICQ Desktop {user} {DEV_ID} 3.0.0({build}) {os_name} PC"
        self.counter = rng.between(1, 400)
        self.aimsid = self.new_session()

    def new_session(self) -> str:
        r = self.rng
        return f"{r.between(1, 999):03d}.{r.between(1000000000, 4294967295)}.*:{self.user}"

    def params(self, method: str) -> dict[str, object] | None:
        r = self.rng
        chat = r.pick(CHATS)
        if method == "getChatInfo":
            return {"memberLimit": 5, "sn": chat}
        if method in ("getHistory", "setDlgState", "histDlgState", "getChatMembers", "hideChat", "getEntryGallery"):
            return {"sn": chat, "fromMsgId": str(r.between(7000000000000000000, 7099999999999999999)), "count": -50}
        if method == "sendIM":
            return {"sn": chat, "message": r.pick(MESSAGES)}
        if method in ("searchAllDialogs", "searchOneDialog", "search"):
            return {"keyword": r.pick(["договор", "отчёт", "планёрка", "счёт"])}
        if method == "getUserInfo":
            return {"sn": f"{r.pick(['ivan.petrov', 'anna.zaitseva', 'oleg.belov', 'maria.semenova'])}@corp.ru"}
        return None

    def request(self, method: str, t: float, req_id: str | None = None, uploaded: bool = True) -> tuple[str, list[str]]:
        """The request block and its reqId (a retry passes the reqId it repeats)."""
        if req_id is None:
            self.counter += 1
            req_id = f"{self.counter}-{int(t - TZ_OFFSET_S)}"
        params = self.params(method)
        body: dict[str, object] = {"aimsid": self.aimsid}
        if params is not None:
            body["params"] = params
        body["reqId"] = req_id
        text = _js(body)
        zstd = method in ("getChatInfo", "getChatMembers", "getHistory")
        lines = [f"POST /api/v{self.version}/rapi/{method} HTTP/2", f"Host: {HOST}", f"User-Agent: {self.ua}",
                 "Accept: */*"]
        if zstd:  # the seed's example 2: zstd dictionaries for the bigger bodies
            lines += ["Content-Encoding: zstd", "IM-ZSTD-Request-Dict: im-zstd-dict-desktop-request-210720.zdict",
                      "Connection: keep-alive", "Content-Type: application/json;charset=utf-8",
                      "Accept-Encoding: zstd, gzip",
                      "IM-ZSTD-Response-Dict: im-zstd-dict-desktop-response-210720.zdict"]
        else:
            lines += ["Accept-Encoding: gzip", "Connection: keep-alive", "Content-Type: application/json;charset=utf-8"]
        lines += [f"Content-Length: {len(text.encode())}", "", text]
        if uploaded and not zstd:
            lines.append("We are completely uploaded and fine")
        return req_id, lines


def _response(method: str, req_id: str, t: float, code: int) -> list[str]:
    ts = int(t - TZ_OFFSET_S)
    if method == "getPrivacySettings":  # the seed's example 1: a status line, then the body
        return ["HTTP/2 200", "", f'{{"status": {{"code": {code}}}, "ts": {ts}, "results": {{"groups":',
                '{"allowTo": "myContacts", "inviteBlacklistSize": 1}, "calls":',
                '{"allowTo": "myContacts"}, "smsNotify": {"allowTo": "everybody"}}}']
    status = f'{{"code": {code}, "reason": "{REASONS[code]}"}}' if code in REASONS else f'{{"code": {code}}}'
    return [f'{{"ts": {ts}, "status": {status},', f'"method": "{method}", "reqId": "{req_id}", "results": {{}}}}']


def client_log_lines(rng: Rng, user: str, build: str, os_name: str, start: float, end: float, n: int,
                     *, orphan_response: bool = False, dns_failure: bool = True) -> Iterator[str]:
    """About ``n`` requests of one user's working day, and their answers."""
    c = _Client(rng, user, build, os_name, 34)
    pace = Pace(rng, start, end, n)
    if orphan_response:  # the request was written to the file before rotation
        yield from _response("getHistory", f"{c.counter}-{int(start - TZ_OFFSET_S) - 3}", start, 20000)
    t = pace.t
    for method in ("clientLogin", "startSession", "getPrivacySettings"):
        req_id, block = c.request(method, t)
        yield from block
        t += rng.between(0, 1)
        yield from _response(method, req_id, t, 20000)
    dns_at = n // 2 if dns_failure else -1
    silent_at = n - 1
    for i in range(n):
        t = max(pace.tick(), t)
        method = rng.weighted(_CUM, _NAMES)
        if i == dns_at:  # the seed's example 4: the name does not resolve; curl gives up on the request
            _, block = c.request(method, t, uploaded=False)
            yield from block
            yield "curl_easy_perform result is 6 (Couldn't resolve host name)"
            yield f"Could not resolve host: {HOST}"
            continue
        if i == silent_at:  # the app quit before the answer came
            yield from c.request("endSession", t)[1]
            return
        req_id, block = c.request(method, t)
        yield from block
        roll = rng.random()
        if roll < 0.04:  # the server gives up (example 2), the client retries under the same reqId (example 3)
            t = t_resp = t + rng.between(4, 30)
            yield from _response(method, req_id, t_resp, 50000)
            if rng.chance(0.6):
                t = t_resp + 1
                yield from c.request(method, t, req_id)[1]
                code = 40000 if rng.chance(0.5) else 20000
                yield from _response(method, req_id, t + rng.between(0, 1), code)
            continue
        code, delay = 20000, rng.between(0, 1)
        if roll < 0.07:
            code = 40000
        elif roll < 0.12:
            delay = rng.between(2, 6)  # slow, but answered
        yield from _response(method, req_id, t + delay, code)
