/**
 * Writes a TensorFlow tensor bundle the way `BundleWriter` does (tensorflow/core/util/tensor_bundle/
 * tensor_bundle.cc): tensors appended to `PREFIX.data-00000-of-00001` in the order they are added,
 * densely packed (`Options::data_alignment` defaults to 1, and neither `SaveV2` nor
 * `MergeV2Checkpoints` changes it), each with the masked CRC32C of its bytes; then `PREFIX.index`, a
 * table (table.ts, built with TensorFlow's options: 256 KiB blocks, restart interval 16, no
 * compression) of the header entry at "" and every entry in key order.
 *
 * Atomic like `BundleWriter` with `use_temp_file_`: both files are written under
 * `<name>.tempstate<random>` names, fsynced, and renamed, the data file first and the index last, so a
 * killed write leaves no `.index` that points at missing or partial data. An older `PREFIX.index` is
 * removed before the new data file takes its name, for the same reason.
 *
 * Tensors are streamed: `add()` writes each one (through an 8 MiB buffer, `FileOutputBuffer`'s size)
 * before returning, so a caller that produces tensors one at a time never holds the whole checkpoint.
 */
import { crc32c, maskCrc } from '@vatt/data';
import { syncDirectory, writeFileSynced } from '../../durable-files.js';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { compareBytes, encodeKey, ByteWriter, stringLengthsCrc } from './coding.js';
import { bytesOf, dtypeCode, itemSize, LITTLE_ENDIAN_HOST, numElements, type TfDType, type TfNumericDType, type TfTensor } from './dtypes.js';
import { TfCheckpointError } from './errors.js';
import { dataFilename, indexFilename, TENSOR_BUNDLE_VERSION } from './bundle-reader.js';
import { encodeObjectGraph, OBJECT_GRAPH_KEY, type TfObjectGraph } from './object-graph.js';
import { encodeBundleEntry, encodeBundleHeader, type RawBundleEntry } from './proto.js';
import { buildTable, type TableOptions } from './table.js';

/** A tensor to write: a `TfTensor` as the reader returns it, or plain values. */
export type TfTensorInput =
  | TfTensor
  | {
      dtype: TfNumericDType;
      shape: readonly number[];
      /** A typed array whose bytes are the element bytes (any view type of the right byte length), or values. */
      data: ArrayBufferView | readonly number[] | readonly bigint[] | readonly boolean[];
    }
  | { dtype: 'string'; shape: readonly number[]; data: readonly (string | Uint8Array)[] };

/** Options of `TfCheckpointWriter` / `writeTfCheckpoint`. */
export interface TfWriteOptions {
  /** An object graph to store under `_CHECKPOINTABLE_OBJECT_GRAPH`, written last as TensorFlow does. */
  objectGraph?: TfObjectGraph;
  /** Table options of the index; TensorFlow's by default (tests only). */
  table?: TableOptions;
  /** Write buffer size; 8 MiB as `FileOutputBuffer`. */
  bufferSize?: number;
}

/** What a finished write produced. */
export interface TfWriteResult {
  prefix: string;
  indexFile: string;
  dataFile: string;
  /** Number of entries (tensors), the object graph included. */
  tensors: number;
  dataBytes: number;
  indexBytes: number;
}

const utf8 = new TextEncoder();

/** The element bytes of a numeric input, checked against dtype and shape. */
function numericBytes(name: string, dtype: TfNumericDType, shape: readonly number[], data: unknown): Uint8Array {
  const n = numElements(shape);
  const size = itemSize(dtype);
  if (ArrayBuffer.isView(data)) {
    if (data.byteLength !== n * size) {
      throw new TfCheckpointError('INVALID_ARGUMENT', `tensor "${name}": ${data.byteLength} data bytes, but ${dtype} [${shape}] needs ${n * size}`, {
        tensor: name,
      });
    }
    return bytesOf(data);
  }
  const values = data as readonly (number | bigint | boolean)[];
  if (!Array.isArray(values) || values.length !== n) {
    throw new TfCheckpointError(
      'INVALID_ARGUMENT',
      `tensor "${name}": ${Array.isArray(values) ? values.length : 'no'} values for ${dtype} [${shape}] (${n} elements)`,
      {
        tensor: name,
      },
    );
  }
  const ctor = {
    float32: Float32Array,
    float64: Float64Array,
    int8: Int8Array,
    int16: Int16Array,
    int32: Int32Array,
    uint8: Uint8Array,
    uint16: Uint16Array,
    uint32: Uint32Array,
    bool: Uint8Array,
    float16: Uint16Array,
    bfloat16: Uint16Array,
  } as const;
  if (dtype === 'int64') return bytesOf(BigInt64Array.from(values, (v) => BigInt(v as number | bigint)));
  if (dtype === 'uint64') return bytesOf(BigUint64Array.from(values, (v) => BigInt(v as number | bigint)));
  if (dtype === 'bool') return Uint8Array.from(values, (v) => (v ? 1 : 0));
  return bytesOf(ctor[dtype].from(values as number[]));
}

