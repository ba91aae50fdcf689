/**
 * The web dashboard the stats server serves at `/dashboard` (`--stats-http`): one
 * self-contained HTML page (inline CSS and JS, no CDN, no external request) that reads the
 * stats JSON from the same server every second and draws live charts on canvases: requests/s,
 * average response time per worker, workers by status, cache items and hit ratio, spooler
 * tasks and mules, with the worker table under them, and the legions: which node is Lord (this
 * one since when, or which member), the Lord's valor and scroll, the quorum, and every member
 * with its valor and when it was last seen.
 * @module
 */

/** Colours of the series, in order (workers cycle through them). */
export const DASHBOARD_COLORS = ["#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#4b5563"] as const;

const SCRIPT = String.raw`
const COLORS = ${JSON.stringify(DASHBOARD_COLORS)};
const KEEP = 120;
const state = { samples: [], prev: null, errors: 0 };
window.__dashboard = state;

function series(name) { return state.samples.map((s) => s[name] ?? null); }

function draw(canvas, lines, unit) {
  const ctx = canvas.getContext("2d");
  const w = canvas.width, h = canvas.height, left = 56, bottom = 18, top = 8;
  ctx.fillStyle = "#ffffff";
  ctx.fillRect(0, 0, w, h);
  let max = 0;
  for (const l of lines) for (const v of l.values) if (v !== null && v > max) max = v;
  if (max <= 0) max = 1;
  max *= 1.1;
  ctx.strokeStyle = "#e5e7eb";
  ctx.fillStyle = "#6b7280";
  ctx.font = "11px sans-serif";
  ctx.lineWidth = 1;
  for (let i = 0; i <= 4; i++) {
    const y = top + ((h - top - bottom) * i) / 4;
    ctx.beginPath(); ctx.moveTo(left, y); ctx.lineTo(w, y); ctx.stroke();
    const v = (max * (4 - i)) / 4;
    ctx.fillText((v >= 100 ? v.toFixed(0) : v.toFixed(v >= 10 ? 1 : 2)) + unit, 2, y + 4);
  }
  const n = Math.max(2, KEEP);
  lines.forEach((l, li) => {
    ctx.strokeStyle = l.color;
    ctx.lineWidth = 3;
    ctx.beginPath();
    let started = false;
    const offset = n - l.values.length;
    l.values.forEach((v, i) => {
      if (v === null) { started = false; return; }
      const x = left + ((w - left) * (offset + i)) / (n - 1);
      const y = top + (h - top - bottom) * (1 - v / max);
      if (!started) { ctx.moveTo(x, y); started = true; } else ctx.lineTo(x, y);
    });
    ctx.stroke();
    ctx.fillStyle = l.color;
    ctx.fillText(l.label, left + 6 + li * 90, h - 4);
  });
}

function text(id, value) { document.getElementById(id).textContent = value; }

function bytes(n) {
  if (!n) return "0B";
  const u = ["B", "KB", "MB", "GB"]; let i = 0;
  while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
  return n.toFixed(i ? 1 : 0) + u[i];
}

function render(doc) {
  const workers = doc.workers || [];
  text("title", "uwsgi-node " + (doc.version || "") + " - master pid " + (doc.pid ?? "?"));
  const ids = workers.map((w) => w.id);
  draw(document.getElementById("chart-rps"), [{ label: "total", color: COLORS[0], values: series("rps") }].concat(
    ids.map((id, i) => ({ label: "w" + id, color: COLORS[(i + 1) % COLORS.length], values: series("rps" + id) }))), "");
  draw(document.getElementById("chart-latency"), ids.map((id, i) => ({ label: "w" + id, color: COLORS[(i + 1) % COLORS.length], values: series("lat" + id) })), "ms");
  draw(document.getElementById("chart-workers"), [
    { label: "busy", color: COLORS[1], values: series("busy") },
    { label: "idle", color: COLORS[2], values: series("idle") },
  ], "");
  const caches = doc.caches || [];
  draw(document.getElementById("chart-caches"), caches.flatMap((c, i) => [
    { label: c.name + " items", color: COLORS[i % COLORS.length], values: series("cache:" + c.name) },
  ]), "");
  draw(document.getElementById("chart-spooler"), [
    { label: "tasks", color: COLORS[3], values: series("spoolTasks") },
    { label: "running", color: COLORS[4], values: series("spoolRunning") },
  ], "");
  draw(document.getElementById("chart-mules"), [
    { label: "mules", color: COLORS[5], values: series("mules") },
    { label: "busy", color: COLORS[6], values: series("mulesBusy") },
  ], "");
  const last = state.samples[state.samples.length - 1] || {};
  text("summary", "req/s " + (last.rps ?? 0).toFixed(1) + " - workers " + workers.length + " - caches " + caches.length +
    " - spoolers " + (doc.spoolers || []).length + " - mules " + (doc.mules || []).length);
  const rows = workers.map((w) => "<tr><td>" + w.id + "</td><td>" + w.pid + "</td><td>" + w.status + "</td><td>" + w.requests +
    "</td><td>" + (last["rps" + w.id] ?? 0).toFixed(1) + "</td><td>" + ((w.avg_rt || 0) / 1000).toFixed(1) + "ms</td><td>" + bytes(w.rss) +
    "</td><td>" + bytes(w.tx) + "</td><td>" + (w.respawn_count ?? 0) + "</td></tr>");
  document.getElementById("workers").innerHTML = rows.join("");
  const cacheRows = caches.map((c) => "<tr><td>" + c.name + "</td><td>" + (c.items ?? "-") + "/" + c.max_items + "</td><td>" + (c.hits ?? "-") + "</td><td>" + (c.miss ?? "-") + "</td><td>" + (c.full ?? "-") + "</td></tr>");
  document.getElementById("caches").innerHTML = cacheRows.join("");
  renderLegions(doc.legions || []);
}

function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, (c) => "&#" + c.charCodeAt(0) + ";");
}

function renderLegions(legions) {
  document.getElementById("legions-card").hidden = legions.length === 0;
  const now = Math.floor(Date.now() / 1000);
  const rows = [];
  for (const l of legions) {
    const members = l.members || [];
    let lord;
    if (l.i_am_the_lord > 0) lord = "this node (since " + Math.max(0, now - l.i_am_the_lord) + "s)";
    else {
      const m = members.find((x) => x.uuid && x.uuid === l.lord_uuid);
      lord = m ? m.name + " (" + m.uuid + ")" : "none known";
    }
    rows.push("<tr class=\"legion\"><td>" + escapeHtml(l.legion) + "</td><td>" + l.valor + "</td><td class=\"lord\">" + escapeHtml(lord) +
      "</td><td>" + (l.lord_valor ?? 0) + "</td><td class=\"scroll\">" + escapeHtml(l.lord_scroll ?? "") + "</td><td>" + (l.quorum ?? 0) +
      "</td><td>" + members.length + "</td></tr>");
    for (const m of members) {
      rows.push("<tr class=\"member\"><td></td><td>" + m.valor + "</td><td colspan=\"5\">" + escapeHtml(m.name) + " " + escapeHtml(m.uuid || "") +
        (m.uuid && m.uuid === l.lord_uuid ? " (Lord)" : "") + " - last seen " + Math.max(0, now - m.last_seen) + "s ago</td></tr>");
    }
  }
  document.getElementById("legions").innerHTML = rows.join("");
}

async function tick() {
  try {
    const res = await fetch("/stats.json", { cache: "no-store" });
    const doc = await res.json();
    const now = performance.now();
    const sample = { t: now };
    const workers = doc.workers || [];
    let rps = 0;
    for (const w of workers) {
      const before = state.prev && state.prev.doc.workers.find((p) => p.id === w.id && p.pid === w.pid);
      const dt = state.prev ? (now - state.prev.t) / 1000 : 0;
      const r = before && dt > 0 ? Math.max(0, (w.requests - before.requests) / dt) : 0;
      sample["rps" + w.id] = r;
      sample["lat" + w.id] = (w.avg_rt || 0) / 1000;
      rps += r;
    }
    sample.rps = rps;
    sample.busy = workers.filter((w) => w.status === "busy").length;
    sample.idle = workers.length - sample.busy;
    for (const c of doc.caches || []) if (c.items !== undefined) sample["cache:" + c.name] = c.items;
    sample.spoolTasks = (doc.spoolers || []).reduce((n, s) => n + (s.tasks || 0), 0);
    sample.spoolRunning = (doc.spoolers || []).reduce((n, s) => n + (s.running || 0), 0);
    sample.mules = (doc.mules || []).length;
    sample.mulesBusy = (doc.mules || []).filter((m) => m.status && m.status !== "idle").length;
    if (state.prev) state.samples.push(sample);
    if (state.samples.length > KEEP) state.samples.shift();
    state.prev = { doc, t: now };
    render(doc);
    text("status", "live");
  } catch (err) {
    state.errors++;
    text("status", "cannot read the stats: " + err.message);
  }
}
tick();
setInterval(tick, 1000);
`;

