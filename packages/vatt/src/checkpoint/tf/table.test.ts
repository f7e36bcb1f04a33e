// The SSTable layer (table.ts) and bundles no fixture has: Snappy blocks, several shards, partitioned
// tensors, big-endian data. The unusual bundles are assembled by hand from the format's parts.
import { crc32c, maskCrc } from '@vatt/data';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { dataFilename, indexFilename, openTfCheckpoint } from './bundle-reader.js';
import { encodeStringTensor } from './bundle-writer.js';
import { encodeKey } from './coding.js';
import { encodeTensorNameSlice } from './ordered-code.js';
import { encodeBundleEntry, encodeBundleHeader, type RawBundleEntry, type TfBundleHeader } from './proto.js';
import { blockEntries, buildTable, readBlock, readFooter, readTable, SNAPPY_COMPRESSION } from './table.js';
import { tempDir } from './test-fixtures.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

let dir: string;
beforeEach(async () => {
  dir = await tempDir('table');
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('tables', () => {
  test('index keys are the shortest separators; the last one the short successor', () => {
    // blockSize 1: every entry closes its block.
    const keys = ['abc', 'abz', 'abzz', 'b\xff'];
    const table = buildTable(
      keys.map((k) => ({ key: Uint8Array.from(k, (c) => c.charCodeAt(0)), value: enc('v') })),
      { blockSize: 1 },
    );
    const footer = readFooter(table, 'mem');
    const index = blockEntries(readBlock(table, footer.index, 'mem'), 'mem', footer.index.offset);
    // "abc" | "abz": 'c'+1 < 'z' -> "abd"; "abz" | "abzz": a prefix, not shortened; "abzz" | "b\xff": 'a'+1 == 'b' -> kept; last "b\xff" -> "c".
    expect(index.map((e) => Array.from(e.key, (b) => String.fromCharCode(b)).join(''))).toEqual(['abd', 'abz', 'abzz', 'c']);
    expect(readTable(table, 'mem').map((e) => e.key.length)).toEqual([3, 3, 4, 2]);
  });

  test('prefix compression with a restart point every 16 keys', () => {
    const entries = Array.from({ length: 40 }, (_, i) => ({ key: enc(`layer/${String(i).padStart(2, '0')}`), value: enc(String(i)) }));
    const table = buildTable(entries);
    const footer = readFooter(table, 'mem');
    const block = readBlock(table, { offset: 0, size: footer.metaindex.offset - 5 }, 'mem');
    const numRestarts = new DataView(block.buffer, block.byteOffset).getUint32(block.length - 4, true);
    expect(numRestarts).toBe(3); // entries 0, 16, 32
    // Entry 1 shares "layer/0" with entry 0: shared 7, non-shared 1, value length 1.
    const second = 3 + 8 + 1;
    expect(Array.from(block.subarray(second, second + 3))).toEqual([7, 1, 1]);
    expect(readTable(table, 'mem').map((e) => dec(e.value))).toEqual(entries.map((e) => dec(e.value)));
  });

  test('an entry of at least twice the block size starts a block of its own', () => {
    const big = new Uint8Array(300);
    const table = buildTable(
      [
        { key: enc('a'), value: enc('1') },
        { key: enc('b'), value: big },
        { key: enc('c'), value: enc('3') },
      ],
      { blockSize: 128 },
    );
    const blocks = readTable(table, 'mem').map((e) => e.block);
    expect(blocks[0]).not.toBe(blocks[1]);
    expect(blocks[1]).not.toBe(blocks[2]); // the big block is over blockSize: flushed right after
  });

  test('Snappy-compressed blocks are decompressed (after their CRC is checked)', () => {
    const entries = Array.from({ length: 200 }, (_, i) => ({ key: enc(`k${String(i).padStart(4, '0')}`), value: enc('x'.repeat(50)) }));
    const table = buildTable(entries, { compression: 'snappy' });
    const footer = readFooter(table, 'mem');
    const index = blockEntries(readBlock(table, footer.index, 'mem'), 'mem', footer.index.offset);
    const firstSize = footer.metaindex.offset - 5;
    expect(table[firstSize]).toBe(SNAPPY_COMPRESSION); // the data block's type byte
    expect(index).toHaveLength(1);
    expect(readTable(table, 'mem').map((e) => dec(e.value))).toEqual(entries.map((e) => dec(e.value)));
  });

  test('an unknown compression type is an error that says so', () => {
    const table = buildTable([{ key: enc('a'), value: enc('1') }]);
    const size = readFooter(table, 'x.index').metaindex.offset - 5;
    table[size] = 2; // the type byte; re-checksum it so that only the type is wrong
    new DataView(table.buffer).setUint32(size + 1, maskCrc(crc32c(table.subarray(size, size + 1), crc32c(table.subarray(0, size)))), true);
    expect(() => readTable(table, 'x.index')).toThrow(/x\.index: the data block at offset 0 has compression type 2; only 0 \(none\) and 1 \(Snappy\)/);
  });

  test('slice keys: EncodeTensorNameSlice', () => {
    // 0 | "w" 00 01 | rank 2 | start 0 (0x80) length 2 (0x82) | full: start 0, length -1 (0x7f)
    expect(Array.from(encodeTensorNameSlice('w', [{ start: 0, length: 2 }, { start: 0 }]))).toEqual([0, 0x77, 0, 1, 1, 2, 0x80, 0x82, 0x80, 0x7f]);
    // 64 and 1000 need two bytes: sign 1, one length bit 1, delimiter 0 (110xxxxx xxxxxxxx); a 0x00 in a name is escaped.
    expect(Array.from(encodeTensorNameSlice('\0', [{ start: 64, length: 1000 }]))).toEqual([0, 0, 0xff, 0, 1, 1, 1, 0xc0, 0x40, 0xc3, 0xe8]);
  });
});

/** A bundle from hand-made parts: `data[i]` is shard i's file, `entries` are written as given. */
async function writeRawBundle(
  prefix: string,
  header: TfBundleHeader,
  entries: [Uint8Array, Omit<RawBundleEntry, 'unknownRank'>][],
  data: Uint8Array[],
): Promise<void> {
  for (const [i, bytes] of data.entries()) await fs.writeFile(dataFilename(prefix, i, header.numShards), bytes);
  const sorted = [...entries].sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const table = buildTable([
    { key: new Uint8Array(0), value: encodeBundleHeader(header) },
    ...sorted.map(([key, e]) => ({ key, value: encodeBundleEntry(e) })),
  ]);
  await fs.writeFile(indexFilename(prefix), table);
}

const LE: TfBundleHeader = { numShards: 2, endianness: 'little', version: { producer: 1, minConsumer: 0, badConsumers: [] } };
const f32 = (...v: number[]): Uint8Array => new Uint8Array(Float32Array.from(v).buffer);
const entryOf = (dtype: number, shape: number[], shardId: number, offset: number, bytes: Uint8Array): Omit<RawBundleEntry, 'unknownRank'> => ({
  dtype,
  shape,
  shardId,
  offset,
  size: bytes.length,
  crc32c: maskCrc(crc32c(bytes)),
  slices: [],
});

describe('bundles no fixture has', () => {
  test('several shards: each tensor is read from its own data file', async () => {
    const prefix = path.join(dir, 'sharded');
    const a = f32(1, 2),
      b = f32(3),
      c = f32(4, 5, 6);
    await writeRawBundle(
      prefix,
      LE,
      [
        [encodeKey('a'), entryOf(1, [2], 0, 0, a)],
        [encodeKey('b'), entryOf(1, [1], 1, 0, b)],
        [encodeKey('c'), entryOf(1, [3], 1, 4, c)],
      ],
      [a, Buffer.concat([b, c])],
    );
    const r = await openTfCheckpoint(prefix);
    expect(r.header.numShards).toBe(2);
    expect(r.dataFile(1)).toBe(`${prefix}.data-00001-of-00002`);
    expect((await r.readTensor('a')).data).toEqual(Float32Array.of(1, 2));
    expect((await r.readTensor('c')).data).toEqual(Float32Array.of(4, 5, 6));
    const order: string[] = [];
    for await (const { name } of r) order.push(name);
    expect(order).toEqual(['a', 'b', 'c']); // shard, then offset
    await r.close();
    await fs.rm(dataFilename(prefix, 1, 2));
    const r2 = await openTfCheckpoint(prefix);
    await expect(r2.readTensor('b')).rejects.toThrow(
      `missing data file ${prefix}.data-00001-of-00002 (shard 1 of 2 of checkpoint ${prefix}), needed for tensor "b"`,
    );
    await r2.close();
  });

  test('a partitioned tensor is assembled from its slices', async () => {
    // A [4, 3] float32 variable saved as two row blocks (e.g. a tf.compat.v1 partitioned variable).
    const prefix = path.join(dir, 'part');
    const top = f32(0, 1, 2, 3, 4, 5),
      bottom = f32(6, 7, 8, 9, 10, 11);
    const sliceTop = [{ start: 0, length: 2 }, { start: 0 }];
    const sliceBottom = [{ start: 2, length: 2 }, { start: 0 }];
    const full: Omit<RawBundleEntry, 'unknownRank'> = { dtype: 1, shape: [4, 3], shardId: 0, offset: 0, size: 0, crc32c: 0, slices: [sliceBottom, sliceTop] };
    const header = { ...LE, numShards: 1 };
    await writeRawBundle(
      prefix,
      header,
      [
        [encodeKey('emb'), full],
        [encodeTensorNameSlice('emb', sliceTop), entryOf(1, [2, 3], 0, 0, top)],
        [encodeTensorNameSlice('emb', sliceBottom), entryOf(1, [2, 3], 0, 24, bottom)],
      ],
      [Buffer.concat([top, bottom])],
    );
    const r = await openTfCheckpoint(prefix);
    expect(r.keys()).toEqual(['emb']); // slice entries are not listed
    const t = await r.readTensor('emb');
    expect(t.shape).toEqual([4, 3]);
    expect(t.data).toEqual(Float32Array.from({ length: 12 }, (_, i) => i));
    await r.close();

    // Column slices too, and a missing slice is named.
    const prefix2 = path.join(dir, 'cols');
    const left = f32(0, 3, 6, 9),
      right = f32(1, 2, 4, 5, 7, 8, 10, 11);
    const sl = [{ start: 0 }, { start: 0, length: 1 }];
    const sr = [{ start: 0 }, { start: 1, length: 2 }];
    await writeRawBundle(
      prefix2,
      header,
      [
        [encodeKey('emb'), { ...full, slices: [sl, sr] }],
        [encodeTensorNameSlice('emb', sl), entryOf(1, [4, 1], 0, 0, left)],
        [encodeTensorNameSlice('emb', sr), entryOf(1, [4, 2], 0, 16, right)],
      ],
      [Buffer.concat([left, right])],
    );
    const r2 = await openTfCheckpoint(prefix2);
    expect((await r2.readTensor('emb')).data).toEqual(Float32Array.from({ length: 12 }, (_, i) => i));
    await r2.close();
    await writeRawBundle(
      prefix2,
      header,
      [
        [encodeKey('emb'), { ...full, slices: [sl, sr] }],
        [encodeTensorNameSlice('emb', sl), entryOf(1, [4, 1], 0, 0, left)],
      ],
      [left],
    );
    const r3 = await openTfCheckpoint(prefix2);
    await expect(r3.readTensor('emb')).rejects.toThrow(/partitioned tensor "emb": the entry of its slice \[-:1,2\] is missing/);
    await r3.close();
  });

  test('a big-endian bundle: values byte-swapped after the CRC check of the stored bytes', async () => {
    const prefix = path.join(dir, 'be');
    const be = new Uint8Array(8);
    new DataView(be.buffer).setFloat32(0, 1.5, false);
    new DataView(be.buffer).setFloat32(4, -2, false);
    const i64 = new Uint8Array(8);
    new DataView(i64.buffer).setBigInt64(0, -3n, false);
    // A string tensor from a big-endian writer: the 4-byte length checksum, and the lengths it covers, big-endian.
    const lenBE = new Uint8Array(4);
    new DataView(lenBE.buffer).setUint32(0, 2, false);
    const lenCrc = crc32c(lenBE);
    const ckBE = new Uint8Array(4);
    new DataView(ckBE.buffer).setUint32(0, maskCrc(lenCrc), false);
    const str = Uint8Array.from([2, ...ckBE, 0x68, 0x69]);
    const strCrc = crc32c(enc('hi'), crc32c(ckBE, lenCrc));
    await writeRawBundle(
      prefix,
      { numShards: 1, endianness: 'big', version: { producer: 1, minConsumer: 0, badConsumers: [] } },
      [
        [encodeKey('f'), entryOf(1, [2], 0, 0, be)],
        [encodeKey('i'), entryOf(9, [], 0, 8, i64)],
        [encodeKey('s'), { ...entryOf(7, [], 0, 16, str), crc32c: maskCrc(strCrc) }],
      ],
      [Buffer.concat([be, i64, str])],
    );
    const r = await openTfCheckpoint(prefix);
    expect((await r.readTensor('f')).data).toEqual(Float32Array.of(1.5, -2));
    expect((await r.readTensor('i')).data).toEqual(BigInt64Array.of(-3n));
    expect((await r.readTensor('s')).data).toEqual(['hi']);
    await r.close();
    // The same string, little-endian, is what the writer produces: length, checksum and CRC in little-endian order.
    const lenLE = Uint8Array.of(2, 0, 0, 0);
    const ckLE = new Uint8Array(4);
    new DataView(ckLE.buffer).setUint32(0, maskCrc(crc32c(lenLE)), true);
    const written = encodeStringTensor(['hi']);
    expect(Array.from(written.bytes)).toEqual([2, ...ckLE, 0x68, 0x69]);
    expect(written.crc).toBe(crc32c(enc('hi'), crc32c(ckLE, crc32c(lenLE))));
    expect(Array.from(ckLE)).not.toEqual(Array.from(ckBE));
  });

  test('a newer format version is refused', async () => {
    const prefix = path.join(dir, 'newer');
    await writeRawBundle(prefix, { numShards: 1, endianness: 'little', version: { producer: 2, minConsumer: 2, badConsumers: [] } }, [], [new Uint8Array(0)]);
    await expect(openTfCheckpoint(prefix)).rejects.toThrow(/needs a reader of version >= 2/);
  });

  test('unsupported dtypes are refused by name', async () => {
    const prefix = path.join(dir, 'complex');
    const bytes = f32(1, 0);
    await writeRawBundle(prefix, { ...LE, numShards: 1 }, [[encodeKey('z'), entryOf(8, [1], 0, 0, bytes)]], [bytes]);
    const r = await openTfCheckpoint(prefix);
    expect(r.entry('z').dtype).toBeUndefined();
    await expect(r.readTensor('z')).rejects.toThrow(/tensor "z" has dtype DT_COMPLEX64, which this reader does not decode/);
    await r.close();
  });
});
