import { test } from "node:test";
import assert from "node:assert/strict";
import { parseArgv } from "../../../src/config/argv-parser.js";
import { readLimitSettings } from "../../../src/server/limits/limit-settings.js";

const read = (argv: string[], fdLimit: number | null = 1024) => readLimitSettings(parseArgv(argv).options, fdLimit);

test("limits: defaults are uWSGI's 4 s socket timeout, Node's 5 s keep-alive, no body limit, a connection cap under the fd limit", () => {
  assert.deepEqual(read([]), { socketTimeoutMs: 4000, httpKeepAliveMs: 5000, limitPost: 0, maxConnections: 960 });
  assert.equal(read([], null).maxConnections, 0, "no cap of ours when the fd limit is unknown");
  assert.equal(read([], 20).maxConnections, 16, "never below 16");
});

test("limits: options", () => {
  const l = read(["--socket-timeout", "10", "--http-keepalive=75", "--limit-post", "1048576", "--max-connections", "100"]);
  assert.deepEqual(l, { socketTimeoutMs: 10000, httpKeepAliveMs: 75000, limitPost: 1048576, maxConnections: 100 });
  assert.equal(read(["--http-keepalive=false"]).httpKeepAliveMs, 0);
  assert.equal(read(["--http-keepalive"]).httpKeepAliveMs, 5000, "a bare flag turns it on with the default");
  assert.throws(() => read(["--http-keepalive=soon"]), { code: "UWSGI_ERR_OPTION_VALUE", message: /http-keepalive/ });
  assert.throws(() => read(["--socket-timeout", "0"]), { code: "UWSGI_ERR_OPTION_VALUE", message: /socket-timeout/ });
});
