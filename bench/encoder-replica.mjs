// The 6x512 encoder workload as a ReplicaPool replica (bench/workload.mjs --replicas N).
import * as tf from '@tensorflow/tfjs-core';
import { SMALL, TransformerEncoder } from '@vatt/transformer';

/** A 6x512 pre-LN encoder (dropout 0); loss = mean(y²) over the batch, split into per-shard parts. */
export function createReplica() {
  const enc = new TransformerEncoder('tx', { ...SMALL, dropout: 0, attnDropout: 0 });
  return {
    module: enc,
    forward: ({ x }) => ({ y: enc.apply(x) }),
    loss: ({ x }, shard) => tf.mul(tf.mean(tf.square(enc.apply(x))), shard.size / shard.batchSize),
  };
}