/**
 * A DT_STRING tensor's bytes as `WriteStringTensor` lays them out: varint64 lengths, the masked CRC32C
 * of the lengths (each as a 4-byte host-order integer, 8 bytes above 2^32-1), then the element bytes.
 * Returns the bytes and the (unmasked) CRC32C over lengths-as-integers + checksum + elements.
 *
 * @example
 * const { bytes } = encodeStringTensor(['hi']);
 * Array.from(bytes.subarray(0, 1)); // [2]: the varint length; then 4 checksum bytes, then 'h', 'i'
 */
export function encodeStringTensor(elements: readonly (string | Uint8Array)[]): { bytes: Uint8Array; crc: number } {
  const elems = elements.map((e) => (typeof e === 'string' ? utf8.encode(e) : e));
  const w = new ByteWriter(16 + elems.reduce((s, e) => s + e.length + 2, 0));
  for (const e of elems) w.varint(e.length);
  let crc = stringLengthsCrc(
    elems.map((e) => e.length),
    LITTLE_ENDIAN_HOST,
  );
  const lenBuf = new DataView(new ArrayBuffer(4));
  const start = w.length;
  lenBuf.setUint32(0, maskCrc(crc), LITTLE_ENDIAN_HOST);
  w.bytes(new Uint8Array(lenBuf.buffer, 0, 4));
  crc = crc32c(w.view().subarray(start), crc);
  for (const e of elems) {
    w.bytes(e);
    crc = crc32c(e, crc);
  }
  return { bytes: w.finish(), crc };
}

function tempName(file: string): string {
  // BundleWriter: StrCat(path, ".tempstate", random::New64()).
  return `${file}.tempstate${randomBytes(8).readBigUInt64LE()}`;
}

/**
 * Streams tensors into a new checkpoint at `prefix` (see the module comment for the format and the
 * atomic finish). Create with `TfCheckpointWriter.create`, `add` tensors, then `finish` (or `abort`).
 *
 * @example
 * const w = await TfCheckpointWriter.create('/tmp/export/ckpt-1');
 * await w.add('w/.ATTRIBUTES/VARIABLE_VALUE', { dtype: 'float32', shape: [2], data: Float32Array.of(1, 2) });
 * await w.finish({ objectGraph: buildObjectGraph(['w']).graph });
 */
export class TfCheckpointWriter {
  private readonly entries = new Map<string, { key: Uint8Array; entry: Omit<RawBundleEntry, 'unknownRank'> }>();
  private readonly buffer: Uint8Array;
  private buffered = 0;
  private written = 0;
  private size = 0;
  private done = false;

  private constructor(
    readonly prefix: string,
    private readonly fh: fs.FileHandle,
    private readonly tempData: string,
    private readonly options: TfWriteOptions,
  ) {
    this.buffer = new Uint8Array(options.bufferSize ?? 8 << 20);
  }

  /** Opens the temporary data file (creating the prefix's directory). */
  static async create(prefix: string, options: TfWriteOptions = {}): Promise<TfCheckpointWriter> {
    await fs.mkdir(path.dirname(path.resolve(prefix)), { recursive: true });
    const tempData = tempName(dataFilename(prefix, 0, 1));
    const fh = await fs.open(tempData, 'w');
    return new TfCheckpointWriter(prefix, fh, tempData, options);
  }

  /** Bytes of tensor data written so far. */
  get dataBytes(): number {
    return this.size;
  }

  private async append(bytes: Uint8Array): Promise<void> {
    if (this.buffered + bytes.length <= this.buffer.length) {
      this.buffer.set(bytes, this.buffered);
      this.buffered += bytes.length;
      return;
    }
    await this.flush();
    if (bytes.length >= this.buffer.length) {
      await this.writeFully(bytes);
    } else {
      this.buffer.set(bytes, 0);
      this.buffered = bytes.length;
    }
  }

  private async writeFully(bytes: Uint8Array): Promise<void> {
    let done = 0;
    while (done < bytes.length) {
      const chunk = Math.min(bytes.length - done, 0x7fff0000);
      const { bytesWritten } = await this.fh.write(bytes, done, chunk, this.written);
      done += bytesWritten;
      this.written += bytesWritten;
    }
  }

  private async flush(): Promise<void> {
    if (!this.buffered) return;
    await this.writeFully(this.buffer.subarray(0, this.buffered));
    this.buffered = 0;
  }

