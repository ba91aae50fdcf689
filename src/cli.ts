#!/usr/bin/env node
/**
 * `uwsgi-node`: serves a Node app the way uWSGI serves a Python one, with uWSGI's option names.
 *
 * ```sh
 * uwsgi-node --http :8080 --master --processes 4 app.js
 * uwsgi-node --ini uwsgi.ini
 * ```
 *
 * This process becomes the master; it exits with 0 after a stop, 1 for bad options (the message
 * names the option), 22 when the app cannot be loaded at startup (uWSGI's code).
 * @module
 */
import { existsSync, realpathSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgv } from "./config/argv-parser.js";
import { buildInstanceConfig } from "./config/instance-config.js";
import { renderHelp } from "./config/help-text.js";
import type { OptionSet } from "./config/option-set.js";
import { optionBool } from "./config/option-values.js";
import { UwsgiError } from "./errors.js";
import { LogSink } from "./server/log-sink.js";
import { Master } from "./server/master.js";
import { readServerSettings } from "./server/server-settings.js";
import { VERSION_STRING } from "./server/server-version.js";
import { runPidfileCommand } from "./server/control/control-commands.js";
import { daemonize, readDaemonRequest, takeDaemonMarker } from "./server/control/daemonize.js";
import { instanceEvents } from "./server/control/instance-events.js";
import { readMasterFifos } from "./server/control/master-control.js";
import { applyUmask, readPrivileges, refuseRootWithoutUid } from "./server/privileges.js";
import { readCheaperSettings, readIdleSeconds } from "./server/elastic/cheaper-settings.js";
import { systemdNotifierFromEnv } from "./server/systemd-notify.js";
import { runTop } from "./observe/top-command.js";

/** Applies `--env NAME=VALUE` (NAME alone removes the variable). */
function applyEnv(options: OptionSet): void {
  for (const value of options.all("env")) {
    const text = value === true ? "" : value;
    const eq = text.indexOf("=");
    const name = eq < 0 ? text : text.slice(0, eq);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", "env", `expected NAME=VALUE, got ${JSON.stringify(text)}`);
    if (eq < 0) delete process.env[name];
    else process.env[name] = text.slice(eq + 1);
  }
}

/** Applies `--chdir DIR`. */
function applyChdir(options: OptionSet): void {
  const dir = options.get("chdir");
  if (dir === undefined) return;
  if (dir === true || !existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", "chdir", `not a directory: ${dir === true ? "(none)" : dir}`);
  }
  process.chdir(dir);
}

/** Runs the server with `argv` (without the node and script paths); resolves with the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  if (argv[0] === "top") return runTopCommand(argv.slice(1));
  let master: Master;
  try {
    const { options, positional, warnings, magicTable } = parseArgv([...argv]);
    if (options.has("help")) {
      process.stdout.write(renderHelp());
      return 0;
    }
    if (options.has("version")) {
      process.stdout.write(`${VERSION_STRING}\n`);
      return 0;
    }
    const pidfileCommand = runPidfileCommand(options);
    if (pidfileCommand !== null) return pidfileCommand;
    for (const w of warnings) process.stderr.write(`uwsgi-node: ${w}\n`);
    refuseRootWithoutUid(options);
    const daemonMarker = takeDaemonMarker();
    const daemon = readDaemonRequest(options, process.cwd());
    if (daemon && !daemonMarker) return await daemonize(fileURLToPath(import.meta.url), argv, daemon);
    applyEnv(options);
    applyChdir(options);
    const settings = readServerSettings(options, positional, process.cwd());
    const privileges = readPrivileges(options);
    applyUmask(privileges);
    const config = buildInstanceConfig(options, process.cwd());
    if (!settings.app) throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", "module", "no app given: pass the app file (uwsgi-node --http :8080 app.js) or --module FILE");
    if (!existsSync(settings.app.path)) throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", "module", `no such file: ${settings.app.path}`);
    process.title = "uwsgi-node master";
    const log = new LogSink(settings.logto ?? daemon?.logFile ?? null, { maxSize: settings.logging.maxSize, backupName: settings.logging.backupName });
    const systemd = systemdNotifierFromEnv((line) => log.line(line));
    master = new Master({
      settings,
      config,
      log,
      workerEntry: fileURLToPath(new URL("./server/worker-main.js", import.meta.url)),
      version: VERSION_STRING,
      magicTable,
      statsNoCores: optionBool(options, "stats-no-cores"),
      statsNoMetrics: optionBool(options, "stats-no-metrics"),
      privileges,
      elastic: { cheaper: readCheaperSettings(options, settings.processes), idle: readIdleSeconds(options, settings.sockets) },
      control: { masterFifo: readMasterFifos(options, process.cwd()), onEvent: instanceEvents({ daemonMarker, systemd }) },
    });
    await master.start();
  } catch (err) {
    if (err instanceof UwsgiError) {
      process.stderr.write(`uwsgi-node: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
  return master.done;
}

/** `uwsgi-node top ...`: the live terminal view of a stats server. */
async function runTopCommand(argv: readonly string[]): Promise<number> {
  try {
    return await runTop(argv);
  } catch (err) {
    if (err instanceof UwsgiError) {
      process.stderr.write(`uwsgi-node: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

/** True when this file is the program being run (directly or through an npm bin link). */
function isEntryPoint(): boolean {
  try {
    return !!process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

if (isEntryPoint()) process.exit(await main(process.argv.slice(2)));
