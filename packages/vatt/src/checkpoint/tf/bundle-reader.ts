/**
 * Reads a TensorFlow tensor bundle (`tf.train.Checkpoint`, `tf.compat.v1.train.Saver` V2 format, the
 * `variables/` of a SavedModel): `PREFIX.index` (an SSTable of tensor name -> BundleEntryProto, see
 * table.ts) and the data files `PREFIX.data-NNNNN-of-MMMMM`. Mirrors `BundleReader`
 * (tensorflow/core/util/tensor_bundle/tensor_bundle.cc): header checks (`CheckVersions`, endianness),
 * entry checks (valid shape, stored size == element bytes), a CRC32C check of every tensor, partitioned
 * tensors assembled from their slices.
 *
 * The index is read whole (small); tensor data is never: each tensor is one positioned read
 * (`FileHandle.read` at its offset) into a buffer of its own, so reading a multi-GB checkpoint holds
 * only the tensors the caller keeps.
 */
import { crc32c, unmaskCrc } from '@vatt/data';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { ByteReader, decodeKey, stringLengthsCrc } from './coding.js';
import {
  describeDType,
  dtypeName,
  itemSize,
  LITTLE_ENDIAN_HOST,
  numElements,
  swapBytes,
  viewAs,
  type TfDType,
  type TfNumericDType,
  type TfTensor,
} from './dtypes.js';
import { hex32, TfCheckpointError } from './errors.js';
import { decodeObjectGraph, OBJECT_GRAPH_KEY, walkObjectGraph, type TfGraphAttribute, type TfGraphVariable, type TfObjectGraph } from './object-graph.js';
import { encodeTensorNameSlice } from './ordered-code.js';
import { decodeBundleEntry, decodeBundleHeader, type RawBundleEntry, type TfBundleHeader, type TfSliceExtent } from './proto.js';
import { readTable } from './table.js';

/** `kTensorBundleVersion`, `kTensorBundleMinProducer` (tensor_bundle.cc): what this reader accepts. */
export const TENSOR_BUNDLE_VERSION = 1;
const TENSOR_BUNDLE_MIN_PRODUCER = 0;

/**
 * `MetaFilename` (tensorflow/core/util/tensor_bundle/naming.cc).
 *
 * @example
 * indexFilename('ckpt/model'); // 'ckpt/model.index'
 */
export function indexFilename(prefix: string): string {
  return `${prefix}.index`;
}

/**
 * `DataFilename` (naming.cc).
 *
 * @example
 * dataFilename('ckpt/model', 0, 1); // 'ckpt/model.data-00000-of-00001'
 */
export function dataFilename(prefix: string, shard: number, numShards: number): string {
  return `${prefix}.data-${String(shard).padStart(5, '0')}-of-${String(numShards).padStart(5, '0')}`;
}

/** A tensor's entry in the index. */
export interface TfBundleEntry {
  /** The checkpoint key. */
  name: string;
  /** The dtype, or undefined when this reader cannot decode it (`dtypeCode` says which). */
  dtype: TfDType | undefined;
  /** The `DataType` enum value. */
  dtypeCode: number;
  shape: number[];
  shardId: number;
  offset: number;
  size: number;
  /** The stored CRC32C, masked as on disk. */
  crc32c: number;
  /** For a partitioned tensor, the extents of each stored slice (its data lies in their own entries). */
  slices?: TfSliceExtent[][];
}

/** How the checkpoint names its variables. */
export type TfCheckpointLayout =
  | {
      /** TF2 (object-based): the object graph was found and walked. */
      hasObjectGraph: true;
      graph: TfObjectGraph;
      /** Every variable with its object path, checkpoint key and optimizer slots. */
      variables: TfGraphVariable[];
      /** Every saved value the graph names (variables, slots, other attributes). */
      attributes: TfGraphAttribute[];
      /** Keys the graph names but the index lacks (should be empty). */
      missingKeys: string[];
      /** Keys in the index the graph does not name (besides the graph itself). */
      unreferencedKeys: string[];
    }
  | {
      /** TF1 (name-based, `tf.compat.v1.train.Saver`): no object graph; keys are the variables' names. */
      hasObjectGraph: false;
      reason: string;
      /** Every tensor key, as a variable named by it. */
      variables: { path: string; checkpointKey: string }[];
    };

