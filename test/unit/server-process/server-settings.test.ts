import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseArgv } from "../../../src/config/argv-parser.js";
import { readServerSettings } from "../../../src/server/server-settings.js";
import { isUwsgiError } from "../../../src/errors.js";

const settings = (argv: string[]) => {
  const { options, positional } = parseArgv(argv, { cwd: "/srv" });
  return readServerSettings(options, positional, "/srv");
};

describe("server settings", () => {
  it("reads sockets in uWSGI's order with their protocols", () => {
    const s = settings(["--socket", ":3031", "--http", ":8080", "--http-socket", "run/h.sock", "app.js"]);
    assert.deepEqual(
      s.sockets.map((x) => [x.option, x.proto, x.address]),
      [
        ["http", "http", { kind: "tcp", host: "0.0.0.0", port: 8080 }],
        ["http-socket", "http", { kind: "unix", path: "/srv/run/h.sock" }],
        ["socket", "uwsgi", { kind: "tcp", host: "0.0.0.0", port: 3031 }],
      ],
    );
  });

  it("takes the app from the positional argument, --module, or MODULE:CALLABLE", () => {
    assert.deepEqual(settings(["--http", ":1", "app.js"]).app, { path: "/srv/app.js", callable: null });
    assert.deepEqual(settings(["--http", ":1", "--module", "lib/app.mjs:handler"]).app, { path: "/srv/lib/app.mjs", callable: "handler" });
    assert.deepEqual(settings(["--http", ":1", "--module", "app.js", "--callable", "api"]).app, { path: "/srv/app.js", callable: "api" });
    assert.equal(settings(["--http", ":1"]).app, null);
  });

  it("has uWSGI's defaults and units", () => {
    const s = settings(["--http", ":1", "a.js"]);
    assert.equal(s.processes, 1);
    assert.equal(s.listen, 100);
    assert.equal(s.bufferSize, 4096);
    assert.equal(s.harakiri, 0);
    assert.equal(s.workerReloadMercy, 60);
    assert.equal(settings(["--http", ":1", "--reload-on-rss", "200", "a.js"]).reloadOnRss, 200 * 1024 * 1024);
  });

  it("rejects bad values naming the option", () => {
    assert.throws(() => settings(["--http", ":1", "--processes", "0", "a.js"]), (e) => isUwsgiError(e, "UWSGI_ERR_OPTION_VALUE") && e.message.includes("processes"));
    assert.throws(() => settings(["--http", "nowhere:x", "a.js"]), (e) => isUwsgiError(e, "UWSGI_ERR_OPTION_VALUE") && e.message.includes("option http"));
    assert.throws(() => settings(["--http", ":1", "a.js", "b.js"]), /only one app/);
  });
});
