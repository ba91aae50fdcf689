/**
 * Privileges as uWSGI handles them: `--umask` is applied first, the sockets are bound (as root
 * if started as root), UNIX socket files get `--chown-socket` and `--chmod-socket`, the pidfile is
 * written, and then the master drops to `--gid` (supplementary groups reset to the user's, or to
 * the gid alone) and `--uid` before it creates anything else or starts a worker. Workers are
 * children of the dropped master, so they never run with the start-up credentials; the app's
 * files must be readable by that user.
 *
 * Started as root without `--uid`, the master refuses to start ({@link refuseRootWithoutUid}); `--uid root`
 * (or `--uid 0`) asks for root workers knowingly, and the master then logs uWSGI's root warning
 * (the default users of uWSGI and of containers expect); nothing is refused.
 * @module
 */
import { chmodSync, chownSync, readFileSync } from "node:fs";
import type { OptionSet } from "../config/option-set.js";
import { optionSocketMode, optionString } from "../config/option-values.js";
import { UwsgiError } from "../errors.js";
import type { ListenSocket } from "./listen-socket.js";

/** The privilege options, checked and resolved. */
export interface Privileges {
  /** `--uid`: a user name or number; null keeps the current user. */
  readonly uid: string | number | null;
  /** `--gid`: a group name or number; null keeps the current group (or the user's, see {@link dropPrivileges}). */
  readonly gid: string | number | null;
  /** `--chown-socket USER[:GROUP]` resolved to numbers; -1 leaves that id unchanged. */
  readonly chownSocket: { readonly uid: number; readonly gid: number } | null;
  /** `--chmod-socket` mode, or null. */
  readonly chmodSocket: number | null;
  /** `--umask`, or null. */
  readonly umask: number | null;
}

/** uWSGI's warning when the workers will run as root. */
export const ROOT_WARNING = "*** WARNING: you are running uWSGI as root !!! (use the --uid flag) ***";

/** Reads a colon-separated database (/etc/passwd, /etc/group): name → [id, fields]. */
function lookup(file: string, name: string): string[] | null {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return null;
  }
  for (const line of text.split("\n")) {
    const fields = line.split(":");
    if (fields[0] === name) return fields;
  }
  return null;
}

/** The primary group of a user (by name or number) in /etc/passwd, or null when it is not listed. */
function primaryGroupOf(user: string | number): number | null {
  let text: string;
  try {
    text = readFileSync("/etc/passwd", "utf8");
  } catch {
    return null;
  }
  for (const line of text.split("\n")) {
    const f = line.split(":");
    if (f.length > 3 && (f[0] === user || f[2] === String(user))) return Number(f[3]);
  }
  return null;
}

/** A user or group given by number or name (looked up in /etc/passwd or /etc/group). */
function idOf(option: string, value: string, kind: "user" | "group"): number {
  if (/^\d+$/.test(value)) return Number(value);
  const fields = lookup(kind === "user" ? "/etc/passwd" : "/etc/group", value);
  if (!fields) throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", option, `unknown ${kind} ${JSON.stringify(value)}`);
  return Number(fields[2]);
}

function userOrGroup(options: OptionSet, option: string, kind: "user" | "group"): string | number | null {
  const v = optionString(options, option);
  if (v === undefined) return null;
  const text = v.trim();
  if (text === "") throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", option, `a ${kind} name or number is required`);
  // resolved now so that a typo stops the server before anything is bound
  const id = idOf(option, text, kind);
  return /^\d+$/.test(text) ? id : text;
}

/**
 * Reads `--uid`, `--gid`, `--chown-socket`, `--chmod-socket` and `--umask`.
 * @throws UwsgiError UWSGI_ERR_OPTION_VALUE naming the option (unknown user or group, bad mask).
 */
