/**
 * The protocol buffers of a tensor bundle, loaded with protobufjs from a JSON descriptor generated from
 * the `.proto` files in proto/ (copies of TensorFlow's tensorflow/core/protobuf/tensor_bundle.proto,
 * trackable_object_graph.proto and tensorflow/core/framework/{tensor_shape,tensor_slice,types,versions}.proto).
 * The descriptor is the TypeScript module proto/tf-protos.ts, so tsup inlines it into both the ESM and
 * the CJS build and nothing has to be found or parsed at run time besides `Root.fromJSON`. Regenerate it
 * after editing a `.proto` (proto.test.ts fails while it is stale):
 *
 *   node packages/vatt/src/checkpoint/tf/proto/generate.mjs
 *
 * Encoding writes what C++ `SerializeAsString` writes, field by field: protobufjs writes every field
 * that is set, so the encoders below leave proto3 default values (0, "", false, empty lists) unset,
 * and always set a present sub-message (an empty `shape` of a scalar is `12 00` on disk).
 */
import protobuf from 'protobufjs/light.js';
import { TF_PROTOS_DESCRIPTOR } from './proto/tf-protos.js';
import { TfCheckpointError } from './errors.js';

const root = protobuf.Root.fromJSON(TF_PROTOS_DESCRIPTOR as protobuf.INamespace);

/** `tensorflow.BundleHeaderProto`. */
export const BundleHeaderProto = root.lookupType('tensorflow.BundleHeaderProto');
/** `tensorflow.BundleEntryProto`. */
export const BundleEntryProto = root.lookupType('tensorflow.BundleEntryProto');
/** `tensorflow.TrackableObjectGraph`. */
export const TrackableObjectGraphProto = root.lookupType('tensorflow.TrackableObjectGraph');

/** The value of the "" key: how many data files, their byte order, the format version. */
export interface TfBundleHeader {
  numShards: number;
  endianness: 'little' | 'big';
  version: { producer: number; minConsumer: number; badConsumers: number[] };
}

/** One extent of a `TensorSliceProto`: `length` undefined means the whole dimension. */
export interface TfSliceExtent {
  start: number;
  length?: number;
}

/** A decoded `BundleEntryProto` (`dtype` is the `DataType` enum value). */
export interface RawBundleEntry {
  dtype: number;
  shape: number[];
  unknownRank: boolean;
  shardId: number;
  offset: number;
  size: number;
  /** The stored, masked CRC32C. */
  crc32c: number;
  /** Non-empty for a partitioned tensor: one extent list per stored slice. */
  slices: TfSliceExtent[][];
}

type Obj = Record<string, unknown>;

/** An int64 as protobufjs decodes it (a `Long` when the `long` package is present) to a number. */
export function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v === undefined || v === null) return 0;
  const n = Number(String(v));
  if (!Number.isSafeInteger(n)) throw new RangeError(`64-bit value ${String(v)} is beyond 2^53`);
  return n;
}

function has(o: Obj, field: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, field) && o[field] !== null && o[field] !== undefined;
}

function decode(type: protobuf.Type, bytes: Uint8Array, what: string, file?: string): Obj {
  try {
    return type.decode(bytes) as unknown as Obj;
  } catch (e) {
    throw new TfCheckpointError('DATA_LOSS', `${file ? file + ': ' : ''}${what} is not parseable as ${type.name} (${(e as Error).message})`, { file });
  }
}

/** Parses the header entry (`ParseEntryProto` of the "" key in `BundleReader`). */
export function decodeBundleHeader(bytes: Uint8Array, file?: string): TfBundleHeader {
  const m = decode(BundleHeaderProto, bytes, 'the header entry', file);
  const v = (m.version ?? {}) as Obj;
  return {
    numShards: toNumber(m.num_shards),
    endianness: toNumber(m.endianness) === 1 ? 'big' : 'little',
    version: {
      producer: toNumber(v.producer),
      minConsumer: toNumber(v.min_consumer),
      badConsumers: ((v.bad_consumers as unknown[]) ?? []).map(toNumber),
    },
  };
}

/** Serializes a header the way `BundleWriter::Finish` does (`version` always present). */
export function encodeBundleHeader(h: TfBundleHeader): Uint8Array {
  const version: Obj = {};
  if (h.version.producer) version.producer = h.version.producer;
  if (h.version.minConsumer) version.min_consumer = h.version.minConsumer;
  if (h.version.badConsumers.length) version.bad_consumers = h.version.badConsumers;
  const m: Obj = { version };
  if (h.numShards) m.num_shards = h.numShards;
  if (h.endianness === 'big') m.endianness = 1;
  return BundleHeaderProto.encode(BundleHeaderProto.fromObject(m)).finish();
}

/** Parses one tensor's entry. */
export function decodeBundleEntry(bytes: Uint8Array, key: string, file?: string): RawBundleEntry {
  const m = decode(BundleEntryProto, bytes, `the entry for key "${key}"`, file);
  const shape = (m.shape ?? {}) as Obj;
  return {
    dtype: toNumber(m.dtype),
    shape: ((shape.dim as Obj[]) ?? []).map((d) => toNumber(d.size)),
    unknownRank: Boolean(shape.unknown_rank),
    shardId: toNumber(m.shard_id),
    offset: toNumber(m.offset),
    size: toNumber(m.size),
    crc32c: toNumber(m.crc32c) >>> 0,
    slices: ((m.slices as Obj[]) ?? []).map((s) =>
      ((s.extent as Obj[]) ?? []).map((e) => (has(e, 'length') ? { start: toNumber(e.start), length: toNumber(e.length) } : { start: toNumber(e.start) })),
    ),
  };
}

/** Serializes one tensor's entry as C++ does (`BundleEntryProto::SerializeAsString`). */
export function encodeBundleEntry(e: Omit<RawBundleEntry, 'unknownRank'> & { unknownRank?: boolean }): Uint8Array {
  const shape: Obj = {};
  if (e.shape.length) shape.dim = e.shape.map((size) => (size ? { size } : {}));
  if (e.unknownRank) shape.unknown_rank = true;
  const m: Obj = { shape };
  if (e.dtype) m.dtype = e.dtype;
  if (e.shardId) m.shard_id = e.shardId;
  if (e.offset) m.offset = e.offset;
  if (e.size) m.size = e.size;
  if (e.crc32c) m.crc32c = e.crc32c >>> 0;
  if (e.slices.length) {
    // TensorSlice::AsProto writes a full extent as an empty Extent, a partial one with start and length.
    m.slices = e.slices.map((extents) => ({
      extent: extents.map((x) => {
        const o: Obj = {};
        if (x.start) o.start = x.start;
        if (x.length !== undefined) o.length = x.length;
        return o;
      }),
    }));
  }
  return BundleEntryProto.encode(BundleEntryProto.fromObject(m)).finish();
}
