import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import { loadApp } from "../../../src/server/app-loader.js";
import { isUwsgiError } from "../../../src/errors.js";

const dir = mkdtempSync(join(tmpdir(), "uwsgi-node-app-loader-"));
after(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function moduleFile(source: string, ext = "mjs"): string {
  const path = join(dir, `app${n++}.${ext}`);
  writeFileSync(path, source);
  return path;
}

/** Serves `listener` once on a free port and returns the body of GET /p?q=1. */
async function get(listener: Parameters<typeof createServer>[1]): Promise<string> {
  const server = createServer(listener).listen(0, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  try {
    const port = (server.address() as AddressInfo).port;
    return await new Promise((resolve, reject) => {
      request({ host: "127.0.0.1", port, path: "/p?q=1", agent: false }, (res) => {
        let body = "";
        res.on("data", (c: Buffer) => (body += c.toString()));
        res.on("end", () => resolve(body));
      })
        .on("error", reject)
        .end();
    });
  } finally {
    server.close();
  }
}

describe("app loader", () => {
  it("takes default, then app, then application; a (req, res) function is a Node listener", async () => {
    const a = await loadApp({ path: moduleFile('export default (req, res) => res.end("default " + req.url);'), callable: null });
    assert.equal(a.kind, "node-listener");
    assert.equal(await get(a.listener), "default /p?q=1");
    const b = await loadApp({ path: moduleFile('export const application = (req, res) => res.end("application");\nexport const app = (req, res) => res.end("app");'), callable: null });
    assert.equal(b.exportName, "app");
    const c = await loadApp({ path: moduleFile('module.exports = function (req, res, next) { res.end("cjs"); };', "cjs"), callable: null });
    assert.equal(await get(c.listener), "cjs");
  });

  it("serves fetch-style functions and { fetch } objects", async () => {
    const f = await loadApp({ path: moduleFile('export default (request) => new Response("fetch " + new URL(request.url).search);'), callable: null });
    assert.equal(f.kind, "fetch-function");
    assert.equal(await get(f.listener), "fetch ?q=1");
    const o = await loadApp({ path: moduleFile('export default { prefix: "obj", fetch(request) { return new Response(this.prefix + " " + request.method); } };'), callable: null });
    assert.equal(o.kind, "fetch-object");
    assert.equal(await get(o.listener), "obj GET");
    const ns = await loadApp({ path: moduleFile('export function fetch() { return new Response("namespace"); }'), callable: null });
    assert.equal(ns.exportName, "*");
    assert.equal(await get(ns.listener), "namespace");
  });

  it("uses Koa's callback() and an http.Server's request listeners", async () => {
    const koa = await loadApp({ path: moduleFile('export default { use() {}, callback() { return (req, res) => res.end("koa"); } };'), callable: null });
    assert.equal(koa.kind, "koa");
    assert.equal(await get(koa.listener), "koa");
    const srv = await loadApp({ path: moduleFile('import http from "node:http";\nexport default http.createServer((req, res) => res.end("server"));'), callable: null });
    assert.equal(srv.kind, "http-server");
    assert.equal(await get(srv.listener), "server");
  });

  it("names the problem: missing file, missing export, no app", async () => {
    await assert.rejects(loadApp({ path: join(dir, "missing.mjs"), callable: null }), (e) => isUwsgiError(e, "UWSGI_ERR_OPTION_VALUE") && /option module: no such file/.test(e.message));
    const path = moduleFile("export const x = 1;");
    await assert.rejects(loadApp({ path, callable: "handler" }), (e) => isUwsgiError(e, "UWSGI_ERR_OPTION_VALUE") && /option callable: .* has no export named "handler"/.test(e.message));
    await assert.rejects(loadApp({ path, callable: null }), /exports no app/);
    await assert.rejects(loadApp({ path, callable: "x" }), /the export "x" is a number \(1\)/);
  });
});

describe("app loader: telling apps apart", () => {
  it("regression: a wrapper (...args) => app(...args) was taken for a fetch handler; a rest parameter makes it a Node listener", async () => {
    const w = await loadApp({ path: moduleFile('const inner = (req, res) => res.end("wrapped " + req.url);\nexport default (...args) => inner(...args);'), callable: null });
    assert.equal(w.kind, "node-listener");
    assert.equal(await get(w.listener), "wrapped /p?q=1");
    const r = await loadApp({ path: moduleFile('export default function (req, ...rest) { rest[0].end("rest"); }'), callable: null });
    assert.equal(r.kind, "node-listener");
    assert.equal(await get(r.listener), "rest");
  });

  it("counts declared parameters, not fn.length: defaults and destructuring count", async () => {
    const d = await loadApp({ path: moduleFile('export default (req, res = null, /* a, b */ extra = [1, 2]) => res.end("defaults");'), callable: null });
    assert.equal(d.kind, "node-listener", "(req, res = null) has fn.length 1 but declares 2");
    assert.equal(await get(d.listener), "defaults");
    const f = await loadApp({ path: moduleFile('export default async ({ url } = {}) => new Response("fetch " + new URL(url).pathname);'), callable: null });
    assert.equal(f.kind, "fetch-function");
    assert.equal(await get(f.listener), "fetch /p");
    const bare = await loadApp({ path: moduleFile('export default request => new Response("bare");'), callable: null });
    assert.equal(bare.kind, "fetch-function");
  });

  it("refuses what is not an app, naming what was found", async () => {
    const cases: Array<[string, string | null, RegExp]> = [
      ['export default () => "hi";', null, /option module: the default export is a function of 0 declared parameters: \(\) => "hi"; export a \(req, res\) listener/],
      ['export default class App { handle() {} }', null, /the default export is a class \(class App/],
      ['export const app = { listen() {}, routes: [] };', null, /the export "app" is an object with keys listen, routes; /],
      ['export default 42;', null, /the default export is a number \(42\)/],
      ['export const handler = "x";', "handler", /option callable: the export "handler" is a string/],
      ['export const helper = 1; export const other = 2;', null, /exports no app \(its exports: helper, other\): export default/],
    ];
    for (const [source, callable, message] of cases) {
      await assert.rejects(loadApp({ path: moduleFile(source), callable }), (e) => isUwsgiError(e, "UWSGI_ERR_OPTION_VALUE") && message.test(e.message), source);
    }
  });
});
