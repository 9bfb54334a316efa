// logwarden web UI: every view renders the JSON API's answer (the page's JSON twin). No framework, no build.
"use strict";

const PRESETS = ["15m", "1h", "24h", "7d", "30d", "all"];
const FACETS = ["level", "source", "service", "host", "user", "client_ip"];
const PAGE_SIZE = 20;
const TAIL_MS = 2000;

// ------------------------------------------------------------------------------------------- helpers
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function qs(params) {
  const out = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== "") out.set(k, v);
  return out.toString();
}

class ApiError extends Error {}

async function api(path, params) {
  const url = path + (params && qs(params) ? "?" + qs(params) : "");
  let response;
  try {
    response = await fetch(url, {credentials: "same-origin", headers: {Accept: "application/json"}});
  } catch (e) {
    throw new ApiError(t("error.network"));
  }
  if (response.status === 401) {
    location.href = "/login?next=" + encodeURIComponent(location.pathname + location.search);
    throw new ApiError("401");
  }
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail));
  return body;
}

function showError(message) {
  const box = document.getElementById("error");
  box.textContent = message || "";
  box.hidden = !message;
}

function shortTime(iso) {  // 2024-03-01T10:00:00.123456Z -> 2024-03-01 10:00:00.123 (UTC)
  return (iso || "").replace("T", " ").replace("Z", "").replace(/(\.\d{3})\d*$/, "$1");
}

function firstLine(text) {
  const line = (text || "").split("\n", 1)[0];
  return line.length > 400 ? line.slice(0, 400) + "…" : line;
}

function view() {
  return document.getElementById("view");
}

// ------------------------------------------------------------------------------------------- search
const search = {q: "", range: "all", from: "", to: "", cursors: [null], page: 0, tail: null, after: null};

function readSearchUrl() {
  const p = new URLSearchParams(location.search);
  search.q = p.get("q") || "";
  search.from = p.get("_from") || "";
  search.to = p.get("_to") || "";
  const since = p.get("_since");
  search.range = search.from || search.to ? "custom" : (PRESETS.includes(since) ? since : "all");
  search.cursors = [null];
  search.page = 0;
}

function timeParams() {
  if (search.range === "custom") return {_from: search.from, _to: search.to};
  if (search.range === "all") return {};
  return {_since: search.range};
}

function baseParams() {
  return {q: search.q, ...timeParams()};
}

function localToIso(value) {  // datetime-local (read as UTC) -> ISO with Z
  if (!value) return "";
  return (value.length === 16 ? value + ":00" : value) + "Z";
}

function isoToLocal(value) {
  return value ? value.replace("Z", "").slice(0, 19) : "";
}

