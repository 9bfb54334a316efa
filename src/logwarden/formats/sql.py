"""Turn a format into one engine SELECT that parses a staged batch of raw records.

The stage table holds `(seq UInt64, raw String)`. The SELECT yields every column of `lw.events`.
Run-level values are bound parameters: {origin}, {source}, {host}, {batch}, {ref_ts}, {tz}, {sep}.
Format regexes and JSON keys are bound too (`f_*`), so nothing from a file is pasted into SQL
except `expr` fields, which are engine expressions by definition.
"""

from __future__ import annotations

import re
from typing import Any

from logwarden.formats.spec import COLUMN_CAPTURES, CONSUMED, FormatSpec
from logwarden.formats.tsv_header import capture_items
from logwarden.store.schema import LEVELS

EVENT_COLUMNS = (
    "ts, ts_inferred, source, service, host, format, origin, seq, level, raw, "
    "user, client_ip, trace_id, request_id, status, fields, batch"
)

# Words seen across the seeds' systems; a format's own [levels] table is consulted first.
DEFAULT_LEVEL_WORDS = {
    "TRACE": "trace", "TRC": "trace", "VERBOSE": "trace", "FINEST": "trace", "FINER": "debug",
    "DEBUG": "debug", "DBG": "debug", "FINE": "debug",
    "INFO": "info", "INF": "info", "INFORMATION": "info", "I": "info", "CONFIG": "info",
    "NOTICE": "notice", "NOTE": "notice",
    "WARN": "warn", "WARNING": "warn", "WRN": "warn", "W": "warn",
    "ERROR": "error", "ERR": "error", "EROR": "error", "E": "error", "SEVERE": "error", "FAIL": "error",
    "FATAL": "fatal", "CRITICAL": "fatal", "CRIT": "fatal", "ALERT": "fatal", "EMERG": "fatal",
    "PANIC": "fatal", "FTL": "fatal", "F": "fatal",
}
SYSLOG_SEVERITIES = ("emerg", "alert", "crit", "err", "warning", "notice", "info", "debug")
SYSLOG_LEVELS = ("fatal", "fatal", "fatal", "error", "warn", "notice", "info", "debug")

STAGE_COLUMNS = "seq UInt64, raw String"


class _Params:
    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def bind(self, value: Any, type_: str = "String") -> str:
        name = f"f_{len(self.values)}"
        self.values[name] = value
        return f"{{{name}:{type_}}}"


def _str_array(values: list[str]) -> str:
    return "[" + ", ".join("'" + v.replace("\\", "\\\\").replace("'", "\\'") + "'" for v in values) + "]"


def _unquote(value: str) -> str:
    """A JSON value's text as a field: strings unquoted, numbers/objects/arrays as their JSON text."""
    return f"if(startsWith({value}, '\"'), JSONExtractString({value}), {value})"


def _json_captures(spec: FormatSpec, p: _Params) -> list[str]:
    """Inner SELECT items for a JSON format. The record is parsed once, into a named tuple of its
    top-level keys as text (strings unquoted; numbers, objects and arrays as their JSON text; null
    and absent as ''); nested keys are read from their parent's (small) text."""
    tops = list(dict.fromkeys(path.split(".", 1)[0] for path in spec.json.values()))
    items = []
    if tops:
        shape = "Tuple(" + ", ".join("`" + k.replace("`", "``") + "` String" for k in tops) + ")"
        items.append(f"JSONExtract(raw, {p.bind(shape)}) AS jt")
    for name, path in spec.json.items():
        first, *rest = path.split(".")
        value = f"tupleElement(jt, {tops.index(first) + 1})"
        if rest:
            keys = ", ".join(p.bind(k) for k in rest)
            value = _unquote(f"JSONExtractRaw({value}, {keys})")
        items.append(f"{value} AS c_{name}")
    if spec.json_all:
        items.append("CAST(JSONExtractKeysAndValuesRaw(raw), 'Map(String, String)') AS j")
    return items


