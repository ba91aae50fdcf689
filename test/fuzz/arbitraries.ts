/**
 * fast-check arbitraries shared by the fuzz properties: byte strings, valid encodings bent into
 * invalid ones (truncated, bytes overwritten, garbage appended), and ways to cut a stream.
 */
import { Buffer } from "node:buffer";
import fc from "fast-check";

/** Any bytes, up to `maxLength`. */
export function bytes(maxLength = 256, minLength = 0): fc.Arbitrary<Buffer> {
  return fc.uint8Array({ minLength, maxLength }).map((a) => Buffer.from(a.buffer, a.byteOffset, a.length));
}

/** Bytes that are mostly small (lengths, 0, printable) to hit the decoders' interesting paths. */
export function smallBytes(maxLength = 32, minLength = 0): fc.Arbitrary<Buffer> {
  const byte = fc.oneof(fc.constantFrom(0, 1, 2, 0xff), fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0, max: 255 }));
  return fc.array(byte, { minLength, maxLength }).map((a) => Buffer.from(a));
}

/**
 * A valid encoding made invalid, or left alone: cut at some point, a few bytes overwritten
 * (often with small values, which are lengths), garbage appended.
 */
export function mutated(valid: fc.Arbitrary<Buffer>): fc.Arbitrary<Buffer> {
  return fc
    .tuple(
      valid,
      fc.option(fc.nat(), { freq: 2 }),
      fc.array(fc.tuple(fc.nat(), fc.oneof(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 255 }))), { maxLength: 4 }),
      fc.option(smallBytes(8, 1), { freq: 4 }),
    )
    .map(([buf, cut, writes, tail]) => {
      let out = Buffer.from(buf);
      if (cut !== null) out = out.subarray(0, cut % (out.length + 1));
      for (const [at, value] of writes) if (out.length > 0) out[at % out.length] = value;
      return tail === null ? out : Buffer.concat([out, tail]);
    });
}

/** Either pure noise or a mutated valid encoding. */
export function hostile(valid: fc.Arbitrary<Buffer>, noiseLength = 128): fc.Arbitrary<Buffer> {
  return fc.oneof(bytes(noiseLength), smallBytes(noiseLength), mutated(valid));
}

/** Chunk sizes (>= 1) to cut a stream with; the last size repeats. */
export const chunkSizes: fc.Arbitrary<number[]> = fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 16 });

/** `buf` cut into chunks of `sizes` (the last size repeating). */
export function cut(buf: Buffer, sizes: readonly number[]): Buffer[] {
  const chunks: Buffer[] = [];
  let i = 0;
  for (let p = 0; p < buf.length; ) {
    const n = sizes[Math.min(i++, sizes.length - 1)]!;
    chunks.push(buf.subarray(p, p + n));
    p += n;
  }
  return chunks;
}
