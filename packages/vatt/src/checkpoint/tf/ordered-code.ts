/**
 * The key under which a slice of a partitioned tensor is stored: `checkpoint::EncodeTensorNameSlice`
 * (tensorflow/core/util/saved_tensor_slice_util.cc), built from the order-preserving encodings of
 * tensorflow/core/lib/strings/ordered_code.cc:
 *
 *   WriteNumIncreasing(0) WriteString(name) WriteNumIncreasing(rank)
 *   then per dimension WriteSignedNumIncreasing(start) WriteSignedNumIncreasing(length)
 *
 * with a full extent written as start 0, length -1 (`TensorSlice::kFullExtent`). Such keys start with
 * a zero byte, so they sort before every tensor name and never collide with one.
 */
import type { TfSliceExtent } from './proto.js';

/** `WriteNumIncreasing`: a length byte, then the value big-endian without leading zero bytes. */
function writeNumIncreasing(out: number[], v: number): void {
  const bytes: number[] = [];
  let x = BigInt(v);
  while (x > 0n) {
    bytes.unshift(Number(x & 0xffn));
    x >>= 8n;
  }
  out.push(bytes.length, ...bytes);
}

/** `WriteString`: the bytes with 0x00 -> 00 ff and 0xff -> ff 00, then the separator 00 01. */
function writeString(out: number[], s: Uint8Array): void {
  for (const b of s) {
    if (b === 0x00) out.push(0x00, 0xff);
    else if (b === 0xff) out.push(0xff, 0x00);
    else out.push(b);
  }
  out.push(0x00, 0x01);
}

/** Header bits of the first two bytes per encoded length (`kLengthToHeaderBits`). */
const HEADER: [number, number][] = [
  [0, 0],
  [0x80, 0],
  [0xc0, 0],
  [0xe0, 0],
  [0xf0, 0],
  [0xf8, 0],
  [0xfc, 0],
  [0xfe, 0],
  [0xff, 0],
  [0xff, 0x80],
  [0xff, 0xc0],
];

/**
 * `WriteSignedNumIncreasing`: sign bit, then as many length bits as extra bytes, then the value in
 * two's complement, big-endian; one byte covers [-64, 64).
 */
function writeSignedNumIncreasing(out: number[], v: number): void {
  const val = BigInt(v);
  const x = val < 0n ? ~val : val;
  if (x < 64n) {
    out.push(Number((0x80n ^ val) & 0xffn));
    return;
  }
  const bits = x.toString(2).length; // Log2Floor64(x) + 1
  const len = Math.floor(bits / 7) + 1; // kBitsToLength
  // The value sign-extended to 10 bytes, big-endian.
  const buf: number[] = [];
  let t = BigInt.asUintN(80, val);
  for (let i = 0; i < 10; i++) {
    buf.unshift(Number(t & 0xffn));
    t >>= 8n;
  }
  const begin = buf.slice(10 - len);
  begin[0] ^= HEADER[len][0];
  begin[1] ^= HEADER[len][1];
  out.push(...begin);
}

/**
 * The checkpoint key of one slice of the partitioned tensor `name` (`EncodeTensorNameSlice`).
 *
 * @example
 * encodeTensorNameSlice('w', [{ start: 0, length: 2 }, { start: 0 }]); // Uint8Array [0, 119, 0, 1, 1, 2, 128, 130, 128, 127]
 */
export function encodeTensorNameSlice(name: string, extents: readonly TfSliceExtent[]): Uint8Array {
  const out: number[] = [];
  writeNumIncreasing(out, 0);
  writeString(out, new TextEncoder().encode(name));
  writeNumIncreasing(out, extents.length);
  for (const e of extents) {
    writeSignedNumIncreasing(out, e.length === undefined ? 0 : e.start);
    writeSignedNumIncreasing(out, e.length === undefined ? -1 : e.length);
  }
  return Uint8Array.from(out);
}
