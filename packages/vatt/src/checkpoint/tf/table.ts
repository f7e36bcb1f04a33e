/**
 * The `PREFIX.index` file of a tensor bundle: an immutable string->string table in LevelDB's SSTable
 * format, as TensorFlow's own copy writes and reads it (tensorflow/core/lib/io/table_builder.cc,
 * block_builder.cc, format.cc, block.cc, table.cc; tensorflow/core/lib/io/table_format.txt):
 *
 *   [data block 0] ... [data block N-1] [metaindex block] [index block] [footer: 48 bytes]
 *
 * Each block is `contents`, then a 5-byte trailer: 1 compression-type byte and a masked CRC32C of the
 * contents plus that type byte. Block contents are prefix-compressed entries
 * (`shared: varint32, non_shared: varint32, value_length: varint32, key_delta, value`) followed by the
 * restart array (`uint32[num_restarts]`, `uint32 num_restarts`). The index block maps a key >= every key
 * of a data block (and < every key of the next one) to the BlockHandle (varint64 offset, varint64 size)
 * of that block. The footer holds the metaindex and index BlockHandles, zero padding to 40 bytes, and
 * the 64-bit magic number 0xdb4775248b80fb57 as two little-endian uint32s.
 *
 * Index files are small (one entry per tensor, ~100 bytes each), so they are read whole; the tensor
 * data itself is never read here.
 */
import { crc32c, maskCrc, unmaskCrc } from '@vatt/data';
// The ambient types of snappyjs, which ships none (referenced so that the .d.ts build sees them too).
/// <reference path="./snappyjs.d.ts" />
import snappy from 'snappyjs';
import { ByteReader, ByteWriter, compareBytes } from './coding.js';
import { hex32, TfCheckpointError } from './errors.js';

/** `kTableMagicNumber` (format.h): the leading 64 bits of sha1("http://code.google.com/p/leveldb/"). */
export const TABLE_MAGIC_LO = 0x8b80fb57;
export const TABLE_MAGIC_HI = 0xdb477524;
/** `Footer::kEncodedLength`: two BlockHandles of at most 20 bytes each, then the 8-byte magic. */
export const FOOTER_SIZE = 48;
/** `kBlockTrailerSize`: 1-byte compression type + 32-bit CRC. */
export const BLOCK_TRAILER_SIZE = 5;
/** `table::CompressionType` (table_options.h). */
export const NO_COMPRESSION = 0;
export const SNAPPY_COMPRESSION = 1;

/** Where a block lies in the file (format.h `BlockHandle`), without its trailer. */
export interface BlockHandle {
  offset: number;
  size: number;
}

/** One key/value of the table; `block` is the offset of the data block that holds it. */
export interface TableEntry {
  key: Uint8Array;
  value: Uint8Array;
  block: number;
}

/** The footer's two handles. */
export interface TableFooter {
  metaindex: BlockHandle;
  index: BlockHandle;
}

function decodeHandle(r: ByteReader, file: string, what: string): BlockHandle {
  try {
    return { offset: r.varint64(), size: r.varint64() };
  } catch (e) {
    throw new TfCheckpointError('DATA_LOSS', `${file}: bad block handle in the ${what} (${(e as Error).message})`, { file });
  }
}

/**
 * Decodes the 48-byte footer at the end of `file` (`Footer::DecodeFrom`): a wrong magic number means the
 * file is not a table, or was truncated or overwritten at the end.
 */
export function readFooter(bytes: Uint8Array, file: string): TableFooter {
  if (bytes.length < FOOTER_SIZE) {
    throw new TfCheckpointError(
      'DATA_LOSS',
      `${file} is too short to be an SSTable: ${bytes.length} bytes, the footer alone is ${FOOTER_SIZE} (truncated index file?)`,
      { file },
    );
  }
  const start = bytes.length - FOOTER_SIZE;
  const r = new ByteReader(bytes, start, bytes.length);
  r.pos = bytes.length - 8;
  const lo = r.fixed32();
  const hi = r.fixed32();
  if (lo !== TABLE_MAGIC_LO || hi !== TABLE_MAGIC_HI) {
    throw new TfCheckpointError(
      'DATA_LOSS',
      `${file} is not an SSTable (bad magic number ${hex32(hi)}${hex32(lo).slice(2)} in the footer, expected 0xdb4775248b80fb57): ` +
        'the index file is truncated or is not a TensorFlow checkpoint index',
      { file, offset: bytes.length - 8 },
    );
  }
  const fr = new ByteReader(bytes, start, bytes.length - 8);
  const metaindex = decodeHandle(fr, file, 'footer');
  const index = decodeHandle(fr, file, 'footer');
  return { metaindex, index };
}

