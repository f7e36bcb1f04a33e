import type * as tf from '@tensorflow/tfjs-core';
import type { Module } from '@vatt/transformer';
import type { ShardInfo } from './protocol.js';

/**
 * One copy of a model inside a ReplicaPool worker. A factory module (see `ReplicaSpec`) builds it;
 * the pool copies the weights in, splits each batch along axis 0 and runs a shard per worker.
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
export interface Replica {
  /** The model: its `namedParameters()` are the weights the pool synchronises. */
  module: Module;
  /** Outputs for one shard of inputs (every input and output has the shard's samples on axis 0). */
  forward(inputs: tf.NamedTensorMap, shard: ShardInfo, context?: unknown): tf.NamedTensorMap;
  /** The shard's part of the batch loss (parts add up to the batch loss); needed by `lossGradients`. */
  loss?(inputs: tf.NamedTensorMap, shard: ShardInfo, context?: unknown): tf.Scalar;
}

/** The factory a replica module exports (as `createReplica` unless the spec names another). */
export type ReplicaFactory = (args: unknown) => Replica | Promise<Replica>;
