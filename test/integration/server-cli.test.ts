/**
 * The `uwsgi-node` command line: clear errors naming the bad option, --help/--version, config
 * files, and the process options (--chdir, --env, --pidfile, --logto).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fixtureApp, httpRequest, runCli, startServer, tempDir } from "./server-harness.js";

describe("server: command line errors", () => {
  it("an unknown option exits 1 naming it", async () => {
    const r = await runCli(["--http", "127.0.0.1:0", "--no-such-option", "3", fixtureApp("node-listener-app")]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no-such-option/);
  });

  it("a malformed value exits 1 naming the option", async () => {
    const r = await runCli(["--http", "127.0.0.1:0", "--processes", "many", fixtureApp("node-listener-app")]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /processes/);
  });

  it("a log file or pidfile that cannot be written exits 1 naming the option", async () => {
    const log = await runCli(["--http", "127.0.0.1:0", "--logto", "/nonexistent/dir/server.log", fixtureApp("node-listener-app")]);
    assert.equal(log.code, 1);
    assert.match(log.stderr, /option logto: cannot open \/nonexistent\/dir\/server\.log/);
    const pid = await runCli(["--http", "127.0.0.1:0", "--pidfile", "/nonexistent/dir/master.pid", fixtureApp("node-listener-app")]);
    assert.equal(pid.code, 1);
    assert.match(pid.stderr, /option pidfile: cannot write/);
  });

  it("a bad socket address exits 1 naming the option", async () => {
    const r = await runCli(["--http", "127.0.0.1:99999", fixtureApp("node-listener-app")]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /option http: invalid port "99999"/);
  });

  it("no app, or an app file that does not exist, exits 1 naming --module", async () => {
    const none = await runCli(["--http", "127.0.0.1:0"]);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /option module: no app given/);
    const missing = await runCli(["--http", "127.0.0.1:0", "--module", "/nonexistent/app.js"]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /option module: no such file: \/nonexistent\/app\.js/);
  });

  it("no socket exits 1 saying which options give one", async () => {
    const r = await runCli([fixtureApp("node-listener-app")]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /--http, --http-socket or --socket/);
  });

  it("a socket already in use exits 1 naming the option", async () => {
    const server = await startServer(["--http", "127.0.0.1:0", fixtureApp("node-listener-app")]);
    try {
      const r = await runCli(["--http-socket", `127.0.0.1:${server.port}`, fixtureApp("node-listener-app")]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /option http-socket: cannot bind 127\.0\.0\.1:\d+: EADDRINUSE/);
    } finally {
      await server.stop();
    }
  });

  it("--help lists the options; --version prints the version", async () => {
    const help = await runCli(["--help"]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--http/);
    assert.match(help.stdout, /--harakiri/);
    const version = await runCli(["--version"]);
    assert.equal(version.code, 0);
    assert.match(version.stdout, /^2\.0\.21-uwsgi-node-\d+\.\d+\.\d+\n$/);
  });
});

describe("server: configuration and process options", () => {
  it("reads an ini file and applies --chdir, --env and --pidfile", async () => {
    const dir = tempDir();
    try {
      const ini = join(dir.path, "app.ini");
      const pidfile = join(dir.path, "master.pid");
      writeFileSync(ini, ["[uwsgi]", "http = 127.0.0.1:0", "master = true", "processes = 2", `module = ${fixtureApp("node-listener-app")}`, "env = GREETING=hi there", ""].join("\n"));
      const server = await startServer(["--ini", ini, "--chdir", dir.path, "--pidfile", pidfile, "--disable-logging"]);
      try {
        assert.equal(readFileSync(pidfile, "utf8"), `${server.pid}\n`);
        assert.equal((await httpRequest(server.port, "/env?name=GREETING")).body, "hi there");
        assert.equal((await httpRequest(server.port, "/cwd")).body, dir.path);
        const info = JSON.parse((await httpRequest(server.port, "/info")).body) as { numproc: number };
        assert.equal(info.numproc, 2);
      } finally {
        await server.stop();
      }
    } finally {
      dir.cleanup();
    }
  });

  it("--logto appends the whole log, app output and request lines included, to a file", async () => {
    const dir = tempDir();
    try {
      const logfile = join(dir.path, "server.log");
      const server = await startServer(["--http", "127.0.0.1:0", "--logto", logfile, fixtureApp("node-listener-app")], { logFile: logfile });
      try {
        assert.equal((await httpRequest(server.port, "/log")).body, "logged");
        await server.waitForLog(/GET \/log => generated 6 bytes/);
      } finally {
        await server.stop();
      }
      const text = readFileSync(logfile, "utf8");
      assert.match(text, /^app says hello$/m);
      assert.match(text, /goodbye to uWSGI/);
      assert.ok(existsSync(logfile));
    } finally {
      dir.cleanup();
    }
  });
});
