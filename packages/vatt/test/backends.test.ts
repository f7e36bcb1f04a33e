/**
 * Cross-backend parity: the same inputs and weights give the same outputs and gradients on every
 * backend. Everything is computed first on cpu (the reference), then on wasm and WebGPU (Dawn on
 * SwiftShader where a Vulkan driver exists) and compared. Sizes are tiny: SwiftShader is slow.
 */
import * as tf from '@tensorflow/tfjs-core';
import { milNce, nce, symmetricInfoNce, vattPretrainLoss } from '@vatt/losses';
import { buildVocabulary, Rng, VideoTokenizer, WaveformTokenizer, WordTokenizer } from '@vatt/tokenizers';
import { random, TINY, TransformerEncoder } from '@vatt/transformer';
import { expectNoLeak, forEachBackend, testBackends, useBackend, type TestBackend } from '@vatt-testing/backends';
import { getPreset, type VattConfig } from '../src/config/index.js';
import { FacHead } from '../src/model/fac-head.js';
import { VATT } from '../src/model/vatt.js';

type Outputs = Record<string, Float32Array>;

/** Deterministic values in [-1, 1) from a small LCG (plain JS: identical on every backend). */
function values(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => rng.next() * 2 - 1);
}

const read = async (named: Record<string, tf.Tensor>): Promise<Outputs> => {
  const out: Outputs = {};
  for (const [k, t] of Object.entries(named)) out[k] = Float32Array.from(await t.data());
  tf.dispose(Object.values(named));
  return out;
};

/** Gradients keyed by the module's parameter names (variable names differ between runs). */
function byParameterName(module: { namedTrainableParameters(): Array<[string, tf.Variable]> }, grads: tf.NamedTensorMap): Record<string, tf.Tensor> {
  const names = new Map(module.namedTrainableParameters().map(([n, p]) => [p.name, n]));
  return Object.fromEntries(Object.entries(grads).map(([v, g]) => [`d/${names.get(v)}`, g]));
}

const CAPTIONS = ['a red circle moving left', 'the blue square goes up!', 'green', 'A red square, moving down', 'circle circle', 'blue up left right'];
const VOCAB = buildVocabulary(CAPTIONS);

/** Dropout and DropToken off so every backend sees the same deterministic computation. */
function deterministicTiny(): VattConfig {
  const c = getPreset('tiny').model;
  const off = { dropout: 0, attnDropout: 0, dropTokenKeepRate: null };
  return { ...c, video: { ...c.video, ...off }, audio: { ...c.audio, ...off }, text: { ...c.text, dropout: 0 } };
}

