"""Server formats through the real ingest: a VK Teams server tree on disk (the Vector tree and the guide's
paths), ingested and searched in the engine. Path rules give source, service and namespace per file; janus.log
without timestamps is read as Janus because of its name; partial container lines come out joined; CLEF's
template groups messages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import run_cli
from logwarden.formats.registry import Registry
from logwarden.ingest.pipeline import IngestOptions, Ingestor
from logwarden.ingest.sources import expand, open_inputs
from logwarden.query.service import search
from logwarden.store.chdb_store import Store

KEYCLOAK = """\
2024-03-01 03:00:12,481 ERROR [org.key.sto.lda.LDAPStorageProviderFactory] (Timer-0) Failed during import user from LDAP: org.keycloak.models.ModelDuplicateException: Error - multiple LDAP objects found but expected just one
\tat org.keycloak.storage.ldap.idm.query.internal.LDAPQuery.getFirstResult(LDAPQuery.java:197)
\tat org.keycloak.storage.ldap.LDAPStorageProvider.loadLDAPUserByUsername(LDAPStorageProvider.java:905)
2024-03-01 09:15:02,003 WARN  [org.key.events] (executor-thread-3) type=LOGIN_ERROR, realmId=corp, clientId=vkteams-web, userId=null, ipAddress=45.141.84.120, error=user_not_found, username=admin
"""
BEAGLE = 'time=2024-03-01T10:00:00.120+03:00 level=info msg="request done" service=beagle method=getHistory\n'
JANUS = """\
---------------------------------------------------
  Starting Meetecho Janus (WebRTC Server) v1.1.0
