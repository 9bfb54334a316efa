"""Users, logins and the journal of failed ones; the CLI through a running server (no password: the
credential file); tokens made with and without a server; the config file."""

from __future__ import annotations

import importlib.util
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from server_helpers import PASSWORD, Server

from logwarden.errors import UsageError
from logwarden.server.config import load_config

_spec = importlib.util.spec_from_file_location("_lw_root_conftest", Path(__file__).parents[1] / "conftest.py")
assert _spec is not None and _spec.loader is not None
_root = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_root)
run_cli = _root.run_cli


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("auth") / "data"


@pytest.fixture(scope="module")
def offline_token(data_dir: Path) -> str:
    """Made before any server ran: straight on the data directory."""
    r = run_cli("token", "create", "--role", "ingest", "--name", "before-start", data_dir=data_dir)
    assert r.returncode == 0, r.stderr
    return r.stdout.decode().strip()


@pytest.fixture(scope="module")
def offline_user(data_dir: Path, offline_token: str) -> str:
    """A user added before any server ran; not an admin, so the first start still creates one."""
    r = run_cli("user", "add", "vera", "--role", "auditor", "--password", "vera-pw-123", data_dir=data_dir)
    assert r.returncode == 0, r.stderr
    listed = run_cli("user", "list", "--output", "json", data_dir=data_dir)
    assert json.loads(listed.stdout) == [{"name": "vera", "role": "auditor", "sources": None}]
    return "vera"


@pytest.fixture(scope="module")
def server(data_dir: Path, offline_token: str, offline_user: str) -> Iterator[Server]:
    srv = Server(data_dir, {"LOGWARDEN_ADMIN_PASSWORD": ""}).start()
    yield srv
    assert srv.stop() == 0, srv.output()


def _printed_password(server: Server) -> str:
    line = next(ln for ln in server.output().splitlines() if "created user admin with password" in ln)
    return line.rsplit(" ", 1)[1]


def test_first_admin_password_printed_once(server: Server) -> None:
    password = _printed_password(server)
    assert password != PASSWORD and len(password) >= 16
    with httpx.Client(base_url=server.url) as c:
        assert c.get("/api/v1/me", auth=("admin", password)).json()["role"] == "admin"
    assert server.output().count("created user admin") == 1


def test_offline_user_logs_in(server: Server, offline_user: str) -> None:
    with server.client((offline_user, "vera-pw-123")) as c:
        assert c.get("/api/v1/me").json()["role"] == "auditor"


def test_offline_token_works_on_the_server(server: Server, offline_token: str) -> None:
    with server.client(offline_token) as c:
        assert c.post("/api/v1/ingest", content=b"offline-token-case\n").status_code == 200


def test_credential_file_is_owner_only(server: Server) -> None:
    cred = server.data_dir / "server" / "credential"
    assert stat.S_IMODE(cred.stat().st_mode) == 0o600
    info = json.loads((server.data_dir / "server" / "info.json").read_text())
    assert info["url"] == server.url and info["pid"] == server.proc.pid  # type: ignore[union-attr]


def test_cli_ingest_and_search_go_through_the_server(server: Server, tmp_path: Path) -> None:
    log = tmp_path / "auth.log"
    log.write_text("Oct 13 10:17:00 mail sshd[4089]: Failed password for root from 203.0.113.7 port 2222 ssh2\n"
                   "Oct 13 10:17:05 mail sshd[4089]: Accepted password for alice from 198.51.100.2 port 40000 ssh2\n")
    r = run_cli("ingest", str(log), "--output", "json", data_dir=server.data_dir)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["records"] == 2
    again = run_cli("ingest", str(log), "--output", "json", data_dir=server.data_dir)
    assert json.loads(again.stdout)["records"] == 0  # the same bookkeeping as without a server
    r = run_cli("ingest", "-", "--source", "piped", data_dir=server.data_dir, input=b"piped-case one\npiped-case two\n")
    assert r.returncode == 0, r.stderr
    r = run_cli("search", "sshd password", "--output", "raw", data_dir=server.data_dir)
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode().splitlines() == log.read_text().splitlines()  # oldest first, exact
    r = run_cli("search", "source:piped | stats count() as n", "--output", "json", data_dir=server.data_dir)
    assert json.loads(r.stdout)[0]["n"] in (2, "2")
    bad = run_cli("search", "level:>=", data_dir=server.data_dir)
    assert bad.returncode == 2 and b"Traceback" not in bad.stderr


