/**
 * TensorFlow dtypes as stored in a bundle (the `DataType` enum of tensorflow/core/framework/types.proto)
 * and the JavaScript arrays they are returned in. Every fixed-width dtype is stored as its raw
 * little-endian element bytes (`DataTypeCanUseMemcpy`; `WriteTensor` in tensor_bundle.cc), so the
 * reader hands out a typed-array view of the bytes it read, without a copy. DT_HALF and DT_BFLOAT16
 * have no JavaScript array type: their raw 16-bit patterns come as a Uint16Array, and
 * `float16ToFloat32` / `bfloat16ToFloat32` / `toFloat32` convert them.
 */
import { TfCheckpointError } from './errors.js';

/** The dtypes this reader and writer handle, by name. */
export type TfNumericDType =
  'float32' | 'float64' | 'float16' | 'bfloat16' | 'int8' | 'int16' | 'int32' | 'int64' | 'uint8' | 'uint16' | 'uint32' | 'uint64' | 'bool';
export type TfDType = TfNumericDType | 'string';

/** The array each dtype is returned in. */
export interface TfArrayOf {
  float32: Float32Array;
  float64: Float64Array;
  float16: Uint16Array;
  bfloat16: Uint16Array;
  int8: Int8Array;
  int16: Int16Array;
  int32: Int32Array;
  int64: BigInt64Array;
  uint8: Uint8Array;
  uint16: Uint16Array;
  uint32: Uint32Array;
  uint64: BigUint64Array;
  bool: Uint8Array;
}

/** A numeric tensor: raw values in row-major order. */
export interface TfNumericTensor<D extends TfNumericDType = TfNumericDType> {
  dtype: D;
  shape: number[];
  data: TfArrayOf[D];
}

/** A DT_STRING tensor: `bytes` holds each element exactly; `data` is their UTF-8 decoding (binary elements, like a serialized proto, decode lossily). */
export interface TfStringTensor {
  dtype: 'string';
  shape: number[];
  data: string[];
  bytes: Uint8Array[];
}

/** A tensor read from (or to be written to) a bundle. */
export type TfTensor = { [D in TfNumericDType]: TfNumericTensor<D> }[TfNumericDType] | TfStringTensor;

interface DTypeInfo {
  name: TfDType;
  code: number;
  /** Bytes per element; 0 for strings. */
  itemSize: number;
  make?: (buf: ArrayBuffer, byteOffset: number, length: number) => TfArrayOf[TfNumericDType];
}

// DataType values from types.proto.
const INFO: DTypeInfo[] = [
  { name: 'float32', code: 1, itemSize: 4, make: (b, o, n) => new Float32Array(b, o, n) },
  { name: 'float64', code: 2, itemSize: 8, make: (b, o, n) => new Float64Array(b, o, n) },
  { name: 'int32', code: 3, itemSize: 4, make: (b, o, n) => new Int32Array(b, o, n) },
  { name: 'uint8', code: 4, itemSize: 1, make: (b, o, n) => new Uint8Array(b, o, n) },
  { name: 'int16', code: 5, itemSize: 2, make: (b, o, n) => new Int16Array(b, o, n) },
  { name: 'int8', code: 6, itemSize: 1, make: (b, o, n) => new Int8Array(b, o, n) },
  { name: 'string', code: 7, itemSize: 0 },
  { name: 'int64', code: 9, itemSize: 8, make: (b, o, n) => new BigInt64Array(b, o, n) },
  // C++ bool is one byte, 0 or 1.
  { name: 'bool', code: 10, itemSize: 1, make: (b, o, n) => new Uint8Array(b, o, n) },
  { name: 'bfloat16', code: 14, itemSize: 2, make: (b, o, n) => new Uint16Array(b, o, n) },
  { name: 'uint16', code: 17, itemSize: 2, make: (b, o, n) => new Uint16Array(b, o, n) },
  { name: 'float16', code: 19, itemSize: 2, make: (b, o, n) => new Uint16Array(b, o, n) },
  { name: 'uint32', code: 22, itemSize: 4, make: (b, o, n) => new Uint32Array(b, o, n) },
  { name: 'uint64', code: 23, itemSize: 8, make: (b, o, n) => new BigUint64Array(b, o, n) },
];
const BY_CODE = new Map(INFO.map((i) => [i.code, i]));
const BY_NAME = new Map(INFO.map((i) => [i.name, i]));