/** Each case: named outputs (and gradients) computed on the active backend, plus the tolerance. */
const CASES: Record<string, { tol: number; run: () => Promise<Outputs> }> = {
  'the video tokenizer': {
    tol: 1e-6,
    run: async () => {
      const frames = tf.tensor5d(
        Uint8Array.from(values(2 * 8 * 32 * 32 * 3, 1), (v) => Math.floor((v + 1) * 127.9)),
        [2, 8, 32, 32, 3],
        'int32',
      );
      const { patches } = new VideoTokenizer({ patchSize: [4, 8, 8] }).tokenize(frames);
      frames.dispose();
      return read({ patches });
    },
  },
  'the waveform tokenizer (padding to numSamples)': {
    tol: 1e-6,
    run: async () => {
      const wave = tf.tensor2d(values(2 * 4000, 2), [2, 4000]);
      const { patches } = new WaveformTokenizer({ numSamples: 4096 }).tokenize(wave);
      wave.dispose();
      return read({ patches });
    },
  },
  'a tiny pre-LN encoder with a padding mask, forward and parameter gradients': {
    tol: 2e-5,
    run: async () => {
      random.setSeed(3);
      const enc = new TransformerEncoder('tx', { ...TINY, dropout: 0, attnDropout: 0 });
      const x = tf.tensor3d(values(2 * 9 * 64, 4), [2, 9, 64]);
      const mask = tf.tensor2d([
        [1, 1, 1, 1, 1, 1, 1, 1, 1],
        [1, 1, 1, 1, 1, 0, 0, 0, 0],
      ]);
      const w = tf.tensor3d(values(2 * 9 * 64, 5), [2, 9, 64]);
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(enc.apply(x, { mask }), w)) as tf.Scalar);
      const out = await read({ y: enc.apply(x, { mask }), loss: value, ...byParameterName(enc, grads) });
      tf.dispose([x, mask, w]);
      enc.dispose();
      return out;
    },
  },
  'the FAC head (training-mode BatchNorm), forward and gradients': {
    tol: 1e-3, // BatchNorm over 6 samples amplifies float32 rounding (webgpu: 2e-4)
    run: async () => {
      random.setSeed(4);
      const head = new FacHead({ videoDim: 64, audioDim: 48, textDim: 32, dVa: 40, dVt: 24, style: 'code', bnMomentum: 0.9, bnEps: 1e-5 }).train();
      const v = tf.tensor2d(values(6 * 64, 6), [6, 64]);
      const a = tf.tensor2d(values(6 * 48, 7), [6, 48]);
      const t = tf.tensor2d(values(6 * 32, 8), [6, 32]);
      let video: { va: tf.Tensor; vt: tf.Tensor } | undefined;
      const { value, grads } = tf.variableGrads(() => {
        const o = head.video(v);
        video = { va: tf.keep(o.va), vt: tf.keep(o.vt) };
        return tf.add(
          tf.add(tf.sum(tf.square(o.va)), tf.sum(tf.sin(o.vt))),
          tf.add(tf.sum(tf.square(head.audio(a))), tf.sum(tf.cos(head.text(t)))),
        ) as tf.Scalar;
      });
      const stats = Object.fromEntries(
        head
          .namedParameters()
          .filter(([n]) => n.includes('moving'))
          .map(([n, p]) => [n, tf.clone(p)]),
      );
      const out = await read({ va: video!.va, vt: video!.vt, loss: value, ...byParameterName(head, grads), ...stats });
      tf.dispose([v, a, t]);
      head.dispose();
      return out;
    },
  },
  'the losses (NCE, MIL-NCE, symmetric InfoNCE, VATT total) and their gradients': {
    tol: 2e-5,
    run: async () => {
      const b = 4;
      const k = 3;
      const variable = (rows: number, seed: number) => tf.tidy(() => tf.variable(tf.tensor2d(values(rows * 16, seed), [rows, 16])));
      const video = variable(b, 9);
      const audio = variable(b, 10);
      const text = variable(b * k, 11);
      const textMask = tf.tensor1d([1, 0, 1, 1]);
      const terms = {
        nce: () => nce(video, audio, { temperature: 0.07 }),
        milNce: () => milNce(video, text, { numCandidates: k, temperature: 0.07, textMask }),
        infoNce: () => symmetricInfoNce(video, audio),
        total: () => vattPretrainLoss({ videoVa: video, audioVa: audio, videoVt: video, textVt: text, numCandidates: k, textMask }),
      };
      const named: Record<string, tf.Tensor> = {};
      for (const [name, f] of Object.entries(terms)) {
        const { value, grads } = tf.variableGrads(f, [video, audio, text]);
        named[name] = value;
        for (const [v, g] of Object.entries(grads)) named[`${name}/d${v === video.name ? 'video' : v === audio.name ? 'audio' : 'text'}`] = g;
      }
      const out = await read(named);
      tf.dispose([video, audio, text, textMask]);
      return out;
    },
  },
  'one full tiny VATT training step: loss and the gradient of every parameter': {
    tol: 1e-3,
    run: async () => {
      random.setSeed(5);
      const model = new VATT(deterministicTiny()).train();
      const pre = getPreset('tiny').preprocessing;
      // 4 clips: BatchNorm in training normalises each feature over the batch, and over 2 clips a feature the
      // two share nearly exactly divides by a near-zero variance, which no two backends round alike.
      const b = 4;
      const k = 3;
      const frames = tf.tensor5d(
        Uint8Array.from(values(b * 8 * 32 * 32 * 3, 12), (x) => Math.floor((x + 1) * 127.9)),
        [b, 8, 32, 32, 3],
        'int32',
      );
      const video = new VideoTokenizer({ patchSize: pre.video.patchSize }).tokenize(frames);
      const wave = tf.tensor2d(values(b * pre.audio.samples, 13), [b, pre.audio.samples]);
      const audio = new WaveformTokenizer({ numSamples: pre.audio.samples, patchSize: pre.audio.patchSize }).tokenize(wave);
      const ids = new WordTokenizer(VOCAB, { maxLength: pre.text.maxTokens }).tokenize(Array.from({ length: b * k }, (_, i) => CAPTIONS[i % CAPTIONS.length]));
      const textIds = tf.tensor2d(ids.data, ids.shape as [number, number], 'int32');
      const batch = { videoPatches: video.patches, videoGrid: video.grid, audioPatches: audio.patches, textIds };
      const params = model.trainableVariables();
      const { value, grads } = tf.variableGrads(() => model.pretrainLoss(batch).total, params);
      const out = await read({ loss: value, ...byParameterName(model, grads) });
      expect(Object.keys(out).length).toBe(params.length + 1);
      tf.dispose([frames, wave, video.patches, audio.patches, textIds]);
      model.dispose();
      return out;
    },
  },
};