/**
 * Reads one block (`ReadBlock` in format.cc): checks that it lies inside the file, verifies the masked
 * CRC32C over contents + type byte, and decompresses Snappy blocks. Returns the block contents.
 */
export function readBlock(bytes: Uint8Array, handle: BlockHandle, file: string, what = 'data block'): Uint8Array {
  const { offset, size } = handle;
  // Every block lies before the footer (TableBuilder writes the footer last).
  if (offset + size + BLOCK_TRAILER_SIZE > bytes.length - FOOTER_SIZE) {
    throw new TfCheckpointError(
      'DATA_LOSS',
      `${file}: truncated block read: the ${what} at offset ${offset} (${size} bytes + ${BLOCK_TRAILER_SIZE}-byte trailer) runs past the table's data ` +
        `(${bytes.length} bytes in the file)`,
      { file, offset },
    );
  }
  const contents = bytes.subarray(offset, offset + size);
  const type = bytes[offset + size];
  const stored = unmaskCrc(new ByteReader(bytes, offset + size + 1).fixed32());
  const actual = crc32c(bytes.subarray(offset + size, offset + size + 1), crc32c(contents));
  if (stored !== actual) {
    throw new TfCheckpointError(
      'DATA_LOSS',
      `${file}: block checksum mismatch in the ${what} at offset ${offset} (${size} bytes): stored crc32c ${hex32(stored)}, computed ${hex32(actual)}`,
      { file, offset, expectedCrc: stored, actualCrc: actual },
    );
  }
  switch (type) {
    case NO_COMPRESSION:
      return contents;
    case SNAPPY_COMPRESSION:
      try {
        // A copy: snappyjs treats a Node Buffer differently from a Uint8Array.
        return snappy.uncompress(new Uint8Array(contents));
      } catch (e) {
        throw new TfCheckpointError('DATA_LOSS', `${file}: corrupted Snappy-compressed ${what} at offset ${offset}: ${(e as Error).message}`, { file, offset });
      }
    default:
      throw new TfCheckpointError(
        'UNIMPLEMENTED',
        `${file}: the ${what} at offset ${offset} has compression type ${type}; only 0 (none) and 1 (Snappy) exist in TensorFlow's table format`,
        { file, offset },
      );
  }
}

/**
 * The entries of one decoded block, in order (`Block::Iter` in block.cc): undoes the prefix compression
 * and checks the restart array, so a damaged block that happens to pass its CRC still fails loudly.
 */
export function blockEntries(block: Uint8Array, file: string, blockOffset: number, what = 'data block'): { key: Uint8Array; value: Uint8Array }[] {
  const bad = (why: string): TfCheckpointError =>
    new TfCheckpointError('DATA_LOSS', `${file}: bad entry in the ${what} at offset ${blockOffset}: ${why}`, { file, offset: blockOffset });
  if (block.length < 4) throw bad('block shorter than its restart count');
  const numRestarts = new ByteReader(block, block.length - 4).fixed32();
  const maxRestarts = (block.length - 4) / 4;
  if (numRestarts > maxRestarts) throw bad(`${numRestarts} restart points do not fit in ${block.length} bytes`);
  const restartsAt = block.length - (1 + numRestarts) * 4;
  const restarts = new Set<number>();
  for (let i = 0; i < numRestarts; i++) restarts.add(new ByteReader(block, restartsAt + 4 * i).fixed32());
  const out: { key: Uint8Array; value: Uint8Array }[] = [];
  const r = new ByteReader(block, 0, restartsAt);
  let key = new Uint8Array(0);
  while (r.pos < restartsAt) {
    const entryAt = r.pos;
    let shared: number, nonShared: number, valueLength: number;
    try {
      shared = r.varint32();
      nonShared = r.varint32();
      valueLength = r.varint32();
    } catch (e) {
      throw bad((e as Error).message);
    }
    if (shared > key.length) throw bad(`entry at ${entryAt} shares ${shared} bytes with a ${key.length}-byte key`);
    if (restarts.has(entryAt) && shared !== 0) throw bad(`restart point ${entryAt} shares ${shared} key bytes`);
    if (nonShared + valueLength > r.remaining) throw bad(`entry at ${entryAt} runs past the restart array`);
    const next = new Uint8Array(shared + nonShared);
    next.set(key.subarray(0, shared));
    next.set(r.bytes(nonShared), shared);
    key = next;
    out.push({ key, value: r.bytes(valueLength) });
  }
  return out;
}

