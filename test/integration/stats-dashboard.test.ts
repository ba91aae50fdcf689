// The web dashboard (`--stats-http`, GET /dashboard) in a real browser: Debian's chromium
// driven by playwright-core. The charts must fill with data (checked on screenshots) and the
// page must load nothing from anywhere but the stats server.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { DASHBOARD_COLORS } from "../../src/observe/dashboard-page.js";
import { countColor, decodePng } from "../support/png.js";
import { httpRequest, startServer } from "./server-harness.js";

const CHROMIUM = "/usr/bin/chromium";

test("dashboard: live charts of requests/s, latency, workers and caches render with data in chromium, self-contained", async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is required (apt-get install chromium)`);
  const app = fileURLToPath(new URL("../../../examples/express.mjs", import.meta.url));
  const server = await startServer(["--http", "127.0.0.1:0", "--master", "--processes", "2", "--stats", "127.0.0.1:0", "--stats-http", "--cache2", "name=default,items=100", "--disable-logging", app]);
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox", "--disable-gpu"] });
  try {
    const statsPort = Number((await server.waitForLog(/Stats server enabled on 127\.0\.0\.1:(\d+)/))[1]);
    const origin = `http://127.0.0.1:${statsPort}`;
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const requested: string[] = [];
    page.on("request", (r) => requested.push(r.url()));
    const pageErrors: string[] = [];
    page.on("pageerror", (e) => pageErrors.push(e.message));
    const response = await page.goto(`${origin}/dashboard`);
    assert.equal(response?.status(), 200);
    assert.match(response?.headers()["content-type"] ?? "", /^text\/html/);

    // bounded load while the page samples: at most 60 requests, stops once the chart has data
    let sent = 0;
    const load = (async () => {
      while (sent < 60) {
        await httpRequest(server.port, "/");
        sent++;
        if (sent % 10 === 0 && (await page.evaluate(() => ((globalThis as unknown as { __dashboard: { samples: Array<{ rps: number }> } }).__dashboard.samples.filter((s) => s.rps > 0).length))) >= 2) break;
      }
    })();
    await page.waitForFunction(() => (globalThis as unknown as { __dashboard: { samples: Array<{ rps: number }> } }).__dashboard.samples.filter((s) => s.rps > 0).length >= 2, undefined, { timeout: 20_000, polling: 200 });
    await load;

    const rps = decodePng(await page.locator("#chart-rps").screenshot());
    const totalLine = countColor(rps, DASHBOARD_COLORS[0]);
    assert.ok(totalLine > 40, `the requests/s chart draws the total line (${totalLine} pixels of ${DASHBOARD_COLORS[0]})`);
    const workerLines = countColor(rps, DASHBOARD_COLORS[1]) + countColor(rps, DASHBOARD_COLORS[2]);
    assert.ok(workerLines > 40, `and per-worker lines (${workerLines} pixels)`);
    const latency = decodePng(await page.locator("#chart-latency").screenshot());
    assert.ok(countColor(latency, DASHBOARD_COLORS[1]) + countColor(latency, DASHBOARD_COLORS[2]) > 40, "the latency chart has worker lines");
    const caches = decodePng(await page.locator("#chart-caches").screenshot());
    assert.ok(countColor(caches, DASHBOARD_COLORS[0]) > 40, "the cache chart has the default cache's line (the app stores a key)");
    const rows = await page.locator("#workers tr").count();
    assert.equal(rows, 2, "one table row per worker");
    assert.match(await page.locator("#summary").innerText(), /workers 2 - caches 1/);
    assert.deepEqual(pageErrors, []);
    assert.deepEqual(requested.filter((u) => !u.startsWith(origin)), [], "no request leaves the stats server (no CDN)");
  } finally {
    await browser.close();
    await server.stop();
  }
});