function renderSearchView() {
  const input = el("input", {id: "q", type: "search", value: search.q, "data-i18n-placeholder": "search.placeholder",
                             autocomplete: "off", spellcheck: "false"});
  const range = el("select", {id: "range", "aria-label": t("range.label")},
    [...PRESETS, "custom"].map(k => el("option", {value: k, selected: k === search.range, "data-i18n": "range." + k})));
  const from = el("input", {id: "from", type: "datetime-local", step: "1", value: isoToLocal(search.from),
                            "data-i18n-title": "range.from"});
  const to = el("input", {id: "to", type: "datetime-local", step: "1", value: isoToLocal(search.to),
                          "data-i18n-title": "range.to"});
  const custom = el("span", {id: "custom-range", hidden: search.range !== "custom"},
    el("label", {}, el("span", {"data-i18n": "range.from"}), from), el("label", {}, el("span", {"data-i18n": "range.to"}), to));
  range.addEventListener("change", () => { custom.hidden = range.value !== "custom"; });
  const form = el("form", {id: "search-form", class: "searchbar"}, input, range, custom,
    el("button", {type: "submit", id: "search-btn", "data-i18n": "search.submit"}));
  form.addEventListener("submit", ev => {
    ev.preventDefault();
    search.q = input.value.trim();
    search.range = range.value;
    search.from = localToIso(from.value);
    search.to = localToIso(to.value);
    startSearch(true);
  });
  const examples = el("ul", {class: "examples"}, LW.examples.map(x => el("li", {},
    el("a", {href: "#", class: "example", text: x, onclick: ev => {
      ev.preventDefault(); input.value = x; form.requestSubmit();
    }}))));
  const help = el("details", {class: "help", id: "query-help"}, el("summary", {"data-i18n": "search.help"}),
    el("p", {"data-i18n": "search.help.text"}), el("strong", {"data-i18n": "search.examples"}), examples);
  const exports = el("span", {class: "exports"}, el("span", {"data-i18n": "export.title"}),
    ["ndjson", "csv", "xlsx"].map(f => el("a", {id: "export-" + f, class: "button", download: "", href: "#", text: f.toUpperCase()})));
  const tailBtn = el("button", {type: "button", id: "tail", "data-i18n": "tail.start", onclick: toggleTail});
  view().replaceChildren(
    form, help,
    el("section", {class: "histogram-box"}, el("h2", {}, el("span", {"data-i18n": "hist.title"}), " ",
      el("small", {id: "hist-step", class: "muted"})), el("div", {id: "histogram", class: "histogram"})),
    el("div", {class: "columns"},
      el("aside", {id: "facets", class: "facets"}, el("h2", {"data-i18n": "facets.title"})),
      el("section", {class: "results"},
        el("div", {class: "results-head"},
          el("h2", {}, el("span", {"data-i18n": "results.title"}), " ", el("small", {id: "found", class: "muted"})),
          el("span", {class: "spacer"}), exports, tailBtn),
        el("p", {id: "tail-note", class: "muted", "data-i18n": "tail.on", hidden: true}),
        el("div", {id: "results"}),
        el("div", {class: "pager"},
          el("button", {type: "button", id: "newer", "data-i18n": "results.newer", onclick: () => turnPage(-1)}),
          el("span", {id: "page-label", class: "muted"}),
          el("button", {type: "button", id: "older", "data-i18n": "results.older", onclick: () => turnPage(1)})))));
  applyI18n(view());
}

function updateExports() {
  for (const f of ["ndjson", "csv", "xlsx"]) {
    document.getElementById("export-" + f).href = "/api/v1/export?" + qs({...baseParams(), _format: f});
  }
}

async function startSearch(push) {
  stopTail();
  search.cursors = [null];
  search.page = 0;
  if (push) history.pushState(null, "", "/?" + qs(baseParams()));
  updateExports();
  showError("");
  const params = baseParams();
  await Promise.all([
    loadPage(),
    api("/api/v1/histogram", params).then(renderHistogram).catch(e => showError(e.message)),
    api("/api/v1/facets", params).then(renderFacets).catch(e => showError(e.message)),
  ]);
}

async function loadPage() {
  const results = document.getElementById("results");
  results.setAttribute("aria-busy", "true");
  try {
    const page = await api("/api/v1/search", {...baseParams(), _size: PAGE_SIZE, _next: search.cursors[search.page]});
    search.cursors[search.page + 1] = page.next;
    renderResults(page);
  } catch (e) {
    showError(e.message);
    results.replaceChildren();
  } finally {
    results.removeAttribute("aria-busy");
  }
}

function turnPage(delta) {
  const target = search.page + delta;
  if (target < 0 || (delta > 0 && !search.cursors[target])) return;
  search.page = target;
  loadPage();
}

function levelBadge(level) {
  return el("span", {class: "level level-" + (level || "none"), text: level || "—"});
}

function eventRow(row) {
  const tr = el("tr", {class: "event-row", dataset: {id: row._id}, tabindex: "0"},
    el("td", {class: "ts", text: shortTime(row.ts)}), el("td", {}, levelBadge(row.level)),
    el("td", {text: row.source || ""}), el("td", {text: [row.host, row.service].filter(Boolean).join(" / ")}),
    el("td", {class: "message"}, el("a", {href: "/event/" + encodeURIComponent(row._id), text: firstLine(row.raw)})));
  const open = () => { location.href = "/event/" + encodeURIComponent(row._id); };
  tr.addEventListener("click", ev => { if (ev.target.tagName !== "A") open(); });
  tr.addEventListener("keydown", ev => { if (ev.key === "Enter" && ev.target === tr) open(); });
  return tr;
}

