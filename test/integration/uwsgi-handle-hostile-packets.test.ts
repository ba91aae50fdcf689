/**
 * The server never dies of a client's bytes, on the path that serves a uwsgi request on its
 * accepted TCP handle (no net.Socket: a whole packet in the first read) and on the hand-over to
 * a net.Socket (packets in pieces, bodies, other modifiers): a real server gets packets drawn by
 * fast-check — well-formed ones with hostile vars (odd names, bytes no HTTP head allows, framing
 * vars that lie), corrupted ones, and either kind cut at a random point or sent in pieces — each
 * on a connection of its own that the client half-closes. Every connection must be closed by the
 * server, the worker must never be replaced, and a plain request must still be answered.
 */
import assert from "node:assert/strict";
import net from "node:net";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import fc from "fast-check";
import { encodeHeader } from "../../src/protocol/packet.js";
import { mutated } from "../fuzz/arbitraries.js";
import { fixtureApp, startServer, uwsgiRequest } from "./server-harness.js";

const RUNS = Number(process.env.FUZZ_SERVER_RUNS ?? 150);

/** CGI names the server reads, a few odd ones, and random bytes. */
const varName = fc.oneof(
  fc.constantFrom("REQUEST_METHOD", "REQUEST_URI", "PATH_INFO", "QUERY_STRING", "SCRIPT_NAME", "SERVER_PROTOCOL", "CONTENT_LENGTH", "CONTENT_TYPE", "HTTP_HOST", "HTTP_TRANSFER_ENCODING", "HTTP_CONNECTION", "HTTP_EXPECT", "HTTPS", "REMOTE_ADDR", "UWSGI_SCHEME", "HTTP_", "HTTP_X\u00ff", ""),
  fc.uint8Array({ minLength: 0, maxLength: 24 }).map((a) => Buffer.from(a).toString("latin1")),
);
const varValue = fc.oneof(
  fc.constantFrom("GET", "POST", "/", "HTTP/1.1", "HTTP/1.0", "HTTP/9", "0", "1", "-1", "5", "99999999999999999999", "chunked", "close", "100-continue", "on", "\r\nX: y", "\u0000"),
  fc.uint8Array({ minLength: 0, maxLength: 64 }).map((a) => Buffer.from(a).toString("latin1")),
);
const wellFormed = fc
  .record({
    modifier1: fc.oneof(fc.constantFrom(0, 30), fc.integer({ min: 0, max: 255 })),
    modifier2: fc.integer({ min: 0, max: 255 }),
    vars: fc.array(fc.tuple(varName, varValue), { maxLength: 12 }),
    body: fc.uint8Array({ maxLength: 32 }),
  })
  .map(({ modifier1, modifier2, vars, body }) => {
    // encoded here, not by encodeVars: an empty name is one of the hostile inputs
    const payload = Buffer.concat(vars.flatMap(([k, v]) => [k, v].map((s) => Buffer.concat([Buffer.from([s.length & 0xff, s.length >> 8]), Buffer.from(s, "latin1")]))));
    return Buffer.concat([encodeHeader(modifier1, payload.length, modifier2), payload, Buffer.from(body)]);
  });
const packet = fc.oneof(wellFormed, mutated(wellFormed));
/** The packet, whole or cut at a point, in one write or two. */
const sending = fc.tuple(packet, fc.double({ min: 0, max: 1, noNaN: true }), fc.boolean(), fc.double({ min: 0, max: 1, noNaN: true }));

/** Writes the parts on a new connection, half-closes, and resolves when the server has closed it. */
function send(port: number, parts: Buffer[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1", () => {
      for (const p of parts.slice(0, -1)) socket.write(p);
      socket.end(parts.at(-1)!);
    });
    socket.setTimeout(20_000, () => socket.destroy(new Error(`the server left a connection open 20 s after the client's end (${Buffer.concat(parts).toString("hex").slice(0, 200)})`)));
    socket.on("error", (err: NodeJS.ErrnoException) => (err.code === "ECONNRESET" || err.code === "EPIPE" ? undefined : reject(err)));
    socket.on("close", () => resolve());
    socket.resume();
  });
}

function childrenOf(pid: number): number[] {
  return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
}

test("hostile uwsgi packets, whole or in pieces, on the accepted-handle path and its hand-over: every connection closed, no worker lost, the next request served", { timeout: 240_000 }, async () => {
  const server = await startServer(["--socket", "127.0.0.1:0", "--master", "--processes", "1", "--socket-timeout", "5", fixtureApp("node-listener-app")]);
  try {
    const port = Number((await server.waitForLog(/uwsgi socket 0 bound to TCP address [^\s]+:(\d+) fd \d+ \(uwsgi\)/))[1]);
    const workers = childrenOf(server.pid);
    assert.equal(workers.length, 1);
    await fc.assert(
      fc.asyncProperty(sending, async ([bytes, cutAt, inPieces, splitAt]) => {
        const cut = cutAt < 0.2 ? bytes.subarray(0, Math.floor((cutAt / 0.2) * bytes.length)) : bytes;
        const split = Math.floor(splitAt * cut.length);
        await send(port, inPieces && split > 0 && split < cut.length ? [cut.subarray(0, split), cut.subarray(split)] : [cut]);
      }),
      { numRuns: RUNS },
    );
    assert.deepEqual(childrenOf(server.pid), workers, "the worker was never replaced");
    assert.doesNotMatch(server.log(), /respawned|died|uncaught/i);
    assert.match(await uwsgiRequest(port, { REQUEST_METHOD: "GET", PATH_INFO: "/", REQUEST_URI: "/", SERVER_PROTOCOL: "HTTP/1.1", HTTP_HOST: "x" }), /^HTTP\/1\.1 200/);
  } finally {
    await server.stop();
  }
});
