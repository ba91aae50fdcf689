// Websocket echo through uWSGI's API in uwsgi-node, used by bench/websocket.bench.mjs.
import { existsSync } from "node:fs";

const root = new URL("..", import.meta.url).pathname;
const entry = [`${root}dist/index.js`, `${root}build/src/index.js`].find((p) => existsSync(p));
if (!entry) throw new Error("uwsgi-node is not built: run npm run build");
const { uwsgi } = await import(entry);

export default async function app(req, res) {
  await uwsgi.websocket_handshake();
  for (;;) {
    let msg;
    try {
      msg = await uwsgi.websocket_recv();
    } catch {
      return; // the client closed
    }
    await uwsgi.websocket_send_binary(msg);
  }
}