/** max |a - b| over all outputs of a case, relative to the output's scale (max |ref|, at least 1). */
function worstRelativeError(ref: Outputs, got: Outputs): { name: string; error: number } {
  let worst = { name: '', error: 0 };
  expect(Object.keys(got).sort()).toEqual(Object.keys(ref).sort());
  for (const [name, r] of Object.entries(ref)) {
    const g = got[name];
    expect(g.length).toBe(r.length);
    let scale = 1;
    for (const v of r) scale = Math.max(scale, Math.abs(v));
    let err = 0;
    for (let i = 0; i < r.length; i++) err = Math.max(err, Math.abs(r[i] - g[i]) / scale);
    if (!(err <= worst.error)) worst = { name, error: err };
  }
  return worst;
}

const reference: Record<string, Outputs> = {};
const measured: string[] = [];
afterAll(() => {
  if (measured.length) console.log(`worst relative error vs cpu:\n${measured.join('\n')}`);
});

describe('reference values on cpu', () => {
  beforeAll(() => useBackend('cpu'));
  for (const [name, c] of Object.entries(CASES)) {
    test(`${name}: finite, and leaks no tensor`, async () => {
      const before = tf.memory().numTensors;
      reference[name] = await c.run();
      expect(tf.memory().numTensors).toBe(before);
      for (const [k, v] of Object.entries(reference[name])) {
        expect([k, v.every(Number.isFinite)]).toEqual([k, true]);
      }
    });
  }
  test('every parameter of the tiny VATT gets a non-zero gradient', () => {
    const step = reference['one full tiny VATT training step: loss and the gradient of every parameter'];
    for (const [k, g] of Object.entries(step)) {
      if (k.startsWith('d/')) expect([k, g.some((x) => x !== 0)]).toEqual([k, true]);
    }
  });
});

const others = testBackends({ webgpu: true }).filter((b): b is Exclude<TestBackend, 'cpu'> => b !== 'cpu');
forEachBackend(others, (backend) => {
  for (const [name, c] of Object.entries(CASES)) {
    test(`${name}: same values as cpu (${backend})`, async () => {
      expect(reference[name]).toBeDefined();
      const got = await c.run();
      const worst = worstRelativeError(reference[name], got);
      measured.push(`${backend}  ${worst.error.toExponential(1)}  ${name} (${worst.name})`);
      expect({ ...worst, ok: worst.error <= c.tol }).toEqual({ ...worst, ok: true });
    });
  }
  test(`the tiny encoder case leaks no tensor (${backend})`, async () => {
    await expectNoLeak(() => CASES['a tiny pre-LN encoder with a padding mask, forward and parameter gradients'].run(), 1);
  });
});