def test_cli_token_and_user_through_the_server(server: Server) -> None:
    r = run_cli("token", "create", "--role", "viewer", "--source", "web", data_dir=server.data_dir)
    assert r.returncode == 0, r.stderr
    with server.client(r.stdout.decode().strip()) as c:
        me = c.get("/api/v1/me").json()
    assert (me["role"], me["sources"]) == ("viewer", ["web"])
    r = run_cli("user", "add", "olga", "--role", "viewer", "--source", "zimbra", "--password", "olga-pw-123",
                data_dir=server.data_dir)
    assert r.returncode == 0, r.stderr
    with server.client(("olga", "olga-pw-123")) as c:
        assert c.get("/api/v1/me").json()["sources"] == ["zimbra"]
        assert c.get("/api/v1/users").status_code == 403


def test_login_session_and_logout(server: Server) -> None:
    with httpx.Client(base_url=server.url) as c:
        r = c.post("/api/v1/login", json={"user": "admin", "password": _printed_password(server)})
        assert r.status_code == 200 and "lw_session" in r.cookies
        assert c.get("/api/v1/me").json()["via"] == "session"
        assert c.post("/api/v1/logout").status_code == 200
        c.cookies.clear()
        assert c.get("/api/v1/me").status_code == 401
        form = c.post("/api/v1/login", data={"username": "admin", "password": _printed_password(server), "next": "/x"})
        assert form.status_code == 303 and form.headers["location"] == "/x"


FAILED = [  # (how, user) — every failure goes to logwarden's own journal
    ("basic", "mallory"),
    ("json", "admin"),
    ("form", "root"),
]


@pytest.mark.parametrize(("how", "user"), FAILED)
def test_failed_logins_are_journaled(server: Server, how: str, user: str) -> None:
    with httpx.Client(base_url=server.url) as c:
        if how == "basic":
            r = c.get("/api/v1/me", auth=(user, "wrong-password"))
            assert r.status_code == 401 and "Basic" in r.headers["www-authenticate"]
        elif how == "json":
            assert c.post("/api/v1/login", json={"user": user, "password": "nope"}).status_code == 401
        else:
            assert c.post("/api/v1/login", data={"username": user, "password": "nope"}).status_code == 303
    rows = server.search(f"source:logwarden service:auth user:{user} failed")
    assert rows, f"no journal entry for {user}"
    assert rows[0]["level"] == "warn" and rows[0]["client_ip"] == "127.0.0.1"
    assert f"failed login for user '{user}'" in rows[0]["raw"]


CONFIGS = [
    ('[server]\nhttp = "127.0.0.1:9999"\n[cdn.accounts.partner]\ntoken = "s3cret"\nsources = ["web", "nginx"]\n',
     {"http": "127.0.0.1:9999", "cdn": {"partner": ("s3cret", ("web", "nginx"))}}),
    ("[server]\ningest_max_pending_mb = 64\n", {"ingest_max_pending_mb": 64, "cdn": {}}),
]


@pytest.mark.parametrize(("text", "expect"), CONFIGS)
def test_config_file(tmp_path: Path, text: str, expect: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("LOGWARDEN_HTTP", "LOGWARDEN_INGEST_MAX_PENDING_MB", "LOGWARDEN_CONFIG"):
        monkeypatch.delenv(var, raising=False)
    path = tmp_path / "lw.toml"
    path.write_text(text)
    cfg = load_config(tmp_path, config_file=str(path))
    for key, value in expect.items():
        if key == "cdn":
            assert {n: (a.token, a.sources) for n, a in cfg.cdn_accounts.items()} == value
        else:
            assert getattr(cfg, key) == value
    monkeypatch.setenv("LOGWARDEN_HTTP", "127.0.0.1:7777")  # the environment beats the file
    assert load_config(tmp_path, config_file=str(path)).http == "127.0.0.1:7777"
    assert load_config(tmp_path, config_file=str(path), http="127.0.0.1:1").http == "127.0.0.1:1"  # a flag beats both


BAD_CONFIGS = [
    ("[server]\nhtp = 1\n", "unknown [server] key"),
    ("[server]\nhttp = \"nowhere\"\n", "not HOST:PORT"),
    ("[cdn.accounts.x]\nsources = [1]\n", "needs token"),
    ("[server\n", "not valid TOML"),
]


@pytest.mark.parametrize(("text", "message"), BAD_CONFIGS)
def test_bad_config_is_a_clear_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "lw.toml"
    path.write_text(text)
    with pytest.raises(UsageError, match=message.replace("[", r"\[")):
        load_config(tmp_path, config_file=str(path))
    r = run_cli("serve", "--config", str(path), data_dir=tmp_path / "d", env={"LOGWARDEN_HTTP": ""})
    assert r.returncode == 2 and message in r.stderr.decode() and b"Traceback" not in r.stderr
    assert not os.path.exists(tmp_path / "d" / "server" / "info.json")
