// `snappyjs` ships no types. Only the two functions the table reader and its tests use.
declare module 'snappyjs' {
  /** Decompresses a raw Snappy block (no framing); throws on a corrupt bitstream or one longer than `maxLength`. */
  export function uncompress<T extends Uint8Array | ArrayBuffer>(compressed: T, maxLength?: number): T;
  /** Compresses bytes into a raw Snappy block. */
  export function compress<T extends Uint8Array | ArrayBuffer>(uncompressed: T): T;
  const snappy: { uncompress: typeof uncompress; compress: typeof compress };
  export default snappy;
}
