"""JSON-lines logs: Directum RX (``t``/``l``/``mt`` + ``args``/``ex``/``span``/``tr``…) and a generic app.

Lines are built with string formatting from pre-escaped pieces (every value that could need JSON
escaping goes through :func:`json.dumps` once, at import), so they parse with ``json.loads``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

from .pools import (
    ATTACKERS,
    DIRECTUM_USERS,
    MOBILE_IPS,
    USERS,
    WORKSTATIONS,
    Pace,
    Rng,
    cumulative,
    ts_iso_ms,
    ts_utc_ms,
)

RX_VERSION = "4.11.30.0"
NOMAD_VERSION = "2.22.0.0"


def _js(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


_EXCEPTIONS = [_js(e) for e in [
    {"type": "Npgsql.NpgsqlException", "m": "Exception while reading from stream",
     "stack": "   at Npgsql.NpgsqlConnector.ReadMessage(DataRowLoadingMode dataRowLoadingMode)\r\n"
              "   at Npgsql.NpgsqlDataReader.NextResult()\r\n"
              "   at NHibernate.Loader.Loader.DoQuery(ISessionImplementor session, QueryParameters queryParameters)\r\n"
              "   at Sungero.Domain.Server.EntityRepository.Get(Int64 id)\r\n"
              "   at Sungero.Web.Server.Controllers.EntityController.GetEntity(String typeGuid, Int64 id)",
     "inner": {"type": "System.TimeoutException", "m": "Timeout during reading attempt"}},
    {"type": "Sungero.Domain.Shared.Exceptions.AppliedCodeException",
     "m": "Документ заблокирован пользователем и не может быть изменён.",
     "stack": "   at Sungero.Docflow.Server.OfficialDocumentFunctions.CheckLocks()\r\n"
              "   at Sungero.Docflow.Server.OfficialDocumentHandlers.BeforeSave(BeforeSaveEventArgs e)\r\n"
              "   at Sungero.Domain.Server.EntityRepository.Save(IEntity entity)"},
    {"type": "RabbitMQ.Client.Exceptions.BrokerUnreachableException",
     "m": "None of the specified endpoints were reachable",
     "stack": "   at RabbitMQ.Client.ConnectionFactory.CreateConnection(IEndpointResolver endpointResolver)\r\n"
              "   at Sungero.Messaging.RabbitMqBus.Connect()"},
    {"type": "System.IO.IOException", "m": "Недостаточно места на диске.",
     "stack": "   at System.IO.FileStream.WriteNative(ReadOnlySpan`1 source)\r\n"
              "   at Sungero.Content.Server.BlobStorage.Save(Guid blobId, Stream data)"},
]]
_OOM = _js({"type": "System.OutOfMemoryException", "m": "Exception of type 'System.OutOfMemoryException' was thrown.",
            "stack": "   at Sungero.Reporting.Server.ReportGenerator.Render(IReport report)"})
_ENTITY_TYPES = ["Sungero.Docflow.IOfficialDocument", "Sungero.Contracts.IContract", "Sungero.RecordManagement.IIncomingLetter",
                 "Sungero.Workflow.ISimpleTask", "Sungero.Company.IEmployee", "Sungero.Parties.ICompany"]
_PATHS = ["/DirectumRX/Client/api/public/GetEntities", "/DirectumRX/Client/api/public/SaveEntity",
          "/DirectumRX/Client/api/navigation/GetFolderContent", "/DirectumRX/Client/api/content/GetDocumentVersion",
          "/DirectumRX/Client/api/workflow/StartTask"]
_HANDLERS = ["Sungero.Docflow.Server.AsyncHandlers.GrantAccessRightsToDocument", ("Sungero.Exchange.Server.AsyncHandlers"
             ".SendDocuments"), "Sungero.Content.Server.AsyncHandlers.ConvertToPdf", ("Sungero.Docflow.Server.AsyncHandlers"
             ".IndexDocumentForSearch")]
_LOCKERS = ["Петров И. С.", "Смирнова О. В.", "Иванов С. А.", "Кузнецова Е. И."]

# (level, logger, message template, args builder, exception?)
_Args = Callable[[Rng], str]
_EVENTS: list[tuple[str, str, str, _Args, bool]] = [
    ("Info", "Sungero.Content.Server.DocumentHandler", ("Document (id = {DocumentId}, ver = {Version}) was loaded"
     " successfully."), lambda r: f'"DocumentId":{r.between(100000, 999999)},"Version":{r.between(1, 9)}', False),
    ("Info", "Sungero.Domain.Server.EntityRepository", "Entity {EntityType} (id = {EntityId}) was saved.",
     lambda r: f'"EntityType":"{r.pick(_ENTITY_TYPES)}","EntityId":{r.between(1000, 999999)}', False),
    ("Info", "Sungero.Workflow.Server.TaskHandler", "Task {TaskId} was started.",
     lambda r: f'"TaskId":{r.between(10000, 99999)}', False),
    ("Debug", "Sungero.Domain.Shared.Cache", "Cache miss for {CacheKey}",
     lambda r: f'"CacheKey":"{r.pick(_ENTITY_TYPES)}:{r.between(1, 5000)}"', False),
    ("Trace", "Sungero.Domain.Server.SqlLogger", "Query executed in {Elapsed} ms",
     lambda r: f'"Elapsed":{r.between(1, 80)}', False),
    ("Warning", "Sungero.Web.Server.Performance", "Slow request {Path} took {Elapsed} ms",
     lambda r: f'"Path":"{r.pick(_PATHS)}","Elapsed":{r.between(3000, 60000)}', False),
    ("Warning", "Sungero.Content.Server.Locks", ("Не удалось заблокировать документ {DocumentId}: документ заблокирован"
     " пользователем {LockedBy}"), lambda r: f'"DocumentId":{r.between(100000, 999999)},"LockedBy":"{r.pick(_LOCKERS)}"',
     False),
    ("Error", "Sungero.Web.Server.ErrorHandler", "Unhandled exception while processing {Path}",
     lambda r: f'"Path":"{r.pick(_PATHS)}"', True),
]
_EVENT_CUM = cumulative([30, 18, 6, 18, 14, 5, 3, 2])


class _Rx:
    def __init__(self, rng: Rng) -> None:
        self.rng = rng
        self.pid = rng.between(1000, 9000)
        self.nomad_req: dict[int, int] = {}

    def line(self, t: float, level: str, tr: str, lg: str, mt: str, un: str, rest: str = "") -> str:
        return (f'{{"t":"{ts_iso_ms(t, " ")}","pid":{self.pid},"l":"{level}","tr":"{tr}","lg":"{lg}","mt":"{mt}"{rest},'
                f'"v":"{RX_VERSION}","un":"{un}","tn":"DirectumRX"}}')

    def request(self, t: float) -> Iterator[tuple[float, str]]:
        """One user action in the web client: one to three HTTP requests under one TraceId.

        Each request logs started, a few domain events, completed (a span); ``tr`` is
        ``cl-<TraceId>-<RequestId>``, and an action that queues background work also shows the
        RabbitMQ message being handled (``cl-<TraceId>-<MessageId>``).
        """
        r = self.rng
        trace, un = f"cl-{r.hex(8)}", r.pick(DIRECTUM_USERS)
        for _ in range(1 if r.chance(0.6) else r.between(2, 3)):
            tr, path = f"{trace}-{r.hex(6)}", r.pick(_PATHS)
            yield t, self.line(t, "Debug", tr, "Sungero.Web.Server.RequestLogging", "Request {Method} {Path} started",
                               un, f',"args":{{"Method":"POST","Path":"{path}"}}')
            status = 200
            for _ in range(r.between(1, 3)):
                t += r.random() * 0.3
                level, lg, mt, args, exc = r.weighted(_EVENT_CUM, _EVENTS)
                rest = f',"args":{{{args(r)}}}'
                if exc:
                    rest += f',"ex":{r.pick(_EXCEPTIONS)}'
                    status = 500
                yield t, self.line(t, level, tr, lg, mt, un, rest)
            t += r.random() * 0.5
            yield t, self.line(t, "Info", tr, "Sungero.Web.Server.RequestLogging", "Request {Method} {Path} completed",
                               un, f',"args":{{"Method":"POST","Path":"{path}"}},"span":{{"name":"HttpRequest",'
                                   f'"requestStatus":"Completed","statusCode":{status},"elapsed":{r.between(5, 2500)}}}')
            t += r.random() * 2
        if r.chance(0.1):
            yield from self.worker(t, trace)

    def client(self, t: float) -> Iterator[tuple[float, str]]:
        r = self.rng
        yield t, (f'{{"t":"{ts_iso_ms(t, " ")}","tr":"cl-{r.hex(8)}-{r.hex(6)}","l":"Warn","tab":"{r.hex(5)}",'
                  f'"mt":"Agent is busy and update was skipped.","bn":"Chrome","bv":"122.0.6261.129",'
                  f'"v":"{RX_VERSION}","un":"{r.pick(DIRECTUM_USERS)}","tn":"DirectumRX"}}')

    def worker(self, t: float, trace: str = "") -> Iterator[tuple[float, str]]:
        """One RabbitMQ message handled by an async handler (``tr`` = TraceId-MessageId)."""
        r = self.rng
        tr, handler = f"{trace or 'ws-' + r.hex(8)}-{r.hex(10)}", r.pick(_HANDLERS)
        un = "Service User"
        lg = "Sungero.Worker.AsyncHandlerInvoker"
        yield t, self.line(t, "Debug", tr, lg, "Async handler {HandlerName} started", un,
                           f',"args":{{"HandlerName":"{handler}"}}')
        t += r.random() * 2
        if r.chance(0.06):
            retry = r.between(1, 10)
            yield t, self.line(t, "Error", tr, lg, "Async handler {HandlerName} failed, retry {Retry} of {MaxRetries}",
                               un, f',"args":{{"HandlerName":"{handler}","Retry":{retry},"MaxRetries":10}},'
                                   f'"ex":{r.pick(_EXCEPTIONS)}')
        else:
            yield t, self.line(t, "Info", tr, lg, "Async handler {HandlerName} completed in {Elapsed} ms", un,
                               f',"args":{{"HandlerName":"{handler}","Elapsed":{r.between(20, 9000)}}}')

    def nomad(self, t: float) -> Iterator[tuple[float, str]]:
        """Directum Solo (mobile) calls through the NOMAD service."""
        r = self.rng
        i = int(r.random() * len(DIRECTUM_USERS))
        self.nomad_req[i] = n = self.nomad_req.get(i, 0) + 1
        ip = r.pick(MOBILE_IPS[:8]) if r.chance(0.9) else r.pick(ATTACKERS[:3])
        ver = r.pick(["2.13.0.10000", "2.14.1.10200"])
        for status in ("Started", "Completed"):
            yield t, (f'{{"t":"{ts_iso_ms(t, " ")}","l":"Info","lg":"NomadServiceDispatcher",'
                      f'"mt":"{r.pick(["GetObjects", "GetChanges", "GetDocumentContent"])}",'
                      f'"span":{{"requestStatus":"{status}","sdn":{r.between(1, 400)},"forceUpdate":false,'
                      f'"cookie":"{r.hex(8)}-{r.hex(4)}"}},"un":"{DIRECTUM_USERS[i]}","lang":"ru-RU","tn":"DirectumRX",'
                      f'"application":"Directum Solo v.{ver[:4]}","userAgent":"DirectumSolo-Android13/{ver}",'
                      f'"requestUrl":"https://rx.corp.ru/nomad/session.asmx","requestNumber":"{n}","ip":"{ip}",'
                      f'"nomadVersion":"{NOMAD_VERSION}","v":"{RX_VERSION}"}}')
            t += r.random() * 1.5

    def login_failed(self, t: float) -> Iterator[tuple[float, str]]:
        r = self.rng
        ip = r.pick(ATTACKERS) if r.chance(0.6) else r.pick(WORKSTATIONS)
        user = r.pick(DIRECTUM_USERS)
        yield t, self.line(t, "Warning", f"ws-{r.hex(8)}-{r.hex(6)}", "Sungero.Authentication.Server",
                           "Login failed for user {UserName} from {ClientIp}: {Reason}", "",
                           f',"args":{{"UserName":"{user}","ClientIp":"{ip}","Reason":"Invalid password"}}')

    def fatal(self, t: float) -> Iterator[tuple[float, str]]:
        """The service dies, and its supervisor starts it again (a new process) a minute or so later."""
        yield t, self.line(t, "Fatal", f"ws-{self.rng.hex(8)}-{self.rng.hex(6)}", "Sungero.Reporting.Server.Host",
                           "Application is stopping due to an unhandled exception.", "Service User", f',"ex":{_OOM}')
        t += self.rng.between(30, 90)
        self.pid = self.rng.between(1000, 9000)
        for mt in ("Now listening on: http://[::]:44310", "Application started. Press Ctrl+C to shut down."):
            t += self.rng.random()
            yield t, (f'{{"t":"{ts_iso_ms(t, " ")}","pid":{self.pid},"l":"Info","lg":"Microsoft.Hosting.Lifetime",'
                      f'"mt":"{mt}","v":"{RX_VERSION}","tn":"DirectumRX"}}')


_RX_KINDS = ["request", "client", "worker", "nomad", "login_failed", "fatal"]
_RX_CUMS = {
    "WebServer": cumulative([80, 5, 0, 0, 3, 0.02]),
    "WorkerService": cumulative([0, 0, 100, 0, 0, 0.05]),
    "NomadService": cumulative([0, 0, 0, 100, 0, 0]),
    "mixed": cumulative([60, 3, 20, 10, 2, 0.02]),
}


def directum_lines(rng: Rng, start: float, end: float, n: int, service: str = "mixed",
                   fatal_at: float | None = None) -> Iterator[str]:
    """Endless Directum RX JSON lines of ``service``: WebServer, WorkerService, NomadService or mixed.

    ``fatal_at``: when the service dies once with a Fatal (an unhandled OutOfMemoryException).
    """
    rx = _Rx(rng)
    cum = _RX_CUMS[service]
    pace = Pace(rng, start, end, n)
    fatal = fatal_at if fatal_at is not None else float("inf")
    lines = 0
    while True:
        t = pace.tick(lines)
        if t >= fatal:
            fatal, kind = float("inf"), "fatal"
        else:
            kind = rng.weighted(cum, _RX_KINDS)
        record = list(getattr(rx, kind)(t))
        for _, line in record:
            yield line
        lines = len(record)
        pace.t = max(pace.t, record[-1][0])


_APP_EVENTS = [
    ("info", "vkteams-bot", "request completed", lambda r: f',"method":"POST","path":"/bot/v1/messages/sendText",'
     f'"status":200,"duration_ms":{r.random() * 80:.1f},"request_id":"{r.hex(16)}"'),
    ("debug", "billing-sync", "cache refresh", lambda r: f',"keys":{r.between(100, 9000)}'),
    ("warn", "ldap-sync", "user not found in directory", lambda r: f',"user":"{r.pick(USERS)}","dn":"ou=people,dc=corp,dc=ru"'),
    ("error", "vkteams-bot", "upstream timeout", lambda r: f',"error":"context deadline exceeded","attempt":'
     f'{r.between(1, 5)},"request_id":"{r.hex(16)}"'),
    ("info", "backup-agent", "Резервное копирование завершено", lambda r: f',"job":"zimbra-store","bytes":{r.between(10**9, 10**11)}'),
    ("warn", "backup-agent", "Мало места на томе резервных копий", lambda r: f',"free_pct":{r.between(3, 12)}'),
]
_APP_CUM = cumulative([55, 25, 6, 3, 8, 3])


def app_json_lines(rng: Rng, start: float, end: float, n: int) -> Iterator[str]:
    """Endless generic JSON lines: ``{"time": ..., "level": ..., "msg": ..., ...}`` (UTC times)."""
    pace = Pace(rng, start, end, n)
    hosts = {"vkteams-bot": "teams01", "billing-sync": "rx01", "ldap-sync": "ldap01", "backup-agent": "rx01"}
    while True:
        t = pace.tick()
        level, service, msg, extra = rng.weighted(_APP_CUM, _APP_EVENTS)
        yield (f'{{"time":"{ts_utc_ms(t)}","level":"{level}","msg":"{msg}","service":"{service}",'
               f'"host":"{hosts[service]}"{extra(rng)}}}')
