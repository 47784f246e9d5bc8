// SPDX-License-Identifier: GPL-2.0-only
// The dashboard: polls the API once a second, keeps the last two minutes of figures and
// draws them on canvases (no library: nothing to fetch at build time).
"use strict";

const HISTORY = 120;
const series = { qps: [], latency: [], hitrate: [], stale: [] };
let previous = null;  // the last statistics, for per-second rates
let samples = 0;      // polls that succeeded, for tests and the status line

function push(name, value) {
  const s = series[name];
  s.push(value);
  if (s.length > HISTORY) s.shift();
}

function drawChart(id, values, color) {
  const canvas = document.getElementById(id);
  const ctx = canvas.getContext("2d");
  const w = canvas.width, h = canvas.height, pad = 30;
  ctx.clearRect(0, 0, w, h);
  const known = values.filter((v) => v !== null);
  const max = Math.max(1, ...known) * 1.1;
  ctx.strokeStyle = "#ccc";
  ctx.fillStyle = "#666";
  ctx.font = "10px sans-serif";
  for (let i = 0; i <= 4; i++) {
    const y = pad / 2 + (h - pad) * i / 4;
    ctx.beginPath();
    ctx.moveTo(pad, y);
    ctx.lineTo(w, y);
    ctx.stroke();
    ctx.fillText((max * (4 - i) / 4).toPrecision(3), 0, y + 3);
  }
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
  canvas.dataset.points = String(known.length);
  canvas.dataset.last = known.length ? String(known[known.length - 1]) : "";
}

function show(id, value, digits) {
  document.getElementById(id).textContent = value === null ? "n/a" : value.toFixed(digits);
}

function cell(row, text, isText) {
  const td = row.insertCell();
  td.textContent = text;
  if (isText) td.className = "text";
}

function fillTable(id, rows, fill) {
  const body = document.querySelector("#" + id + " tbody");
  body.replaceChildren();
  rows.forEach((r) => fill(body.insertRow(), r));
}

function updateStats(stats) {
  if (previous !== null) {
    const dq = stats["queries"] - previous["queries"];
    push("qps", Math.max(0, dq));
    push("latency", stats["latency-avg100"] / 1000);
    const hits = stats["cache-hits"], misses = stats["cache-misses"];
    if (hits === undefined || misses === undefined) {
      push("hitrate", null);
    } else {
      const dh = hits - previous["cache-hits"], dm = misses - previous["cache-misses"];
      push("hitrate", dh + dm > 0 ? 100 * dh / (dh + dm) : 0);
    }
    const stale = stats["cache-stale-hits"];
    push("stale", stale === undefined ? null : Math.max(0, stale - previous["cache-stale-hits"]));
  }
  previous = stats;
  const last = (s) => (s.length ? s[s.length - 1] : null);
  show("qps-value", last(series.qps), 0);
  show("latency-value", last(series.latency), 2);
  show("hitrate-value", last(series.hitrate), 1);
  show("stale-value", last(series.stale), 0);
  drawChart("qps-chart", series.qps, "#1f77b4");
  drawChart("latency-chart", series.latency, "#ff7f0e");
  drawChart("hitrate-chart", series.hitrate, "#2ca02c");
  drawChart("stale-chart", series.stale, "#9467bd");
  const resolver = Object.keys(stats).filter((k) => k.startsWith("resolver-")).sort();
  document.getElementById("resolvers-section").style.display = resolver.length ? "" : "none";
  fillTable("resolvers", resolver, (row, k) => { cell(row, k, true); cell(row, String(stats[k])); });
}

function updateServer(info) {
  document.getElementById("version").textContent = info.version;
  fillTable("servers", info.servers, (row, s) => {
    row.className = s.state.toLowerCase() === "up" ? "up" : "down";
    row.dataset.name = s.name;
    cell(row, String(s.id));
    cell(row, s.name, true);
    cell(row, s.address, true);
    cell(row, s.state, true);
    cell(row, s.qps.toFixed(0));
    cell(row, s.latency.toFixed(2));
    cell(row, String(s.queries));
    cell(row, String(s.drops));
    cell(row, String(s.outstanding));
    cell(row, s.pools.join(" "), true);
  });
  fillTable("frontends", info.frontends, (row, f) => {
    cell(row, String(f.id));
    cell(row, f.address, true);
    cell(row, f.type, true);
  });
  fillTable("pools", info.pools, (row, p) => {
    cell(row, String(p.id));
    cell(row, p.name === "" ? "(default)" : p.name, true);
    cell(row, String(p.serversCount));
    cell(row, String(p.upServersCount));
    cell(row, p.serverPolicy, true);
  });
}

async function poll() {
  const status = document.getElementById("status");
  try {
    // From the origin: a page opened as http://user:pass@host/ would otherwise hand fetch()
    // URLs with credentials in them, which it refuses.
    const [stats, info] = await Promise.all([
      fetch(location.origin + "/jsonstat?command=stats", { credentials: "same-origin" }),
      fetch(location.origin + "/api/v1/servers/localhost", { credentials: "same-origin" }),
    ]);
    if (!stats.ok || !info.ok) throw new Error("HTTP " + stats.status + "/" + info.status);
    updateStats(await stats.json());
    updateServer(await info.json());
    samples++;
    status.textContent = "updated " + new Date().toLocaleTimeString();
    status.dataset.samples = String(samples);
  } catch (e) {
    status.textContent = "cannot reach ballast: " + e.message;
  }
}

poll();
setInterval(poll, 1000);
