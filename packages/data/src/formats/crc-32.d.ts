// `crc-32` ships types for its CRC32 entry only; its CRC32C entry has the same interface.
declare module 'crc-32/crc32c.js' {
  /** CRC of a byte array; `seed` is the CRC of the bytes before it. Signed 32-bit result. */
  export function buf(data: number[] | Uint8Array, seed?: number): number;
  export function str(data: string, seed?: number): number;
}