export function readPrivileges(options: OptionSet): Privileges {
  let chownSocket: Privileges["chownSocket"] = null;
  const chown = optionString(options, "chown-socket");
  if (chown !== undefined) {
    const [user = "", group] = chown.trim().split(":");
    if (user === "" && !group) throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", "chown-socket", "expected USER[:GROUP]");
    chownSocket = { uid: user === "" ? -1 : idOf("chown-socket", user, "user"), gid: group ? idOf("chown-socket", group, "group") : -1 };
  }
  let umask: number | null = null;
  const mask = optionString(options, "umask");
  if (mask !== undefined) {
    if (!/^[0-7]{1,4}$/.test(mask.trim())) throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", "umask", `expected an octal mask such as 022, got ${JSON.stringify(mask)}`);
    umask = parseInt(mask.trim(), 8);
  }
  return {
    uid: userOrGroup(options, "uid", "user"),
    gid: userOrGroup(options, "gid", "group"),
    chownSocket,
    chmodSocket: optionSocketMode(options),
    umask,
  };
}

/**
 * Started as root, the workers must drop to `--uid`: uWSGI only warns and runs an app as root,
 * uwsgi-node refuses unless the user asked for root workers by naming root (`--uid root` or
 * `--uid 0`). Checked before daemonizing or binding, so the refusal reaches the terminal.
 * @throws UwsgiError UWSGI_ERR_RUN_AS_ROOT when started as root and `--uid` is not given.
 */
export function refuseRootWithoutUid(options: OptionSet, uid: number | null = process.getuid?.() ?? null): void {
  if (uid !== 0 || optionString(options, "uid") !== undefined) return;
  throw new UwsgiError(
    "UWSGI_ERR_RUN_AS_ROOT",
    "started as root without --uid; pass --uid USER (and --gid GROUP) to drop privileges after binding, or --uid root to run the workers as root knowingly",
  );
}

/** Applies `--umask` (before any file or socket is created). */
export function applyUmask(p: Privileges): void {
  if (p.umask !== null) process.umask(p.umask);
}

/**
 * Gives the UNIX socket files `--chown-socket`'s owner and `--chmod-socket`'s mode.
 * @throws UwsgiError UWSGI_ERR_OPTION_VALUE naming the option when the change is refused.
 */
export function setSocketPermissions(sockets: readonly ListenSocket[], p: Privileges): void {
  for (const sock of sockets) {
    if (sock.address.kind !== "unix" || sock.address.path.startsWith("\0")) continue;
    const path = sock.address.path;
    if (p.chownSocket) {
      try {
        chownSync(path, p.chownSocket.uid, p.chownSocket.gid);
      } catch (err) {
        throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", "chown-socket", `cannot chown ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
    }
    if (p.chmodSocket !== null) {
      try {
        chmodSync(path, p.chmodSocket);
      } catch (err) {
        throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", "chmod-socket", `cannot chmod ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
    }
  }
}

/**
 * Drops to `--gid` then `--uid` (uWSGI's order), logging each step as uWSGI does. `--uid`
 * without `--gid` takes the user's primary group (uWSGI would keep the starting group, root's).
 * With a user name the supplementary groups become that user's, otherwise just the gid. Logs the root warning
 * when the process still runs as root afterwards.
 * @throws UwsgiError UWSGI_ERR_PRIVILEGES when a change is refused (not root, unknown id).
 */
export function dropPrivileges(p: Privileges, log: (line: string) => void): void {
  try {
    // --uid alone: the user's primary group, not the group started with (root's, usually)
    const gid = p.gid ?? (p.uid !== null && process.getuid!() === 0 ? primaryGroupOf(p.uid) : null);
    if (gid !== null) {
      process.setgid!(gid);
      log(`setgid() to ${process.getgid!()}`);
    }
    if (p.uid !== null) {
      const gid = process.getgid!();
      if (typeof p.uid === "string" && process.getuid!() === 0) (process as unknown as { initgroups(user: string, extraGroup: number): void }).initgroups(p.uid, gid);
      else if (process.getuid!() === 0) process.setgroups!([gid]);
      process.setuid!(p.uid);
      log(`setuid() to ${process.getuid!()}`);
    }
  } catch (err) {
    throw new UwsgiError("UWSGI_ERR_PRIVILEGES", `${(err as Error).message} (uid ${p.uid ?? "unchanged"}, gid ${p.gid ?? "unchanged"}; only root can change them)`);
  }
  if (process.getuid!() === 0) log(ROOT_WARNING);
}
