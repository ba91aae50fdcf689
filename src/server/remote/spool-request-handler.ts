/**
 * The server side of remote spooling (modifier1 17, uWSGI's spooler plugin): the packet's dict
 * becomes a task in this instance's spool directory exactly as `uwsgi.spool()` would write it
 * (reserved keys `spooler`, `priority`, `at` honoured; no body over the wire), and the reply is a
 * bare header `[255][0][0][status]`: 1 = written, 0 = refused (malformed dict, unknown `spooler`
 * directory, no spooler configured, write failure). If the reply cannot be written, the task is
 * removed again, as uWSGI does (the client never learnt it was queued).
 * @module
 */
import { Buffer } from "node:buffer";
import { unlinkSync } from "node:fs";
import { decodeVars, type VarsPair } from "../../protocol/packet.js";
import { writeSpoolFileSync } from "../../protocol/spool-file-io.js";
import { spoolTarget } from "../../module/spooler-functions.js";
import type { ModifierHandler } from "../uwsgi-protocol/modifier-handlers.js";

/** The reply for a task written. */
export const SPOOL_REPLY_OK = Buffer.from([255, 0, 0, 1]);
/** The reply for a refused task. */
export const SPOOL_REPLY_FAILED = Buffer.from([255, 0, 0, 0]);

/** What the handler needs: the spool directories (first = default) and the wake-up of their spoolers. */
export interface RemoteSpoolDeps {
  dirs(): readonly string[];
  notify(dir: string): void;
}

/** Builds the modifier1 17 handler. */
export function createSpoolRequestHandler(deps: RemoteSpoolDeps): ModifierHandler {
  return (req) => {
    let path: string;
    let dir: string;
    try {
      const vars: VarsPair[] = decodeVars(req.payload);
      const target = spoolTarget(deps.dirs(), vars);
      dir = target.dir;
      path = writeSpoolFileSync(dir, vars, null, { priority: target.priority, at: target.at });
    } catch (err) {
      req.log(`[uwsgi-spooler] remote spool request refused: ${(err as Error).message}`);
      req.socket.write(SPOOL_REPLY_FAILED);
      return;
    }
    return new Promise<void>((resolve) => {
      req.socket.write(SPOOL_REPLY_OK, (err) => {
        if (err) {
          try {
            unlinkSync(path);
          } catch {
            // already taken by a spooler
          }
        } else {
          deps.notify(dir);
        }
        resolve();
      });
    });
  };
}