function eventTable(rows) {
  return el("table", {class: "events"},
    el("thead", {}, el("tr", {}, ["col.ts", "col.level", "col.source", "col.host", "col.message"].map(
      k => el("th", {"data-i18n": k, text: t(k)})))),
    el("tbody", {}, rows.map(eventRow)));
}

function renderResults(page) {
  const box = document.getElementById("results");
  if (!page.rows.length) {
    box.replaceChildren(el("p", {class: "muted", id: "no-results", text: t("results.none")}));
  } else if (page.kind === "events" && page.rows[0].raw !== undefined) {
    box.replaceChildren(eventTable(page.rows));
  } else {
    box.replaceChildren(el("table", {class: "stats"},
      el("thead", {}, el("tr", {}, page.columns.map(c => el("th", {text: c})))),
      el("tbody", {}, page.rows.map(r => el("tr", {class: page.kind === "events" ? "event-row" : "stats-row"},
        page.columns.map(c => el("td", {text: typeof r[c] === "object" ? JSON.stringify(r[c]) : r[c]})))))));
  }
  document.getElementById("newer").disabled = search.page === 0;
  document.getElementById("older").disabled = !page.next;
  document.getElementById("page-label").textContent = t("results.page") + " " + (search.page + 1) + " · " +
    page.elapsed_ms + " " + t("results.elapsed");
}

function renderHistogram(h) {
  const box = document.getElementById("histogram");
  document.getElementById("hist-step").textContent = h.step ? t("hist.step") + " " + h.step : "";
  const max = Math.max(1, ...h.buckets.map(b => b.count));
  const step = stepSeconds(h.step);
  box.replaceChildren(...h.buckets.map(b => el("div", {class: "bar", title: shortTime(b.time) + " — " + b.count,
    style: "height:" + Math.max(2, Math.round(100 * b.count / max)) + "%", dataset: {time: b.time, count: b.count},
    onclick: () => zoomTo(b.time, step)})));
  if (h.buckets.length) {
    box.append(el("div", {class: "axis"}, el("span", {text: shortTime(h.from)}), el("span", {text: shortTime(h.to)})));
  }
}

function stepSeconds(step) {  // "5m" -> 300
  const m = /^(\d+)([smhdw])$/.exec(step || "");
  return m ? Number(m[1]) * {s: 1, m: 60, h: 3600, d: 86400, w: 604800}[m[2]] : 0;
}

function zoomTo(start, seconds) {  // a histogram bar: search inside its bucket
  if (!seconds) return;
  const from = new Date(start);
  const to = new Date(from.getTime() + seconds * 1000);
  search.range = "custom";
  search.from = from.toISOString().replace(".000Z", "Z");
  search.to = to.toISOString().replace(".000Z", "Z");
  search.q = document.getElementById("q").value.trim();
  renderSearchView();
  startSearch(true);
}

function addTerm(term) {
  const input = document.getElementById("q");
  const q = input.value.trim();
  input.value = q && q !== "*" ? q + " " + term : term;
  document.getElementById("search-form").requestSubmit();
}

