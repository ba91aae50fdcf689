/**
 * Real nginx for tests: `uwsgi_pass` to a uwsgi-node `--socket` backend (or any `location /`
 * body), in a temp dir, on a free loopback port, stopped by pid.
 * @module
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eventually } from "./eventually.js";
import { freeTcpPort } from "./free-port.js";

const NGINX = "/usr/sbin/nginx";

// What Debian's /etc/nginx/uwsgi_params holds, for machines without it.
const INLINE_UWSGI_PARAMS = `
uwsgi_param QUERY_STRING $query_string; uwsgi_param REQUEST_METHOD $request_method;
uwsgi_param CONTENT_TYPE $content_type; uwsgi_param CONTENT_LENGTH $content_length;
uwsgi_param REQUEST_URI $request_uri; uwsgi_param PATH_INFO $document_uri;
uwsgi_param DOCUMENT_ROOT $document_root; uwsgi_param SERVER_PROTOCOL $server_protocol;
uwsgi_param REQUEST_SCHEME $scheme; uwsgi_param HTTPS $https if_not_empty;
uwsgi_param REMOTE_ADDR $remote_addr; uwsgi_param REMOTE_PORT $remote_port;
uwsgi_param SERVER_PORT $server_port; uwsgi_param SERVER_NAME $server_name;
uwsgi_param HTTP_HOST $host;`;

/** The uwsgi_param lines for a `location` (Debian's file when present). */
export const UWSGI_PARAMS = existsSync("/etc/nginx/uwsgi_params") ? "include /etc/nginx/uwsgi_params;" : INLINE_UWSGI_PARAMS;

/** A running nginx. */
export interface Nginx {
  readonly port: number;
  /** error.log lines at level error or worse. */
  errors(): string[];
  stop(): Promise<void>;
}


function waitForPort(port: number, deadlineMs: number, died: () => string | null): Promise<boolean> {
  const listening = (): Promise<boolean> =>
    new Promise<boolean>((resolve) => {
      const s = net.connect(port, "127.0.0.1", () => {
        s.destroy();
        resolve(true);
      });
      s.on("error", () => resolve(false));
    });
  return eventually(listening, deadlineMs, `nginx to listen on 127.0.0.1:${port}`, 50, died);
}

/** nginx in a temp dir, proxying `uwsgi_pass` to `upstream`; stopped by pid. */
export function startNginx(upstream: number): Promise<Nginx> {
  return startNginxWith(`${UWSGI_PARAMS}
      uwsgi_pass 127.0.0.1:${upstream};`);
}

/** nginx in a temp dir with `location / { <location> }`; stopped by pid. */
export async function startNginxWith(location: string): Promise<Nginx> {
  assert.ok(existsSync(NGINX), `nginx is required for this test: install it with "apt-get install -y nginx" (${NGINX} is missing)`);
  const dir = mkdtempSync(join(tmpdir(), "uwsgi-node-nginx-"));
  const port = await freeTcpPort();
  writeFileSync(
    join(dir, "nginx.conf"),
    `daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  client_max_body_size 64m;
  keepalive_requests 1000;
  server {
    listen 127.0.0.1:${port};
    location / {
      ${location}
    }
  }
}
`,
  );
  const stderr: Buffer[] = [];
  const child: ChildProcess = spawn(NGINX, ["-p", dir, "-c", join(dir, "nginx.conf")], { stdio: ["ignore", "ignore", "pipe"] });
  child.stderr!.on("data", (c: Buffer) => stderr.push(c));
  let exited: string | null = null;
  child.on("exit", (code, signal) => {
    exited = `nginx exited early (code ${code}, signal ${signal}): ${Buffer.concat(stderr).toString()}`;
  });
  const stop = async () => {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((r) => child.once("exit", r));
      process.kill(child.pid, "SIGTERM");
      await gone;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForPort(port, 10_000, () => exited);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    port,
    // only real failures: nginx also warns when it buffers big bodies to its temp files
    errors: () => readFileSync(join(dir, "error.log"), "utf8").split("\n").filter((l) => /\[(error|crit|alert|emerg)\]/.test(l)),
    stop,
  };
}