/**
 * An open checkpoint. Create with `openTfCheckpoint`; `close()` it when done.
 *
 * @example
 * const reader = await openTfCheckpoint('/ckpts/vatt/ckpt-500000');
 * for await (const { name, tensor } of reader) console.log(name, tensor.dtype, tensor.shape);
 * await reader.close();
 */
export class TfCheckpointReader {
  /** The header entry. */
  readonly header: TfBundleHeader;
  private readonly byName: Map<string, TfBundleEntry>;
  /** Slice entries of partitioned tensors by their binary key (latin1). */
  private readonly slicesByKey: Map<string, TfBundleEntry>;
  private readonly shards = new Map<number, Promise<fs.FileHandle>>();
  private closed = false;

  private constructor(
    readonly prefix: string,
    header: TfBundleHeader,
    byName: Map<string, TfBundleEntry>,
    slicesByKey: Map<string, TfBundleEntry>,
  ) {
    this.header = header;
    this.byName = byName;
    this.slicesByKey = slicesByKey;
  }

  /** Opens `PREFIX.index` (or a path ending in `.index`), verifies every block and parses every entry. */
  static async open(prefixOrIndex: string): Promise<TfCheckpointReader> {
    const prefix = prefixOrIndex.endsWith('.index') ? prefixOrIndex.slice(0, -'.index'.length) : prefixOrIndex;
    const file = indexFilename(prefix);
    let bytes: Uint8Array;
    try {
      bytes = await fs.readFile(file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new TfCheckpointError('NOT_FOUND', `no TensorFlow checkpoint at ${prefix}: ${file} does not exist`, { file });
      }
      throw e;
    }
    const entries = readTable(bytes, file);
    if (!entries.length || entries[0].key.length !== 0) {
      throw new TfCheckpointError('DATA_LOSS', `${file}: failed to seek to header entry (the table has no "" key)`, { file });
    }
    const header = decodeBundleHeader(entries[0].value, file);
    checkVersions(header, file);
    if (header.numShards < 1) throw new TfCheckpointError('DATA_LOSS', `${file}: header says ${header.numShards} data shards`, { file });
    const byName = new Map<string, TfBundleEntry>();
    const slicesByKey = new Map<string, TfBundleEntry>();
    for (const e of entries.slice(1)) {
      const isSliceKey = e.key[0] === 0;
      const name = isSliceKey ? Buffer.from(e.key).toString('latin1') : decodeKey(e.key);
      const raw = decodeBundleEntry(e.value, isSliceKey ? `(slice) ${JSON.stringify(name)}` : name, file);
      const entry = toEntry(name, raw, header, file);
      (isSliceKey ? slicesByKey : byName).set(name, entry);
    }
    return new TfCheckpointReader(prefix, header, byName, slicesByKey);
  }

  /** Tensor keys in index (byte) order; slice entries of partitioned tensors are not listed, their full tensor is. */
  keys(): string[] {
    return [...this.byName.keys()];
  }

