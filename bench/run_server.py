"""The server column of bench/run.py: the same five questions asked of a running `logwarden serve`
through `GET /api/v1/search`, so the answer pays no Python and chDB start-up.

The server is started on the data directory the CLI ingested (HTTP on a free 127.0.0.1 port, syslog
off), with an `auditor` API token made beforehand on the directory (made offline, so the server writes
no journal event that would change the answers). One kept-alive client asks each question once to warm
up, then max(--runs, --server-runs) times; the latency is the client's wall time per request. The
answers are checked against the CLI's. The server is stopped with SIGTERM at the end, and on error.
"""

from __future__ import annotations

import json
import math
import re
import signal
import statistics
import subprocess
import time
from pathlib import Path
from typing import Any, Self

import httpx

PAGE = 100  # rows a question asks for: the CLI's default --limit, so both give the same answer
OPTIONS = {"--from": "_from", "--to": "_to", "--since": "_since"}  # CLI option -> API parameter


class Server:
    """`logwarden serve` on ``store`` as a context manager: started, ready, and a Bearer token."""

    def __init__(self, cli: list[str], store: Path, env: dict[str, str], log: Path):
        self.cli, self.store, self.env, self.log = cli, store, env, log
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = self.token = ""

    def __enter__(self) -> Self:
        made = subprocess.run([*self.cli, "--data-dir", str(self.store), "token", "create", "--role", "auditor",
                               "--name", "bench"], env=self.env, capture_output=True, text=True, check=False)
        if made.returncode != 0:
            raise RuntimeError(f"token create failed: {(made.stderr or made.stdout).strip()[-300:]}")
        self.token = made.stdout.strip().splitlines()[-1]
        info = self.store / "server" / "info.json"
        info.unlink(missing_ok=True)
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen([*self.cli, "--data-dir", str(self.store), "serve", "--http", "127.0.0.1:0"],
                                         env=self.env, stdout=log, stderr=subprocess.STDOUT)
        try:
            self._wait_ready(info, 180)
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self, info: Path, timeout: float) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited ({self.proc.returncode}): {self._log_tail()}")
            if info.exists():
                self.url = json.loads(info.read_text())["url"]
                try:
                    if httpx.get(f"{self.url}/healthz", timeout=5).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
            time.sleep(0.1)
        raise RuntimeError(f"the server was not ready after {timeout:.0f} s: {self._log_tail()}")

    def _log_tail(self) -> str:
        return self.log.read_text(errors="replace").strip()[-300:] if self.log.exists() else ""

    def client(self) -> httpx.Client:
        """Kept alive; Bearer (HTTP Basic would cost every request an Argon2 check)."""
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {self.token}"}, timeout=600)

    def peak_rss_mb(self) -> float | None:
        assert self.proc is not None
        m = re.search(r"VmHWM:\s*(\d+) kB", Path(f"/proc/{self.proc.pid}/status").read_text())
        return round(int(m.group(1)) / 1024, 1) if m else None

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(300)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def params(args: list[str]) -> dict[str, str]:
    """The CLI's search arguments (query words, then --from/--to/--since pairs) as API parameters."""
    words: list[str] = []
    out = {"_size": str(PAGE)}
    it = iter(args)
    for a in it:
        if a in OPTIONS:
            out[OPTIONS[a]] = next(it)
        else:
            words.append(a)
    return {"q": " ".join(words), **out}


def nearest_rank(values: list[float], q: float) -> float:
    return sorted(values)[max(0, math.ceil(q * len(values)) - 1)]


def ask(c: httpx.Client, p: dict[str, str], runs: int, server_runs: int) -> dict[str, Any]:
    """One warm-up, then max(runs, server_runs) requests: median of the first ``runs`` (as the CLI's
    and rg's), and median, min and p95 of them all."""
    r = c.get("/api/v1/search", params=p)  # warm-up: the first answer opens the parts' indexes
    if r.status_code != 200:
        return {"ok": False, "error": f"HTTP {r.status_code}: {r.text.strip()[-300:]}"}
    walls, inside = [], []
    for _ in range(max(runs, server_runs)):
        t = time.perf_counter()
        r = c.get("/api/v1/search", params=p)
        body = r.content
        walls.append(1000 * (time.perf_counter() - t))
        if r.status_code != 200:
            return {"ok": False, "error": f"HTTP {r.status_code}: {r.text.strip()[-300:]}"}
        inside.append(json.loads(body).get("elapsed_ms") or 0.0)
    answer = r.json()
    return {"ok": True, "median_ms": statistics.median(walls[:runs]), "runs_ms": [round(w, 1) for w in walls],
            "all_median_ms": statistics.median(walls), "min_ms": min(walls), "p95_ms": nearest_rank(walls, 0.95),
            "server_elapsed_ms": statistics.median(inside), "kind": answer.get("kind"),
            "rows": answer.get("rows", []), "more_pages": answer.get("next") is not None}


_TIME = re.compile(r"^(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d)")


def _norm(value: Any) -> str:
    text = str(value)
    m = _TIME.match(text)
    return f"{m.group(1)}T{m.group(2)}" if m else text