function termFor(field, value) {
  return field + ":" + (/^[^\s()|,"\\*<>\[~]+$/.test(value) && !value.includes("/") ? value : JSON.stringify(value));
}

function renderFacets(data) {
  document.getElementById("found").textContent = t("results.found") + ": " + data.total.toLocaleString(LW.lang);
  const box = document.getElementById("facets");
  box.replaceChildren(el("h2", {"data-i18n": "facets.title", text: t("facets.title")}));
  for (const name of FACETS) {
    const values = data.facets[name] || [];
    if (!values.length) continue;
    box.append(el("section", {class: "facet", id: "facet-" + name},
      el("h3", {text: t("facet." + name)}),
      el("ul", {}, values.map(v => el("li", {},
        el("a", {href: "#", class: "facet-value", title: t("facet.add"), dataset: {field: name, value: v.value},
                 text: v.value, onclick: ev => { ev.preventDefault(); addTerm(termFor(name, v.value)); }}),
        el("span", {class: "count", text: v.count.toLocaleString(LW.lang)}),
        el("a", {href: "#", class: "facet-exclude", title: t("facet.exclude"), text: "⊘",
                 onclick: ev => { ev.preventDefault(); addTerm("-" + termFor(name, v.value)); }}))))));
  }
}

// ----------------------------------------------------------------------------------------- live tail
function toggleTail() {
  if (search.tail) { stopTail(); return; }
  const btn = document.getElementById("tail");
  btn.dataset.i18n = "tail.stop";
  btn.textContent = t("tail.stop");
  btn.classList.add("active");
  document.getElementById("tail-note").hidden = false;
  search.after = null;
  const box = document.getElementById("results");
  box.replaceChildren(eventTable([]));
  const poll = async () => {
    try {
      const data = await api("/api/v1/tail", {q: search.q, _after: search.after, _size: 200});
      search.after = data.after;
      const tbody = box.querySelector("tbody");
      for (const row of data.rows) {
        const tr = eventRow(row);
        tr.classList.add("new");
        tbody.prepend(tr);
      }
      while (tbody.children.length > 500) tbody.lastChild.remove();
    } catch (e) {
      showError(e.message);
    }
  };
  poll();
  search.tail = setInterval(poll, TAIL_MS);
}

function stopTail() {
  if (!search.tail) return;
  clearInterval(search.tail);
  search.tail = null;
  const btn = document.getElementById("tail");
  if (btn) { btn.dataset.i18n = "tail.start"; btn.textContent = t("tail.start"); btn.classList.remove("active"); }
  const note = document.getElementById("tail-note");
  if (note) note.hidden = true;
}

// --------------------------------------------------------------------------------------------- event
const COLUMNS = ["ts", "level", "source", "service", "host", "format", "origin", "seq", "user", "client_ip",
                 "trace_id", "request_id", "status"];

function traceIdOf(ev) {
  const f = ev.fields || {};
  return ev.trace_id || ev.request_id || f.queue_id || f.tr || f.message_id || "";
}

async function renderEventView(id) {
  view().replaceChildren(el("p", {class: "muted", text: t("loading")}));
  let ev;
  try {
    ev = await api("/api/v1/events/" + encodeURIComponent(id));
  } catch (e) {
    view().replaceChildren(el("p", {class: "error", id: "event-missing", text: e.message || t("event.notfound")}));
    return;
  }
  const rows = [];
  for (const key of COLUMNS) {
    if (ev[key] !== "" && ev[key] !== null && ev[key] !== undefined) rows.push([key, String(ev[key])]);
  }
  for (const [key, value] of Object.entries(ev.fields || {}).sort()) rows.push([key, value]);
  const trace = traceIdOf(ev);
  view().replaceChildren(
    el("p", {}, el("a", {href: "/", id: "back", "data-i18n": "event.back"})),
    el("h2", {}, el("span", {"data-i18n": "event.title"}), " ", levelBadge(ev.level), " ",
      el("span", {class: "ts", text: shortTime(ev.ts)})),
    el("p", {class: "links"},
      el("a", {href: "/api/v1/events/" + encodeURIComponent(id), id: "event-json", "data-i18n": "event.json"}),
      trace ? el("a", {href: "/trace/" + encodeURIComponent(trace), id: "event-trace"},
        el("span", {"data-i18n": "event.trace"}), " ", el("code", {text: trace})) : null),
    el("h3", {"data-i18n": "event.fields"}),
    el("table", {class: "fields", id: "event-fields"}, el("tbody", {}, rows.map(([k, v]) =>
      el("tr", {}, el("th", {text: k}), el("td", {}, el("code", {text: v})))))),
    el("h3", {"data-i18n": "event.raw"}),
    el("pre", {id: "raw", class: "raw", text: ev.raw}),
    el("h3", {"data-i18n": "event.context"}),
    el("div", {id: "context", class: "context"}, el("p", {class: "muted", text: t("loading")})));
  applyI18n(view());
  try {
    const ctx = await api("/api/v1/events/" + encodeURIComponent(id) + "/context", {before: 5, after: 5});
    document.getElementById("context").replaceChildren(el("ol", {class: "context-lines"}, ctx.records.map(r =>
      el("li", {class: r.hit ? "hit" : ""}, el("span", {class: "ts", text: shortTime(r.ts)}), " ",
        r.hit ? el("span", {class: "raw-line", text: r.raw})
              : el("a", {href: "/event/" + encodeURIComponent(r._id), class: "raw-line", text: r.raw})))));
  } catch (e) {
    document.getElementById("context").replaceChildren(el("p", {class: "error", text: e.message}));
  }
}

// --------------------------------------------------------------------------------------------- trace
async function renderTraceView(id) {
  const input = el("input", {id: "trace-id", value: id || "", "data-i18n-placeholder": "trace.id"});
  const form = el("form", {class: "searchbar", id: "trace-form"}, input,
    el("button", {type: "submit", "data-i18n": "trace.open"}));
  form.addEventListener("submit", ev => {
    ev.preventDefault();
    if (input.value.trim()) location.href = "/trace/" + encodeURIComponent(input.value.trim());
  });
  const out = el("div", {id: "trace-result"});
  view().replaceChildren(el("h2", {"data-i18n": "trace.title"}), form, out);
  applyI18n(view());
  if (!id) return;
  try {
    const data = await api("/api/v1/traces/" + encodeURIComponent(id));
    out.replaceChildren(el("p", {class: "muted", text: data.rows.length + " " + t("trace.records") + " · " +
      data.sources.join(", ") + (data.hosts.length ? " · " + data.hosts.join(", ") : "")}),
      data.rows.length ? eventTable(data.rows) : el("p", {class: "muted", text: t("results.none")}));
  } catch (e) {
    out.replaceChildren(el("p", {class: "error", text: e.message}));
  }
}

// ---------------------------------------------------------------------------------------------- mail
async function renderMailView() {
  const p = new URLSearchParams(location.search);
  const fields = ["sender", "recipient", "queue_id", "message_id"];
  const inputs = Object.fromEntries(fields.map(f => [f, el("input", {id: "mail-" + f, name: f, value: p.get(f) || "",
    "data-i18n-placeholder": "mail." + f})]));
  const form = el("form", {class: "searchbar", id: "mail-form"}, Object.values(inputs),
    el("button", {type: "submit", "data-i18n": "mail.find"}));
  form.addEventListener("submit", ev => {
    ev.preventDefault();
    const params = {};
    for (const f of fields) params[f] = inputs[f].value.trim();
    location.href = "/mail?" + qs(params);
  });
  const out = el("div", {id: "mail-result"});
  view().replaceChildren(el("h2", {"data-i18n": "mail.title"}), form, out);
  applyI18n(view());
  const params = {};
  for (const f of fields) params[f] = p.get(f) || "";
  try {
    const data = await api("/api/v1/mail/flows", {...params, _size: 50});
    if (!data.messages.length) { out.replaceChildren(el("p", {class: "muted", text: t("mail.none")})); return; }
    out.replaceChildren(el("table", {class: "mail"},
      el("thead", {}, el("tr", {}, ["col.ts", "mail.sender", "mail.recipient", "mail.status", "mail.queue_id"].map(
        k => el("th", {text: t(k)})))),
      el("tbody", {}, data.messages.map(m => el("tr", {class: "mail-row"},
        el("td", {class: "ts", text: shortTime(m.first)}), el("td", {text: m.from || ""}),
        el("td", {}, (m.recipients || []).map(r => el("div", {text: r.to + " — " + (r.status || "")}))),
        el("td", {text: m.status || ""}),
        el("td", {}, (m.queue_ids || []).map(q => el("a", {href: "/trace/" + encodeURIComponent(q), text: q + " "})),
          mailLines(m),
          el("details", {}, el("summary", {text: "JSON"}), el("pre", {class: "raw", text: JSON.stringify(m, null, 1)}))))))));
  } catch (e) {
    out.replaceChildren(el("p", {class: "error", text: e.message}));
  }
}

function mailLines(m) {  // the stored records of every hop, each opening its event
  const lines = (m.hops || []).flatMap(h => h.lines || []);
  if (!lines.length) return null;
  return el("details", {class: "mail-lines"}, el("summary", {text: lines.length + " " + t("trace.records")}),
    el("ol", {class: "context-lines"}, lines.map(l => el("li", {}, el("span", {class: "ts", text: shortTime(l.ts)}), " ",
      el("a", {href: "/event/" + encodeURIComponent(l.id), class: "raw-line", text: l.raw})))));
}

// ------------------------------------------------------------------------------------------ requests
async function renderRequestsView() {
  const p = new URLSearchParams(location.search);
  const method = el("input", {id: "req-method", value: p.get("method") || "", "data-i18n-placeholder": "requests.method"});
  const status = el("input", {id: "req-status", value: p.get("status") || "", "data-i18n-placeholder": "requests.status"});
  const orphans = el("input", {id: "req-orphans", type: "checkbox", checked: p.get("orphans") === "true"});
  const form = el("form", {class: "searchbar", id: "requests-form"}, method, status,
    el("label", {}, orphans, " ", el("span", {"data-i18n": "requests.orphans"})),
    el("button", {type: "submit", "data-i18n": "requests.find"}));
  form.addEventListener("submit", ev => {
    ev.preventDefault();
    location.href = "/requests?" + qs({method: method.value.trim(), status: status.value.trim(),
                                       orphans: orphans.checked ? "true" : ""});
  });
  const out = el("div", {id: "requests-result"});
  view().replaceChildren(el("h2", {"data-i18n": "requests.title"}), form, out);
  applyI18n(view());
  try {
    const data = await api("/api/v1/requests/pairs", {method: p.get("method"), status: p.get("status"),
                                                      orphans: p.get("orphans"), _size: 500});
    if (!data.rows.length) { out.replaceChildren(el("p", {class: "muted", text: t("results.none")})); return; }
    const meaning = LW.lang === "ru" ? "meaning_ru" : "meaning";
    out.replaceChildren(el("table", {class: "requests"},
      el("thead", {}, el("tr", {}, ["col.ts", "requests.outcome", "requests.method", "facet.user", "requests.latency",
        "requests.status", "requests.meaning"].map(k => el("th", {text: t(k)})))),
      el("tbody", {}, data.rows.map(r => el("tr", {class: "request-row outcome-" + r.outcome},
        el("td", {class: "ts", text: shortTime(r.ts)}), el("td", {text: r.outcome}),
        el("td", {text: r.method || r.action || ""}), el("td", {text: r.user || ""}),
        el("td", {text: r.latency_s === null || r.latency_s === undefined ? "" : String(r.latency_s)}),
        el("td", {text: [r.http_status, r.status].filter(Boolean).join(" / ")}),
        el("td", {}, r.request_id ? el("a", {href: "/trace/" + encodeURIComponent(r.request_id),
          text: r[meaning] || r.error || r.request_id}) : (r[meaning] || r.error || "")))))));
  } catch (e) {
    out.replaceChildren(el("p", {class: "error", text: e.message}));
  }
}

// ----------------------------------------------------------------------------------------------- app
function route() {
  const path = location.pathname;
  showError("");
  if (path.startsWith("/event/")) return renderEventView(decodeURIComponent(path.slice(7)));
  if (path.startsWith("/trace")) return renderTraceView(decodeURIComponent(path.slice(7)));
  if (path.startsWith("/mail")) return renderMailView();
  if (path.startsWith("/requests")) return renderRequestsView();
  readSearchUrl();
  renderSearchView();
  return startSearch(false);
}

document.addEventListener("DOMContentLoaded", () => {
  applyI18n();
  document.getElementById("lang-switch").addEventListener("click", () => switchLanguage(() => {
    if (location.pathname === "/") { renderSearchView(); startSearch(false); } else route();
  }));
  document.getElementById("logout").addEventListener("click", async () => {
    await fetch("/api/v1/logout", {method: "POST", credentials: "same-origin"});
    location.href = "/login";
  });
  api("/api/v1/me").then(me => {
    document.getElementById("whoami").textContent = me.name + " (" + me.role + ")";
  }).catch(() => {});
  window.addEventListener("popstate", route);
  route();
});
