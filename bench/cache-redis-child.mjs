// One Redis benchmark process: awaits one command at a time, as an app handler would.
// argv: <port> <op> <ms> <keys>
import Redis from "ioredis";

const [port, op, msArg, keysArg] = process.argv.slice(2);
const redis = new Redis({ port: Number(port), host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 1 });
await redis.connect();
const keys = Array.from({ length: Number(keysArg) }, (_, i) => `key-${String(i).padStart(12, "0")}`);
const value = Buffer.alloc(64, 0x61);
const deadline = Date.now() + Number(msArg);
let ops = 0;
let i = 0;
while (Date.now() < deadline) {
  if (op === "get") await redis.getBuffer(keys[i]);
  else if (op === "update") await redis.set(keys[i], value);
  else await redis.incr(`ctr-${keys[i].slice(4)}`);
  i = (i + 1) % keys.length;
  ops++;
}
await redis.quit();
process.stdout.write(JSON.stringify({ ops }) + "\n");