def canonical(rows: list[dict[str, Any]]) -> list[str]:
    """An answer in a form both sides share: the raw lines of events, else the stats rows' values."""
    if rows and all("raw" in r for r in rows):
        return sorted(str(r["raw"]) for r in rows)
    return sorted(json.dumps({k: _norm(v) for k, v in sorted(r.items())}, ensure_ascii=False) for r in rows)


def compare(cli_out: str | None, server_rows: list[dict[str, Any]]) -> str | None:
    """None when the server's answer is the CLI's; else what differs."""
    if cli_out is None:
        return "no CLI answer to compare with"
    try:
        cli_rows = json.loads(cli_out) if cli_out.strip() else []
    except json.JSONDecodeError:
        return "the CLI's answer is not JSON"
    a, b = canonical(cli_rows), canonical(server_rows)
    if a == b:
        return None
    only_cli, only_srv = sorted(set(a) - set(b)), sorted(set(b) - set(a))
    return f"CLI {len(a)} rows, server {len(b)}; only CLI: {only_cli[:2]}; only server: {only_srv[:2]}"[:400]


def server_questions(cli: list[str], store: Path, env: dict[str, str], asked: list[tuple[str, list[str]]],
                     cli_out: dict[str, str | None], runs: int, server_runs: int, log: Path) -> dict[str, Any]:
    """Start the server, ask every (name, CLI search args) question, stop it. {"ok", "questions": {name:
    result}, "rss_mb", "start_s"} or {"ok": False, "error"}."""
    started = time.perf_counter()
    out: dict[str, Any] = {"ok": True, "questions": {}}
    try:
        with Server(cli, store, env, log) as srv:
            out["start_s"] = round(time.perf_counter() - started, 2)
            print(f"  server ready on {srv.url} in {out['start_s']} s", flush=True)
            with srv.client() as c:
                for name, args in asked:
                    print(f"  {name}: server", flush=True)
                    p = params(args)
                    res = ask(c, p, runs, server_runs)
                    res["params"] = p
                    if res["ok"]:
                        rows = res.pop("rows")
                        res["answer_rows"] = len(rows)
                        res["answer"] = json.dumps(rows[:3], ensure_ascii=False)[:400]
                        res["mismatch"] = compare(cli_out.get(name), rows)
                        if res["mismatch"]:
                            print(f"  WARNING: {name}: the server's answer differs from the CLI's: "
                                  f"{res['mismatch']}", flush=True)
                    out["questions"][name] = res
            for name, args in asked:  # the CLI while the server runs: it goes through the server
                print(f"  {name}: CLI through the server", flush=True)
                walls = []
                for _ in range(runs):
                    t0 = time.perf_counter()
                    done = subprocess.run([*cli, "--data-dir", str(store), "search", *args], env=env,
                                          capture_output=True, check=False)
                    walls.append((time.perf_counter() - t0) * 1000)
                    if done.returncode != 0:
                        walls = []
                        break
                if name in out["questions"]:
                    out["questions"][name]["cli_via_server_ms"] = statistics.median(walls) if walls else None
            out["rss_mb"] = srv.peak_rss_mb()
    except (RuntimeError, OSError, ValueError, KeyError, httpx.HTTPError) as exc:  # n/a; the run goes on
        out.update(ok=False, error=str(exc)[-300:])
        print(f"  server: {out['error']}", flush=True)
    return out


def report_server(res: dict[str, Any]) -> None:
    """The server's table: each question's latency next to rg's and the CLI's."""
    srv, runs = res["server"], res["args"]["runs"]
    n = max(runs, res["args"]["server_runs"])
    print(f"\n-- queries through the server (GET /api/v1/search, kept-alive client): ms a request, median of "
          f"{runs} [server's elapsed_ms];\n   median / min / p95 of {n}; rg/server = times faster than rg"
          + (f"; server peak RSS {srv['rss_mb']:.0f} MB" if srv.get("rss_mb") else ""))
    print(f"{'question':26} {'server':>14} {'med/min/p95':>19} {'rg':>7} {'rg/server':>10} {'CLI':>7} "
          f"{'CLI/server':>10} {'CLI->srv':>9}  answer")
    for q in res["queries"]:
        sv, r = q["server"], res["ratios"]["queries"][q["question"]]
        if not sv.get("ok"):
            print(f"{q['question']:26} n/a: {sv.get('error')}")
            continue
        spread = f"{sv['all_median_ms']:.1f}/{sv['min_ms']:.1f}/{sv['p95_ms']:.1f}"
        rg, cli = (f"{q[t]['median_ms']:.0f}" if q[t].get("ok") else "n/a" for t in ("rg", "logwarden"))
        same = f"{'DIFFERS from' if sv.get('mismatch') else 'same as'} CLI ({sv['answer_rows']} rows)"
        via = f"{sv['cli_via_server_ms']:.0f}" if sv.get("cli_via_server_ms") else "n/a"
        print(f"{q['question']:26} {sv['median_ms']:6.1f} [{sv['server_elapsed_ms']:5.1f}] {spread:>19} "
              f"{rg:>7} {r['rg_vs_server']:>10} {cli:>7} {r['cli_vs_server']:>10} {via:>9}  {same}")
    print("   CLI->srv: `logwarden search` as a process while the server runs (it asks the server), median ms")