---------------------------------------------------
[WARN] \tCouldn't access logger plugins folder...
[ERR] [ice.c:janus_ice_cb_component_state_changed:1809] [7723417261] ICE failed for component 1 in stream 1...
"""
CRI = """\
2024-03-01T10:00:00.000000001Z stderr P 2024-03-01 10:00:00,001 ERROR [org.key.events] (executor-thread-1) a long line \n\
2024-03-01T10:00:00.000000002Z stderr F cut in two by the runtime
2024-03-01T10:00:01Z stdout F 2024-03-01 10:00:01,000 INFO  [io.quarkus] (main) started
"""
CLEF = """\
\ufeff{"@t":"2024-03-01T10:00:00Z","@mt":"Upload of {File} by {User} failed","File":"a.pdf","User":"ivanov","@l":"Error"}
{"@t":"2024-03-01T10:00:01Z","@mt":"Upload of {File} by {User} failed","File":"b.pdf","User":"petrov","@l":"Error"}
{"@t":"2024-03-01T10:00:02Z","@mt":"User {User} logged in","User":"petrov"}
"""
TREE = {
    "var/log/vector/k8s/keycloak/keycloak/2024-03-01.log": KEYCLOAK,
    "var/log/vector/k8s/im/beagle/2024-03-01.log": BEAGLE,
    "var/log/janus.log": JANUS,
    "var/log/containers/keycloak-0_keycloak_keycloak-" + "0f" * 32 + ".log": CRI,
    "srv/app/events.clef": CLEF,
    "data/tarantool/logs/sessions.log": "garbage that no format reads\n",
}


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory, engine: Store, registry: Registry) -> dict[str, str]:
    root = tmp_path_factory.mktemp("server")
    for rel, text in TREE.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    ingestor = Ingestor(engine, registry, IngestOptions(timezone="UTC"))
    formats = {}
    for item in expand([str(root)]):
        for inp in open_inputs(item):
            result = ingestor.ingest(inp)
            assert not result.error, result
            formats[str(Path(result.path).relative_to(root))] = result.format
    return formats


def _rows(engine: Store, sql: str, **params: str) -> list[dict]:
    return engine.rows(sql, params)


def test_formats_chosen(tree: dict[str, str]) -> None:
    assert tree == {
        "var/log/vector/k8s/keycloak/keycloak/2024-03-01.log": "keycloak",
        "var/log/vector/k8s/im/beagle/2024-03-01.log": "logfmt",
        "var/log/janus.log": "janus",  # no timestamps, nothing to detect: its name says it (path rule)
        "var/log/containers/keycloak-0_keycloak_keycloak-" + "0f" * 32 + ".log": "cri",
        "srv/app/events.clef": "clef",
        "data/tarantool/logs/sessions.log": "",
    }


def test_vector_tree_gives_source_service_namespace(tree: dict[str, str], engine: Store) -> None:
    got = _rows(engine, "SELECT DISTINCT source, service, fields['namespace'] AS ns, format FROM lw.events "
                        "WHERE origin LIKE '%vector/k8s%' ORDER BY service")
    assert got == [{"source": "vkteams", "service": "beagle", "ns": "im", "format": "logfmt"},
                   {"source": "vkteams", "service": "keycloak", "ns": "keycloak", "format": "keycloak"}]


def test_ldap_duplicate_is_one_record_with_its_trace_and_findable(tree: dict[str, str], engine: Store) -> None:
    result = search(engine, "service:keycloak level:error ldap_duplicate:1")
    [row] = result.rows
    assert row["raw"].count("\n") == 2 and "LDAPQuery.getFirstResult" in row["raw"]
    assert row["fields"]["exception"] == "org.keycloak.models.ModelDuplicateException"
    assert row["fields"]["namespace"] == "keycloak"


def test_unparsed_records_still_get_the_path_constants(tree: dict[str, str], engine: Store) -> None:
    [row] = _rows(engine, "SELECT source, service, format, fields['_unparsed'] AS why FROM lw.events "
                          "WHERE origin LIKE '%tarantool%'")
    assert row == {"source": "vkteams", "service": "tarantool", "format": "", "why": ""}


def test_janus_without_timestamps_keeps_its_levels(tree: dict[str, str], engine: Store) -> None:
    got = _rows(engine, "SELECT level, fields['level_raw'] AS word, ts_inferred FROM lw.events "
                        "WHERE origin LIKE '%janus.log' ORDER BY seq")
    assert [(r["level"], r["word"]) for r in got] == [("info", "")] * 3 + [("warn", "WARN"), ("error", "ERR")]
    assert all(r["ts_inferred"] for r in got)


def test_cri_partial_lines_are_one_record(tree: dict[str, str], engine: Store) -> None:
    got = _rows(engine, "SELECT level, fields['message'] AS msg, fields['pod'] AS pod, service, source FROM lw.events "
                        "WHERE origin LIKE '%containers%' ORDER BY seq")
    assert [r["level"] for r in got] == ["error", "info"]
    assert got[0]["msg"].endswith("a long line cut in two by the runtime")
    assert {(r["pod"], r["service"], r["source"]) for r in got} == {("keycloak-0", "keycloak", "kubernetes")}


def test_clef_template_groups_messages(tree: dict[str, str], engine: Store) -> None:
    result = search(engine, "format:clef | stats count() as n by (template) | sort by n desc")
    assert [(r["template"], r["n"]) for r in result.rows] == [
        ("Upload of {File} by {User} failed", 2), ("User {User} logged in", 1)]
    msgs = _rows(engine, "SELECT fields['message'] AS m, level FROM lw.events WHERE format = 'clef' ORDER BY seq")
    assert msgs == [{"m": "Upload of a.pdf by ivanov failed", "level": "error"},
                    {"m": "Upload of b.pdf by petrov failed", "level": "error"},
                    {"m": "User petrov logged in", "level": "info"}]


def test_ingest_source_wins_over_path_rules(tmp_path: Path, engine: Store, registry: Registry) -> None:
    path = tmp_path / "var/log/vector/k8s/im/krtek/x.log"
    path.parent.mkdir(parents=True)
    path.write_text(BEAGLE.replace("beagle", "krtek"), encoding="utf-8")
    ingestor = Ingestor(engine, registry, IngestOptions(source="teams-prod", timezone="UTC"))
    [inp] = list(open_inputs(path))
    assert ingestor.ingest(inp).records == 1
    [row] = _rows(engine, "SELECT source, service FROM lw.events WHERE origin = {o:String}", o=str(path))
    assert row == {"source": "teams-prod", "service": "krtek"}


def test_users_path_rules_from_the_formats_folder(tmp_path: Path) -> None:
    formats = tmp_path / "formats"
    formats.mkdir()
    (formats / "path_rules.toml").write_text(
        '[[rules]]\nname = "teams_prod"\npath = \'/prod/(?P<service>[^/]+)/\'\nsource = "vkteams"\n'
        '[rules.fields]\nenv = "prod"\n'
        '[[rules.samples]]\npath = "/x/prod/beagle/a.log"\nexpect = { service = "beagle", env = "prod" }\n',
        encoding="utf-8")
    log = tmp_path / "prod/beagle/a.log"
    log.parent.mkdir(parents=True)
    log.write_text("a line no format reads\n", encoding="utf-8")
    env = {"LOGWARDEN_FORMATS_DIR": str(formats)}
    proc = run_cli("ingest", str(log), data_dir=tmp_path / "data", env=env)
    assert proc.returncode == 0, proc.stderr.decode()
    proc = run_cli("search", "env:prod", "--output", "ndjson", data_dir=tmp_path / "data", env=env)
    assert proc.returncode == 0, proc.stderr.decode()
    [event] = [json.loads(x) for x in proc.stdout.decode().splitlines()]
    assert (event["source"], event["service"], event["env"]) == ("vkteams", "beagle", "prod")


def test_detect_command_says_what_the_path_gives(tmp_path: Path) -> None:
    log = tmp_path / "var/log/janus.log"
    log.parent.mkdir(parents=True)
    log.write_text(JANUS, encoding="utf-8")
    proc = run_cli("detect", str(log), "--output", "json", data_dir=tmp_path / "data")
    assert proc.returncode == 0, proc.stderr.decode()
    got = json.loads(proc.stdout)
    assert got["format"] == "janus"
    assert got["reason"] == "path rule janus: source=vkteams, service=janus, format=janus"


def test_vector_archive_sent_to_support(tmp_path: Path, engine: Store, registry: Registry) -> None:
    """`tar -czf vector.tar.gz /var/log/vector/` (the guide's way 2): members keep the tree, so the rules apply."""
    import io
    import tarfile

    archive = tmp_path / "vector.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        # another day's lines: the same bytes as the tree's files would be recognised as already ingested
        for rel, text in (("var/log/vector/k8s/keycloak/keycloak/a.log", KEYCLOAK.replace("2024-03-01", "2024-03-02")),
                          ("var/log/vector/k8s/im/krtek/a.log", BEAGLE.replace("2024-03-01", "2024-03-02")
                           .replace("beagle", "krtek"))):
            data = text.encode()
            info = tarfile.TarInfo(rel)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    ingestor = Ingestor(engine, registry, IngestOptions(timezone="UTC"))
    formats = sorted(ingestor.ingest(inp).format for inp in open_inputs(archive))
    assert formats == ["keycloak", "logfmt"]
    got = _rows(engine, "SELECT DISTINCT service, fields['namespace'] AS ns FROM lw.events "
                        "WHERE startsWith(origin, {a:String}) ORDER BY service", a=f"{archive}!")
    assert got == [{"service": "keycloak", "ns": "keycloak"}, {"service": "krtek", "ns": "im"}]
