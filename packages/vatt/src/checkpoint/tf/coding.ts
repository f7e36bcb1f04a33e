/**
 * The integer encodings of LevelDB tables and tensor bundles (tensorflow/core/lib/core/coding.cc):
 * little-endian fixed32, and base-128 varints (7 bits a byte, low group first, high bit = "more").
 * Varint64 values are read into JavaScript numbers: offsets and sizes in a checkpoint stay far below
 * 2^53, and a larger one is reported as corrupt instead of being silently rounded.
 */
import { crc32c } from '@vatt/data';

/** A read position in a byte array; every read checks the bounds and throws `RangeError` when they are crossed. */
export class ByteReader {
  pos: number;
  readonly end: number;

  constructor(
    readonly buf: Uint8Array,
    start = 0,
    end = buf.length,
  ) {
    this.pos = start;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  /** A varint of at most 5 bytes (`GetVarint32Ptr`). */
  varint32(): number {
    let result = 0;
    for (let shift = 0; shift <= 28; shift += 7) {
      if (this.pos >= this.end) throw new RangeError('varint32 runs past the end');
      const b = this.buf[this.pos++];
      result |= (b & 0x7f) << shift;
      if (b < 0x80) return result >>> 0;
    }
    throw new RangeError('varint32 longer than 5 bytes');
  }

  /** A varint of at most 10 bytes (`GetVarint64`), as a number; above 2^53 is an error. */
  varint64(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new RangeError('varint64 runs past the end');
      const b = this.buf[this.pos++];
      result += (b & 0x7f) * scale;
      if (b < 0x80) {
        if (!Number.isSafeInteger(result)) throw new RangeError('varint64 above 2^53');
        return result;
      }
      scale *= 128;
    }
    throw new RangeError('varint64 longer than 10 bytes');
  }

  fixed32(): number {
    if (this.pos + 4 > this.end) throw new RangeError('fixed32 runs past the end');
    const b = this.buf;
    const p = this.pos;
    this.pos += 4;
    return (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0;
  }

  bytes(n: number): Uint8Array {
    if (n < 0 || this.pos + n > this.end) throw new RangeError(`${n} bytes run past the end`);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
}

/** A growable byte buffer with the writers of coding.cc (`PutVarint32/64`, `PutFixed32`). */
export class ByteWriter {
  private buf: Uint8Array;
  length = 0;

  constructor(initialCapacity = 256) {
    this.buf = new Uint8Array(initialCapacity);
  }

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.length + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }

  byte(b: number): void {
    this.reserve(1);
    this.buf[this.length++] = b & 0xff;
  }

  bytes(data: Uint8Array): void {
    this.reserve(data.length);
    this.buf.set(data, this.length);
    this.length += data.length;
  }

  /** Any non-negative safe integer as a varint (the encoding of varint32 and varint64 is the same). */
  varint(n: number): void {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`varint: ${n} is not a non-negative safe integer`);
    this.reserve(10);
    while (n >= 0x80) {
      this.buf[this.length++] = (n % 128) | 0x80;
      n = Math.floor(n / 128);
    }
    this.buf[this.length++] = n;
  }

  fixed32(n: number): void {
    this.reserve(4);
    const p = this.length;
    this.buf[p] = n & 0xff;
    this.buf[p + 1] = (n >>> 8) & 0xff;
    this.buf[p + 2] = (n >>> 16) & 0xff;
    this.buf[p + 3] = (n >>> 24) & 0xff;
    this.length += 4;
  }

  /** The bytes written so far (a view: later writes may reallocate, so copy it before writing on). */
  view(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }

  /** A copy of the bytes written. */
  finish(): Uint8Array {
    return this.buf.slice(0, this.length);
  }

  clear(): void {
    this.length = 0;
  }
}

/** Byte-wise comparison, the order of LevelDB's BytewiseComparator (`StringPiece::compare`). */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i] - b[i];
  }
  return a.length - b.length;
}

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8');

/** A key as the table stores it: UTF-8 bytes of the tensor name. */
export function encodeKey(key: string): Uint8Array {
  return utf8.encode(key);
}

/** A key's bytes as text (tensor names are UTF-8). */
export function decodeKey(key: Uint8Array): string {
  return utf8Decoder.decode(key);
}

/**
 * The CRC32C a DT_STRING tensor stores over its element lengths (`WriteStringTensor` / `ReadStringTensor`
 * in tensor_bundle.cc): each length as a 4-byte integer (8 bytes above 2^32-1) in the writer's byte order.
 * Unmasked; `crc` continues a running checksum.
 */
export function stringLengthsCrc(lengths: Iterable<number>, littleEndian: boolean, crc = 0): number {
  const lenBuf = new DataView(new ArrayBuffer(8));
  for (const len of lengths) {
    if (len <= 0xffffffff) {
      lenBuf.setUint32(0, len, littleEndian);
      crc = crc32c(new Uint8Array(lenBuf.buffer, 0, 4), crc);
    } else {
      lenBuf.setBigUint64(0, BigInt(len), littleEndian);
      crc = crc32c(new Uint8Array(lenBuf.buffer, 0, 8), crc);
    }
  }
  return crc;
}
