// uWSGI's internal routing in real workers: --route and its subjects, labels and goto, the
// actions uwsgi-node provides (answers, redirects, rewrite, variables, headers, log, signal,
// alarm), uwsgi.route() inside a request, and unsupported actions refused at start.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { fixtureApp, httpRequest, runCli, startServer, type TestServer } from "./server-harness.js";

describe("internal routing (--route ...) in a real worker", { timeout: 60000 }, () => {
  let server: TestServer;
  before(async () => {
    server = await startServer([
      "--http", "127.0.0.1:0", "--processes", "1", "--module", fixtureApp("request-io-app"),
      "--log-format", "RQ %(uri) rlv=%(rlv)", "--alarm", "inlog log:", "--alarm-freq", "0",
      "--route-label", "top",
      "--route", "^/old/(.*)$ redirect-301:/new/$1",
      "--route", "^/moved$ redirect:http://elsewhere.example${REQUEST_URI}",
      "--route", "^/forbidden break:403 Forbidden",
      "--route", "^/teapot return:418",
      "--route", "^/drop$ break:",
      "--route-uri", "^/rw/(\\w+) rewrite:/env?from=$1",
      "--route-host", "^goto\\.example goto:special",
      "--route", "^/env addvar:ROUTED=yes-${qs[x]}",
      "--route", "^/env addheader:X-Routed: ${PATH_INFO}",
      "--route", "^/env logvar:rlv=logged",
      "--route", "^/quiet donotlog:",
      "--route", "^/sig signal:30",
      "--route", "^/alarm-route alarm:inlog routed ${PATH_INFO}",
      "--route", ".* last:",
      "--route-label", "special",
      "--route-run", "addheader:X-Special: 1",
      "--route-run", "log:ROUTE-LOG special host ${HTTP_HOST}",
      "--route", "^/back goto:top",
      "--route-run", "continue:",
    ]);
  });
  after(async () => {
    await server.stop("SIGKILL");
  });

  test("redirect-301 with a regexp group, redirect (302) with ${REQUEST_URI}", async () => {
    const r = await httpRequest(server.port, "/old/a/b");
    assert.equal(r.status, 301);
    assert.equal(r.headers.location, "/new/a/b");
    const m = await httpRequest(server.port, "/moved?q=1");
    assert.equal(m.status, 302);
    assert.equal(m.headers.location, "http://elsewhere.example/moved?q=1");
  });

  test("break:403 Forbidden answers with that status line; return:418 with the reason as body; break: closes", async () => {
    const f = await new Promise<{ status: number; message: string; body: string }>((resolve, reject) => {
      import("node:http").then(({ get }) => {
        get({ host: "127.0.0.1", port: server.port, path: "/forbidden", agent: false }, (res) => {
          let body = "";
          res.on("data", (c: Buffer) => (body += c.toString()));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, message: res.statusMessage ?? "", body }));
        }).on("error", reject);
      }, reject);
    });
    assert.deepEqual(f, { status: 403, message: "Forbidden", body: "" });
    const t = await httpRequest(server.port, "/teapot");
    assert.equal(t.status, 418);
    assert.equal(t.body, "I'm a Teapot");
    assert.equal(t.headers["content-type"], "text/plain");
    await assert.rejects(httpRequest(server.port, "/drop"), /socket hang up|ECONNRESET/);
  });

  test("rewrite on REQUEST_URI: the app sees the new url, PATH_INFO and QUERY_STRING (REQUEST_URI kept); later rules see the new PATH_INFO", async () => {
    const from = server.log().length;
    const r = await httpRequest(server.port, "/rw/abc?x=1");
    assert.equal(r.status, 200);
    assert.deepEqual(JSON.parse(r.body), { url: "/env?from=abc&x=1", path_info: "/env", query_string: "from=abc&x=1", request_uri: "/rw/abc?x=1", routed: "yes-1" });
    assert.equal(r.headers["x-routed"], "/env");
    await server.waitForLog(/^RQ \/rw\/abc\?x=1 rlv=logged$/m, 10000, from);
  });

  test("donotlog: drops the request's log line", async () => {
    const from = server.log().length;
    assert.equal((await httpRequest(server.port, "/quiet")).status, 404);
    await httpRequest(server.port, "/env?x=2");
    await server.waitForLog(/^RQ \/env\?x=2 /m, 10000, from);
    assert.doesNotMatch(server.log().slice(from), /^RQ \/quiet/m);
  });

  test("route-host goto:label jumps forward (route-run rules run there); a backward goto is logged and closes the request", async () => {
    const from = server.log().length;
    const r = await httpRequest(server.port, "/hello", { headers: { Host: "goto.example" } });
    assert.equal(r.status, 200);
    assert.equal(r.headers["x-special"], "1");
    await server.waitForLog(/ROUTE-LOG special host goto\.example/, 10000, from);
    const plain = await httpRequest(server.port, "/hello");
    assert.equal(plain.headers["x-special"], undefined, "last: stopped the table before the label");
    await assert.rejects(httpRequest(server.port, "/back", { headers: { Host: "goto.example" } }), /socket hang up|ECONNRESET/);
    await server.waitForLog(/"goto" instruction can only jump forward/, 10000, from);
  });

  test("signal:N raises the uwsgi signal; alarm:NAME MSG raises the alarm", async () => {
    const from = server.log().length;
    await httpRequest(server.port, "/sig");
    await server.waitForLog(/SIGNAL30 worker=1/, 10000, from);
    await httpRequest(server.port, "/alarm-route");
    await server.waitForLog(/^ALARM: routed \/alarm-route$/m, 10000, from);
  });

  test("uwsgi.route() in the app runs one action now: codes 0 (NEXT), -1 (unknown action), 2 (BREAK, the response sent); bad arguments throw UWSGI_ERR_ROUTE", async () => {
    const from = server.log().length;
    const r = await httpRequest(server.port, "/route-api");
    assert.equal(r.status, 418);
    assert.equal(r.headers["x-from-api"], "yes");
    await server.waitForLog(/ROUTE-API 0 0 -1 2 UWSGI_ERR_ROUTE sent=true/, 10000, from);
    await server.waitForLog(/^RQ \/route-api rlv=from-api$/m, 10000, from);
  });
});

describe("internal routing: what is refused at start", { timeout: 60000 }, () => {
  test("an unsupported action, a rule without an action, a bad regexp and --route-if stop the server with the reason", async () => {
    const cases: Array<[string[], RegExp]> = [
      [["--route", "^/x static:/etc/passwd"], /action "static" is not provided \(supported: continue, last, break/],
      [["--route", "^/x"], /expected REGEXP ACTION:ARGS/],
      [["--route", "^/x last"], /the action needs a colon/],
      [["--route", "([ last:"], /bad regexp/],
      [["--route", "^/x logvar:novalue"], /logvar needs KEY=VALUE/],
      [["--route-if", "equal:a;a last:"], /route-if/],
    ];
    // one at a time: each is a short-lived CLI, several at once on a loaded machine can hit runCli's time limit
    for (const [args, reason] of cases) {
      const r = await runCli(["--http", "127.0.0.1:0", "--module", fixtureApp("request-io-app"), ...args]);
      assert.notEqual(r.code, 0, `${args.join(" ")} started`);
      assert.match(r.stderr + r.stdout, reason);
    }
  });
});