def _ts_expr(spec: FormatSpec, capture: str) -> str:
    parse = "parseDateTime64BestEffortOrNull({x}, 6, {{tz:String}})"
    if spec.ts_format == "best":
        # 2020-09-29 16:45:00,123 (Java/log4j) -> a dot before the fraction.
        x = f"replaceRegexpOne({capture}, '(\\\\d\\\\d:\\\\d\\\\d:\\\\d\\\\d),(\\\\d)', '\\\\1.\\\\2')"
        return parse.format(x=x)
    if spec.ts_format == "best_us":  # 3/1/2024 1:00:00 PM (Windows, en-US): month first; else as `best`
        return f"parseDateTime64BestEffortUSOrNull({capture}, 6, {{tz:String}})"
    if spec.ts_format == "clf":  # 10/Oct/2000:13:55:36 -0700
        return parse.format(x=f"replaceOne({capture}, ':', ' ')")
    if spec.ts_format == "unix":
        return f"fromUnixTimestamp64Micro(toInt64(toFloat64OrNull({capture}) * 1000000), 'UTC')"
    if spec.ts_format == "unix_ms":
        return f"fromUnixTimestamp64Micro(toInt64(toFloat64OrNull({capture}) * 1000), 'UTC')"
    # syslog: no year. Take the year of the reference time (the file's mtime) in the reading zone;
    # a date later than the reference by more than a day belongs to the year before (Dec -> Jan).
    year = "toYear(toTimeZone({ref_ts:DateTime64(6, 'UTC')}, {tz:String}))"
    this_year = parse.format(x=f"concat({capture}, ' ', toString({year}))")
    # An ISO 8601 stamp (rsyslog's high-precision file format) carries its own year and zone.
    iso = f"match({capture}, '^\\\\d{{4}}-\\\\d\\\\d-\\\\d\\\\d[T ]')"
    return (
        f"if({iso}, {parse.format(x=capture)}, "
        f"if({this_year} > {{ref_ts:DateTime64(6, 'UTC')}} + INTERVAL 1 DAY, {this_year} - INTERVAL 1 YEAR, "
        f"{this_year}))"
    )


def _fallback_ts(spec: FormatSpec, ts: str) -> str:
    """The time of a record without one: its arrival time, or with `[timestamp] inherit` the last time before
    it in its batch (a failure line between two timed records), else the first time after it (a header line
    at the top of a file), so that such a record sorts beside its neighbours, not at the file's mtime."""
    arrival = "{ref_ts:DateTime64(6, 'UTC')}"
    if not spec.ts_inherit:
        return arrival
    if spec.ts_inherit == "next":  # a one-row frame: cheap, where only a header line lacks a time
        nxt = f"any(if(ok, {ts}, NULL)) OVER (ORDER BY seq ROWS BETWEEN 1 FOLLOWING AND 1 FOLLOWING)"
        return f"ifNull({nxt}, {arrival})"
    earlier = f"anyLast(if(ok, {ts}, NULL)) OVER (ORDER BY seq ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)"
    later = f"any(if(ok, {ts}, NULL)) OVER (ORDER BY seq ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING)"
    return f"ifNull({earlier}, ifNull({later}, {arrival}))"