  /** Every entry in index order. */
  entries(): TfBundleEntry[] {
    return [...this.byName.values()];
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** The entry of `name`; a NOT_FOUND error when absent. */
  entry(name: string): TfBundleEntry {
    const e = this.byName.get(name);
    if (!e) throw new TfCheckpointError('NOT_FOUND', `Key ${name} not found in checkpoint ${this.prefix}`, { file: indexFilename(this.prefix), tensor: name });
    return e;
  }

  /** The data file path of a shard. */
  dataFile(shardId: number): string {
    return dataFilename(this.prefix, shardId, this.header.numShards);
  }

  /**
   * Reads one tensor with its CRC32C verified. Fixed-width dtypes come as a typed array over the bytes
   * read (see dtypes.ts); a partitioned tensor is assembled from its slices.
   */
  async readTensor(name: string): Promise<TfTensor> {
    const entry = this.entry(name);
    if (entry.slices) return this.readPartitioned(entry);
    return this.readEntry(entry);
  }

  /**
   * Every tensor with its name, in data-file order (shard, then offset: sequential reads, as
   * `BundleReader::SortForSequentialAccess` arranges). Reads run ahead of the consumer by up to
   * `readAheadBytes` (default 64 MiB, at least one tensor), so the disk keeps working while the
   * previous tensor's CRC is computed; nothing beyond that window is held. `entries` (entries of this
   * reader, e.g. some of `entries()`) reads only those, in the same data-file order.
   */
  async *tensors(
    options: { readAheadBytes?: number; entries?: readonly TfBundleEntry[] } = {},
  ): AsyncGenerator<{ name: string; entry: TfBundleEntry; tensor: TfTensor }> {
    const window = options.readAheadBytes ?? 64 << 20;
    const order = [...(options.entries ?? this.byName.values())].sort((a, b) => a.shardId - b.shardId || a.offset - b.offset);
    const pending: { entry: TfBundleEntry; bytes?: Promise<Uint8Array> }[] = [];
    let inFlight = 0;
    let next = 0;
    const fill = (): void => {
      while (next < order.length && (pending.length === 0 || inFlight + order[next].size <= window)) {
        const entry = order[next++];
        if (entry.slices || !entry.dtype) {
          pending.push({ entry });
          continue;
        }
        const bytes = this.readBytes(entry);
        // Marked handled: a read-ahead that fails after the consumer stopped must not crash the process.
        bytes.catch(() => undefined);
        pending.push({ entry, bytes });
        inFlight += entry.size;
      }
    };
    fill();
    while (pending.length) {
      const { entry, bytes } = pending.shift()!;
      let tensor: TfTensor;
      if (bytes) {
        const b = await bytes;
        inFlight -= entry.size;
        fill();
        tensor = this.decodeEntry(entry, b);
      } else {
        tensor = await this.readTensor(entry.name);
        fill();
      }
      yield { name: entry.name, entry, tensor };
    }
  }

  /** `tensors()` with its default read-ahead. */
  [Symbol.asyncIterator](): AsyncGenerator<{ name: string; entry: TfBundleEntry; tensor: TfTensor }> {
    return this.tensors();
  }

  /**
   * How the checkpoint names its variables: the walked object graph of a TF2 checkpoint, or, for a
   * TF1 checkpoint, the plain keys and the reason there is no graph.
   */
  async layout(): Promise<TfCheckpointLayout> {
    if (!this.byName.has(OBJECT_GRAPH_KEY)) {
      return {
        hasObjectGraph: false,
        reason: `no ${OBJECT_GRAPH_KEY} entry: a TF1 (name-based) checkpoint, whose keys are plain variable names`,
        variables: this.keys().map((k) => ({ path: k, checkpointKey: k })),
      };
    }
    const t = await this.readTensor(OBJECT_GRAPH_KEY);
    if (t.dtype !== 'string' || t.bytes.length !== 1) {
      throw new TfCheckpointError('DATA_LOSS', `${OBJECT_GRAPH_KEY} is a ${t.dtype} of shape [${t.shape}], expected a string scalar`, {
        tensor: OBJECT_GRAPH_KEY,
      });
    }
    const graph = decodeObjectGraph(t.bytes[0]);
    const walk = walkObjectGraph(graph);
    const named = new Set(walk.attributes.map((a) => a.checkpointKey));
    return {
      hasObjectGraph: true,
      graph,
      variables: walk.variables,
      attributes: walk.attributes,
      missingKeys: [...named].filter((k) => !this.byName.has(k)),
      unreferencedKeys: this.keys().filter((k) => k !== OBJECT_GRAPH_KEY && !named.has(k)),
    };
  }

  /** Closes the data files. */
  async close(): Promise<void> {
    this.closed = true;
    const handles = [...this.shards.values()];
    this.shards.clear();
    await Promise.all(handles.map(async (h) => (await h.catch(() => null))?.close()));
  }

  private shard(shardId: number, forTensor: string): Promise<fs.FileHandle> {
    if (this.closed) throw new TfCheckpointError('FAILED_PRECONDITION', `checkpoint ${this.prefix} is closed`);
    let h = this.shards.get(shardId);
    if (!h) {
      const file = this.dataFile(shardId);
      h = fs.open(file, 'r').catch((e: NodeJS.ErrnoException) => {
        this.shards.delete(shardId);
        if (e.code === 'ENOENT') {
          throw new TfCheckpointError(
            'NOT_FOUND',
            `missing data file ${file} (shard ${shardId} of ${this.header.numShards} of checkpoint ${this.prefix}), needed for tensor "${forTensor}"`,
            { file, tensor: forTensor },
          );
        }
        throw e;
      });
      this.shards.set(shardId, h);
    }
    return h;
  }

  /** Reads [offset, offset + size) of a shard into a fresh buffer (one positioned read, repeated only on short reads). */
  private async readBytes(entry: TfBundleEntry): Promise<Uint8Array> {
    const fh = await this.shard(entry.shardId, entry.name);
    // allocUnsafeSlow: never from Buffer's shared pool, so byteOffset 0 and typed-array views are aligned.
    const buf = Buffer.allocUnsafeSlow(entry.size);
    let got = 0;
    while (got < entry.size) {
      const chunk = Math.min(entry.size - got, 0x7fff0000); // one read() moves at most ~2 GiB
      const { bytesRead } = await fh.read(buf, got, chunk, entry.offset + got);
      if (bytesRead === 0) {
        const file = this.dataFile(entry.shardId);
        const { size: fileSize } = await fh.stat();
        throw new TfCheckpointError(
          'DATA_LOSS',
          `truncated data file ${file}: tensor "${entry.name}" needs ${entry.size} bytes at offset ${entry.offset}, ` +
            `but the file ends after ${fileSize} bytes (${Math.max(0, fileSize - entry.offset)} of them available)`,
          { file, tensor: entry.name, offset: entry.offset },
        );
      }
      got += bytesRead;
    }
    return buf;
  }

  private checksumError(entry: TfBundleEntry, actual: number, what = 'Checksum'): TfCheckpointError {
    const file = this.dataFile(entry.shardId);
    const stored = unmaskCrc(entry.crc32c);
    return new TfCheckpointError(
      'DATA_LOSS',
      `${what} mismatch for tensor "${entry.name}" in ${file} (offset ${entry.offset}, ${entry.size} bytes): ` +
        `stored crc32c ${hex32(stored)}, computed ${hex32(actual)} on the bytes read`,
      { file, tensor: entry.name, offset: entry.offset, expectedCrc: stored, actualCrc: actual },
    );
  }

  private unsupported(entry: TfBundleEntry): TfCheckpointError {
    return new TfCheckpointError(
      'UNIMPLEMENTED',
      `tensor "${entry.name}" has dtype ${describeDType(entry.dtypeCode)}, which this reader does not decode ` +
        '(supported: float32, float64, float16, bfloat16, int8/16/32/64, uint8/16/32/64, bool, string)',
      { tensor: entry.name, file: this.dataFile(entry.shardId) },
    );
  }

  private async readEntry(entry: TfBundleEntry): Promise<TfTensor> {
    if (!entry.dtype) throw this.unsupported(entry);
    return this.decodeEntry(entry, await this.readBytes(entry));
  }

  /** Checks the CRC of a tensor's stored bytes and views them as its dtype. */
  private decodeEntry(entry: TfBundleEntry, bytes: Uint8Array): TfTensor {
    if (!entry.dtype) throw this.unsupported(entry);
    if (entry.dtype === 'string') return this.decodeStrings(entry, bytes);
    const actual = crc32c(bytes);
    if (actual !== unmaskCrc(entry.crc32c)) throw this.checksumError(entry, actual);
    // The checksum is over the bytes as stored; swap after it (GetValue in tensor_bundle.cc).
    const size = itemSize(entry.dtype);
    if ((this.header.endianness === 'big') === LITTLE_ENDIAN_HOST) swapBytes(bytes, size);
    return { dtype: entry.dtype, shape: entry.shape, data: viewAs(entry.dtype as TfNumericDType, bytes) } as TfTensor;
  }

  /**
   * A DT_STRING tensor (`ReadStringTensor` in tensor_bundle.cc): `varint64 length` per element, a
   * 4-byte masked CRC32C of the lengths, then the element bytes. The lengths' checksum is taken over
   * each length as a 4-byte integer (8 bytes only above 2^32-1), in the writer's byte order; the
   * tensor's checksum covers those integers, the 4 stored checksum bytes, and the element bytes.
   */
  private decodeStrings(entry: TfBundleEntry, bytes: Uint8Array): TfTensor {
    const n = numElements(entry.shape);
    // ReadStringTensor returns at once for size 0 (BundleWriter never writes one: it always writes the length checksum).
    if (entry.size === 0) return { dtype: 'string', shape: entry.shape, bytes: new Array(n).fill(new Uint8Array(0)), data: new Array(n).fill('') };
    const r = new ByteReader(bytes);
    const lengths: number[] = new Array(n);
    const little = this.header.endianness === 'little';
    const corrupt = (why: string): TfCheckpointError => {
      const file = this.dataFile(entry.shardId);
      return new TfCheckpointError('DATA_LOSS', `string tensor "${entry.name}" in ${file} (offset ${entry.offset}, ${entry.size} bytes) is corrupt: ${why}`, {
        file,
        tensor: entry.name,
        offset: entry.offset,
      });
    };
    try {
      for (let i = 0; i < n; i++) lengths[i] = r.varint64();
      let crc = stringLengthsCrc(lengths, little);
      const rawLengthChecksum = r.bytes(4);
      const stored = new DataView(rawLengthChecksum.buffer, rawLengthChecksum.byteOffset, 4).getUint32(0, little);
      if (unmaskCrc(stored) !== crc) throw this.checksumError({ ...entry, crc32c: stored }, crc, 'Length checksum');
      crc = crc32c(rawLengthChecksum, crc);
      const elems: Uint8Array[] = new Array(n);
      for (let i = 0; i < n; i++) {
        elems[i] = r.bytes(lengths[i]);
        crc = crc32c(elems[i], crc);
      }
      if (r.remaining !== 0) throw corrupt(`${r.remaining} bytes left after the last element`);
      if (crc !== unmaskCrc(entry.crc32c)) throw this.checksumError(entry, crc);
      const dec = new TextDecoder('utf-8');
      return { dtype: 'string', shape: entry.shape, bytes: elems, data: elems.map((b) => dec.decode(b)) };
    } catch (e) {
      if (e instanceof TfCheckpointError) throw e;
      throw corrupt((e as Error).message);
    }
  }

  /** A partitioned tensor: every stored slice read (CRC-checked) and copied into the full tensor. */
  private async readPartitioned(full: TfBundleEntry): Promise<TfTensor> {
    if (!full.dtype) throw this.unsupported(full);
    const shape = full.shape;
    const total = numElements(shape);
    const isString = full.dtype === 'string';
    const size = isString ? 0 : itemSize(full.dtype);
    const outBytes = isString ? null : new Uint8Array(total * size);
    const outStrings: Uint8Array[] | null = isString ? new Array(total) : null;
    const covered = new Uint8Array(total);
    for (const extents of full.slices!) {
      const key = Buffer.from(encodeTensorNameSlice(full.name, extents)).toString('latin1');
      const sliceEntry = this.slicesByKey.get(key);
      const where = `slice [${extents.map((e) => (e.length === undefined ? '-' : `${e.start},${e.length}`)).join(':')}]`;
      if (!sliceEntry) {
        throw new TfCheckpointError('DATA_LOSS', `partitioned tensor "${full.name}": the entry of its ${where} is missing from ${indexFilename(this.prefix)}`, {
          tensor: full.name,
          file: indexFilename(this.prefix),
        });
      }
      if (extents.length !== shape.length) throw new TfCheckpointError('DATA_LOSS', `partitioned tensor "${full.name}": ${where} has the wrong rank`);
      const starts = extents.map((e) => (e.length === undefined ? 0 : e.start));
      const lens = extents.map((e, d) => (e.length === undefined ? shape[d] : e.length));
      if (lens.some((l, d) => starts[d] < 0 || starts[d] + l > shape[d]) || lens.some((l, d) => l !== sliceEntry.shape[d])) {
        throw new TfCheckpointError(
          'DATA_LOSS',
          `partitioned tensor "${full.name}": ${where} does not fit its shape [${shape}] or its entry's [${sliceEntry.shape}]`,
          {
            tensor: full.name,
          },
        );
      }
      const t = await this.readEntry({ ...sliceEntry, name: `${full.name} (${where})` });
      const src = t.dtype === 'string' ? null : new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
      // Copy row by row of the innermost dimension.
      const rank = shape.length;
      const strides = new Array<number>(rank).fill(1);
      for (let d = rank - 2; d >= 0; d--) strides[d] = strides[d + 1] * shape[d + 1];
      const inner = rank ? lens[rank - 1] : 1;
      const rows = numElements(lens) / Math.max(inner, 1);
      const idx = new Array<number>(Math.max(rank - 1, 0)).fill(0);
      for (let row = 0; row < rows && inner > 0; row++) {
        let dst = rank ? starts[rank - 1] : 0;
        for (let d = 0; d < rank - 1; d++) dst += (starts[d] + idx[d]) * strides[d];
        for (let k = 0; k < inner; k++) {
          if (covered[dst + k]) throw new TfCheckpointError('DATA_LOSS', `partitioned tensor "${full.name}": its slices overlap`, { tensor: full.name });
          covered[dst + k] = 1;
        }
        if (outStrings && t.dtype === 'string') for (let k = 0; k < inner; k++) outStrings[dst + k] = t.bytes[row * inner + k];
        else outBytes!.set(src!.subarray(row * inner * size, (row + 1) * inner * size), dst * size);
        for (let d = rank - 2; d >= 0; d--) {
          if (++idx[d] < lens[d]) break;
          idx[d] = 0;
        }
      }
    }
    if (covered.some((c) => c === 0)) {
      throw new TfCheckpointError(
        'DATA_LOSS',
        `partitioned tensor "${full.name}": its ${full.slices!.length} stored slices do not cover the full shape [${shape}]`,
        {
          tensor: full.name,
        },
      );
    }
    if (outStrings) {
      const dec = new TextDecoder('utf-8');
      return { dtype: 'string', shape, bytes: outStrings, data: outStrings.map((b) => dec.decode(b)) };
    }
    return { dtype: full.dtype, shape, data: viewAs(full.dtype as TfNumericDType, outBytes!) } as TfTensor;
  }
}

/** `CheckVersions` (tensorflow/core/framework/versions.cc) with the bundle's version constants. */
function checkVersions(header: TfBundleHeader, file: string): void {
  const v = header.version;
  if (v.producer < TENSOR_BUNDLE_MIN_PRODUCER) {
    throw new TfCheckpointError('INVALID_ARGUMENT', `${file}: checkpoint producer version ${v.producer} is below the minimum ${TENSOR_BUNDLE_MIN_PRODUCER}`, {
      file,
    });
  }
  if (TENSOR_BUNDLE_VERSION < v.minConsumer) {
    throw new TfCheckpointError(
      'INVALID_ARGUMENT',
      `${file}: checkpoint needs a reader of version >= ${v.minConsumer}; this one is ${TENSOR_BUNDLE_VERSION} (written by a newer TensorFlow?)`,
      { file },
    );
  }
  if (v.badConsumers.includes(TENSOR_BUNDLE_VERSION)) {
    throw new TfCheckpointError('INVALID_ARGUMENT', `${file}: checkpoint disallows reader version ${TENSOR_BUNDLE_VERSION}`, { file });
  }
}

/** Validates an entry as `GetBundleEntryProto` and `GetValue` do before any data is read. */
function toEntry(name: string, raw: RawBundleEntry, header: TfBundleHeader, file: string): TfBundleEntry {
  const dtype = dtypeName(raw.dtype);
  const bad = (why: string): TfCheckpointError => new TfCheckpointError('DATA_LOSS', `${file}: entry for "${name}": ${why}`, { file, tensor: name });
  if (raw.unknownRank || raw.shape.some((d) => d < 0)) throw bad(`invalid tensor shape ${raw.unknownRank ? '(unknown rank)' : `[${raw.shape}]`}`);
  const entry: TfBundleEntry = {
    name,
    dtype,
    dtypeCode: raw.dtype,
    shape: raw.shape,
    shardId: raw.shardId,
    offset: raw.offset,
    size: raw.size,
    crc32c: raw.crc32c,
  };
  if (raw.slices.length) {
    entry.slices = raw.slices;
    return entry;
  }
  if (raw.shardId < 0 || raw.shardId >= header.numShards) throw bad(`shard ${raw.shardId} outside the ${header.numShards} shards of the header`);
  if (raw.offset < 0 || raw.size < 0) throw bad(`negative offset or size`);
  if (dtype && dtype !== 'string') {
    const expected = numElements(raw.shape) * itemSize(dtype);
    if (raw.size !== expected) throw bad(`invalid size in bundle entry: stored size ${raw.size}; expected size ${expected} (${dtype} [${raw.shape}])`);
  } else if (dtype === 'string' && raw.size !== 0 && raw.size < numElements(raw.shape) + 4) {
    // At least one varint byte per element plus the 4-byte length checksum (TensorFlow's own bound omits the 4).
    throw bad(`invalid size in bundle entry: stored size ${raw.size}; expected size is at least ${numElements(raw.shape) + 4}`);
  }
  return entry;
}

/** Parses the `model_checkpoint_path` of a `checkpoint` file (a text-format `CheckpointState`, tensorflow/python/checkpoint/checkpoint_management.py). */
function latestFromStateFile(text: string): string | undefined {
  const m = /^\s*model_checkpoint_path\s*:\s*"((?:[^"\\]|\\.)*)"/m.exec(text);
  return m ? m[1].replace(/\\(.)/g, '$1') : undefined;
}

