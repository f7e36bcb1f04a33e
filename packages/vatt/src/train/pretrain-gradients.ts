/**
 * VATT pretraining on the gradient-cache engine: the four-embedding forward as a `ChunkModel`, the loss on
 * the gathered embeddings, and one entry point for the whole batch, micro-batches and a ReplicaPool.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { candidatesPerClip, type PretrainBatch, type PretrainEmbeddings, type VATT } from '../model/vatt.js';
import type { ReplicaPool } from '../parallel/pool.js';
import { gradientCache, type ChunkModel, type OutputsLoss } from './grad-cache.js';
import type { GradientsResult } from './trainer.js';

/** The pretraining embeddings of a chunk of `videoPatches` / `audioPatches` / `textIds` (context: `{ videoGrid }`). */
export function vattChunkModel(model: VATT): ChunkModel {
  return {
    module: model,
    forward(inputs, _chunk, context) {
      const { videoGrid } = context as { videoGrid: [number, number, number] };
      const e = model.pretrainEmbeddings({
        videoPatches: inputs.videoPatches as tf.Tensor3D,
        videoGrid,
        audioPatches: inputs.audioPatches as tf.Tensor3D,
        textIds: inputs.textIds as tf.Tensor2D,
      });
      return { ...e };
    },
  };
}

/** A batch as the engine's named inputs, context and loss. */
function pretrainCall(model: VATT, batch: PretrainBatch): { inputs: tf.NamedTensorMap; context: { videoGrid: [number, number, number] }; loss: OutputsLoss } {
  const k = candidatesPerClip(batch);
  const loss: OutputsLoss = (o) => {
    const t = model.lossOnEmbeddings(o as unknown as PretrainEmbeddings, k, batch.textMask);
    return { loss: t.total, metrics: { lossVa: t.lossVa, lossVt: t.lossVt } };
  };
  return {
    inputs: { videoPatches: batch.videoPatches, audioPatches: batch.audioPatches, textIds: batch.textIds },
    context: { videoGrid: batch.videoGrid },
    loss,
  };
}

/**
 * The pretraining loss of `batch` and its gradients by parameter path (pass to `Trainer.stepWith`), the
 * whole batch always the negatives: in one pass, in `microBatch`-clip chunks, or on a pool's workers
 * (whose replicas must hold `model`'s weights: `pool.setWeights(model)` after every step). The model must
 * be in training mode.
 */
export async function pretrainGradients(
  model: VATT,
  batch: PretrainBatch,
  opts: { microBatch?: number | null; pool?: ReplicaPool | null } = {},
): Promise<GradientsResult> {
  const { inputs, context, loss } = pretrainCall(model, batch);
  const microBatch = opts.microBatch ?? undefined;
  if (opts.pool) return opts.pool.gradientCache(model, inputs, loss, { context, microBatch });
  return gradientCache(vattChunkModel(model), inputs, loss, { chunkSize: microBatch, context });
}
