// A plain `ws` echo server (no uwsgi-node), used by bench/websocket.bench.mjs. Usage: node websocket-ws-server.mjs PORT
import { WebSocketServer } from "ws";

const wss = new WebSocketServer({ host: "127.0.0.1", port: Number(process.argv[2]), perMessageDeflate: false });
wss.on("connection", (ws) => ws.on("message", (data, isBinary) => ws.send(data, { binary: isBinary })));
wss.on("listening", () => console.log("listening"));
