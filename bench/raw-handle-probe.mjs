// A minimal uwsgi responder, to measure what a connection costs with and without a net.Socket:
// not a server (no HTTP objects, no body, no error handling beyond closing), a probe of the
// headroom of serving the uwsgi protocol on the raw TCP handle (bench/README.md, "The uwsgi_pass
// path"). Both variants decode the packet's vars as uwsgi-node does (decodeRequestVars +
// httpRequestOf) and write the same fixed response in one write, then close.
//
//   node bench/raw-handle-probe.mjs --port P --handle raw|socket
//
// --handle socket: a net.Server, each connection a net.Socket (what node:cluster and uwsgi-node
//   pay today). --handle raw: the same listening server, but its handle's `onconnection` is
//   replaced: the accepted TCP handle is read and written directly (Node's private stream_wrap
//   binding: `onread` with `streamBaseState`, `WriteWrap`, `handle.close()`), no Socket is built.
//   The private names used here exist on Node 20, 22 and 24; a product version would keep them in
//   one bridge module with a start-up self-check and the net.Socket path as its fallback.
import { existsSync } from "node:fs";
import net from "node:net";
import { parseArgs } from "node:util";

const { values } = parseArgs({ options: { port: { type: "string" }, handle: { type: "string", default: "raw" } } });
const root = new URL("..", import.meta.url).pathname;
const built = ["dist", "build/src"].map((d) => `${root}${d}/server/uwsgi-protocol/`).find((d) => existsSync(`${d}request-vars.js`));
if (!built) throw new Error("uwsgi-node is not built: run npm run build");
const { decodeRequestVars } = await import(`${built}request-vars.js`);
const { httpRequestOf } = await import(`${built}request-fields.js`);

const RESPONSE = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 12\r\n\r\nHello World\n";

/** The packet's vars as uwsgi-node decodes them (the probe assumes the whole packet in one read). */
const decode = (chunk) => httpRequestOf(decodeRequestVars(chunk.subarray(4, 4 + (chunk[1] | (chunk[2] << 8)))), chunk[0]);

const server = net.createServer({ noDelay: true }, (socket) => {
  socket.on("data", (chunk) => {
    decode(chunk);
    socket.end(RESPONSE, "latin1");
  });
  socket.on("error", () => socket.destroy());
});

server.listen({ port: Number(values.port), host: "127.0.0.1", backlog: 1024 }, () => {
  if (values.handle === "raw") serveOnRawHandles(server);
});
process.on("SIGINT", () => process.exit(0));
process.on("SIGTERM", () => process.exit(0));

function serveOnRawHandles(server) {
  const { WriteWrap, streamBaseState, kReadBytesOrError, kArrayBufferOffset, kLastWriteWasAsync } = process.binding("stream_wrap");
  function closeHandle(handle) {
    handle.close();
  }
  function onWritten() {
    closeHandle(this.handle);
  }
  function onread(arrayBuffer) {
    const handle = this;
    const nread = streamBaseState[kReadBytesOrError];
    if (nread <= 0) {
      if (nread < 0) closeHandle(handle);
      return;
    }
    decode(Buffer.from(arrayBuffer, streamBaseState[kArrayBufferOffset], nread));
    handle.readStop();
    const req = new WriteWrap();
    req.handle = handle;
    req.oncomplete = onWritten;
    req.async = false;
    const err = handle.writeLatin1String(req, RESPONSE);
    if (err !== 0 || streamBaseState[kLastWriteWasAsync] === 0) closeHandle(handle);
  }
  server._handle.onconnection = (err, handle) => {
    if (err) return;
    handle.setNoDelay(true);
    handle.onread = onread;
    handle.readStart();
  };
}
