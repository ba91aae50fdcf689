// One benchmark process: attaches to the instance's shared caches like a worker and runs one
// operation in a loop for a fixed time. argv: <instance> <options json> <op> <ms> <keys>
import { OptionSet } from "../dist/config/option-set.js";
import { buildInstanceConfig } from "../dist/config/instance-config.js";
import { createSharedEngines } from "../dist/server/shared-memory/shared-engines.js";
import { systemClock } from "../dist/core/clock.js";

const [instance, json, op, msArg, keysArg] = process.argv.slice(2);
const engines = createSharedEngines(buildInstanceConfig(new OptionSet(JSON.parse(json))), instance, systemClock, "attach");
const cache = engines.caches.byName(null);
const keys = Array.from({ length: Number(keysArg) }, (_, i) => Buffer.from(`key-${String(i).padStart(12, "0")}`));
const counters = keys.map((k) => Buffer.concat([Buffer.from("ctr-"), k.subarray(4)]));
const value = Buffer.alloc(64, 0x61);
const deadline = Number(process.hrtime.bigint() / 1000000n) + Number(msArg);
let ops = 0;
let i = 0;
const batch = 1000;
while (Number(process.hrtime.bigint() / 1000000n) < deadline) {
  for (let b = 0; b < batch; b++, i = (i + 1) % keys.length) {
    if (op === "get") cache.get(keys[i]);
    else if (op === "update") cache.update(keys[i], value, 0);
    else cache.math("inc", counters[i], 1n, 0);
  }
  ops += batch;
}
process.stdout.write(JSON.stringify({ ops }) + "\n");
