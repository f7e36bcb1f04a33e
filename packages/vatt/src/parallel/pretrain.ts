/**
 * VATT pretraining gradients on a ReplicaPool: the gradient cache (train/grad-cache.ts) with its
 * chunks spread over worker_threads. (1) every worker embeds its shard without a tape; (2) the loss
 * of the whole batch, on the gathered embeddings, gives the gradient for each embedding; (3) every
 * worker replays its shard's forward pass (same random state) and back-propagates its slice of that
 * gradient into the weights; the pool sums the shards. Every clip of the batch stays a negative for
 * every other (the cross-replica negatives of the official multi-device code), and BatchNorm
 * statistics are the average of the workers' (cross-replica BatchNorm statistics are not).
 */
import * as tf from '@tensorflow/tfjs-core';
import { random } from '@vatt/transformer';
import type { PretrainBatch, VATT } from '../model/vatt.js';
import { embeddingLossGrads } from '../train/grad-cache.js';
import type { GradientsResult } from '../train/trainer.js';
import type { ReplicaPool } from './pool.js';

/**
 * The pretraining loss of `batch` and its gradients, keyed by `model`'s variable names (pass to
 * `Trainer.stepWith`). The pool's replicas must hold `model`'s current weights (`pool.setWeights(model)`
 * after every step). `microBatch` bounds each worker's activation memory.
 */
export async function replicatedPretrainGrads(
  pool: ReplicaPool,
  model: VATT,
  batch: PretrainBatch,
  opts: { microBatch?: number } = {},
): Promise<GradientsResult> {
  const b = batch.videoPatches.shape[0];
  if (batch.textIds.shape[0] % b !== 0) throw new Error(`replicatedPretrainGrads: textIds has ${batch.textIds.shape[0]} rows, expected B*K with B = ${b}`);
  const k = batch.textIds.shape[0] / b;
  const inputs = { videoPatches: batch.videoPatches, audioPatches: batch.audioPatches, textIds: batch.textIds };
  // The workers' random streams for this step derive from one draw of ours.
  const randomState = random.nextUint32();
  const call = { batchSize: b, context: { videoGrid: batch.videoGrid }, randomState, microBatch: opts.microBatch };

  const emb = await pool.forward(inputs, { ...call, training: true });
  const all = {
    videoVa: emb.videoVa as tf.Tensor2D,
    videoVt: emb.videoVt as tf.Tensor2D,
    audioVa: emb.audioVa as tf.Tensor2D,
    textVt: emb.textVt as tf.Tensor2D,
  };
  const { total, embGrads, videoAudio, videoText } = embeddingLossGrads(model, all, k, batch.textMask);
  tf.dispose(Object.values(emb));
  const [videoVa, videoVt, audioVa, textVt] = embGrads;
  const { grads, state } = await pool.vjp(inputs, { videoVa, videoVt, audioVa, textVt }, call);
  tf.dispose(embGrads);

  // Gradients by parameter path -> by this model's variable names; BatchNorm statistics copied in.
  const byName: tf.NamedTensorMap = {};
  for (const [path, v] of model.namedTrainableParameters()) if (grads[path]) byName[v.name] = grads[path];
  const params = new Map(model.namedParameters());
  for (const [path, s] of Object.entries(state)) params.get(path)?.assign(s);
  tf.dispose(Object.values(state));
  return { value: total, grads: byName, metrics: { loss_va: videoAudio, loss_vt: videoText } };
}
