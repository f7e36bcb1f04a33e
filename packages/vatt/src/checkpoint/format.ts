/**
 * The VATT checkpoint format, browser-safe: one tf.io `ModelArtifacts` = the model config (`modelTopology`),
 * the preprocessing config, vocabulary and training state (`userDefinedMetadata`), and the weights by
 * official parameter name, optimizer slots under `optimizer/`. Node stores it as a directory
 * (checkpoint/store.ts); a browser loads it over HTTP with `tf.io.browserHTTPRequest` (`loadVattFrom`).
 */
import * as tf from '@tensorflow/tfjs-core';
// dtypes.ts imports only tf/errors.ts (no Node modules): this file stays browser-safe.
import { numElements } from './tf/dtypes.js';

export const CHECKPOINT_FORMAT = 'vatt-checkpoint/1';
const OPT_PREFIX = 'optimizer/';

export interface CheckpointData<Cfg = unknown, Pre = unknown, Train = unknown> {
  /** The model config (enough to rebuild the modules). */
  modelConfig: Cfg;
  /** The preprocessing (tokenizer) config. */
  preprocessing: Pre;
  /** Text vocabulary, line index = id. */
  vocab?: string[];
  /** Training state to resume from (step, random state, data cursor, the run's config...). */
  training?: Train;
  /** Model weights by official parameter name. */
  weights: tf.NamedTensorMap;
  /** Optimizer slots by name (saved under `optimizer/`). */
  optimizer?: tf.NamedTensorMap;
}

/** A checkpoint as tf.io artifacts (weights encoded). */
export async function checkpointToArtifacts(data: CheckpointData): Promise<tf.io.ModelArtifacts> {
  const all: tf.NamedTensorMap = { ...data.weights };
  for (const [k, v] of Object.entries(data.optimizer ?? {})) all[OPT_PREFIX + k] = v;
  for (const [k, v] of Object.entries(all)) {
    if (v.isDisposed) throw new Error(`checkpoint: weight "${k}" is disposed`);
  }
  const { data: weightData, specs } = await tf.io.encodeWeights(all);
  return {
    modelTopology: { class: 'VATT', config: data.modelConfig as object },
    format: CHECKPOINT_FORMAT,
    generatedBy: 'vatt.ts',
    weightSpecs: specs,
    weightData,
    userDefinedMetadata: {
      preprocessing: data.preprocessing as object,
      vocab: (data.vocab ?? null) as unknown as object,
      training: (data.training ?? null) as unknown as object,
    },
  };
}

/**
 * The weight bytes of artifacts as one ArrayBuffer: the buffer itself when it already is one (what
 * `loadArtifacts` returns: no copy), the shards joined (a copy) when they are several.
 */
export function weightBuffer(data: tf.io.WeightData | undefined): ArrayBuffer {
  if (!data) return new ArrayBuffer(0);
  // Array.isArray / ArrayBuffer.isView rather than `instanceof ArrayBuffer`, which fails for buffers of another realm.
  if (!Array.isArray(data) && !ArrayBuffer.isView(data)) return data;
  return tf.io.CompositeArrayBuffer.join(data);
}

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1 };

/**
 * Checks the weight bytes against every spec before decoding: a known dtype, a shape of whole numbers, the
 * byte size each tensor needs (a short shard names the first tensor it cuts, trailing bytes are refused),
 * and finite values (a NaN or infinite weight is a damaged checkpoint, not a model).
 */
export function checkWeightData(specs: readonly tf.io.WeightsManifestEntry[], data: ArrayBuffer, source: string): void {
  let offset = 0;
  for (const spec of specs) {
    const where = `checkpoint: ${source}: weight "${spec.name}"`;
    const bytes = DTYPE_BYTES[spec.dtype];
    if (!bytes) throw new Error(`${where} has dtype "${spec.dtype}", expected ${Object.keys(DTYPE_BYTES).join(', ')}`);
    if (spec.quantization) throw new Error(`${where} is quantized; VATT checkpoints hold full-precision weights`);
    if (!Array.isArray(spec.shape) || !spec.shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new Error(`${where} has shape ${JSON.stringify(spec.shape)}, expected whole numbers`);
    }
    const size = numElements(spec.shape) * bytes;
    if (offset + size > data.byteLength) {
      throw new Error(
        `${where} [${spec.shape}] ${spec.dtype} needs bytes ${offset}-${offset + size}, but the shards hold ${data.byteLength} (truncated or missing shard?)`,
      );
    }
    if (spec.dtype === 'float32') {
      const values = offset % 4 === 0 ? new Float32Array(data, offset, size / 4) : new Float32Array(data.slice(offset, offset + size));
      for (let i = 0; i < values.length; i++) {
        if (!Number.isFinite(values[i])) throw new Error(`${where} holds ${values[i]} at element ${i}: the checkpoint is damaged`);
      }
    }
    offset += size;
  }
  if (offset !== data.byteLength)
    throw new Error(`checkpoint: ${source}: the shards hold ${data.byteLength - offset} bytes after the last weight (${offset} expected in all)`);
}

/** A checkpoint from tf.io artifacts (`source` names where they came from in errors). The caller owns the tensors. */
export function checkpointFromArtifacts<Cfg = unknown, Pre = unknown, Train = unknown>(
  a: tf.io.ModelArtifacts,
  source: string,
): CheckpointData<Cfg, Pre, Train> {
  if (a.format !== CHECKPOINT_FORMAT) throw new Error(`checkpoint: ${source} has format "${a.format}", expected "${CHECKPOINT_FORMAT}"`);
  const topo = a.modelTopology as { class?: string; config?: Cfg } | undefined;
  if (!topo || topo.class !== 'VATT' || !topo.config) throw new Error(`checkpoint: ${source} has no VATT model config`);
  const data = weightBuffer(a.weightData);
  checkWeightData(a.weightSpecs ?? [], data, source);
  const meta = (a.userDefinedMetadata ?? {}) as { preprocessing?: Pre; vocab?: string[] | null; training?: Train | null };
  if (!meta.preprocessing) throw new Error(`checkpoint: ${source} has no preprocessing config`);
  const all = tf.io.decodeWeights(data, a.weightSpecs ?? []);
  const weights: tf.NamedTensorMap = {};
  const optimizer: tf.NamedTensorMap = {};
  for (const [k, v] of Object.entries(all)) {
    if (k.startsWith(OPT_PREFIX)) optimizer[k.slice(OPT_PREFIX.length)] = v;
    else weights[k] = v;
  }
  return {
    modelConfig: topo.config,
    preprocessing: meta.preprocessing,
    vocab: meta.vocab ?? undefined,
    training: meta.training ?? undefined,
    weights,
    optimizer: Object.keys(optimizer).length ? optimizer : undefined,
  };
}
