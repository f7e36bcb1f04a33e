/**
 * Test-only helpers of the ONNX engine tests (not exported from the package): models with every weight
 * randomised (so biases, norms and BatchNorm moving statistics all matter), and a loaded-model bundle.
 */
import * as tf from '@tensorflow/tfjs-core';
import { random } from '@vatt/transformer';
import { Rng } from '@vatt/tokenizers';
import { spawnSync } from 'node:child_process';
import { applyOverrides, resolveModel, type ExperimentInput, type PreprocessingConfig, type VattConfig } from '../config/experiment.js';
import { getExperiment, isPresetName, type PresetName } from '../config/presets.js';
import type { LoadedVatt } from '../model/from-checkpoint.js';
import { VattPreprocessor } from '../model/preprocess.js';
import { VATT } from '../model/vatt.js';

/** A vocabulary of `size` words with the special tokens first (`<pad>` = 0, docs/numerics.md §1.3). */
export function testVocab(size: number): string[] {
  return ['<pad>', '<bos>', '<eos>', '<unk>', ...Array.from({ length: size - 4 }, (_, i) => `w${i}`)];
}

/** Replaces every weight of `m` with seeded noise (variances positive, norm scales around 1). */
export function randomizeWeights(m: VATT, seed = 1): void {
  let s = seed;
  for (const [name, v] of m.namedParameters()) {
    const noise = tf.tidy(() => {
      const r = tf.randomNormal(v.shape, 0, name.endsWith('kernel') ? 0.2 : 0.4, 'float32', s++);
      if (name.endsWith('moving_variance')) return tf.add(tf.abs(r), 0.5);
      if (name.endsWith('gamma') || name.endsWith('/weight')) return tf.add(r, 1);
      return r;
    });
    v.assign(noise);
    noise.dispose();
  }
}

/** A preset (optionally with `--set` overrides) as a loaded model with random weights, in eval mode. */
export function randomLoaded(preset: PresetName | ExperimentInput, overrides: readonly string[] = [], seed = 1): LoadedVatt<{ step: number; seed: number }> {
  const exp = applyOverrides(typeof preset === 'string' && isPresetName(preset) ? getExperiment(preset) : (preset as ExperimentInput), overrides);
  const config: VattConfig = resolveModel(exp);
  const preprocessing: PreprocessingConfig = exp.preprocessing;
  random.setSeed(seed);
  const model = new VATT(config);
  randomizeWeights(model, seed);
  model.eval();
  const vocab = testVocab(config.text.input.vocabSize);
  return { model, preprocessor: new VattPreprocessor(preprocessing, vocab), config, preprocessing, vocab, training: { step: 7, seed: 0 } };
}

/** Seeded clips `[T, H, W, 3]` uint8 and waveforms of the preprocessing size. */
export function randomMedia(pre: PreprocessingConfig, n: number, seed = 3): { clips: Uint8Array[]; waves: Float32Array[] } {
  const rng = new Rng(seed);
  const v = pre.video;
  const clips = Array.from({ length: n }, () => Uint8Array.from({ length: v.frames * v.height * v.width * 3 }, () => rng.int(256)));
  const waves = Array.from({ length: n }, () => Float32Array.from({ length: pre.audio.samples }, () => rng.uniform(-0.3, 0.3)));
  return { clips, waves };
}

/** Max abs difference of two equal-length arrays. */
export function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Whether python3-onnx is importable; under CI=true its absence is an error, not a skip. */
export function pythonOnnxAvailable(): boolean {
  const r = spawnSync('/usr/bin/python3', ['-c', 'import onnx'], { encoding: 'utf8' });
  if (r.status === 0) return true;
  if (process.env.CI === 'true') throw new Error(`python3-onnx is required under CI (apt-get install python3-onnx): ${r.stderr || r.error?.message}`);
  return false;
}

/** `onnx.checker.check_model(file, full_check=True)` on each file (Debian's python3-onnx); throws with onnx's message. */
export function onnxCheck(files: readonly string[]): void {
  const script = 'import sys, onnx\nfor p in sys.argv[1:]:\n    onnx.checker.check_model(p, full_check=True)\n';
  const r = spawnSync('/usr/bin/python3', ['-c', script, ...files], { encoding: 'utf8', maxBuffer: 16 * 2 ** 20 });
  if (r.status !== 0) throw new Error(`onnx.checker rejected the export:\n${r.stderr}`);
}
