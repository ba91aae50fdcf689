/**
 * uWSGI's legion announce (modifier1 109), byte-compatible with uWSGI 2.0: a 4-byte header
 * `[109][cleartext length, LE16][0]` followed by the ciphertext of a vars dictionary, encrypted
 * with one OpenSSL cipher, one key and one IV for every packet (core/legion.c).
 *
 * Key and IV derivation are uWSGI's: the secret is zero-padded to the cipher's key length, the IV
 * (optional) is padded with ASCII `'0'` characters to the cipher's IV length.
 * @module
 */
import { Buffer } from "node:buffer";
import { createCipheriv, createDecipheriv, getCipherInfo } from "node:crypto";
import { UwsgiError } from "../errors.js";
import { decodeVars, encodeHeader, Modifier1, UWSGI_HEADER_SIZE, encodeVars } from "./packet.js";

/** Length of a legion node's uuid (the canonical 8-4-4-4-12 text form). */
export const LEGION_UUID_BYTES = 36;

/** The 36 NUL bytes uWSGI announces as `lord_uuid` while no Lord is known. */
export const NO_LORD_UUID: Buffer = Buffer.alloc(LEGION_UUID_BYTES);

/** Largest datagram uWSGI reads: 65536 − EVP_MAX_BLOCK_LENGTH (32) − 4. */
export const LEGION_MAX_DATAGRAM = 65536 - 32 - 4;

/** The cipher, key and IV of one legion. */
export interface LegionCipher {
  readonly algorithm: string;
  readonly key: Buffer;
  /** Null for ciphers without an IV (ECB modes). */
  readonly iv: Buffer | null;
}

/** One announce, as uWSGI sends it (keys in this order). */
export interface LegionAnnounce {
  readonly legion: string;
  readonly valor: number;
  /** Sender's clock, unix seconds. */
  readonly unix: number;
  /** Unix seconds the sender became Lord, 0 when it is not Lord. */
  readonly lord: number;
  /** Sender's hostname. */
  readonly name: Buffer;
  readonly pid: number;
  /** 36 bytes. */
  readonly uuid: Buffer;
  readonly checksum: number;
  readonly lordValor: number;
  /** 36 bytes; {@link NO_LORD_UUID} until a Lord is known. */
  readonly lordUuid: Buffer;
  readonly scroll: Buffer | null;
  readonly dead: boolean;
}

/**
 * Builds a legion's cipher from `ALGO:SECRET[ IV]` parts, as uWSGI's `uwsgi_legion_register`.
 * @throws UwsgiError `UWSGI_ERR_LEGION_OPTION` for a cipher OpenSSL does not know, or cannot use
 *   to encrypt and decrypt an announce (see `selfTest`).
 * @example
 * legionCipher("aes-128-cbc", "secret"); // key "secret" + 10 NULs, IV "0000000000000000"
 */
export function legionCipher(algorithm: string, secret: string, iv: string | null = null): LegionCipher {
  const info = getCipherInfo(algorithm);
  if (!info) throw new UwsgiError("UWSGI_ERR_LEGION_OPTION", "legion", `unable to find algorithm/cipher ${JSON.stringify(algorithm)}`);
  if (info.mode === "gcm" || info.mode === "ccm" || info.mode === "ocb" || info.mode === "wrap") {
    throw new UwsgiError("UWSGI_ERR_LEGION_OPTION", "legion", `cipher ${algorithm} is an ${info.mode.toUpperCase()} mode, which uWSGI's legion code cannot use`);
  }
  const key = Buffer.alloc(info.keyLength);
  Buffer.from(secret, "utf8").copy(key, 0, 0, info.keyLength);
  const ivLength = info.ivLength ?? 0;
  let ivBytes: Buffer | null = null;
  if (ivLength > 0) {
    ivBytes = Buffer.alloc(ivLength, "0");
    if (iv !== null) Buffer.from(iv, "utf8").copy(ivBytes, 0, 0, ivLength);
  }
  try {
    selfTest(info.name, key, ivBytes);
  } catch (err) {
    throw new UwsgiError("UWSGI_ERR_LEGION_OPTION", "legion", `cipher ${algorithm} cannot be used for legion announces here (${(err as Error).message})`);
  }
  return { algorithm: info.name, key, iv: ivBytes };
}

/**
 * Encrypts and decrypts a probe as announces are: OpenSSL knowing a cipher does not make it usable
 * (OpenSSL 3 keeps bf-cbc and other old ciphers in its legacy provider; the `-hmac-sha*` TLS
 * composites refuse plain data; `chacha20-poly1305` needs an authentication tag).
 */
