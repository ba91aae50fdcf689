/**
 * Properties of the legion announce codec (src/protocol/legion-packet.ts): announces round trip
 * through encryption, and any datagram a peer (or anyone on the multicast group) sends gives an
 * announce or UWSGI_ERR_LEGION_PACKET.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import fc from "fast-check";
import type { ErrorCode } from "../../src/errors.js";
import { decodeLegionAnnounce, encodeLegionAnnounce, LEGION_UUID_BYTES, legionCipher, type LegionAnnounce } from "../../src/protocol/legion-packet.js";
import { fuzzSuite, property, valueOrCoded } from "../support/fuzz.js";
import { bytes, hostile, smallBytes } from "./arbitraries.js";

const PACKET: ReadonlySet<ErrorCode> = new Set(["UWSGI_ERR_LEGION_PACKET"]);
const CIPHERS = [legionCipher("aes-128-cbc", "secret"), legionCipher("aes-256-cbc", "other", "iv"), legionCipher("aes-128-ecb", "s"), legionCipher("chacha20", "k")];

const uuid = fc.uint8Array({ minLength: LEGION_UUID_BYTES, maxLength: LEGION_UUID_BYTES }).map((a) => Buffer.from(a));
const count = fc.nat(2 ** 31);
const announce: fc.Arbitrary<LegionAnnounce> = fc.record({
  legion: fc.string({ minLength: 1, maxLength: 16 }),
  valor: count,
  unix: count,
  lord: count,
  name: smallBytes(32, 1),
  pid: count,
  uuid,
  checksum: count,
  lordValor: count,
  lordUuid: uuid,
  scroll: fc.option(bytes(64, 1)),
  dead: fc.boolean(),
});
const cipherIndex = fc.nat(CIPHERS.length - 1);

fuzzSuite(import.meta.url, {
  "legion: decodeLegionAnnounce(encodeLegionAnnounce(a)) gives the announce back": property(fc.tuple(announce, cipherIndex), ([a, i]) => {
    const cipher = CIPHERS[i]!;
    const back = decodeLegionAnnounce(encodeLegionAnnounce(a, cipher), cipher);
    assert.deepEqual({ ...back }, { ...a });
  }),

  "legion: any datagram gives an announce or UWSGI_ERR_LEGION_PACKET": property(
    fc.tuple(hostile(fc.tuple(announce, cipherIndex).map(([a, i]) => encodeLegionAnnounce(a, CIPHERS[i]!)), 96), cipherIndex),
    ([datagram, i]) => {
      const a = valueOrCoded("decodeLegionAnnounce", PACKET, () => decodeLegionAnnounce(datagram, CIPHERS[i]!));
      if (a) assert.ok(a.uuid.length === LEGION_UUID_BYTES && a.lordUuid.length === LEGION_UUID_BYTES && Number.isFinite(a.valor));
    },
  ),
});
