/**
 * Loads a VATT checkpoint directory over HTTP: `model.json` (tf.io ModelJSON, written by the `vatt`
 * CLI) and its weight shards, through tf.io's browser HTTP handler. Rebuilds the model and its
 * preprocessing exactly as `loadVatt` does in Node (packages/vatt/src/model/load.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { VATT, VattPreprocessor, type PreprocessingConfig, type VattConfig } from 'vatt/browser';

/** The `format` field of a checkpoint's model.json (packages/vatt/src/checkpoint/checkpoint.ts). */
const CHECKPOINT_FORMAT = 'vatt-checkpoint/1';
/** Optimizer slots are saved beside the weights under this prefix; inference does not need them. */
const OPTIMIZER_PREFIX = 'optimizer/';

export interface BrowserVatt {
  model: VATT;
  preprocessor: VattPreprocessor;
  config: VattConfig;
  preprocessing: PreprocessingConfig;
  /** Training state saved with the checkpoint (step, seed of the embedded dataset...). */
  training?: { step?: number; seed?: number };
}

/** Fetches `<baseUrl>/model.json` + shards and returns the model in eval mode. */
export async function loadVattFromUrl(baseUrl: string): Promise<BrowserVatt> {
  const modelJsonUrl = new URL('model.json', new URL(baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`, location.href)).href;
  const handler = tf.io.browserHTTPRequest(modelJsonUrl);
  if (!handler.load) throw new Error('checkpoint: tf.io.browserHTTPRequest has no load()');
  const artifacts = await handler.load();
  if (artifacts.format !== CHECKPOINT_FORMAT) throw new Error(`checkpoint: ${modelJsonUrl} has format "${artifacts.format}", expected "${CHECKPOINT_FORMAT}"`);
  const topology = artifacts.modelTopology as { class?: string; config?: VattConfig } | undefined;
  if (topology?.class !== 'VATT' || !topology.config) throw new Error(`checkpoint: ${modelJsonUrl} has no VATT model config`);
  const meta = (artifacts.userDefinedMetadata ?? {}) as {
    preprocessing?: PreprocessingConfig;
    vocab?: string[] | null;
    training?: BrowserVatt['training'] | null;
  };
  if (!meta.preprocessing) throw new Error(`checkpoint: ${modelJsonUrl} has no preprocessing config`);
  if (!meta.vocab?.length) throw new Error(`checkpoint: ${modelJsonUrl} has no vocabulary`);
  const all = tf.io.decodeWeights(artifacts.weightData!, artifacts.weightSpecs ?? []);
  const weights: tf.NamedTensorMap = {};
  for (const [name, tensor] of Object.entries(all)) {
    if (!name.startsWith(OPTIMIZER_PREFIX)) weights[name] = tensor;
  }
  try {
    const model = new VATT(topology.config);
    model.loadWeights(weights);
    model.eval();
    return {
      model,
      preprocessor: new VattPreprocessor(meta.preprocessing, meta.vocab),
      config: topology.config,
      preprocessing: meta.preprocessing,
      training: meta.training ?? undefined,
    };
  } finally {
    tf.dispose(Object.values(all));
  }
}