function selfTest(algorithm: string, key: Buffer, iv: Buffer | null): void {
  const probe = Buffer.from("uwsgi-node legion cipher probe");
  const e = createCipheriv(algorithm, key, iv);
  const encrypted = Buffer.concat([e.update(probe), e.final()]);
  const d = createDecipheriv(algorithm, key, iv);
  if (!Buffer.concat([d.update(encrypted), d.final()]).equals(probe)) throw new Error("it does not decrypt what it encrypts");
}

function num(n: number): string {
  return String(Math.max(0, Math.trunc(n)));
}

/**
 * Encodes and encrypts an announce.
 * @throws UwsgiError `UWSGI_ERR_PACKET_ENCODE` when the dictionary exceeds 65535 bytes.
 */
export function encodeLegionAnnounce(a: LegionAnnounce, cipher: LegionCipher): Buffer {
  const pairs: Array<[string, string | Buffer]> = [
    ["legion", a.legion],
    ["valor", num(a.valor)],
    ["unix", num(a.unix)],
    ["lord", num(a.lord)],
    ["name", a.name],
    ["pid", num(a.pid)],
    ["uuid", a.uuid],
    ["checksum", num(a.checksum)],
    ["lord_valor", num(a.lordValor)],
    ["lord_uuid", a.lordUuid],
  ];
  if (a.scroll && a.scroll.length > 0) pairs.push(["scroll", a.scroll]);
  if (a.dead) pairs.push(["dead", "1"]);
  const clear = encodeVars(pairs);
  if (clear.length > 0xffff) throw new UwsgiError("UWSGI_ERR_PACKET_ENCODE", `legion announce of ${clear.length} bytes exceeds 65535`);
  const c = createCipheriv(cipher.algorithm, cipher.key, cipher.iv);
  return Buffer.concat([encodeHeader(Modifier1.LEGION, clear.length, 0), c.update(clear), c.final()]);
}

function bad(why: string): UwsgiError {
  return new UwsgiError("UWSGI_ERR_LEGION_PACKET", why);
}

/** uWSGI's `uwsgi_str_num`: leading decimal digits, anything else ends the number. */
function strNum(value: Buffer): number {
  let n = 0;
  for (const byte of value) {
    if (byte < 0x30 || byte > 0x39) break;
    n = n * 10 + (byte - 0x30);
  }
  return n;
}

/**
 * Decrypts and decodes one datagram with uWSGI's receiver checks (modifier1, decryption, the
 * cleartext length equal to the header's, a parsable dictionary). Unknown keys are ignored;
 * a `uuid` or `lord_uuid` that is not 36 bytes reads as 36 NULs, as uWSGI leaves the field unset.
 * @throws UwsgiError `UWSGI_ERR_LEGION_PACKET` naming the check that failed.
 */
export function decodeLegionAnnounce(datagram: Buffer, cipher: LegionCipher): LegionAnnounce {
  if (datagram.length < UWSGI_HEADER_SIZE) throw bad(`invalid packet size: ${datagram.length}`);
  if (datagram[0] !== Modifier1.LEGION) throw bad(`invalid modifier1 ${datagram[0]}`);
  const declared = datagram.readUInt16LE(1);
  let clear: Buffer;
  try {
    const d = createDecipheriv(cipher.algorithm, cipher.key, cipher.iv);
    clear = Buffer.concat([d.update(datagram.subarray(UWSGI_HEADER_SIZE)), d.final()]);
  } catch {
    throw bad("cannot decrypt (wrong secret or cipher?)");
  }
  if (clear.length !== declared) throw bad(`cleartext is ${clear.length} bytes, the header says ${declared}`);
  let pairs;
  try {
    pairs = decodeVars(clear);
  } catch {
    throw bad("invalid dictionary");
  }
  let legion = "";
  let valor = 0, unix = 0, lord = 0, pid = 0, checksum = 0, lordValor = 0;
  let name: Buffer = Buffer.alloc(0);
  let uuid: Buffer = NO_LORD_UUID;
  let lordUuid: Buffer = NO_LORD_UUID;
  let scroll: Buffer | null = null;
  let dead = false;
  for (const [k, v] of pairs) {
    switch (k.toString("latin1")) {
      case "legion": legion = v.toString("utf8"); break;
      case "valor": valor = strNum(v); break;
      case "unix": unix = strNum(v); break;
      case "lord": lord = strNum(v); break;
      case "name": name = Buffer.from(v); break;
      case "pid": pid = strNum(v); break;
      case "uuid": if (v.length === LEGION_UUID_BYTES) uuid = Buffer.from(v); break;
      case "checksum": checksum = strNum(v); break;
      case "lord_valor": lordValor = strNum(v); break;
      case "lord_uuid": if (v.length === LEGION_UUID_BYTES) lordUuid = Buffer.from(v); break;
      case "scroll": scroll = Buffer.from(v); break;
      case "dead": dead = true; break;
      default: break;
    }
  }
  return { legion, valor, unix, lord, name, pid, uuid, checksum, lordValor, lordUuid, scroll, dead };
}