def _level_exprs(spec: FormatSpec, word: str) -> tuple[str, str]:
    """(normalised level, original word) expressions."""
    if spec.level_map == "syslog_pri":
        sev = f"toUInt8OrNull({word}) % 8"
        norm = f"if({word} = '', '', arrayElement({_str_array(list(SYSLOG_LEVELS))}, {sev} + 1))"
        orig = f"if({word} = '', '', arrayElement({_str_array(list(SYSLOG_SEVERITIES))}, {sev} + 1))"
        return norm, orig
    if spec.level_map == "http_status":
        code = f"toUInt16OrZero({word})"
        norm = f"multiIf({code} >= 500, 'error', {code} >= 400, 'warn', {code} > 0, 'info', '')"
        return norm, "''"
    table = {**DEFAULT_LEVEL_WORDS, **spec.levels}
    keys = list(table)
    # The words are upper-cased when the format loads (Python folds Cyrillic: "Аудит отказов" → "АУДИТ ОТКАЗОВ");
    # the engine's upper() folds ASCII only, upperUTF8 folds every letter, so a table with non-ASCII words uses it.
    fold = "upper" if all(k.isascii() for k in keys) else "upperUTF8"
    norm = f"transform({fold}(trimBoth({word})), {_str_array(keys)}, {_str_array([table[k] for k in keys])}, '')"
    if spec.level_map == "ranges":  # numbers by range (VK Teams status codes), anything else as a word
        num = f"toInt64OrNull(trimBoth({word}))"
        arms = ", ".join(f"{num} BETWEEN {lo} AND {hi}, {_str_array([lvl])}[1]" for lo, hi, lvl in spec.level_ranges)
        norm = f"multiIf({arms}, {norm})" if arms else norm
    return norm, word


def render_template(template: str, args: str) -> str:
    """A message template (Serilog/CLEF `@mt`, Directum `mt`) with its placeholders filled from `args`, the JSON
    text of an object (named `{Name}`) or an array (positional `{0}`); other args leave the template as it is.

    The template is cut at every `{`; each piece starts with a placeholder `[@$]name[,align][:format]}` (or is
    literal text), and a placeholder whose name is an arg is replaced by the arg's value (strings unquoted,
    anything else as its JSON text). One split and one lookup a placeholder: no regex is built per record (a
    replaceRegexpAll per arg, its pattern made from the arg's name, compiled a regex per record per arg: ~100 µs
    a record). The first of duplicate keys wins; a value is inserted once, as Serilog renders, and is not
    searched for placeholders again."""
    kvs = f"JSONExtractKeysAndValuesRaw({args})"
    items = f"JSONExtractArrayRaw({args})"
    names = f"arrayConcat(arrayMap(kv -> kv.1, {kvs}), arrayMap(i -> toString(i), range(length({items}))))"
    values = (f"arrayConcat(arrayMap(kv -> if(startsWith(kv.2, '\"'), JSONExtractString(kv.2), kv.2), {kvs}), "
              f"arrayMap(v -> if(startsWith(v, '\"'), JSONExtractString(v), v), {items}))")
    skip = "if(startsWith(p, '@') OR startsWith(p, '$'), 2, 1)"
    name = f"splitByChar(':', splitByChar(',', substring(p, {skip}, position(p, '}}') - {skip}))[1])[1]"
    piece = (f"if(position(p, '}}') = 0 OR indexOf({names}, {name}) = 0, concat('{{', p), "
             f"concat({values}[indexOf({names}, {name})], substring(p, position(p, '}}') + 1)))")
    return (f"if(JSONType({args}) NOT IN ('Object', 'Array'), {template}, concat(splitByChar('{{', {template})[1], "
            f"arrayStringConcat(arrayMap(p -> {piece}, arrayPopFront(splitByChar('{{', {template}))))))")


def _used(spec: FormatSpec) -> set[str]:
    """Captures something reads: stored ones, and the inputs of fields, time and level."""
    used = {spec.ts_from, spec.level_from} | {r.source for r in spec.fields} | {r.render for r in spec.fields}
    used |= {r.name for r in spec.fields}
    for rule in spec.fields:
        used |= {c for c in spec.captures if f"c_{c}" in rule.expr}
    return used | {c for c in spec.captures if c not in CONSUMED and not c.startswith("_")}


