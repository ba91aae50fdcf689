/**
 * Properties of the spool-file codec (src/protocol/spool-file.ts, spool-file-io.ts): tasks round
 * trip through bytes and through the file system, any file contents give a task or
 * UWSGI_ERR_SPOOL_FILE_MALFORMED, and no argument makes a file land outside the spool directory.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import type { ErrorCode } from "../../src/errors.js";
import { readSpoolFileSync, writeSpoolFileSync } from "../../src/protocol/spool-file-io.js";
import { decodeSpoolFile, encodeSpoolFile, isSpoolFileName, SPOOL_FILE_PREFIX, spoolFileName } from "../../src/protocol/spool-file.js";
import { fuzzSuite, property, valueOrCoded } from "../support/fuzz.js";
import { bytes, hostile, smallBytes } from "./arbitraries.js";

const MALFORMED: ReadonlySet<ErrorCode> = new Set(["UWSGI_ERR_SPOOL_FILE_MALFORMED"]);
const ARGUMENT: ReadonlySet<ErrorCode> = new Set(["UWSGI_ERR_SPOOL_ARGUMENT"]);

const pairs = fc.array(fc.tuple(smallBytes(24, 1), smallBytes(48)), { maxLength: 10 });
const body = fc.option(bytes(200, 1), { freq: 2 });
const validFile = fc.tuple(pairs, body).map(([p, b]) => encodeSpoolFile(p, b));
/** Text a caller may pass as a priority or host name: path syntax, NULs, dots, unicode. */
const pathish = fc.oneof(
  fc.constantFrom("", ".", "..", "/", "a/b", "../x", "x\0y", "5", "high", "é", " "),
  fc.string({ maxLength: 12, unit: fc.constantFrom("a", ".", "/", "\0", "_", "1", "é", "\\") }),
);

/** One scratch spool directory per worker, emptied between inputs, removed when the worker exits. */
let dir: string | null = null;
function scratch(): string {
  if (dir === null) {
    dir = mkdtempSync(join(tmpdir(), "uwsgi-node-fuzz-spool-"));
    const made = dir;
    process.on("exit", () => rmSync(made, { recursive: true, force: true }));
  } else {
    for (const name of readdirSync(dir)) rmSync(join(dir, name), { recursive: true, force: true });
  }
  return dir;
}

function listTree(root: string): string[] {
  return readdirSync(root, { recursive: true, encoding: "utf8" }).sort();
}

fuzzSuite(import.meta.url, {
  "spool file: decodeSpoolFile(encodeSpoolFile(vars, body)) gives both back": property(fc.tuple(pairs, body), ([vars, b]) => {
    const decoded = decodeSpoolFile(encodeSpoolFile(vars, b));
    assert.deepEqual(decoded.vars.flat().map((x) => x.toString("hex")), vars.flat().map((x) => x.toString("hex")));
    assert.equal(decoded.body === null ? null : decoded.body.toString("hex"), b === null ? null : b.toString("hex"));
  }),

  "spool file: any contents give a task or UWSGI_ERR_SPOOL_FILE_MALFORMED; a task re-encodes to the same file": property(
    hostile(validFile, 160),
    (input) => {
      const task = valueOrCoded("decodeSpoolFile", MALFORMED, () => decodeSpoolFile(input, "fuzz"));
      if (task && input[0] === 17 && input[3] === 0) assert.ok(encodeSpoolFile(task.vars, task.body).equals(input));
      if (task) assert.ok(task.body === null || task.body.length > 0);
    },
  ),

  "spool file names: a name for any parts, or UWSGI_ERR_SPOOL_ARGUMENT; never a path": property(
    fc.record({
      hostname: pathish,
      pid: fc.oneof(fc.nat(), fc.constantFrom(-1, 1.5, Number.NaN, 2 ** 53)),
      counter: fc.nat(),
      random: fc.oneof(fc.nat(), fc.constant(-3)),
      nowMs: fc.oneof(fc.double({ min: 0, max: 4e12, noNaN: true }), fc.constantFrom(-1, Number.POSITIVE_INFINITY, Number.NaN)),
    }),
    (parts) => {
      const name = valueOrCoded("spoolFileName", ARGUMENT, () => spoolFileName(parts));
      if (name === undefined) return;
      assert.ok(isSpoolFileName(name) && name.startsWith(SPOOL_FILE_PREFIX));
      assert.ok(!name.includes("/") && !name.includes("\0"), `${JSON.stringify(name)} is one path component`);
    },
  ),

  "spool directory: a written task reads back; a refused one leaves nothing behind, and nothing lands outside": property(
    fc.record({ vars: pairs, body, priority: fc.option(pathish), hostname: fc.option(pathish), at: fc.option(fc.oneof(fc.nat(2e9), fc.constantFrom(-5, Number.NaN))) }),
    ({ vars, body: b, priority, hostname, at }) => {
      const root = scratch();
      const spool = join(root, "spool");
      const outside = join(root, "outside");
      mkdirSync(spool);
      mkdirSync(outside);
      writeFileSync(join(root, "marker"), "");
      const path = valueOrCoded("writeSpoolFileSync", ARGUMENT, () =>
        writeSpoolFileSync(spool, vars, b, { priority, at, ...(hostname === null ? {} : { hostname }) }),
      );
      assert.deepEqual(listTree(outside), [], "nothing written outside the spool directory");
      assert.deepEqual(listTree(root).filter((n) => !n.startsWith("spool") && !n.startsWith("outside")), ["marker"]);
      const files = listTree(spool).filter((n) => n.split("/").pop()!.startsWith(SPOOL_FILE_PREFIX));
      if (path === undefined) {
        assert.deepEqual(files, [], "a refused task leaves no file");
        assert.deepEqual(listTree(spool).filter((n) => n.includes(".tmp_")), [], "no temporary file left");
        return;
      }
      assert.ok(path.startsWith(`${spool}/`), `${path} is inside ${spool}`);
      assert.equal(files.length, 1);
      const task = readSpoolFileSync(path)!;
      assert.deepEqual(task.vars.flat().map((x) => x.toString("hex")), vars.flat().map((x) => x.toString("hex")));
      assert.equal(task.body === null ? null : task.body.toString("hex"), b === null ? null : b.toString("hex"));
    },
    0.05,
  ),
});
