/** Rebuilds a VATT model and its preprocessing from checkpoint data alone (browser-safe; Node: `loadVatt`). */
import * as tf from '@tensorflow/tfjs-core';
import { checkGeometry, type PreprocessingConfig, type VattConfig } from '../config/experiment.js';
import { checkpointFromArtifacts, type CheckpointData } from '../checkpoint/format.js';
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

/** The model, preprocessor and configs of checkpoint data (whose tensors this disposes). `source` names it in errors. */
export function vattFromCheckpoint<Train = unknown>(c: CheckpointData<VattConfig, PreprocessingConfig, Train>, source: string): LoadedVatt<Train> {
  try {
    const kind = (c.modelConfig as { kind?: string }).kind;
    if (kind === 'video-classifier' || kind === 'audio-classifier')
      throw new Error(`checkpoint ${source} is a fine-tuned ${kind}, not a VATT model: load it with loadClassifier`);
    if (!c.vocab?.length) throw new Error(`checkpoint ${source} has no vocabulary`);
    checkGeometry(c.modelConfig, c.preprocessing, `checkpoint ${source}`);
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

/**
 * Loads a checkpoint through any tf.io handler: in a browser `tf.io.browserHTTPRequest('<dir url>/model.json')`
 * (the directory `vatt pretrain` writes, served as static files), or `tf.io.fromMemory`.
 *
 * @example
 * const { model, preprocessor } = await loadVattFrom(tf.io.browserHTTPRequest('/ckpt/model.json'));
 */
export async function loadVattFrom<Train = unknown>(handler: tf.io.IOHandler, source = 'checkpoint'): Promise<LoadedVatt<Train>> {
  if (!handler.load) throw new Error(`${source}: the tf.io handler cannot load`);
  const artifacts = await handler.load();
  return vattFromCheckpoint(checkpointFromArtifacts<VattConfig, PreprocessingConfig, Train>(artifacts, source), source);
}
