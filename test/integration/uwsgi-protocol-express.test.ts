// An unchanged Express 4 app served over the uwsgi protocol socket.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import express from "express";
import { currentRequest } from "../../src/core/request-context.js";
import { encodePacket, encodeVars } from "../../src/protocol/packet.js";
import { createUwsgiProtocolServer } from "../../src/server/uwsgi-protocol/uwsgi-protocol-server.js";

const app = express();
app.set("trust proxy", false);
app.set("env", "test"); // no error stack printed by the default handler
app.use(express.json());
app.use(express.urlencoded({ extended: false }));
app.get("/users/:id", (req, res) => {
  res.set("X-Env-Path", currentRequest()?.env.PATH_INFO ?? "none");
  res.json({ id: req.params.id, query: req.query, ip: req.ip, secure: req.secure, protocol: req.protocol, host: req.hostname });
});
app.post("/json", (req, res) => res.status(201).json({ got: req.body, type: req.get("content-type") }));
app.post("/form", (req, res) => res.send(`a=${req.body.a}`));
app.get("/redirect", (_req, res) => res.redirect(301, "/users/1"));
app.get("/cookie", (_req, res) => res.cookie("sid", "abc", { httpOnly: true }).send("ok"));
app.get("/fail", () => {
  throw new Error("route failed");
});
app.get("/async", async (_req, res) => {
  await new Promise((r) => setImmediate(r)); // resumes in a later turn of the event loop
  res.send(`async env ${currentRequest()?.env.REQUEST_METHOD}`);
});
app.use((_req, res) => res.status(404).send("nope"));

let server: net.Server;
let port = 0;

before(async () => {
  server = createUwsgiProtocolServer(app, { bufferSize: 4096, logger: () => {} });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as net.AddressInfo).port;
});

after(() => new Promise<void>((resolve) => server.close(() => resolve())));

interface Reply {
  status: number;
  headers: Record<string, string[]>;
  body: string;
}

function ask(vars: Record<string, string>, body = ""): Promise<Reply> {
  const all: Record<string, string> = { SERVER_PROTOCOL: "HTTP/1.1", HTTP_HOST: "shop.example", REMOTE_ADDR: "198.51.100.7", REMOTE_PORT: "5555", ...vars };
  if (body) all.CONTENT_LENGTH = String(Buffer.byteLength(body));
  return new Promise((resolve, reject) => {
    const s = net.connect(port, "127.0.0.1", () => s.write(Buffer.concat([encodePacket(0, 0, encodeVars(all)), Buffer.from(body)])));
    const chunks: Buffer[] = [];
    s.on("data", (c) => chunks.push(c));
    s.on("error", reject);
    s.on("close", () => {
      const raw = Buffer.concat(chunks).toString("utf8");
      const [head, ...rest] = raw.split("\r\n\r\n");
      const [status, ...lines] = head!.split("\r\n");
      const headers: Record<string, string[]> = {};
      for (const l of lines) (headers[l.slice(0, l.indexOf(":")).toLowerCase()] ??= []).push(l.slice(l.indexOf(":") + 2));
      resolve({ status: Number(status!.split(" ")[1]), headers, body: rest.join("\r\n\r\n") });
    });
  });
}

test("express over uwsgi: routing, params, query, req.ip from REMOTE_ADDR, HTTPS from the HTTPS var, uwsgi.env", async () => {
  const r = await ask({ REQUEST_METHOD: "GET", REQUEST_URI: "/users/42?sort=asc", PATH_INFO: "/users/42", QUERY_STRING: "sort=asc", HTTPS: "on" });
  assert.equal(r.status, 200);
  assert.equal(r.headers["x-env-path"]![0], "/users/42");
  assert.match(r.headers["content-type"]![0]!, /^application\/json/);
  assert.deepEqual(JSON.parse(r.body), { id: "42", query: { sort: "asc" }, ip: "198.51.100.7", secure: true, protocol: "https", host: "shop.example" });
});

test("express over uwsgi: JSON and urlencoded bodies, status codes, redirects, cookies, 404", async () => {
  const j = await ask({ REQUEST_METHOD: "POST", REQUEST_URI: "/json", CONTENT_TYPE: "application/json" }, JSON.stringify({ a: [1, "x"] }));
  assert.equal(j.status, 201);
  assert.deepEqual(JSON.parse(j.body), { got: { a: [1, "x"] }, type: "application/json" });
  const f = await ask({ REQUEST_METHOD: "POST", REQUEST_URI: "/form", CONTENT_TYPE: "application/x-www-form-urlencoded" }, "a=b%20c");
  assert.equal(f.body, "a=b c");
  const redirect = await ask({ REQUEST_METHOD: "GET", REQUEST_URI: "/redirect" });
  assert.equal(redirect.status, 301);
  assert.equal(redirect.headers.location![0], "/users/1");
  const cookie = await ask({ REQUEST_METHOD: "GET", REQUEST_URI: "/cookie" });
  assert.equal(cookie.headers["set-cookie"]![0], "sid=abc; Path=/; HttpOnly");
  const missing = await ask({ REQUEST_METHOD: "GET", REQUEST_URI: "/nowhere" });
  assert.equal(missing.status, 404);
});

test("express over uwsgi: a throwing route gets Express's 500; async routes keep the request context", async () => {
  const fail = await ask({ REQUEST_METHOD: "GET", REQUEST_URI: "/fail" });
  assert.equal(fail.status, 500);
  const a = await ask({ REQUEST_METHOD: "GET", REQUEST_URI: "/async" });
  assert.equal(a.body, "async env GET");
});

test("express over uwsgi: HEAD gets headers only", async () => {
  const r = await ask({ REQUEST_METHOD: "HEAD", REQUEST_URI: "/users/7" });
  assert.equal(r.status, 200);
  assert.equal(r.body, "");
  assert.ok(Number(r.headers["content-length"]![0]) > 0);
});
