import type { VattConfig } from '../config/experiment.js';
import { VATT } from '../model/vatt.js';
import { vattChunkModel } from '../train/pretrain-gradients.js';
import type { Replica } from './replica.js';

/** The built-in replica name for VATT pretraining (`ReplicaPool.create({ replica: { module: VATT_PRETRAIN_REPLICA, args: { config } } })`). */
export const VATT_PRETRAIN_REPLICA = 'vatt:pretrain';

/**
 * A VATT replica whose forward pass gives the four embeddings the pretraining loss needs (the same
 * `vattChunkModel` the single-thread gradient cache runs). Inputs: `videoPatches` [B, N, P],
 * `audioPatches` [B, N, P], `textIds` [B·K, L]; context: `{ videoGrid }`.
 */
export function createPretrainReplica(args: { config: VattConfig; checkpointLayers?: boolean }): Replica {
  const model = new VATT(args.config);
  if (args.checkpointLayers) model.setCheckpointing(true);
  return vattChunkModel(model);
}
