/**
 * Messages between a ReplicaPool and its worker_threads, and the tensor <-> transferable conversions.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Chunk } from '../train/grad-cache.js';

/** A tensor as plain data (structured-cloneable; its buffer can be transferred). */
export interface WireTensor {
  shape: number[];
  dtype: 'float32' | 'int32' | 'bool';
  data: Float32Array | Int32Array | Uint8Array;
}
export type WireTensors = Record<string, WireTensor>;

/** Where a replica's module comes from: an ES module (path or URL) and the factory it exports. */
export interface ReplicaSpec {
  /** A built-in replica (`vatt:pretrain`), or the file path / `file:` URL of an ES module, or a package specifier the worker can import. */
  module: string;
  /** The export to call (default `createReplica`); it receives `args` and returns a Replica. */
  export?: string;
  /** Structured-cloneable arguments for the factory (a config, a preset name...). */
  args?: unknown;
}

export type Request =
  | { op: 'init'; backend: string; spec: ReplicaSpec }
  | { op: 'setWeights'; weights: WireTensors }
  | { op: 'forward'; inputs: WireTensors; shard: Chunk; context?: unknown; randomState: number; training: boolean; microBatch?: number }
  | { op: 'lossGrads'; inputs: WireTensors; shard: Chunk; context?: unknown; randomState: number; microBatch?: number }
  | { op: 'vjp'; inputs: WireTensors; upstream: WireTensors; shard: Chunk; context?: unknown; randomState: number; microBatch?: number }
  | { op: 'dispose' };

export type Reply =
  | { ok: true; op: 'init'; backend: string; parameters: Array<{ name: string; shape: number[]; trainable: boolean }> }
  | { ok: true; op: 'setWeights' | 'dispose' }
  | { ok: true; op: 'forward'; outputs: WireTensors }
  | { ok: true; op: 'lossGrads' | 'vjp'; loss?: number; grads: WireTensors; state: WireTensors; numTensors: number }
  | { ok: false; error: string };

/** A copy of `t`'s values (never the backend's own buffer: the copy may be transferred). */
export function toWire(t: tf.Tensor): WireTensor {
  const dtype = t.dtype === 'int32' || t.dtype === 'bool' ? t.dtype : 'float32';
  const values = t.dataSync();
  const data = dtype === 'float32' ? new Float32Array(values) : dtype === 'int32' ? new Int32Array(values) : new Uint8Array(values);
  return { shape: t.shape.slice(), dtype, data };
}

export function fromWire(w: WireTensor): tf.Tensor {
  return tf.tensor(w.data, w.shape, w.dtype);
}

export function namedToWire(named: Record<string, tf.Tensor>): WireTensors {
  return Object.fromEntries(Object.entries(named).map(([k, t]) => [k, toWire(t)]));
}

export function namedFromWire(named: WireTensors): tf.NamedTensorMap {
  return Object.fromEntries(Object.entries(named).map(([k, w]) => [k, fromWire(w)]));
}

/** The buffers of `named`, to transfer rather than copy. */
export function buffersOf(named: WireTensors): ArrayBuffer[] {
  const seen = new Set<ArrayBuffer>();
  for (const w of Object.values(named)) seen.add(w.data.buffer as ArrayBuffer);
  return [...seen];
}