/** Names of the DataType values a bundle may hold but this module does not decode (for messages). */
const UNSUPPORTED: Record<number, string> = {
  0: 'DT_INVALID',
  8: 'DT_COMPLEX64',
  11: 'DT_QINT8',
  12: 'DT_QUINT8',
  13: 'DT_QINT32',
  15: 'DT_QINT16',
  16: 'DT_QUINT16',
  18: 'DT_COMPLEX128',
  20: 'DT_RESOURCE',
  21: 'DT_VARIANT',
  24: 'DT_FLOAT8_E5M2',
  25: 'DT_FLOAT8_E4M3FN',
  29: 'DT_INT4',
  30: 'DT_UINT4',
};

/**
 * The `DataType` enum value of a dtype name.
 *
 * @example
 * dtypeCode('float32'); // 1 (DT_FLOAT)
 */
export function dtypeCode(dtype: TfDType): number {
  const i = BY_NAME.get(dtype);
  if (!i) throw new TfCheckpointError('INVALID_ARGUMENT', `unknown dtype "${dtype}"`);
  return i.code;
}

/**
 * The dtype name of a `DataType` enum value, or undefined when this module cannot decode it.
 *
 * @example
 * dtypeName(14); // 'bfloat16'
 */
export function dtypeName(code: number): TfDType | undefined {
  return BY_CODE.get(code)?.name;
}

/**
 * `DT_COMPLEX64`-style name of any `DataType` value, for messages.
 *
 * @example
 * describeDType(8); // 'DT_COMPLEX64'
 */
export function describeDType(code: number): string {
  const i = BY_CODE.get(code);
  if (i) return i.name;
  return UNSUPPORTED[code] ?? `DataType ${code}`;
}

/** Bytes per element (0 for strings). */
export function itemSize(dtype: TfDType): number {
  return BY_NAME.get(dtype)!.itemSize;
}

/**
 * Number of elements of a shape (1 for a scalar).
 *
 * @example
 * numElements([3072, 768]); // 2359296
 */
