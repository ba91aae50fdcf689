// Every framework recipe in examples/ runs unchanged under the real server, over HTTP (--http)
// and over the uwsgi protocol behind real nginx (--socket + uwsgi_pass), from one server each.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { httpRequest, startServer } from "./server-harness.js";
import { startNginx } from "../support/nginx.js";

const EXAMPLES = ["express", "fastify", "hono", "koa", "fetch", "nestjs"] as const;

for (const name of EXAMPLES) {
  test(`examples/${name}.mjs serves over --http and behind nginx over --socket, sharing the cache`, async () => {
    const app = fileURLToPath(new URL(`../../../examples/${name}.mjs`, import.meta.url));
    const server = await startServer(["--http", "127.0.0.1:0", "--socket", "127.0.0.1:0", "--master", "--processes", "1", "--cache2", "name=default,items=100", "--disable-logging", app]);
    let nginx: Awaited<ReturnType<typeof startNginx>> | undefined;
    try {
      const socketPort = Number((await server.waitForLog(/uwsgi socket 1 bound to TCP address 127\.0\.0\.1:(\d+) fd \d+ \(uwsgi\)/))[1]);
      const direct = await httpRequest(server.port, "/");
      assert.equal(direct.status, 200, direct.body);
      assert.match(String(direct.headers["content-type"]), /^application\/json/);
      assert.deepEqual(JSON.parse(direct.body), { framework: name, worker: 1, hits: 1, ...(name === "fetch" ? { path: "/" } : {}) });

      nginx = await startNginx(socketPort);
      const proxied = await httpRequest(nginx.port, "/");
      assert.equal(proxied.status, 200, proxied.body);
      assert.deepEqual(JSON.parse(proxied.body), { framework: name, worker: 1, hits: 2, ...(name === "fetch" ? { path: "/" } : {}) });
      assert.deepEqual(nginx.errors(), []);
      assert.doesNotMatch(server.log(), /unhandled error|Error:/, "no app failure logged");
    } finally {
      await nginx?.stop();
      await server.stop();
    }
  });
}
