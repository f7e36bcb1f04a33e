import * as tf from '@tensorflow/tfjs-core';
import { forEachBackend, testBackends, maxAbsDiff, expectNoLeak, useBackend } from '@vatt-testing/backends';
import { VideoTransformer, AudioTransformer, TextTransformer, type BackboneOutput } from '../src/backbones/index.js';
import { TransformerEncoder } from '../src/encoders/index.js';
import type { Module } from '../src/module.js';
import { setSeed } from '../src/random.js';
import {
  TINY,
  T5_TINY,
  TINY_VIDEO_INPUT,
  TINY_AUDIO_INPUT,
  TINY_TEXT_INPUT,
  videoConfig,
  audioConfig,
  textConfig,
  countParameters,
  type SpectrogramInputConfig,
} from '../src/presets.js';

const TINY_SPECTROGRAM: SpectrogramInputConfig = { patchSize: [4, 5], buckets: [3, 4] };
const tinyVideo = (o = {}) => new VideoTransformer(videoConfig(TINY, TINY_VIDEO_INPUT, o));
const tinyAudio = (o = {}) => new AudioTransformer(audioConfig(TINY, TINY_AUDIO_INPUT, o));
const tinySpectrogram = () => new AudioTransformer(audioConfig(TINY, TINY_SPECTROGRAM));
const tinyText = (o = {}) => new TextTransformer(textConfig(T5_TINY, TINY_TEXT_INPUT, o));

const videoPatches = (b = 2, n = 32) => tf.randomNormal([b, n, 768], 0, 1, 'float32', 7);
const audioPatches = (b = 2, n = 32) => tf.randomNormal([b, n, 128], 0, 1, 'float32', 8);
const textIds = () =>
  tf.tensor2d(
    [
      [5, 17, 301, 9, 0, 0, 0, 0],
      [44, 2, 0, 0, 0, 0, 0, 0],
    ],
    [2, 8],
    'int32',
  );

type Case = { name: string; build: () => Module & { apply(x: tf.Tensor, i?: object): BackboneOutput }; input: () => tf.Tensor; inputs?: object; n: number };
const CASES: Case[] = [
  { name: 'VideoTransformer', build: tinyVideo, input: () => videoPatches(), n: 32 },
  { name: 'AudioTransformer (waveform)', build: tinyAudio, input: () => audioPatches(), n: 32 },
  { name: 'AudioTransformer (spectrogram)', build: tinySpectrogram, input: () => tf.randomNormal([2, 12, 20]), inputs: { grid: [3, 4] }, n: 12 },
  { name: 'TextTransformer', build: tinyText, input: textIds, n: 8 },
];

