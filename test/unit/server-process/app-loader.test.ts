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
    await assert.rejects(loadApp({ path, callable: "x" }), /export "x" is not an app/);
  });
});
