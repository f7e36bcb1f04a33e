/**
 * CRC32C (Castagnoli) and TensorFlow's masked form, shared by every TensorFlow file format the project
 * reads or writes (TFRecord framing here, tensor-bundle checkpoints in `vatt`). The checksum comes from
 * SheetJS `crc-32` (slicing-by-16 tables, ~1.3 GB/s here in plain JavaScript, browsers included); the
 * mask is TensorFlow's `crc32c::Mask` (tensorflow/tsl/lib/hash/crc32c.h): rotate right by 15 bits and add
 * a constant, so that a CRC stored inside checksummed data does not checksum to a fixed value.
 *
 * @example
 * crc32c(new TextEncoder().encode('123456789')).toString(16); // 'e3069283'
 */
// eslint-disable-next-line @typescript-eslint/triple-slash-reference -- the ambient types of crc-32/crc32c.js, which ships none
/// <reference path="./crc-32.d.ts" />
import CRC32C from 'crc-32/crc32c.js';

const MASK_DELTA = 0xa282ead8;

/** CRC32C of `data`, continuing from `previous` (the CRC of the bytes before it) when given. */
export function crc32c(data: Uint8Array, previous?: number): number {
  return CRC32C.buf(data, previous) >>> 0;
}

/** TensorFlow's mask of a CRC (`crc32c::Mask`). */
export function maskCrc(crc: number): number {
  return (((crc >>> 15) | (crc << 17)) + MASK_DELTA) >>> 0;
}

/** The inverse of `maskCrc` (`crc32c::Unmask`). */
export function unmaskCrc(masked: number): number {
  const rot = (masked - MASK_DELTA) >>> 0;
  return ((rot >>> 17) | (rot << 15)) >>> 0;
}

/** `maskCrc(crc32c(data))`: the checksum TensorFlow stores in TFRecords, tensor bundles and table blocks. */
export function maskedCrc32c(data: Uint8Array): number {
  return maskCrc(crc32c(data));
}