/** The page (text/html). */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>uwsgi-node dashboard</title>
<style>
  body { font: 14px system-ui, sans-serif; margin: 16px; color: #111827; background: #f9fafb; }
  h1 { font-size: 18px; margin: 0 0 4px; }
  #summary, #status { color: #4b5563; margin-bottom: 8px; }
  .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(440px, 1fr)); gap: 12px; }
  .card { background: #fff; border: 1px solid #e5e7eb; border-radius: 6px; padding: 8px; }
  .card h2 { font-size: 13px; margin: 0 0 6px; color: #374151; }
  table { border-collapse: collapse; width: 100%; margin-top: 12px; background: #fff; }
  th, td { text-align: left; padding: 3px 8px; border-bottom: 1px solid #e5e7eb; font-variant-numeric: tabular-nums; }
</style>
</head>
<body>
<h1 id="title">uwsgi-node</h1>
<div id="summary"></div>
<div id="status">loading</div>
<div class="grid">
  <div class="card"><h2>requests/s</h2><canvas id="chart-rps" width="420" height="160"></canvas></div>
  <div class="card"><h2>average response time per worker</h2><canvas id="chart-latency" width="420" height="160"></canvas></div>
  <div class="card"><h2>workers</h2><canvas id="chart-workers" width="420" height="160"></canvas></div>
  <div class="card"><h2>cache items</h2><canvas id="chart-caches" width="420" height="160"></canvas></div>
  <div class="card"><h2>spooler tasks</h2><canvas id="chart-spooler" width="420" height="160"></canvas></div>
  <div class="card"><h2>mules</h2><canvas id="chart-mules" width="420" height="160"></canvas></div>
</div>
<table><thead><tr><th>worker</th><th>pid</th><th>status</th><th>requests</th><th>req/s</th><th>avg</th><th>rss</th><th>tx</th><th>respawns</th></tr></thead><tbody id="workers"></tbody></table>
<table><thead><tr><th>cache</th><th>items</th><th>hits</th><th>miss</th><th>full</th></tr></thead><tbody id="caches"></tbody></table>
<table id="legions-card" hidden><thead><tr><th>legion</th><th>valor</th><th>Lord</th><th>Lord valor</th><th>scroll</th><th>quorum</th><th>members</th></tr></thead><tbody id="legions"></tbody></table>
<script>${SCRIPT}</script>
</body>
</html>
`;
