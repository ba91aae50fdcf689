/**
 * The server side of uWSGI's cache protocol (modifier1 111) over this instance's caches, so
 * other nodes (uWSGI's `cache_get(k, "name@host:port")`, or ours) can use them.
 *
 * modifier2 17 ("magic"): `get|set|update|del|exists|clear`, plus uwsgi-node's `inc|dec|mul|div`
 * (atomic math). Success replies `{status: ok}` (a `get` adds `size`, `expires` and the value);
 * a miss or a failure gets no reply and the connection is closed, as uWSGI does.
 * Simple forms: 0 (raw key get), 1 (array `[key][value]` set), 2 (raw key del), 3/4 (dict with
 * `key`/`get`), 5 (raw key get, streamed). uWSGI's replies to 0 and 5 begin with four garbage
 * bytes and its 3/4 lookups never match (BUGs, §1.5.5); ours are well-formed.
 * @module
 */
import { Buffer } from "node:buffer";
import type { CacheRegistry } from "../../engines/cache/cache-registry.js";
import type { CacheEngine } from "../../engines/cache/cache-engine.js";
import { CacheModifier2, checkCacheMagicRequest, decodeCacheMagicFields, encodeCacheMagicResponse } from "../../protocol/messages.js";
import { Modifier1, decodeArray, decodeVars, encodeHeader, varsGet } from "../../protocol/packet.js";
import { decodeCacheMathOperand, isCacheMathCommand } from "../../protocol/cache-math-messages.js";
import type { ModifierHandler, ModifierRequest } from "../uwsgi-protocol/modifier-handlers.js";

/** The cache a request names: its `cache` value, or the default cache when absent or empty. */
function cacheNamed(caches: CacheRegistry, name: Buffer | null): CacheEngine | null {
  return caches.byName(name && name.length > 0 ? name.toString("utf8") : null);
}

async function magic(req: ModifierRequest, caches: CacheRegistry): Promise<void> {
  const fields = decodeCacheMagicFields(req.payload);
  const cmd = fields.cmd.toString("latin1");
  if (isCacheMathCommand(cmd)) {
    const cache = cacheNamed(caches, fields.cache);
    if (!fields.key || fields.key.length === 0 || fields.size !== 8) return;
    const operand = await req.readBytes(8);
    if (!cache || !operand) return;
    if (cache.math(cmd, fields.key, decodeCacheMathOperand(operand), fields.expires)) req.socket.write(encodeCacheMagicResponse());
    return;
  }
  const r = checkCacheMagicRequest(fields);
  const cache = cacheNamed(caches, r.cache);
  if (!cache) return;
  let ok = false;
  switch (r.cmd) {
    case "get": {
      const value = cache.get(r.key!);
      if (value) req.socket.write(encodeCacheMagicResponse({ value, expires: cache.expiresAt(r.key!) }));
      return;
    }
    case "exists":
      ok = cache.exists(r.key!);
      break;
    case "del":
      ok = cache.del(r.key!);
      break;
    case "clear":
      ok = cache.clear();
      break;
    case "set":
    case "update": {
      if (r.size === 0 || r.size > cache.maxItemSize()) return;
      const value = await req.readBytes(r.size);
      if (!value) return;
      ok = r.cmd === "set" ? cache.set(r.key!, value, r.expires) : cache.update(r.key!, value, r.expires);
      break;
    }
  }
  if (ok) req.socket.write(encodeCacheMagicResponse());
}

/** Builds the modifier1 111 handler over the caches returned by `caches` (read per request). */
export function createCacheRequestHandler(caches: () => CacheRegistry): ModifierHandler {
  return async (req) => {
    const registry = caches();
    const def = registry.byName(null);
    switch (req.modifier2) {
      case CacheModifier2.MAGIC:
        return magic(req, registry);
      case 0: {
        const value = def?.get(req.payload);
        if (value) req.socket.write(Buffer.concat([encodeHeader(Modifier1.CACHE, Math.min(value.length, 0xffff), 0), value]));
        return;
      }
      case 1: {
        const [key, value] = decodeArray(req.payload);
        if (key && value) def?.set(key, value, 0);
        return;
      }
      case 2:
        def?.del(req.payload);
        return;
      case 3:
      case 4: {
        const vars = decodeVars(req.payload);
        const key = varsGet(vars, "key") ?? varsGet(vars, "get");
        const value = key ? def?.get(key) : null;
        if (value) req.socket.write(value);
        else if (varsGet(vars, "get")) req.socket.write("HTTP/1.0 404 Not Found\r\n\r\n");
        return;
      }
      case 5: {
        const value = def?.get(req.payload);
        req.socket.write(encodeHeader(Modifier1.CACHE, 0, value ? 1 : 0));
        if (value) req.socket.write(value);
        return;
      }
      default:
        req.log(`cache request with unsupported modifier2 ${req.modifier2} ignored`);
    }
  };
}
