import type * as tf from '@tensorflow/tfjs-core';
import { VATT } from '../model/vatt.js';
import type { VattConfig } from '../model/config.js';
import type { Replica } from './replica.js';

/** The built-in replica spec name for VATT pretraining (`ReplicaPool.create({ replica: { module: VATT_PRETRAIN_REPLICA, args: { config } } })`). */
export const VATT_PRETRAIN_REPLICA = 'vatt:pretrain';

/**
 * A VATT replica whose forward pass gives the four embeddings the pretraining loss needs.
 * Inputs: `videoPatches` [B, N, P], `audioPatches` [B, N, P], `textIds` [B·K, L]; context: `{ videoGrid }`.
 */
export function createPretrainReplica(args: { config: VattConfig; checkpointLayers?: boolean }): Replica {
  const model = new VATT(args.config);
  if (args.checkpointLayers) model.setCheckpointing(true);
  return {
    module: model,
    forward(inputs: tf.NamedTensorMap, _shard, context) {
      const { videoGrid } = context as { videoGrid: [number, number, number] };
      const v = model.embedVideo(inputs.videoPatches as tf.Tensor3D, videoGrid);
      const a = model.embedAudio(inputs.audioPatches as tf.Tensor3D);
      const t = model.embedText(inputs.textIds as tf.Tensor2D);
      return { videoVa: v.va, videoVt: v.vt, audioVa: a.va, textVt: t.vt };
    },
  };
}
