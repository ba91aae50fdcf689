// The request log's "{N vars in M bytes}" is counted without building the request's env (the
// cost of the default log line): the counts must be those of the env uwsgi.env would show
// (HTTP) and of the packet's vars as uWSGI counts them (uwsgi protocol).
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { IncomingMessage } from "node:http";
import { createConnection, createServer, Socket } from "node:net";
import { once } from "node:events";
import { setRequestHeaders, setSocketPeer } from "../../../src/core/node-internals.js";
import { cgiEnvOf, cgiEnvSize, envSize } from "../../../src/server/cgi-env.js";
import { httpRequestOf } from "../../../src/server/uwsgi-protocol/request-fields.js";

function peerSocket(): Socket {
  const socket = new Socket();
  setSocketPeer(socket, "192.0.2.9", 51000);
  return socket;
}

function request(url: string, rawHeaders: string[], method = "GET", socket = peerSocket()): IncomingMessage {
  const req = new IncomingMessage(socket);
  req.method = method;
  req.url = url;
  req.httpVersion = "1.1";
  setRequestHeaders(req, rawHeaders);
  return req;
}

test("request log vars: cgiEnvSize(req) is envSize(cgiEnvOf(req)) without building the env", () => {
  const cases = [
    request("/", ["Host", "example.org"]),
    request("/a%C3%A9/b?x=%C3%A9&y", ["Host", "[::1]:8080", "Content-Type", "text/plain", "Content-Length", "5", "X-Thing", "é"], "POST"),
    request("/q?", ["host", "h:80", "Accept", "*/*", "accept", "text/html"]), // a repeated header: merged into one var
    request("/nohost", []),
    request("/many", Array.from({ length: 70 }, (_, i) => [`X-H${i}`, `v${i}`]).flat()), // more names than the seen-table holds
    request("/many-repeated", [...Array.from({ length: 70 }, (_, i) => [`X-H${i}`, `v${i}`]).flat(), "x_h3", "again"]),
  ];
  for (const req of cases) assert.deepEqual(cgiEnvSize(req), envSize(cgiEnvOf(req)), req.url);
});

test("request log vars: cgiEnvSize matches the built env for any header set: repeated names in any case or with _ for -, Host forms, over 64 headers", () => {
  // names as Node's parser passes them (tokens), drawn from a few that collide
  const name = fc.constantFrom("Host", "host", "HOST", "Content-Type", "content-type", "Content_Type", "Content-Length", "X-A", "x_a", "X-B", "Accept");
  const other = fc.stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,12}$/);
  const value = fc.oneof(fc.constantFrom("[::1]:8080", "[::1]", "h:80", "h:", ":80", "h:8a", "[x", "x]", "[]:1", "", "é:1"), fc.string({ maxLength: 12 }));
  const headers = fc.array(fc.tuple(fc.oneof(name, other), value), { maxLength: 70 });
  fc.assert(
    fc.property(headers, fc.constantFrom("/", "/a%C3%A9?x=1", "/é?", "/%zz"), (pairs, url) => {
      const req = request(url, pairs.flat());
      assert.deepEqual(cgiEnvSize(req), envSize(cgiEnvOf(req)));
    }),
    { numRuns: 300 },
  );
});

test("request log vars: with a per-connection cache, each request of a connection counts as its built env (Host changing, absent, repeated)", () => {
  const name = fc.constantFrom("Host", "host", "Content-Type", "X-A", "x_a", "Accept");
  const value = fc.constantFrom("example.org", "example.org:8080", "[::1]:8080", "", "h:80", ":80", "é");
  const requests = fc.array(fc.array(fc.tuple(name, value), { maxLength: 12 }), { minLength: 1, maxLength: 8 });
  fc.assert(
    fc.property(requests, (headerSets) => {
      const socket = peerSocket();
      const cache = { varsPeerBytes: -1, varsHost: "", varsHostBytes: 0 };
      for (const pairs of headerSets) {
        const req = request("/a?b=1", pairs.flat(), "GET", socket);
        assert.deepEqual(cgiEnvSize(req, cache), envSize(cgiEnvOf(req)), JSON.stringify(pairs));
      }
    }),
    { numRuns: 300 },
  );
});

test("request log vars: on an accepted connection, SERVER_PORT is the listening port read once per server (no getsockname per connection)", async () => {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  try {
    for (let i = 0; i < 2; i++) {
      const accepted = once(server, "connection");
      const client = createConnection((server.address() as { port: number }).port, "127.0.0.1");
      const [socket] = (await accepted) as [Socket];
      const cache = { varsPeerBytes: -1, varsHost: "", varsHostBytes: 0 };
      for (const headers of [["Host", "example.org"], []]) {
        const req = new IncomingMessage(socket);
        req.method = "GET";
        req.url = "/x?y=1";
        req.httpVersion = "1.1";
        setRequestHeaders(req, headers);
        assert.deepEqual(cgiEnvSize(req), envSize(cgiEnvOf(req)), `connection ${i}, headers ${headers.join(":")}`);
        assert.deepEqual(cgiEnvSize(req, cache), envSize(cgiEnvOf(req)), `connection ${i}, headers ${headers.join(":")}, cached`);
      }
      client.destroy();
      socket.destroy();
    }
  } finally {
    server.close();
  }
});

test("request log vars: a uwsgi request counts every var of its packet and the payload's bytes", () => {
  const vars = ["REQUEST_METHOD", "GET", "REQUEST_URI", "/x", "HTTP_HOST", "h", "HTTP_HOST", "h2", "REMOTE_USER", "bob"];
  const request = httpRequestOf(vars);
  const payload = vars.reduce((n, s) => n + 2 + Buffer.byteLength(s, "latin1"), 0);
  assert.deepEqual(request.varsSize(), [5, payload]);
  assert.equal(request.envVar("HTTP_HOST"), "h2"); // the last duplicate, as env has it
  assert.equal(request.envVar("REMOTE_USER"), "bob");
  assert.equal(request.envVar("PATH_INFO"), undefined);
  const stripped = httpRequestOf(["SCRIPT_NAME", "/app", "PATH_INFO", "/app/x"], 30);
  assert.equal(stripped.envVar("PATH_INFO"), "/x"); // modifier1 30: as env has it
});
