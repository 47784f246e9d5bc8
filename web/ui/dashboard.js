// SPDX-License-Identifier: GPL-2.0-only
// The dashboard: polls the API once a second, keeps the last two minutes of figures and
// draws them on canvases (no library: nothing to fetch at build time). Every panel marks
// itself data-filled="1" once it shows figures, so that a browser test can tell a panel
// left empty from one that is merely quiet.
"use strict";

const HISTORY = 120;
const series = { qps: [], p50: [], p90: [], p99: [], hitrate: [], stale: [] };
let previous = null;  // the last statistics, for per-second rates
let samples = 0;      // polls that succeeded, for tests and the status line

function push(name, value) {
  const s = series[name];
  s.push(value);
  if (s.length > HISTORY) s.shift();
}

function last(s) { return s.length ? s[s.length - 1] : null; }

function filled(panel, yes) {
  document.getElementById("panel-" + panel).dataset.filled = yes ? "1" : "0";
}

/// lines: [{values, color}], drawn on one scale; the canvas keeps the first line's count
/// of known points and last value in its dataset.
function drawChart(id, lines) {
  const canvas = document.getElementById(id);
  const ctx = canvas.getContext("2d");
  const w = canvas.width, h = canvas.height, pad = 30;
  ctx.clearRect(0, 0, w, h);
  const all = lines.flatMap((l) => l.values.filter((v) => v !== null));
  const max = Math.max(1, ...all) * 1.1;
  ctx.strokeStyle = "#ccc";
  ctx.fillStyle = "#666";
  ctx.font = "10px sans-serif";
  ctx.lineWidth = 1;
  for (let i = 0; i <= 4; i++) {
    const y = pad / 2 + (h - pad) * i / 4;
    ctx.beginPath();
    ctx.moveTo(pad, y);
    ctx.lineTo(w, y);
    ctx.stroke();
    ctx.fillText((max * (4 - i) / 4).toPrecision(3), 0, y + 3);
  }
  lines.forEach(({ values, color }) => {
    ctx.strokeStyle = color;
    ctx.lineWidth = 2;
    ctx.beginPath();
    let started = false;
    const offset = HISTORY - values.length;  // the newest point at the right edge
    values.forEach((v, i) => {
      if (v === null) { started = false; return; }
      const x = pad + (w - pad) * (offset + i) / (HISTORY - 1);
      const y = pad / 2 + (h - pad) * (1 - v / max);
      if (started) ctx.lineTo(x, y); else ctx.moveTo(x, y);
      started = true;
    });
    ctx.stroke();
  });
  const known = lines[0].values.filter((v) => v !== null);
  canvas.dataset.points = String(known.length);
  canvas.dataset.last = known.length ? String(known[known.length - 1]) : "";
  return known;
}

function show(id, value, digits) {
  document.getElementById(id).textContent = value === null ? "n/a" : value.toFixed(digits);
}

function cell(row, text, isText) {
  const td = row.insertCell();
  td.textContent = text;
  if (isText) td.className = "text";
}

/// Fills a table's body; with no rows, one row saying `empty` (and returns false).
function fillTable(id, rows, fill, empty) {
  const body = document.querySelector("#" + id + " tbody");
  body.replaceChildren();
  rows.forEach((r) => fill(body.insertRow(), r));
  if (!rows.length && empty) {
    const row = body.insertRow();
    row.className = "empty";
    const td = row.insertCell();
    td.colSpan = document.querySelectorAll("#" + id + " thead th").length;
    td.textContent = empty;
  }
  return rows.length > 0;
}

function rate(stats, name) {
  if (stats[name] === undefined || previous === null || previous[name] === undefined) return null;
  return Math.max(0, stats[name] - previous[name]);
}

function updateStats(stats) {
  if (previous !== null) {
    push("qps", rate(stats, "queries"));
    const dh = rate(stats, "cache-hits"), dm = rate(stats, "cache-misses");
    push("hitrate", dh === null || dm === null || dh + dm === 0 ? null : 100 * dh / (dh + dm));
    push("stale", rate(stats, "cache-stale-hits"));
  }
  previous = stats;
  show("qps-value", last(series.qps), 0);
  show("hitrate-value", last(series.hitrate), 1);
  show("stale-value", last(series.stale), 0);
  document.getElementById("stale-total").textContent = String(stats["cache-stale-hits"] ?? 0);
  const qps = drawChart("qps-chart", [{ values: series.qps, color: "#1f77b4" }]);
  filled("qps", qps.some((v) => v > 0));
  const hit = drawChart("hitrate-chart", [{ values: series.hitrate, color: "#2ca02c" }]);
  filled("hitrate", hit.length > 0);
  drawChart("stale-chart", [{ values: series.stale, color: "#9467bd" }]);
  filled("stale", (stats["cache-stale-hits"] ?? 0) > 0);
}

function updateLatency(latency) {
  const known = latency.answers > 0;
  push("p50", known ? latency.p50 : null);
  push("p90", known ? latency.p90 : null);
  push("p99", known ? latency.p99 : null);
  document.getElementById("latency-value").textContent = known
    ? `${latency.p50.toFixed(1)} / ${latency.p90.toFixed(1)} / ${latency.p99.toFixed(1)}`
    : "no answers";
  drawChart("latency-chart", [
    { values: series.p50, color: "#2ca02c" },
    { values: series.p90, color: "#ff7f0e" },
    { values: series.p99, color: "#d62728" },
  ]);
  filled("latency", known);
}

