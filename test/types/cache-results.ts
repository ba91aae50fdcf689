// Type tests over the shipped declarations (`uwsgi-node` resolves to dist/index.d.ts): compiled
// by test/unit/api/type-tests.test.ts with tsc (strict, nodenext). A `@ts-expect-error` that
// finds no error fails the compile, so each one asserts that a wrong use is rejected.
import { uwsgi, isUwsgiError, type CacheResult } from "uwsgi-node";

/** Compiles only when A and B are the same type. */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectType<A, B>(_proof: Equal<A, B>): void {}

declare const name: string;
declare const host: string;
declare const either: "sessions" | "sessions@10.0.0.2:3031";

// local names: the value itself
expectType<ReturnType<typeof uwsgi.cache_get<"">>, Buffer | null>(true);
const local = uwsgi.cache_get("k");
expectType<typeof local, Buffer | null>(true);
const named = uwsgi.cache_get("k", "sessions");
expectType<typeof named, Buffer | null>(true);
expectType<ReturnType<typeof uwsgi.cache_inc<"">>, boolean>(true);
const inc = uwsgi.cache_inc("hits", 1, 0, null);
expectType<typeof inc, boolean>(true);
const num = uwsgi.cache_num("hits");
expectType<typeof num, number>(true);

// a name with "@": a Promise
const remote = uwsgi.cache_get("k", "sessions@10.0.0.2:3031");
expectType<typeof remote, Promise<Buffer | null>>(true);
const built = uwsgi.cache_update("k", "v", 0, `${name}@${host}`);
expectType<typeof built, Promise<boolean>>(true);

// regression: a plain `string` name was typed synchronous though it may be remote
const dynamic = uwsgi.cache_get("k", name);
expectType<typeof dynamic, Buffer | null | Promise<Buffer | null>>(true);
// @ts-expect-error a name that may be remote cannot be used as a Buffer without await
dynamic.toString("utf8");
const mixed = uwsgi.cache_exists("k", either);
expectType<typeof mixed, boolean | Promise<boolean>>(true);
async function awaited(): Promise<Buffer | null> {
  return await uwsgi.cache_get("k", name);
}
void awaited;

expectType<CacheResult<"a@b", number>, Promise<number>>(true);
expectType<CacheResult<"a", number>, number>(true);
expectType<CacheResult<string, number>, number | Promise<number>>(true);

// @ts-expect-error a remote result is a Promise, not a Buffer
const wrong: Buffer | null = uwsgi.cache_get("k", "sessions@10.0.0.2:3031");
void wrong;
// @ts-expect-error cache names are strings
uwsgi.cache_get("k", 42);
// @ts-expect-error cache_keys is local only and synchronous: its result is an array
uwsgi.cache_keys().then;

// errors: narrowed by the guard, matched on the code union
declare const err: unknown;
if (isUwsgiError(err, "UWSGI_ERR_CACHE_NONE_CONFIGURED")) {
  expectType<typeof err.code, import("uwsgi-node").ErrorCode>(true);
}
// @ts-expect-error an unknown error code is rejected
isUwsgiError(err, "UWSGI_ERR_NO_SUCH_CODE");

// a Redis-backed cache (`--cache2 name=sessions,...,backend=redis://...`) is called as NAME@redis: a Promise
const fromRedis = uwsgi.cache_get("k", "sessions@redis");
expectType<typeof fromRedis, Promise<Buffer | null>>(true);
const incRedis = uwsgi.cache_inc("hits", 1, 0, "sessions@redis");
expectType<typeof incRedis, Promise<boolean>>(true);
const keysRedis = uwsgi.cache_keys("sessions@redis");
expectType<typeof keysRedis, Promise<Buffer[]>>(true);
const keysLocal = uwsgi.cache_keys("sessions");
expectType<typeof keysLocal, Buffer[]>(true);
// @ts-expect-error a Redis-backed cache's result is a Promise, not a boolean
const notAwaited: boolean = uwsgi.cache_set("k", "v", 0, "sessions@redis");
void notAwaited;
