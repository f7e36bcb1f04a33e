/** Rebuilds a VATT model and its preprocessing from a checkpoint directory alone. */
import * as tf from '@tensorflow/tfjs-core';
import { loadCheckpoint } from '../checkpoint/checkpoint.js';
import type { PreprocessingConfig, VattConfig } from './config.js';
import { VattPreprocessor } from './preprocess.js';
import { VATT } from './vatt.js';

/** A model in eval mode with everything needed to use it, as `loadVatt` rebuilds it from a checkpoint. */
export interface LoadedVatt<Train = unknown> {
  model: VATT;
  preprocessor: VattPreprocessor;
  config: VattConfig;
  preprocessing: PreprocessingConfig;
  vocab: string[];
  training?: Train;
}

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
  const c = await loadCheckpoint<VattConfig, PreprocessingConfig, Train>(dir);
  try {
    const kind = (c.modelConfig as { kind?: string }).kind;
    if (kind === 'video-classifier' || kind === 'audio-classifier')
      throw new Error(`checkpoint ${dir} is a fine-tuned ${kind}, not a VATT model: load it with loadClassifier`);
    if (!c.vocab?.length) throw new Error(`checkpoint ${dir} has no vocabulary`);
    const model = new VATT(c.modelConfig);
    model.loadWeights(c.weights);
    model.eval();
    return {
      model,
      preprocessor: new VattPreprocessor(c.preprocessing, c.vocab),
      config: c.modelConfig,
      preprocessing: c.preprocessing,
      vocab: c.vocab,
      training: c.training,
    };
  } finally {
    tf.dispose([...Object.values(c.weights), ...Object.values(c.optimizer ?? {})]);
  }
}