def engine_regex(spec: FormatSpec) -> tuple[str, list[str]]:
    """The format's regex as the engine should run it, and its captures in group order.

    Captures nobody reads become non-capturing and a trailing `.*` that only swallowed the message is
    dropped (submatch search is the engine's most costly step). Names are removed: the engine's
    literal-substring prefilter misreads `(?P<name>` and would reject every line."""
    regex = spec.regex
    used = _used(spec)
    kept = []
    for name in spec.captures:
        if name in used:
            regex = regex.replace(f"(?P<{name}>", "(", 1)
            kept.append(name)
        else:
            regex = regex.replace(f"(?P<{name}>", "(?:", 1)
    for tail in ("(?:.*)$", "(?:.*)"):
        regex = regex.removesuffix(tail)
    return regex, kept


def select_sql(spec: FormatSpec | None, stage: str, multiline: bool, service: str = "",
               const_fields: dict[str, str] | None = None) -> tuple[str, dict[str, Any]]:
    """The SELECT producing event rows from `stage`; params beyond the run-level ones.

    `service` and `const_fields` are what the file's path says (ingest/path_rules.py): the service when the
    record's format captures none (it replaces the format's default), and fields every record gets unless
    its format extracted the same name."""
    p = _Params()
    const_pairs = ", ".join(p.bind(x) for kv in (const_fields or {}).items() for x in kv)
    consts = f"map({const_pairs})" if const_pairs else ""

    def with_consts(fields: str) -> str:
        if not consts:
            return fields
        return f"mapConcat({fields}, mapFilter((k, v) -> NOT mapContains({fields}, k), {consts}))"

    raw = "replaceAll(raw, {sep:String}, '\\n')" if multiline else "raw"
    if spec is None:
        sql = (
            f"SELECT {{ref_ts:DateTime64(6, 'UTC')}} AS ts, 1 AS ts_inferred, {{source:String}} AS source, "
            f"{p.bind(service)} AS service, {{host:String}} AS host, '' AS format, {{origin:String}} AS origin, seq, "
            f"'' AS level, {raw} AS raw, '' AS user, '' AS client_ip, '' AS trace_id, '' AS request_id, "
            f"'' AS status, {consts or 'map()'} AS fields, {{batch:UInt64}} AS batch FROM {stage}"
        )
        return sql, p.values

    for regex, replacement in spec.masks:  # secrets never reach the store: the masked text is the record
        raw = f"replaceRegexpAll({raw}, {p.bind(regex)}, {p.bind(replacement)})"
    inner = [f"seq, {raw} AS raw"]
    if spec.kind == "regex":
        regex, captures = engine_regex(spec)
        if captures:
            # RE2 reads UTF-8: a byte that is not (a CP1251 log, a cut multi-byte character) would end the
            # match there, so the regex reads a valid copy; `raw` itself is stored exactly as it came.
            inner.append(f"extractGroups(toValidUTF8(raw), {p.bind(regex)}) AS g")
            inner.append("notEmpty(g) AS ok")
            inner += [f"g[{i}] AS c_{name}" for i, name in enumerate(captures, start=1)]
        else:  # no capture is read: the engine refuses extractGroups without groups; a match is all it takes
            inner.append(f"match(toValidUTF8(raw), {p.bind(regex)}) AS ok")
    elif spec.tsv is not None:  # header-driven TSV: cells by the file's column positions
        captures = spec.captures
        inner += capture_items(spec.tsv, p.bind)
    else:
        captures = spec.captures
        inner.append("startsWith(trimLeft(raw), '{') AND isValidJSON(raw) AS ok")
        inner += _json_captures(spec, p)

    def cap(name: str) -> str:
        return f"c_{name}" if name in captures else "''"

    # Derived fields, in declaration order; a later rule may read an earlier one.
    derived: dict[str, str] = {}
    kv_maps: list[str] = []
    for rule in spec.fields:
        src = derived.get(rule.source) or ("raw" if rule.source == "raw" else cap(rule.source))
        if rule.expr:  # `d_<name>` reads an earlier derived field (`d__level`: the field `_level`)
            expr = re.sub(r"\bd_(\w+)\b", lambda m: f"({derived[m.group(1)]})" if m.group(1) in derived
                          else m.group(0), rule.expr)
        elif rule.kv:
            kv_maps.append(f"extractKeyValuePairs({src}, {p.bind(rule.eq)}, {p.bind(rule.kv)})")
            continue
        elif rule.regex:
            expr = f"extract({src}, {p.bind(rule.regex)})"
        elif rule.render:  # a message template filled with its args (render_template)
            args = derived.get(rule.render) or ("raw" if rule.render == "raw" else cap(rule.render))
            expr = render_template(src, args)
        elif rule.lookup:  # a table shipped as data (formats/lookup.py), bound as two arrays
            keys, vals = [k for k, _ in rule.table], [v for _, v in rule.table]
            expr = f"transform({src}, {p.bind(keys, 'Array(String)')}, {p.bind(vals, 'Array(String)')}, '')"
        else:
            expr = src
        derived[rule.name] = f"toString({expr})"

    def value(name: str) -> str:
        return derived.get(name) or cap(name)

    word = value(spec.level_from)
    level_norm, level_orig = _level_exprs(spec, word)
    ts = _ts_expr(spec, value(spec.ts_from)) if spec.ts_from in captures or spec.ts_from in derived else "NULL"

    pairs: list[str] = []
    for name in captures:
        if name in COLUMN_CAPTURES or name in CONSUMED or name in derived or name == "level" or name[0] == "_":
            continue
        pairs += [p.bind(name), f"c_{name}"]
    for name, expr in derived.items():
        if name in COLUMN_CAPTURES or name == "ts" or name[0] == "_":  # `_name`: a helper, not stored
            continue
        pairs += [p.bind(name), expr]
    if level_orig != "''":
        pairs += [p.bind("level_raw"), level_orig]
    fields = f"map({', '.join(pairs)})" if pairs else "map()"
    if spec.json_all:
        all_keys = (
            f"mapApply((k, v) -> (k, {_unquote('v')}), j)"
        )
        kv_maps.insert(0, all_keys)
    if kv_maps:
        fields = f"mapConcat({', '.join(kv_maps)}, {fields})"
    # Only non-empty values are stored: a format's absent captures would cost the insert and the disk.
    fields = f"if(ok, mapFilter((k, v) -> v != '', {fields}), map({p.bind('_unparsed')}, {p.bind('no match for ' + spec.name)}))"

    captured = value("service")
    fields = with_consts(fields)
    default = p.bind(service or spec.service)
    service_expr = f"if({captured} != '', {captured}, {default})" if captured != "''" else default
    host = value("host")
    host_expr = f"if({host} != '', {host}, {{host:String}})" if host != "''" else "{host:String}"
    levels_ok = _str_array(list(LEVELS))
    outer = [
        f"ifNull(if(ok, {ts}, NULL), {_fallback_ts(spec, ts)}) AS ts",
        f"isNull(if(ok, {ts}, NULL)) AS ts_inferred",
        "{source:String} AS source",
        f"if(ok, {service_expr}, {p.bind(service)}) AS service",
        f"if(ok, {host_expr}, {{host:String}}) AS host",
        f"if(ok, {p.bind(spec.name)}, '') AS format",
        "{origin:String} AS origin",
        "seq",
        f"if(ok, if(has({levels_ok}, {level_norm}), {level_norm}, {p.bind(spec.level_default)}), '') AS level",
        "raw",
    ]
    outer += [f"if(ok, {value(c)}, '') AS {c}" for c in ("user", "client_ip", "trace_id", "request_id", "status")]
    outer += [f"{fields} AS fields", "{batch:UInt64} AS batch"]
    sql = f"SELECT {', '.join(outer)} FROM (SELECT {', '.join(inner)} FROM {stage})"
    return sql, p.values