/**
 * Every entry of a table, in key order, with every block's CRC verified (the footer, then the index
 * block, then each data block it points to, as `Table::Open` and its two-level iterator do). The
 * metaindex block is checked too although TensorFlow writes it empty and never reads it.
 *
 * @example
 * import { readFileSync } from 'node:fs';
 * const entries = readTable(readFileSync('ckpt/variables.index'), 'ckpt/variables.index');
 * entries[0].key.length; // 0: the bundle header's key is ""
 */
export function readTable(bytes: Uint8Array, file: string): TableEntry[] {
  const footer = readFooter(bytes, file);
  const indexBlock = readBlock(bytes, footer.index, file, 'index block');
  readBlock(bytes, footer.metaindex, file, 'metaindex block');
  const out: TableEntry[] = [];
  let last: Uint8Array | null = null;
  for (const { key: separator, value } of blockEntries(indexBlock, file, footer.index.offset, 'index block')) {
    const handle = decodeHandle(new ByteReader(value), file, 'index block');
    const block = readBlock(bytes, handle, file);
    for (const e of blockEntries(block, file, handle.offset)) {
      if (last && compareBytes(last, e.key) >= 0) {
        throw new TfCheckpointError('DATA_LOSS', `${file}: keys out of order in the data block at offset ${handle.offset}`, { file, offset: handle.offset });
      }
      if (compareBytes(e.key, separator) > 0) {
        throw new TfCheckpointError('DATA_LOSS', `${file}: a key of the data block at offset ${handle.offset} is past its index entry`, {
          file,
          offset: handle.offset,
        });
      }
      last = e.key;
      out.push({ key: e.key, value: e.value, block: handle.offset });
    }
  }
  return out;
}

/** `table::Options` (table_options.h) with the values TensorFlow uses for bundles. */
export interface TableOptions {
  /** Approximate uncompressed bytes per data block; TensorFlow's default 262144. */
  blockSize?: number;
  /** Keys between restart points; TensorFlow's default 16 (the index block always uses 1). */
  restartInterval?: number;
  /**
   * Block compression. Bundles are written uncompressed (`BundleWriter::Finish` and
   * `TableBuilderOptions()` in tensor_bundle.cc set kNoCompression); 'snappy' exists to produce
   * tables like LevelDB's default, e.g. to test a reader.
   */
  compression?: 'none' | 'snappy';
}

/** `BlockBuilder` (block_builder.cc). */
class BlockBuilder {
  private readonly buf = new ByteWriter(4096);
  private restarts: number[] = [0];
  private counter = 0;
  private lastKey: Uint8Array = new Uint8Array(0);
  private entries = 0;

  constructor(private readonly restartInterval: number) {}

  get empty(): boolean {
    return this.entries === 0;
  }

  /** `CurrentSizeEstimate`: data + restart array + its length. */
  sizeEstimate(): number {
    return this.buf.length + this.restarts.length * 4 + 4;
  }

  add(key: Uint8Array, value: Uint8Array): void {
    let shared = 0;
    if (this.counter < this.restartInterval) {
      const n = Math.min(this.lastKey.length, key.length);
      while (shared < n && this.lastKey[shared] === key[shared]) shared++;
    } else {
      this.restarts.push(this.buf.length);
      this.counter = 0;
    }
    this.buf.varint(shared);
    this.buf.varint(key.length - shared);
    this.buf.varint(value.length);
    this.buf.bytes(key.subarray(shared));
    this.buf.bytes(value);
    this.lastKey = key;
    this.counter++;
    this.entries++;
  }

  /** `Finish`: appends the restart array; returns the block contents. */
  finish(): Uint8Array {
    for (const r of this.restarts) this.buf.fixed32(r);
    this.buf.fixed32(this.restarts.length);
    return this.buf.finish();
  }

  reset(): void {
    this.buf.clear();
    this.restarts = [0];
    this.counter = 0;
    this.lastKey = new Uint8Array(0);
    this.entries = 0;
  }
}