export function numElements(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * A typed-array view of `bytes` for `dtype` (no copy when `bytes` is aligned to the element size; a
 * copy otherwise, since typed arrays require alignment).
 */
export function viewAs<D extends TfNumericDType>(dtype: D, bytes: Uint8Array): TfArrayOf[D] {
  const i = BY_NAME.get(dtype)!;
  const n = bytes.byteLength / i.itemSize;
  if (bytes.byteOffset % i.itemSize !== 0) bytes = bytes.slice();
  return i.make!(bytes.buffer as ArrayBuffer, bytes.byteOffset, n) as TfArrayOf[D];
}

/** The raw little-endian bytes of a numeric array (a view, no copy). */
export function bytesOf(data: ArrayBufferView): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Whether this machine stores numbers little-endian (typed arrays use the host's byte order). */
export const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Reverses the byte order of each `size`-byte element in place (for bundles written on big-endian machines). */
export function swapBytes(bytes: Uint8Array, size: number): void {
  if (size === 1) return;
  for (let p = 0; p + size <= bytes.length; p += size) {
    for (let a = p, b = p + size - 1; a < b; a++, b--) {
      const t = bytes[a];
      bytes[a] = bytes[b];
      bytes[b] = t;
    }
  }
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/**
 * IEEE half-precision bit patterns (DT_HALF) to float32, exactly (every half is a float32).
 *
 * @example
 * float16ToFloat32(Uint16Array.of(0x3c00, 0xc000, 0x7c00)); // Float32Array [1, -2, Infinity]
 */
export function float16ToFloat32(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) {
    const h = bits[i];
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    if (exp === 0) out[i] = sign * frac * 2 ** -24;
    else if (exp === 31) out[i] = frac ? NaN : sign * Infinity;
    else out[i] = sign * (1 + frac / 1024) * 2 ** (exp - 15);
  }
  return out;
}

/**
 * bfloat16 bit patterns (DT_BFLOAT16: the upper 16 bits of a float32) to float32, exactly.
 *
 * @example
 * bfloat16ToFloat32(Uint16Array.of(0x3f80, 0x4049)); // Float32Array [1, 3.140625]
 */
export function bfloat16ToFloat32(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  const o32 = new Uint32Array(out.buffer);
  for (let i = 0; i < bits.length; i++) o32[i] = bits[i] << 16;
  return out;
}

/**
 * float32 to bfloat16 bit patterns, rounding to nearest even as TensorFlow's float->bfloat16 cast does
 * (NaN stays a quiet NaN).
 *
 * @example
 * float32ToBfloat16(Float32Array.of(1, 3.14159)); // Uint16Array [0x3f80, 0x4049]
 */
export function float32ToBfloat16(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) {
    f32[0] = values[i];
    const x = u32[0];
    if (Number.isNaN(values[i])) out[i] = (x >>> 16) | 0x40;
    else out[i] = (x + 0x7fff + ((x >>> 16) & 1)) >>> 16;
  }
  return out;
}

/**
 * float32 to IEEE half bit patterns, rounding to nearest even (overflow to infinity, underflow through
 * the subnormals to zero).
 *
 * @example
 * float32ToFloat16(Float32Array.of(1, -2, 65520)); // Uint16Array [0x3c00, 0xc000, 0x7c00]
 */
export function float32ToFloat16(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) {
    f32[0] = values[i];
    const x = u32[0];
    const sign = (x >>> 16) & 0x8000;
    const exp = (x >>> 23) & 0xff;
    const mant = x & 0x7fffff;
    if (exp === 0xff) {
      out[i] = sign | 0x7c00 | (mant ? 0x200 : 0);
      continue;
    }
    const e = exp - 127 + 15;
    if (e >= 31) {
      out[i] = sign | 0x7c00;
    } else if (e <= 0) {
      if (e < -11) {
        out[i] = sign;
        continue;
      }
      // Subnormal (or zero): shift the mantissa with its implicit 1 right into units of 2^-24, rounding
      // to nearest even; below 2^-25 everything rounds to zero.
      const m = mant | 0x800000;
      const shift = 14 - e;
      const half = 1 << (shift - 1);
      const rest = m & ((1 << shift) - 1);
      let v = m >>> shift;
      if (rest > half || (rest === half && v & 1)) v++;
      out[i] = sign | v;
    } else {
      let v = (e << 10) | (mant >>> 13);
      const rest = mant & 0x1fff;
      if (rest > 0x1000 || (rest === 0x1000 && v & 1)) v++; // may carry into the exponent: still correct
      out[i] = sign | v;
    }
  }
  return out;
}

/**
 * Any numeric tensor's values as a Float32Array: the array itself for float32 (no copy), an exact
 * widening for float16/bfloat16, a (possibly rounding) conversion for the others.
 *
 * @example
 * toFloat32({ dtype: 'bfloat16', shape: [2], data: Uint16Array.of(0x3f80, 0xbf80) }); // Float32Array [1, -1]
 */
export function toFloat32(t: TfTensor): Float32Array {
  switch (t.dtype) {
    case 'float32':
      return t.data;
    case 'float16':
      return float16ToFloat32(t.data);
    case 'bfloat16':
      return bfloat16ToFloat32(t.data);
    case 'int64':
    case 'uint64': {
      const out = new Float32Array(t.data.length);
      for (let i = 0; i < out.length; i++) out[i] = Number(t.data[i]);
      return out;
    }
    case 'string':
      throw new TfCheckpointError('INVALID_ARGUMENT', 'toFloat32: a string tensor has no numeric values');
    default:
      return Float32Array.from(t.data);
  }
}
