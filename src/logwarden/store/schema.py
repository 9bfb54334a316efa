"""The events schema and its migrations.

Every migration is a list of statements applied once, in order; `meta.schema_version` says how far a
data directory has come. Later work appends migrations (new columns, tables) and never edits old ones,
so a directory made by an older logwarden upgrades in place without losing stored events.
"""

from __future__ import annotations

DB = "lw"

# Columns a query can name directly; every other field name is looked up in the `fields` map.
PROMOTED = ("user", "client_ip", "trace_id", "request_id", "status")
COLUMNS = ("ts", "source", "service", "host", "format", "origin", "seq", "level", "raw") + PROMOTED

# The columns an event row of a search has, in order (the query compiler's SELECT list).
EVENT_COLUMNS = (
    "ts", "level", "source", "service", "host", "format", "origin", "seq", "raw",
    "user", "client_ip", "trace_id", "request_id", "status", "fields",
)  # fmt: skip

# Normalised levels, least to most severe; comparisons (`level:>=warn`) use this order.
LEVELS = ("trace", "debug", "info", "notice", "warn", "error", "fatal")

MIGRATIONS: list[list[str]] = [
    # 1: events, ingest bookkeeping
    [
        f"""CREATE TABLE IF NOT EXISTS {DB}.events (
            ts          DateTime64(6, 'UTC') CODEC(Delta, ZSTD(1)),
            ts_inferred UInt8 DEFAULT 0,
            source      LowCardinality(String),
            service     LowCardinality(String),
            host        LowCardinality(String),
            format      LowCardinality(String),
            origin      LowCardinality(String),
            seq         UInt64 CODEC(Delta, ZSTD(1)),
            level       LowCardinality(String),
            raw         String CODEC(ZSTD(3)),
            user        String CODEC(ZSTD(1)),
            client_ip   String CODEC(ZSTD(1)),
            trace_id    String CODEC(ZSTD(1)),
            request_id  String CODEC(ZSTD(1)),
            status      LowCardinality(String),
            fields      Map(LowCardinality(String), String) CODEC(ZSTD(3)),
            batch       UInt64 CODEC(ZSTD(1)),
            INDEX raw_tokens lower(raw) TYPE text(tokenizer = splitByNonAlpha) GRANULARITY 1,
            INDEX batch_range batch TYPE minmax GRANULARITY 1
        ) ENGINE = MergeTree
        PARTITION BY toDate(ts)
        ORDER BY (source, service, ts)
        SETTINGS index_granularity = 8192, old_parts_lifetime = 1, cleanup_delay_period = 1""",
        # One row per committed piece of a file: origin, identity, how far it was read.
        f"""CREATE TABLE IF NOT EXISTS {DB}.files (
            origin     String,
            device     UInt64,
            inode      UInt64,
            head_hash  String,
            offset     UInt64,
            lines      UInt64,
            records    UInt64,
            unparsed   UInt64,
            format     String,
            batch      UInt64,
            state      LowCardinality(String),
            at         DateTime64(6, 'UTC') DEFAULT now64(6)
        ) ENGINE = MergeTree ORDER BY (origin, at)""",
    ],
    # 2: users and API tokens of the server (issue 5). Rows are versions: the newest row per name/id wins
    # (`argMax(..., at)`), so a change is an insert and the history stays; `deleted` ends an account.
    [
        f"""CREATE TABLE IF NOT EXISTS {DB}.users (
            name          String,
            role          LowCardinality(String),
            sources       Array(String),
            all_sources   UInt8,
            password_hash String,
            deleted       UInt8 DEFAULT 0,
            at            DateTime64(6, 'UTC') DEFAULT now64(6)
        ) ENGINE = MergeTree ORDER BY (name, at)""",
        # Tokens are stored as their SHA-256 (they are long random strings); `id` names one to revoke.
        f"""CREATE TABLE IF NOT EXISTS {DB}.tokens (
            id            String,
            token_hash    String,
            name          String,
            owner         String,
            role          LowCardinality(String),
            sources       Array(String),
            all_sources   UInt8,
            revoked       UInt8 DEFAULT 0,
            at            DateTime64(6, 'UTC') DEFAULT now64(6)
        ) ENGINE = MergeTree ORDER BY (id, at)""",
    ],
]


def _rebuild_events(partition: str, settings: str, raw_index: str) -> list[str]:
    """Statements that rebuild lw.events with new table settings, keeping every row.

    Rerunnable after a crash at any step: the copy starts from an empty table, and once the tables are
    exchanged a rerun copies the new table into a fresh one and exchanges again."""
    ddl = MIGRATIONS[0][0]
    ddl = ddl.replace(f"{DB}.events (", f"{DB}.events_rebuild (", 1)
    ddl = ddl.replace("TYPE text(tokenizer = splitByNonAlpha)", f"TYPE {raw_index}", 1)
    ddl = ddl.replace("index_granularity = 8192", settings, 1)
    ddl = ddl.replace("PARTITION BY toDate(ts)", f"PARTITION BY {partition}", 1)
    return [
        f"DROP TABLE IF EXISTS {DB}.events_rebuild SYNC",
        ddl,
        f"INSERT INTO {DB}.events_rebuild SELECT * FROM {DB}.events",
        f"EXCHANGE TABLES {DB}.events AND {DB}.events_rebuild",
        f"DROP TABLE {DB}.events_rebuild SYNC",
    ]


# 3 (measured in docs/benchmarks.md, 2026-12-01, "Schema 3"; 5M mixed lines):
# - granules of 1,024 rows: a search that finds a few events reads 1/8 of the text it read before;
# - text-index posting lists bit-packed: the index is 19 % smaller;
# - partitions by month, not by day: a month's data settles into a few parts, not a few per day (5M lines over
#   8 days: 41 → 12 parts), and every search looks in each part's index: the rare-token page 16 → 13 ms;
# - parts that merges replaced are deleted within a second: the cleanup backed off to 300 s when idle, which
#   kept `ingest` waiting in `Store.settle` until its timeout and could leave the directory twice its size.
MIGRATIONS.append(_rebuild_events(
    "toYYYYMM(ts)",
    "index_granularity = 1024, max_cleanup_delay_period = 1, cleanup_delay_period_random_add = 0",
    "text(tokenizer = splitByNonAlpha, posting_list_codec = 'bitpacking')",
))