describe('backbone weight names follow the official checkpoint layout (docs/numerics.md §10.2)', () => {
  beforeAll(() => useBackend('cpu'));
  test('a tiny VideoTransformer has exactly these names and shapes', () => {
    const m = tinyVideo({ preProjection: true, postProjectionDim: 64 });
    const names = m.namedParameters().map(([n, v]) => `${n} [${v.shape}]`);
    expect(names).toEqual([
      'agg_embedding [64]',
      'voxel_to_patch/kernel [768,64]',
      'voxel_to_patch/bias [64]',
      'pre_proj/kernel [64,64]',
      'pre_proj/bias [64]',
      'pos_embedding_lookup/temporal_position_embeddings/embeddings [2,64]',
      'pos_embedding_lookup/vertical_position_embeddings/embeddings [4,64]',
      'pos_embedding_lookup/horizontal_position_embeddings/embeddings [4,64]',
      'pos_embedding_lookup/layernorm/gamma [64]',
      'pos_embedding_lookup/layernorm/beta [64]',
      ...[0, 1].flatMap((i) => [
        `tx/layers/${i}/layer_norm/gamma [64]`,
        `tx/layers/${i}/layer_norm/beta [64]`,
        ...['q', 'k', 'v'].flatMap((p) => [`tx/layers/${i}/mha/${p}/kernel [64,64]`, `tx/layers/${i}/mha/${p}/bias [64]`]),
        `tx/layers/${i}/mha/o/kernel [64,64]`,
        `tx/layers/${i}/mha/o/bias [64]`,
        `tx/layers/${i}/feed_forward/layer_norm/gamma [64]`,
        `tx/layers/${i}/feed_forward/layer_norm/beta [64]`,
        `tx/layers/${i}/feed_forward/mlp/wi/kernel [64,256]`,
        `tx/layers/${i}/feed_forward/mlp/wi/bias [256]`,
        `tx/layers/${i}/feed_forward/mlp/wo/kernel [256,64]`,
        `tx/layers/${i}/feed_forward/mlp/wo/bias [64]`,
      ]),
      'tx/final_layer_norm/gamma [64]',
      'tx/final_layer_norm/beta [64]',
      'post_proj/kernel [64,64]',
      'post_proj/bias [64]',
    ]);
    m.dispose();
  });

  test('audio uses wave_to_patch [128, d] and one 1-D table; the spectrogram model spectrum_to_patch and time/spectral tables', () => {
    const a = tinyAudio();
    const s = tinySpectrogram();
    const an = a.namedParameters().map(([n, v]) => `${n} [${v.shape}]`);
    expect(an.slice(0, 4)).toEqual([
      'agg_embedding [64]',
      'wave_to_patch/kernel [128,64]',
      'wave_to_patch/bias [64]',
      'pos_embedding_lookup/temporal_position_embeddings/embeddings [32,64]',
    ]);
    const sn = s.namedParameters().map(([n]) => n);
    expect(sn).toContain('spectrum_to_patch/kernel');
    expect(sn).toContain('pos_embedding_lookup/spectoral_position_embeddings/embeddings');
    expect(sn).not.toContain('tx/layers/0/mha/q/bias'); // SpT configs have no attention / MLP biases
    a.dispose();
    s.dispose();
  });

  test('the text tower has embedding, agg_embedding [300-d analogue], bias-free pre_proj and base_lm; the word table is frozen by default', () => {
    const t = tinyText();
    const names = t.namedParameters().map(([n, v]) => `${n} [${v.shape}]`);
    expect(names.slice(0, 3)).toEqual(['agg_embedding [32]', 'embedding/embeddings [512,32]', 'pre_proj/kernel [32,64]']);
    expect(names).toContain('base_lm/layers/0/self_attention/attention/relative_attention_bias/embeddings [32,4]');
    expect(t.namedTrainableParameters().map(([n]) => n)).not.toContain('embedding/embeddings');
    const trainable = tinyText({ trainableEmbeddings: true });
    expect(trainable.namedTrainableParameters().map(([n]) => n)).toContain('embedding/embeddings');
    t.dispose();
    trainable.dispose();
  });
});