/**
 * The prefix of the checkpoint at `p`: `p` itself when `p.index` exists; `p` without `.index`; for a
 * directory, the latest checkpoint its `checkpoint` file names (what `tf.train.latest_checkpoint`
 * returns), else a SavedModel's `variables/variables`, else its only `*.index`.
 *
 * @example
 * await resolveTfCheckpoint('/ckpts/vatt'); // '/ckpts/vatt/ckpt-500000' (from /ckpts/vatt/checkpoint)
 * await resolveTfCheckpoint('/models/saved_model'); // '/models/saved_model/variables/variables'
 */
export async function resolveTfCheckpoint(p: string): Promise<string> {
  if (p.endsWith('.index')) return p.slice(0, -'.index'.length);
  const exists = (f: string): Promise<boolean> =>
    fs.stat(f).then(
      () => true,
      () => false,
    );
  if (await exists(indexFilename(p))) return p;
  const stat = await fs.stat(p).catch(() => null);
  if (!stat?.isDirectory()) return p; // open() reports the missing index
  const state = await fs.readFile(path.join(p, 'checkpoint'), 'utf8').catch(() => null);
  const latest = state === null ? undefined : latestFromStateFile(state);
  if (latest) return path.isAbsolute(latest) ? latest : path.join(p, latest);
  const saved = path.join(p, 'variables', 'variables');
  if (await exists(indexFilename(saved))) return saved;
  const indexes = (await fs.readdir(p)).filter((f) => f.endsWith('.index'));
  if (indexes.length === 1) return path.join(p, indexes[0].slice(0, -'.index'.length));
  throw new TfCheckpointError(
    'NOT_FOUND',
    indexes.length
      ? `${p} holds ${indexes.length} checkpoints (${indexes.join(', ')}) and no "checkpoint" file naming the latest: pass a prefix`
      : `no TensorFlow checkpoint in ${p}: no "checkpoint" file, no variables/variables.index, no *.index`,
    { file: p },
  );
}

/**
 * Opens a checkpoint by prefix (`dir/ckpt-100`, `saved_model/variables/variables`), by its `.index`
 * path, or by directory (see `resolveTfCheckpoint`); see `TfCheckpointReader`.
 *
 * @example
 * const reader = await openTfCheckpoint('saved_model/variables/variables');
 * const kernel = await reader.readTensor('layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE');
 * kernel.shape; // [5, 5]
 * await reader.close();
 */
export async function openTfCheckpoint(p: string): Promise<TfCheckpointReader> {
  return TfCheckpointReader.open(await resolveTfCheckpoint(p));
}
