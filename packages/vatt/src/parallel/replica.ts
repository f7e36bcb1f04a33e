import type * as tf from '@tensorflow/tfjs-core';
import type { Chunk, ChunkModel } from '../train/grad-cache.js';

/**
 * One copy of a model inside a ReplicaPool worker: a `ChunkModel` of the gradient-cache engine (its
 * `forward` runs one chunk of a worker's shard) and optionally a per-shard loss. A factory builds it (a
 * built-in name such as `vatt:pretrain`, or an ES module, see `ReplicaSpec`); the pool copies the weights
 * in, splits each batch along axis 0 and runs a shard per worker.
 *
 * @example
 * // my-replica.mjs
 * export function createReplica({ layers }) {
 *   const enc = new TransformerEncoder('tx', { ...SMALL, numLayers: layers });
 *   return {
 *     module: enc,
 *     forward: ({ x }) => ({ y: enc.apply(x) }),
 *     // The shard's part of the batch loss: the parts add up to the loss of the whole batch.
 *     loss: ({ x }, shard) => tf.mul(tf.mean(tf.square(enc.apply(x))), shard.size / shard.batchSize),
 *   };
 * }
 */
export interface Replica extends ChunkModel {
  /** The chunk's part of the batch loss (parts add up to the batch loss); needed by `lossGradients`. */
  loss?(inputs: tf.NamedTensorMap, chunk: Chunk, context?: unknown): tf.Scalar;
}

/** The factory a replica module exports (as `createReplica` unless the spec names another). */
export type ReplicaFactory = (args: unknown) => Replica | Promise<Replica>;