/** `FindShortestSeparator` (table_builder.cc): a short key in [start, limit). */
function shortestSeparator(start: Uint8Array, limit: Uint8Array): Uint8Array {
  const n = Math.min(start.length, limit.length);
  let i = 0;
  while (i < n && start[i] === limit[i]) i++;
  if (i >= n) return start; // one is a prefix of the other: do not shorten
  const b = start[i];
  if (b < 0xff && b + 1 < limit[i]) {
    const out = start.slice(0, i + 1);
    out[i]++;
    return out;
  }
  return start;
}

/** `FindShortSuccessor` (table_builder.cc): a short key >= `key`. */
function shortSuccessor(key: Uint8Array): Uint8Array {
  for (let i = 0; i < key.length; i++) {
    if (key[i] !== 0xff) {
      const out = key.slice(0, i + 1);
      out[i]++;
      return out;
    }
  }
  return key; // a run of 0xff: leave it alone
}

/**
 * Builds a table from entries in strictly increasing key order, byte for byte as `TableBuilder` does
 * (block_builder.cc, table_builder.cc, format.cc): data blocks flushed when their size estimate
 * reaches `blockSize` (or before an entry of at least twice that size), index keys shortened with
 * FindShortestSeparator / FindShortSuccessor, an empty metaindex block written before the index block,
 * then the footer.
 *
 * @example
 * const enc = new TextEncoder();
 * const table = buildTable([{ key: enc.encode('a'), value: enc.encode('1') }]);
 * readTable(table, 'mem').length; // 1
 */
export function buildTable(entries: Iterable<{ key: Uint8Array; value: Uint8Array }>, options: TableOptions = {}): Uint8Array {
  const blockSize = options.blockSize ?? 262144;
  const restartInterval = options.restartInterval ?? 16;
  const compression = options.compression ?? 'none';
  const out = new ByteWriter(64 * 1024);
  const dataBlock = new BlockBuilder(restartInterval);
  const indexBlock = new BlockBuilder(1);
  let lastKey: Uint8Array | null = null;
  let pendingHandle: BlockHandle | null = null;

  const writeBlock = (block: BlockBuilder): BlockHandle => {
    const raw = block.finish();
    let contents: Uint8Array = raw;
    let type = NO_COMPRESSION;
    if (compression === 'snappy') {
      const compressed = snappy.compress(new Uint8Array(raw));
      // Keep the compressed form only if it saves at least 12.5% (TableBuilder::WriteBlock).
      if (compressed.length < raw.length - Math.floor(raw.length / 8)) {
        contents = compressed;
        type = SNAPPY_COMPRESSION;
      }
    }
    const handle = { offset: out.length, size: contents.length };
    out.bytes(contents);
    const typeByte = Uint8Array.of(type);
    out.byte(type);
    out.fixed32(maskCrc(crc32c(typeByte, crc32c(contents))));
    block.reset();
    return handle;
  };
  const encodeHandle = (h: BlockHandle): Uint8Array => {
    const w = new ByteWriter(20);
    w.varint(h.offset);
    w.varint(h.size);
    return w.finish();
  };
  const flush = (): void => {
    if (dataBlock.empty) return;
    pendingHandle = writeBlock(dataBlock);
  };

  for (const { key, value } of entries) {
    if (lastKey) {
      if (compareBytes(key, lastKey) <= 0) throw new TfCheckpointError('INVALID_ARGUMENT', 'buildTable: keys must be unique and in increasing byte order');
      if (key.length + value.length >= 2 * blockSize) flush();
    }
    if (pendingHandle) {
      indexBlock.add(shortestSeparator(lastKey!, key), encodeHandle(pendingHandle));
      pendingHandle = null;
    }
    lastKey = key;
    dataBlock.add(key, value);
    if (dataBlock.sizeEstimate() >= blockSize) flush();
  }
  flush();
  const metaindexHandle = writeBlock(new BlockBuilder(restartInterval));
  if (pendingHandle) {
    indexBlock.add(shortSuccessor(lastKey!), encodeHandle(pendingHandle));
  }
  const indexHandle = writeBlock(indexBlock);
  const footerStart = out.length;
  out.varint(metaindexHandle.offset);
  out.varint(metaindexHandle.size);
  out.varint(indexHandle.offset);
  out.varint(indexHandle.size);
  while (out.length < footerStart + FOOTER_SIZE - 8) out.byte(0);
  out.fixed32(TABLE_MAGIC_LO);
  out.fixed32(TABLE_MAGIC_HI);
  return out.finish();
}