function updateRecent(recent) {
  updateLatency(recent.latency);
  const share = (n) => (recent.queries ? (100 * n / recent.queries).toFixed(1) : "");
  filled("top-clients", fillTable("top-clients", recent.topClients, (row, c) => {
    cell(row, c.client, true);
    cell(row, String(c.queries));
    cell(row, share(c.queries));
  }, "no query in the last 10 s"));
  filled("top-names", fillTable("top-names", recent.topNames, (row, n) => {
    cell(row, n.name, true);
    cell(row, String(n.queries));
    cell(row, share(n.queries));
  }, "no query in the last 10 s"));
  filled("dynblocks", fillTable("dynblocks", recent.dynamicBlocks, (row, b) => {
    if (b.warning) row.className = "warning";
    cell(row, b.network, true);
    cell(row, b.reason, true);
    cell(row, b.warning ? "warning" : b.action, true);
    cell(row, String(b.secondsLeft));
    cell(row, String(b.blocks));
  }, "no dynamic block in force"));
}

function stateClass(state) { return state.toLowerCase() === "up" ? "up" : "down"; }

/// Resolver instances are servers named "<resolver>@<n>"; their resolver's figures are the
/// statistics "resolver-<resolver>-...".
function updateResolvers(servers, stats) {
  const instances = servers.filter((s) => /@\d+$/.test(s.name));
  const byResolver = new Map();
  instances.forEach((s) => {
    const name = s.name.replace(/@\d+$/, "");
    if (!byResolver.has(name)) byResolver.set(name, []);
    byResolver.get(name).push(s);
  });
  const stat = (r, k) => String(stats[`resolver-${r}-${k}`] ?? "");
  fillTable("resolvers", [...byResolver.keys()].sort(), (row, r) => {
    const list = byResolver.get(r);
    const up = list.filter((s) => stateClass(s.state) === "up").length;
    row.className = up === list.length ? "up" : "down";
    cell(row, r, true);
    cell(row, `${up} / ${list.length}`);
    cell(row, stat(r, "restarts"));
    cell(row, String(list.reduce((n, s) => n + s.stateChanges, 0)));
    cell(row, stat(r, "cache-entries"));
    cell(row, stat(r, "outgoing-queries"));
    cell(row, stat(r, "servfails"));
  }, "no embedded resolver (newResolver)");
  fillTable("resolver-instances", instances, (row, s) => {
    row.className = stateClass(s.state);
    row.dataset.name = s.name;
    cell(row, s.name, true);
    cell(row, s.state, true);
    cell(row, String(s.stateChanges));
    cell(row, String(s.queries));
    cell(row, s.latency == null ? "-" : s.latency.toFixed(2));  // null: the server is down
  });
  filled("resolvers", instances.length > 0);
}

function updateServer(info, stats) {
  document.getElementById("version").textContent = info.version;
  filled("servers", fillTable("servers", info.servers, (row, s) => {
    row.className = stateClass(s.state);
    row.dataset.name = s.name;
    cell(row, String(s.id));
    cell(row, s.name, true);
    cell(row, s.address, true);
    cell(row, s.state, true);
    cell(row, s.qps.toFixed(0));
    cell(row, s.latency == null ? "-" : s.latency.toFixed(2));  // null: the server is down
    cell(row, String(s.queries));
    cell(row, String(s.drops));
    cell(row, String(s.outstanding));
    cell(row, String(s.stateChanges));
    cell(row, s.pools.join(" "), true);
  }, "no server"));
  updateResolvers(info.servers, stats);
  filled("frontends", fillTable("frontends", info.frontends, (row, f) => {
    cell(row, String(f.id));
    cell(row, f.address, true);
    cell(row, f.type, true);
    cell(row, String(f.queries));
  }));
  filled("pools", fillTable("pools", info.pools, (row, p) => {
    cell(row, String(p.id));
    cell(row, p.name === "" ? "(default)" : p.name, true);
    cell(row, String(p.serversCount));
    cell(row, String(p.upServersCount));
    cell(row, p.serverPolicy, true);
    cell(row, p.cacheHits === undefined ? "" : String(p.cacheHits));
    cell(row, p.cacheEntries === undefined ? "" : String(p.cacheEntries));
  }));
}

async function poll() {
  const status = document.getElementById("status");
  try {
    // From the origin: a page opened as http://user:pass@host/ would otherwise hand fetch()
    // URLs with credentials in them, which it refuses.
    const get = (path) => fetch(location.origin + path, { credentials: "same-origin" });
    const replies = await Promise.all([get("/jsonstat?command=stats"),
      get("/api/v1/servers/localhost"), get("/api/v1/servers/localhost/recent")]);
    const bad = replies.find((r) => !r.ok);
    if (bad) throw new Error("HTTP " + bad.status + " for " + bad.url);
    const [stats, info, recent] = await Promise.all(replies.map((r) => r.json()));
    updateStats(stats);
    updateServer(info, stats);
    updateRecent(recent);
    samples++;
    status.textContent = "updated " + new Date().toLocaleTimeString();
    status.dataset.samples = String(samples);
  } catch (e) {
    status.textContent = "cannot reach ballast: " + e.message;
  }
}

poll();
setInterval(poll, 1000);
