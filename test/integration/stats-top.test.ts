// `uwsgi-node top` in a real terminal: tmux (its own server socket in a temp dir) runs the view,
// capture-pane reads the screen, send-keys quits. Against uwsgi-node's stats server and against
// a real uWSGI 2.0 (its stats on a unix socket).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { CLI, eventually, fixtureApp, httpRequest, startServer, tempDir } from "./server-harness.js";
import { freeTcpPort as freePort } from "../support/free-port.js";

const TMUX = "/usr/bin/tmux";

/** A tmux server of our own running `command` in a detached session. */
function tmuxSession(dir: string, command: string[]) {
  const socket = join(dir, "tmux.sock");
  const tmux = (...args: string[]) => spawnSync(TMUX, ["-S", socket, ...args], { encoding: "utf8", env: { ...process.env, TERM: "xterm-256color" } });
  const quoted = command.map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
  const started = tmux("new-session", "-d", "-s", "top", "-x", "160", "-y", "40", quoted);
  assert.equal(started.status, 0, `tmux new-session: ${started.stderr} (apt-get install tmux)`);
  return {
    screen: () => tmux("capture-pane", "-p", "-t", "top").stdout,
    keys: (...keys: string[]) => tmux("send-keys", "-t", "top", ...keys),
    alive: () => tmux("has-session", "-t", "top").status === 0,
    kill: () => tmux("kill-server"),
  };
}

/** Worker rows on the screen: WID, PID, STATUS, REQ, REQ/s. */
function workerRows(screen: string): Array<{ id: number; pid: number; status: string; requests: number; rate: number }> {
  return [...screen.matchAll(/^(\d+)\s+(\d+)\s+(idle|busy|cheap|pause|sig|\w+)\s+(\d+)\s+([\d.]+)\s/gm)].map((m) => ({ id: Number(m[1]), pid: Number(m[2]), status: m[3]!, requests: Number(m[4]), rate: Number(m[5]) }));
}

test("uwsgi-node top shows workers, requests, per-worker rates and caches of a uwsgi-node instance, and quits on q", async () => {
  const dir = tempDir();
  const server = await startServer(["--http", "127.0.0.1:0", "--master", "--processes", "2", "--stats", "127.0.0.1:0", "--cache2", "name=sessions,items=50", "--disable-logging", fixtureApp("node-listener-app")]);
  const statsPort = Number((await server.waitForLog(/Stats server enabled on 127\.0\.0\.1:(\d+)/))[1]);
  const view = tmuxSession(dir.path, [process.execPath, CLI, "top", "--interval", "0.5", `127.0.0.1:${statsPort}`]);
  try {
    const first = await eventually(() => (workerRows(view.screen()).length === 2 ? view.screen() : null), 10_000, "two worker rows");
    assert.match(first, /^uwsgi-node top - 127\.0\.0\.1:\d+ - uWSGI 2\.0\.21-uwsgi-node/m);
    assert.match(first, /^WID\s+PID\s+STATUS\s+REQ\s+REQ\/s\s+EXC\s+AVG\s+RSS\s+TX\s+RES$/m);
    assert.match(first, /^sessions\s+0\s+50\s/m, "the cache row");
    // bounded traffic until the view shows a rate
    let sent = 0;
    const screen = await eventually(async () => {
      for (let i = 0; i < 10 && sent < 300; i++, sent++) await httpRequest(server.port, "/");
      const s = view.screen();
      const rows = workerRows(s);
      return rows.reduce((n, r) => n + r.requests, 0) >= 10 && rows.some((r) => r.rate > 0) && /^req\/s [1-9]/m.test(s) ? s : null;
    }, 15_000, "requests and a rate on screen");
    const rows = workerRows(screen);
    assert.deepEqual(rows.map((r) => r.id).sort(), [1, 2]);
    assert.ok(rows.every((r) => r.pid > 0 && ["idle", "busy"].includes(r.status)), screen);
    view.keys("q");
    await eventually(() => !view.alive(), 5000, "top to exit on q");
  } finally {
    view.kill();
    await server.stop();
    dir.cleanup();
  }
});


test("uwsgi-node top watches a real uWSGI 2.0 through its stats socket", async () => {
  const dir = tempDir();
  writeFileSync(join(dir.path, "app.py"), 'def application(env, start_response):\n    start_response("200 OK", [("Content-Type", "text/plain")])\n    return [b"hi"]\n');
  const httpPort = await freePort();
  const stats = join(dir.path, "stats.sock");
  const uwsgi = spawn("uwsgi", ["--plugin", "python3", "--master", "--die-on-term", "--processes", "2", "--disable-logging", "--http-socket", `127.0.0.1:${httpPort}`, "--stats", stats, "--wsgi-file", join(dir.path, "app.py")], { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  uwsgi.stderr!.on("data", (c: Buffer) => (log += c));
  const exited = new Promise((r) => uwsgi.once("exit", r));
  let view: ReturnType<typeof tmuxSession> | undefined;
  try {
    await eventually(() => httpRequest(httpPort, "/").then((r) => r.status === 200).catch(() => false), 10_000, `uWSGI to start\n${log}`);
    view = tmuxSession(dir.path, [process.execPath, CLI, "top", "--interval", "0.5", stats]);
    let sent = 0;
    const screen = await eventually(async () => {
      for (let i = 0; i < 10 && sent < 200; i++, sent++) await httpRequest(httpPort, "/");
      const s = view!.screen();
      return workerRows(s).length === 2 && workerRows(s).reduce((n, r) => n + r.requests, 0) >= 10 ? s : null;
    }, 15_000, "uWSGI's workers and requests on screen");
    assert.match(screen, /^uwsgi-node top - .*stats\.sock - uWSGI 2\.0\.\d+/m);
    assert.match(screen, new RegExp(`master pid ${uwsgi.pid}`));
    view.keys("q");
    await eventually(() => !view!.alive(), 5000, "top to exit on q");
  } finally {
    view?.kill();
    if (uwsgi.exitCode === null && uwsgi.signalCode === null) {
      uwsgi.kill("SIGTERM");
      await exited;
    }
    dir.cleanup();
  }
});
