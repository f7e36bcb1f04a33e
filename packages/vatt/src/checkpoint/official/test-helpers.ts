/**
 * Test support (not exported): models with random weights saved as our checkpoints, a vocabulary, the
 * embeddings of a checkpoint on fixed inputs, temporary directories.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng, SPECIAL_TOKENS } from '@vatt/tokenizers';
import { random, type Module } from '@vatt/transformer';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { PreprocessingConfig, VattConfig } from '../../config/experiment.js';
import { encodeAudio, encodeText, encodeVideo } from '../../model/encode.js';
import { loadVatt } from '../../model/load.js';
import { VATT } from '../../model/vatt.js';
import { saveCheckpoint } from '../store.js';

export function tempDir(tag: string): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), `vatt-official-${tag}-`));
}

/** `n` words: the four special tokens first, then `w4`, `w5`, ... */
export function testVocab(n = 40): string[] {
  return [...SPECIAL_TOKENS, ...Array.from({ length: n - SPECIAL_TOKENS.length }, (_, i) => `w${i + SPECIAL_TOKENS.length}`)];
}

/**
 * Gives every weight of `m` random values (BatchNorm variances positive), so that a round trip that
 * confused two tensors or zeroed one could not give the same outputs.
 */
export function randomizeWeights(m: Module, seed: number): void {
  // Kernels and tables are already random (their initialisers); biases, norms and BatchNorm statistics start
  // at 0 or 1, which a round trip would not tell apart from lost values: give those random values.
  const r = new Rng(seed);
  for (const [name, v] of m.namedParameters()) {
    if (/(kernel|embeddings)$/.test(name)) continue;
    const data = new Float32Array(v.size);
    for (let i = 0; i < data.length; i++) data[i] = (r.next() * 2 - 1) * 0.05;
    if (name.endsWith('moving_variance')) for (let i = 0; i < data.length; i++) data[i] = Math.abs(data[i]) + 0.5;
    const t = tf.tensor(data, v.shape);
    v.assign(t);
    t.dispose();
  }
}

/** Adam state as `Trainer.optimizerWeights` names it: `iter`, `m/<param>`, `v/<param>`, the beta powers. */
export function fakeAdamState(m: Module, step: number): tf.NamedTensorMap {
  const out: tf.NamedTensorMap = { iter: tf.scalar(step, 'int32'), acc_beta1: tf.scalar(0.9 ** step), acc_beta2: tf.scalar(0.999 ** step) };
  let k = 1000;
  for (const [name, v] of m.namedTrainableParameters()) {
    out[`m/${name}`] = tf.randomNormal(v.shape, 0, 0.01, 'float32', k++);
    out[`v/${name}`] = tf.tidy(() => tf.abs(tf.randomNormal(v.shape, 0, 0.01, 'float32', k++)));
  }
  return out;
}

/** Saves a VATT model of `config` with random weights (and, with `step`, Adam state) as our checkpoint `dir`. */
export async function saveRandomVatt(
  dir: string,
  config: VattConfig,
  preprocessing: PreprocessingConfig,
  opts: { seed?: number; step?: number; vocab?: string[] } = {},
): Promise<{ vocab: string[]; params: number }> {
  random.setSeed(opts.seed ?? 1);
  const model = new VATT(config);
  const vocab = opts.vocab ?? testVocab();
  try {
    randomizeWeights(model, opts.seed ?? 1);
    const optimizer = opts.step !== undefined ? fakeAdamState(model, opts.step) : undefined;
    try {
      await saveCheckpoint(dir, { modelConfig: config, preprocessing, vocab, weights: model.namedWeights(), ...(optimizer ? { optimizer } : {}) });
    } finally {
      if (optimizer) tf.dispose(Object.values(optimizer));
    }
    return { vocab, params: model.countParams() };
  } finally {
    model.dispose();
  }
}

/** Every embedding (features, S_va, S_vt) of a checkpoint's model on fixed clips and captions, through its preprocessing. */
export async function checkpointEmbeddings(dir: string): Promise<Record<string, Float32Array>> {
  const { model, preprocessor, preprocessing } = await loadVatt(dir);
  try {
    const rng = new Rng(7);
    const r = () => rng.next();
    const v = preprocessing.video;
    const clips = [0, 1].map(() => Uint8Array.from({ length: v.frames * v.height * v.width * 3 }, () => Math.floor(r() * 256)));
    const waves = [0, 1].map(() => Float32Array.from({ length: preprocessing.audio.samples }, () => r() * 2 - 1));
    const captions = ['w4 w5 w6', 'w7 w8 w9 w10 w11', 'an unknown caption w12'];
    const video = await encodeVideo(model, preprocessor, clips);
    const audio = await encodeAudio(model, preprocessor, waves);
    const text = await encodeText(model, preprocessor, captions);
    return {
      videoFeatures: video.features.data,
      videoVa: video.va.data,
      videoVt: video.vt.data,
      audioFeatures: audio.features.data,
      audioVa: audio.va.data,
      textFeatures: text.features.data,
      textVt: text.vt.data,
    };
  } finally {
    model.dispose();
  }
}

/** The largest |a - b| over every embedding (Infinity when shapes differ). */
export function maxAbsError(a: Record<string, Float32Array>, b: Record<string, Float32Array>): number {
  let m = 0;
  for (const k of Object.keys(a)) {
    if (!b[k] || b[k].length !== a[k].length) return Infinity;
    for (let i = 0; i < a[k].length; i++) m = Math.max(m, Math.abs(a[k][i] - b[k][i]));
  }
  return m;
}

type Owned = { dispose(): void } | tf.NamedTensorMap | undefined;

/**
 * Runs `body`, disposing whatever it hands to `own` (tensors, modules, tensor maps) even when it fails,
 * then checks the tensor count is back where it was: a tensor made under test that nobody owns fails it.
 */
export async function withoutLeaks(body: (own: <T extends Owned>(x: T) => T) => Promise<void>): Promise<void> {
  const before = tf.memory().numTensors;
  const owned: Owned[] = [];
  try {
    await body((x) => {
      owned.push(x);
      return x;
    });
  } finally {
    for (const x of owned) {
      if (typeof (x as { dispose?: unknown } | undefined)?.dispose === 'function') (x as { dispose(): void }).dispose();
      else if (x) tf.dispose(Object.values(x as tf.NamedTensorMap));
    }
  }
  expect(tf.memory().numTensors).toBe(before);
}