forEachBackend(testBackends({ webgpu: true }), (backend) => {
  const slow = backend === 'webgpu';

  describe('shapes, DropToken in training only', () => {
    for (const c of CASES) {
      test(`${c.name}: eval gives pooled [B, d] = tokens[:, 0] and tokens [B, N+1, d]`, async () => {
        setSeed(11);
        const m = c.build();
        const x = c.input();
        const out = m.apply(x, c.inputs);
        expect(out.pooled.shape).toEqual([2, 64]);
        expect(out.tokens.shape).toEqual([2, c.n + 1, 64]);
        const first = tf.tidy(() => tf.reshape(tf.slice(out.tokens, [0, 0, 0], [2, 1, 64]), [2, 64]));
        expect(maxAbsDiff(await first.data(), await out.pooled.data())).toBe(0);
        const again = m.apply(x, c.inputs);
        expect(maxAbsDiff(await again.pooled.data(), await out.pooled.data())).toBe(0); // eval is deterministic
        tf.dispose([x, out.pooled, out.tokens, first, again.pooled, again.tokens]);
        m.dispose();
      });
    }

    test('video and waveform backbones keep int(0.5 * configured buckets) tokens in training, all in eval', () => {
      setSeed(12);
      const v = tinyVideo().train();
      const a = tinyAudio({ dropTokenKeepRate: 0.25 }).train();
      const xv = videoPatches();
      const xa = audioPatches();
      const ov = v.apply(xv);
      const oa = a.apply(xa);
      expect(ov.tokens.shape).toEqual([2, 16 + 1, 64]);
      expect(oa.tokens.shape).toEqual([2, 8 + 1, 64]);
      v.eval();
      const ev = v.apply(xv);
      expect(ev.tokens.shape).toEqual([2, 33, 64]);
      tf.dispose([xv, xa, ov.pooled, ov.tokens, oa.pooled, oa.tokens, ev.pooled, ev.tokens]);
      v.dispose();
      a.dispose();
    });

    test('a video grid other than the tables (a bigger clip) runs with spline-resampled positions', async () => {
      const v = tinyVideo();
      const x = videoPatches(1, 2 * 6 * 5);
      const out = v.apply(x, { grid: [2, 6, 5] });
      expect(out.tokens.shape).toEqual([1, 61, 64]);
      expect(Array.from(await out.pooled.data()).every(Number.isFinite)).toBe(true);
      tf.dispose([x, out.pooled, out.tokens]);
      v.dispose();
    });
  });

  if (!slow) {
    describe('gradients reach every trainable parameter', () => {
      for (const c of CASES) {
        for (const mode of ['eval', 'train'] as const) {
          test(`${c.name} (${mode}): no trainable weight is missing a non-zero gradient, and a step leaks nothing`, async () => {
            setSeed(13);
            const m = c.build();
            if (mode === 'train') m.train();
            const x = c.input();
            const named = m.namedTrainableParameters();
            const step = (): Array<readonly [string, number]> =>
              tf.tidy((() => {
                const { grads } = tf.variableGrads(
                  () => {
                    const { tokens } = m.apply(x, c.inputs);
                    const w = tf.randomNormal(tokens.shape, 0, 1, 'float32', 5);
                    return tf.sum(tf.mul(tokens, w)) as tf.Scalar;
                  },
                  named.map(([, v]) => v),
                );
                return named.map(([n, v]) => [n, grads[v.name] ? tf.sum(tf.abs(grads[v.name] as tf.Tensor)).dataSync()[0] : 0] as const);
              }) as unknown as () => tf.TensorContainer) as unknown as Array<readonly [string, number]>;
            const missing = step()
              .filter(([, s]) => !(s > 0))
              .map(([n]) => n);
            expect(missing).toEqual([]);
            if (mode === 'train') {
              await expectNoLeak(() => {
                step();
              }, 1);
            }
            x.dispose();
            m.dispose();
          });
        }
      }

      test('the frozen word table gets no gradient and stays unchanged', () => {
        const t = tinyText();
        expect(t.trainableVariables()).not.toContain(t.embedding.embeddings);
        t.dispose();
      });
    });
  }

  if (!slow)
    describe('forward passes leak nothing', () => {
      for (const c of CASES) {
        test(`${c.name} in training and eval`, async () => {
          const m = c.build();
          const x = c.input();
          for (const on of [false, true]) {
            m.train(on);
            await expectNoLeak(() => {
              const o = m.apply(x, c.inputs);
              tf.dispose([o.pooled, o.tokens]);
            }, 2);
          }
          x.dispose();
          m.dispose();
        });
      }
    });

  describe('bad inputs', () => {
    test('wrong patch width names the input and the expected shape', () => {
      const v = tinyVideo();
      const x = tf.zeros([2, 32, 700]);
      expect(() => v.apply(x)).toThrow(/video: video patches must have shape \[B,N,768\], got \[2,32,700\]/);
      x.dispose();
      v.dispose();
    });

    test('a grid that does not match the token count names the grid and the token count', () => {
      const v = tinyVideo();
      const x = videoPatches(1, 30);
      expect(() => v.apply(x)).toThrow(/video patches has 30 tokens but no grid given and the configured buckets \[2,4,4\] hold 32 cells/);
      expect(() => v.apply(x, { grid: [2, 4, 4] })).toThrow(/grid \[2,4,4\] \(32 cells\)/);
      x.dispose();
      v.dispose();
    });

    test('text ids must be int32 [B, L]', () => {
      const t = tinyText();
      const x = tf.zeros([2, 8]);
      expect(() => t.apply(x)).toThrow(/ids must be an int32 tensor \[B, L\]/);
      x.dispose();
      t.dispose();
    });
  });

  if (!slow) {
    describe('semantics', () => {
      test('text padding (id 0) is masked: trailing pads do not change the pooled [AGG] output', async () => {
        const t = tinyText();
        const short = tf.tensor2d([[5, 17, 301, 9]], [1, 4], 'int32');
        const padded = tf.tensor2d([[5, 17, 301, 9, 0, 0, 0, 0]], [1, 8], 'int32');
        const a = t.apply(short);
        const b = t.apply(padded);
        expect(maxAbsDiff(await a.pooled.data(), await b.pooled.data())).toBeLessThan(1e-5);
        tf.dispose([short, padded, a.pooled, a.tokens, b.pooled, b.tokens]);
        t.dispose();
      });

      if (backend === 'wasm') {
        test('the TINY video preset trains: 15 Adam steps on a fixed batch lower the loss, in well under a second per step', () => {
          setSeed(21);
          const v = tinyVideo().train();
          const x = videoPatches(4);
          const target = tf.randomNormal([4, 64], 0, 1, 'float32', 22);
          const opt = tf.train.adam(3e-3);
          const losses: number[] = [];
          const t0 = performance.now();
          for (let i = 0; i < 15; i++) {
            const loss = opt.minimize(() => tf.mean(tf.square(tf.sub(v.apply(x).pooled, target))) as tf.Scalar, true, v.trainableVariables());
            losses.push((loss as tf.Scalar).dataSync()[0]);
            loss?.dispose();
          }
          const perStep = (performance.now() - t0) / 15;
          expect(losses[14]).toBeLessThan(0.7 * losses[0]);
          expect(perStep).toBeLessThan(1000);
          tf.dispose([x, target]);
          opt.dispose();
          v.dispose();
        });
      }
    });

    describe('reuse in a modality-agnostic model', () => {
      test('video and audio backbones can share one TransformerEncoder that neither registers', () => {
        const tx = new TransformerEncoder('tx', { numLayers: 1, dModel: 64, numHeads: 4, dKv: 16, dFF: 128 });
        const v = new VideoTransformer(videoConfig(TINY, TINY_VIDEO_INPUT, { preProjection: true, postProjectionDim: 64 }), { encoder: tx });
        const a = new AudioTransformer(audioConfig(TINY, TINY_AUDIO_INPUT, { preProjection: true, postProjectionDim: 64 }), { encoder: tx });
        expect(v.namedParameters().some(([n]) => n.startsWith('tx/'))).toBe(false);
        expect(v.tx).toBe(a.tx);
        const xv = videoPatches();
        const xa = audioPatches();
        const ov = v.apply(xv);
        const oa = a.apply(xa);
        expect(ov.pooled.shape).toEqual([2, 64]);
        expect(oa.pooled.shape).toEqual([2, 64]);
        // embed() + the shared encoder + readout() is the same computation as apply().
        const { tokens } = v.embed(xv);
        const manual = v.readout(tx.apply(tokens));
        expect(maxAbsDiff(manual.pooled.dataSync(), ov.pooled.dataSync())).toBeLessThan(1e-6);
        tf.dispose([xv, xa, ov.pooled, ov.tokens, oa.pooled, oa.tokens, tokens, manual.pooled, manual.tokens]);
        v.dispose();
        a.dispose();
        tx.dispose();
      });

      test('a padding mask on video patches follows the DropToken selection and masks padded patches', () => {
        setSeed(14);
        const v = tinyVideo();
        const x = videoPatches();
        const mask = tf.concat([tf.ones([2, 24]), tf.zeros([2, 8])], 1);
        const a = v.apply(x, { mask });
        const changed = tf.tidy(() => tf.concat([tf.slice(x, [0, 0, 0], [2, 24, 768]), tf.randomNormal([2, 8, 768], 0, 1, 'float32', 9)], 1));
        const b = v.apply(changed, { mask });
        expect(maxAbsDiff(a.pooled.dataSync(), b.pooled.dataSync())).toBeLessThan(1e-5); // padded patches do not matter
        v.train();
        const t = v.apply(x, { mask });
        expect(t.tokens.shape).toEqual([2, 17, 64]);
        tf.dispose([x, mask, a.pooled, a.tokens, changed, b.pooled, b.tokens, t.pooled, t.tokens]);
        v.dispose();
      });
    });
  }
});

describe('parameter counts', () => {
  beforeAll(() => useBackend('cpu'));
  test('countParameters equals the built modules exactly (tiny video, audio, spectrogram, text, projections)', () => {
    const cases: Array<[ReturnType<typeof countParameters>, Module]> = [
      [countParameters(videoConfig(TINY, TINY_VIDEO_INPUT)), tinyVideo()],
      [
        countParameters(videoConfig(TINY, TINY_VIDEO_INPUT, { preProjection: true, postProjectionDim: 48 })),
        tinyVideo({ preProjection: true, postProjectionDim: 48 }),
      ],
      [countParameters(audioConfig(TINY, TINY_AUDIO_INPUT)), tinyAudio()],
      [countParameters(audioConfig(TINY, TINY_SPECTROGRAM)), tinySpectrogram()],
      [countParameters(textConfig(T5_TINY, TINY_TEXT_INPUT)), tinyText()],
    ];
    for (const [count, m] of cases) {
      expect(m.countParams()).toBe(count.total);
      expect(m.countParams(true)).toBe(count.trainable);
      m.dispose();
    }
  });
});
