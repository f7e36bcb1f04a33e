/** Rebuilds a VATT model and its preprocessing from a checkpoint directory (Node). */
import type { PreprocessingConfig, VattConfig } from '../config/experiment.js';
import { loadCheckpoint } from '../checkpoint/store.js';
import { vattFromCheckpoint, type LoadedVatt } from './from-checkpoint.js';

/**
 * Loads a checkpoint directory (written by `pretrain` or `saveCheckpoint`) into a model in eval mode,
 * its preprocessor, configs, vocabulary and training state.
 *
 * @example
 * const { model, preprocessor } = await loadVatt('runs/tiny/checkpoints/ckpt-00000300');
 * const text = await encodeText(model, preprocessor, ['a red circle moving left']); // text.vt: [1, d_vt]
 * model.dispose();
 */
export async function loadVatt<Train = unknown>(dir: string): Promise<LoadedVatt<Train>> {
  return vattFromCheckpoint(await loadCheckpoint<VattConfig, PreprocessingConfig, Train>(dir), dir);
}
