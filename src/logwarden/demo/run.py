"""`make run`: generate the demo logs, ingest them and search them the way an admin would.

    python -m logwarden.demo.run --out demo-data

Every command is printed before its output, exactly as one would type it. A failing command does not
stop the walk-through: its error is shown, and the run exits non-zero at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import logwarden

from .generate import CONTENT_VERSION, DEFAULT_SEED, PLANTED_QUEUE_ID, demo_is_current, write_demo

TIMEZONE = "Europe/Moscow"  # the demo servers' wall clock
# demo sub-directory → the host its logs come from ("" when every line names its host)
HOSTS = {"zimbra": "mailstore01", "mta": "", "web": "web01", "directum": "rx01", "syslog": "", "app": "",
         "vkteams": "", "vkteams-server": "teams01"}

HOSTS |= {"cdn": "", "portal": ""}  # CDN access logs and the portal's journal exports: no host to name
HOSTS |= {"windows": ""}  # Windows event logs (Snare) as a relay writes them: every record names its host

def _failed_trace(out: Path) -> str:
    """``tr`` of a failed Directum web request that is part of a multi-request action (the data is fixed)."""
    requests: dict[str, set[str]] = {}
    failed: list[str] = []
    with open(out / "directum/WebServer.log", encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            tr = rec.get("tr", "")
            if tr.startswith("cl-"):
                requests.setdefault(tr.rsplit("-", 1)[0], set()).add(tr)
                if rec.get("l") == "Error":
                    failed.append(tr)
    best = [tr for tr in failed if len(requests[tr.rsplit("-", 1)[0]]) > 1]
    return (best or failed or ["cl-00000000-000000"])[0]


def _searches(out: Path) -> list[tuple[str, list[str]]]:
    """(what it answers, arguments after `logwarden search`)."""
    tr = _failed_trace(out)
    return [
        ("Кто подбирает пароли: адреса с наибольшим числом «invalid password»",
         ['"invalid password" | stats count() as n by (client_ip) | sort by n desc | limit 5']),
        ("Ошибки Zimbra (ERROR и FATAL)", ["level:>=error source:zimbra", "--limit", "3", "--output", "raw"]),
        ("Исключения обработчиков", ['"handler exception"', "--limit", "3", "--output", "raw"]),
        ("Доставка почты в ящики (LMTP)", ["LmtpServer", "--limit", "6", "--output", "raw"]),
        ("Всё об одном пользователе из всех журналов", ["user:olga.smirnova@corp.ru", "--limit", "10", "--output", "raw"]),
        ("Недоставленные письма", ["status:bounced | fields ts, host, service, raw", "--limit", "5"]),
        ("Что предшествовало перезапуску сервера", ["level:fatal", "--output", "raw"]),
        ("Ошибки 5xx на веб-сервере", ["status:>=500 | stats count() by (host)"]),
        ("Directum RX: ошибки и предупреждения по уровням", ["source:directum level:>=warn | stats count() by (level)"]),
        ("Directum RX: один запрос по его трассе (tr)", [f"tr:{tr}", "--output", "raw"]),
        ("Directum RX: всё действие пользователя по TraceId", [f"trace_id:{tr.rsplit('-', 1)[0]}", "--output", "raw"]),
        ("Ошибки Zimbra и по три записи вокруг каждой (как grep -C)", ["level:fatal source:zimbra", "-C", "3"]),
        ("Перебор паролей SSH по хостам", ['"Failed password" | stats count() as n by (host) | sort by n desc']),
        ("CDN: ответы 5xx по услугам и последнему ответу ориджина",
         ["source:cdn status:>=500 | stats count() as n by (service, upstream_status_last) | sort by n desc"]),
        ("Портал: неуспешные входы по IP-адресам",
         ["source:portal service:auth status:failure | stats count() as n by (client_ip) | sort by n desc | limit 5"]),
        ("Портал: действия администратора под маскировкой (пароль в данных замаскирован)",
         ['service:impersonation method:POST path:~"password"', "--limit", "2", "--output", "raw"]),
        ("Windows: неудачные входы (4625) по серверам; buh01 с русской локалью пишет «Аудит отказов»",
         ["source:windows event_id:4625 | stats count() as n by (host, event_type, level) | sort by n desc"]),
    ]


class Runner:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.failed: list[str] = []
        src = str(Path(logwarden.__file__).resolve().parents[1])
        path = os.environ.get("PYTHONPATH", "")
        self.env = {**os.environ, "LOGWARDEN_TIMEZONE": TIMEZONE,
                    "PYTHONPATH": src + (os.pathsep + path if path else "")}
        if not sys.stdout.isatty():  # tables for a log file or CI: wider than the default 80 columns
            self.env.setdefault("COLUMNS", "160")

    def run(self, title: str, args: list[str]) -> None:
        shown = ["logwarden", "--data-dir", str(self.data_dir), *args]
        print(f"\n# {title}\n$ {shlex.join(shown)}", flush=True)
        cmd = [sys.executable, "-m", "logwarden.cli", "--data-dir", str(self.data_dir), *args]
        started = time.perf_counter()
        try:
            code = subprocess.run(cmd, check=False, env=self.env, timeout=600).returncode
        except (OSError, subprocess.SubprocessError) as exc:
            print(f"!! could not run: {exc}", flush=True)
            code = -1
        took = time.perf_counter() - started
        if code:
            print(f"!! exit status {code} ({took:.1f} s)", flush=True)
            self.failed.append(shlex.join(shown))
        else:
            print(f"({took:.1f} s)", flush=True)


def prepare(out: Path, scale: int) -> None:
    """Write the demo tree unless it is already there; a new tree gets a fresh store."""
    if demo_is_current(out, scale):
        print(f"Demo logs in {out} are current (content v{CONTENT_VERSION}, seed {DEFAULT_SEED}); not regenerating.")
        return
    for name in [*HOSTS, "store"]:
        shutil.rmtree(out / name, ignore_errors=True)
    started = time.perf_counter()
    files = write_demo(out, scale)
    size = sum(f.stat().st_size for f in files)
    print(f"Generated {len(files)} demo log files in {out} ({size / 1e6:.1f} MB, {time.perf_counter() - started:.1f} s):")
    for f in files:
        print(f"  {f.relative_to(out)}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m logwarden.demo.run", description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("demo-data"), help="where the demo logs and the store go")
    ap.add_argument("--scale", type=int, default=1, help="multiply the demo's line counts")
    ap.add_argument("--serve", action="store_true", help="then run the server on the demo store (foreground)")
    args = ap.parse_args(argv)
    serve = args.serve
    out = args.out.resolve()
    prepare(out, args.scale)
    runner = Runner(out / "store")
    print(f"\nAll commands use the time zone of the demo servers: LOGWARDEN_TIMEZONE={TIMEZONE}")
    runner.run("Какие форматы знает logwarden", ["formats"])
    runner.run("Какой формат у mailbox.log и почему", ["detect", str(out / "zimbra/mailbox.log")])
    # Formats that name no host (mailbox.log, access.log, Directum) get the server's name from --host.
    for source, host in HOSTS.items():
        args = ["ingest", str(out / source)] + (["--host", host] if host else [])
        runner.run(f"Загрузить журналы: {source}/ (повторная загрузка ничего не удваивает)", args)
    for title, search in _searches(out):
        runner.run(title, ["search", *search])
    tr = _failed_trace(out)
    runner.run("Трасса Directum RX: все запросы одного действия пользователя, по времени",
               ["trace", tr.rsplit("-", 1)[0]])
    runner.run("Путь одного письма: клиент, контент-фильтр (новый queue id), доставка в ящик",
               ["mail", "--queue-id", PLANTED_QUEUE_ID])
    runner.run("Перезапуски служб и записи перед каждым (что уронило сервер)", ["restarts", "--before", "3"])
    runner.run("VK Teams: входы и сессии клиентов (действия из таблицы методов)",
               ["search", "category:Сессии kind:request | stats count() by (action, user)"])
    runner.run("VK Teams: запросы, на которые сервер ответил 50000 (истекло время ожидания), с методом и пользователем",
               ["requests", "--status", "50000"])
    runner.run("VK Teams: запросы без ответа, ответы без запроса, сбои сети", ["requests", "--orphans"])
    runner.run("VK Teams: серверные журналы по пространствам имён и службам (дерево Vector и пути из руководства)",
               ["search", "source:vkteams | stats count() by (namespace, service, format)"])
    runner.run("VK Teams: Keycloak — пользователь заведён в нескольких ветках LDAP (ошибка и трассировка целиком)",
               ["search", "service:keycloak ldap_duplicate:1", "--limit", "2", "--output", "raw"])
    runner.run("Zimbra: антивирус — найденные вирусы и остановка службы",
               ["search", ("source:zimbra (service:clamd OR service:zimbramon) (FOUND OR Stopped) "
                          "| stats count() by (service, format, level)")])
    if runner.failed:
        print(f"\n{len(runner.failed)} command(s) failed:", file=sys.stderr)
        for cmd in runner.failed:
            print(f"  {cmd}", file=sys.stderr)
        return 1
    print("\nAll demo commands succeeded.")
    if serve:
        return serve_demo(runner)
    return 0


DEMO_PASSWORD = "logwarden-demo"  # the demo store's first admin only; a real first start prints a random one


def serve_demo(runner: Runner) -> int:
    """`make run` ends here: the server on the demo store, in the foreground, until Ctrl-C."""
    http = os.environ.get("LOGWARDEN_HTTP") or "127.0.0.1:8080"
    syslog = os.environ.get("LOGWARDEN_SYSLOG_TCP") or "127.0.0.1:5514"
    print(f"\n# Сервер: веб-интерфейс и API на http://{http}, syslog TCP/UDP на {syslog}")
    print(f"#   first login (demo store): admin / {DEMO_PASSWORD} — unless changed since")
    print(f"#   try: logger --tcp --server {syslog.rsplit(':', 1)[0]} --port {syslog.rsplit(':', 1)[1]} -t demo hello")
    print(f"#        logwarden --data-dir {runner.data_dir} search hello   (goes through the server)")
    cmd = [sys.executable, "-m", "logwarden.cli", "--data-dir", str(runner.data_dir), "serve", "--http", http,
           "--syslog-tcp", syslog, "--syslog-udp", syslog]
    env = {**runner.env, "LOGWARDEN_ADMIN_PASSWORD": runner.env.get("LOGWARDEN_ADMIN_PASSWORD") or DEMO_PASSWORD}
    try:
        return subprocess.run(cmd, env=env, check=False).returncode
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
