/**
 * Server-side conformance of the request-level seed names: each is called inside a real worker
 * and asserted. The websocket_*, chunked_read*, send, sendfile, offload, disconnect,
 * log_this_request and alarm names are exercised through real clients in
 * test/integration/websocket-server.test.ts and request-io-server.test.ts.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../integration/server-harness.js";
import { fixtureApp, httpRequest, startInstance, type TestServer } from "./harness.js";

describe("conformance (server): request-level names", { timeout: 60_000 }, () => {
  let server: TestServer;
  const dir = tempDir();
  const file = join(dir.path, "extract.txt");
  before(async () => {
    writeFileSync(file, "extracted");
    server = await startInstance(["--http", "127.0.0.1:0", "--processes", "1", "--module", fixtureApp("request-io-app"), "--disable-logging"]);
  });
  after(async () => {
    await server.stop("SIGKILL");
    dir.cleanup();
  });

  it("every name answers as documented inside a worker", async () => {
    const r = await httpRequest(server.port, `/conformance?file=${encodeURIComponent(file)}&self=127.0.0.1:${server.port}`, { method: "POST", body: "12345" });
    assert.equal(r.status, 200, r.body);
    assert.deepEqual(JSON.parse(r.body), {
      cl: 5,
      connection_fd: true,
      ready_fd: "boolean",
      add_var: "v1",
      get_logvar: "x1",
      async_sleep: 0,
      suspend: true,
      green_schedule: true,
      loop: null,
      extract: "extracted",
      embedded_data: "registered at import",
      embedded_data_missing: "UWSGI_ERR_EMBEDDED_DATA",
      extract_sym: "registered at import",
      extract_data_uri: "hi",
      extract_exec: "UWSGI_ERR_EXTRACT",
      route: "addvar ran",
      route_unknown: -1,
      start_response: null,
      applications: null,
      importers: [null, null, null],
      is_connected: true,
      wait_fd_write: 0,
      send_fd: true,
      recv: true,
      closed: false,
      async_connect_refused: -1,
    });
  });
});