  /** Appends one tensor under `name` (any order; the index is sorted at `finish`). */
  async add(name: string, tensor: TfTensorInput): Promise<void> {
    if (this.done) throw new TfCheckpointError('FAILED_PRECONDITION', `checkpoint writer for ${this.prefix} is finished`);
    if (name === '') throw new TfCheckpointError('INVALID_ARGUMENT', 'the key "" is reserved for the bundle header');
    if (this.entries.has(name)) throw new TfCheckpointError('INVALID_ARGUMENT', `Adding duplicate key: ${name}`, { tensor: name });
    const shape = [...tensor.shape];
    if (shape.some((d) => !Number.isSafeInteger(d) || d < 0))
      throw new TfCheckpointError('INVALID_ARGUMENT', `tensor "${name}": bad shape [${shape}]`, { tensor: name });
    const dtype: TfDType = tensor.dtype;
    let bytes: Uint8Array;
    let crc: number;
    if (dtype === 'string') {
      const elems = (tensor.dtype === 'string' && 'bytes' in tensor ? tensor.bytes : tensor.data) as readonly (string | Uint8Array)[];
      if (elems.length !== numElements(shape)) {
        throw new TfCheckpointError('INVALID_ARGUMENT', `tensor "${name}": ${elems.length} strings for shape [${shape}]`, { tensor: name });
      }
      ({ bytes, crc } = encodeStringTensor(elems));
    } else {
      bytes = numericBytes(name, dtype, shape, tensor.data);
      crc = crc32c(bytes);
    }
    const offset = this.size;
    await this.append(bytes);
    this.size += bytes.length;
    this.entries.set(name, {
      key: encodeKey(name),
      entry: { dtype: dtypeCode(dtype), shape, shardId: 0, offset, size: bytes.length, crc32c: maskCrc(crc), slices: [] },
    });
  }

  /**
   * Adds the object graph (if any), flushes and fsyncs the data file, renames it into place, then
   * writes, fsyncs and renames the index.
   */
  async finish(options: { objectGraph?: TfObjectGraph } = {}): Promise<TfWriteResult> {
    const graph = options.objectGraph ?? this.options.objectGraph;
    try {
      if (graph) await this.add(OBJECT_GRAPH_KEY, { dtype: 'string', shape: [], data: [encodeObjectGraph(graph)] });
      this.done = true;
      await this.flush();
      await this.fh.sync();
      await this.fh.close();
    } catch (e) {
      await this.abort();
      throw e;
    }
    const indexFile = indexFilename(this.prefix);
    const dataFile = dataFilename(this.prefix, 0, 1);
    const tempIndex = tempName(indexFile);
    try {
      // No moment with an old index beside the new data.
      await fs.rm(indexFile, { force: true });
      await fs.rename(this.tempData, dataFile);
      const header = encodeBundleHeader({
        numShards: 1,
        endianness: LITTLE_ENDIAN_HOST ? 'little' : 'big',
        version: { producer: TENSOR_BUNDLE_VERSION, minConsumer: 0, badConsumers: [] },
      });
      const sorted = [...this.entries.values()].sort((a, b) => compareBytes(a.key, b.key));
      const table = buildTable(
        (function* () {
          yield { key: new Uint8Array(0), value: header };
          for (const { key, entry } of sorted) yield { key, value: encodeBundleEntry(entry) };
        })(),
        this.options.table,
      );
      await writeFileSynced(tempIndex, table);
      await fs.rename(tempIndex, indexFile);
      await syncDirectory(path.dirname(path.resolve(indexFile)));
      return { prefix: this.prefix, indexFile, dataFile, tensors: this.entries.size, dataBytes: this.size, indexBytes: table.length };
    } catch (e) {
      await fs.rm(tempIndex, { force: true });
      throw e;
    }
  }

  /** Stops writing and removes the temporary data file. */
  async abort(): Promise<void> {
    this.done = true;
    await this.fh.close().catch(() => undefined);
    await fs.rm(this.tempData, { force: true });
  }
}

/**
 * Writes a whole checkpoint: `tensors` in iteration order (an object, a Map, or any sync or async
 * iterable of [name, tensor] pairs, so tensors can be produced one at a time), then the object graph.
 *
 * @example
 * await writeTfCheckpoint('/tmp/ckpt/model', { 'w/.ATTRIBUTES/VARIABLE_VALUE': { dtype: 'float32', shape: [1], data: [0.5] } }, {
 *   objectGraph: buildObjectGraph(['w']).graph,
 * });
 * (await openTfCheckpoint('/tmp/ckpt/model')).keys(); // ['_CHECKPOINTABLE_OBJECT_GRAPH', 'w/.ATTRIBUTES/VARIABLE_VALUE']
 */
export async function writeTfCheckpoint(
  prefix: string,
  tensors: Record<string, TfTensorInput> | Iterable<readonly [string, TfTensorInput]> | AsyncIterable<readonly [string, TfTensorInput]>,
  options: TfWriteOptions = {},
): Promise<TfWriteResult> {
  const w = await TfCheckpointWriter.create(prefix, options);
  try {
    const source =
      Symbol.iterator in tensors || Symbol.asyncIterator in tensors
        ? (tensors as Iterable<readonly [string, TfTensorInput]> | AsyncIterable<readonly [string, TfTensorInput]>)
        : Object.entries(tensors as Record<string, TfTensorInput>);
    for await (const [name, t] of source) await w.add(name, t);
  } catch (e) {
    await w.abort();
    throw e;
  }
  return w.finish();
}
