/** Fine-tuning classifiers: weight transfer, position resampling, losses, mixup, image tiling, views, training and resume. */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@vatt/tokenizers';
import { random, resamplePositions, TINY, videoConfig, type VideoBackboneConfig } from '@vatt/transformer';
import { expectNoLeak, maxAbsDiff, useBackend } from '@vatt-testing/backends';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AudioClassifier, VideoClassifier, classifierFromConfig } from '../src/finetune/classifier.js';
import { evaluateClassifier, finetuneClassifier, loadClassifier, type ClassificationExample } from '../src/finetune/finetune.js';
import { dPrimeOfAuc } from '../src/eval/metrics.js';
import { loadVatt } from '../src/model/load.js';
import { classBalancedSigmoidCrossEntropy, labelSmoothedCrossEntropy, mixup } from '../src/finetune/losses.js';
import { audioWindows, multiViewClips, tileImage, uniformStarts } from '../src/finetune/views.js';
import { getPreset } from '../src/config/index.js';
import { VattPreprocessor } from '../src/model/preprocess.js';
import { VATT } from '../src/model/vatt.js';
import { TEST_VOCAB } from './random-clips.js';

const { model: tinyConfig, preprocessing } = getPreset('tiny');
let vatt: VATT;
let dir: string;

beforeAll(async () => {
  await useBackend('wasm');
  random.setSeed(3);
  vatt = new VATT(tinyConfig).eval();
});
afterAll(() => vatt.dispose());
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vatt-ft-'));
});
afterEach(async () => fs.rm(dir, { recursive: true, force: true }));

/** Two visually distinct classes: dark clips vs bright clips (with noise), so a few steps separate them. */
function toyVideoExamples(n: number, seed: number, frames = preprocessing.video.frames): ClassificationExample[] {
  const rng = new Rng(seed);
  const rnd = () => rng.next();
  const size = frames * preprocessing.video.height * preprocessing.video.width * 3;
  return Array.from({ length: n }, (_, i) => {
    const label = i % 2;
    const v = new Uint8Array(size);
    for (let j = 0; j < size; j++) v[j] = Math.min(255, Math.floor((label ? 150 : 20) + rnd() * 80));
    return { views: [v], label };
  });
}

const pre = () => new VattPreprocessor(preprocessing, TEST_VOCAB);

describe('fine-tuning classifiers', () => {
  test('a classifier built from a VATT model gives the same [AGG] features as its video and audio towers', () => {
    const clf = VideoClassifier.fromVatt(vatt, { numClasses: 3 }).eval();
    const aclf = AudioClassifier.fromVatt(vatt, { numClasses: 5 }).eval();
    const p = pre();
    const clips = toyVideoExamples(2, 1).map((e) => e.views[0] as Uint8Array);
    const { patches, grid } = p.videoPatches(clips);
    const waves = [new Float32Array(preprocessing.audio.samples).map((_, i) => Math.sin(i / 7))];
    const ap = p.audioPatches(waves);
    const a = tf.tidy(() => vatt.video.apply(patches, { grid }).pooled.dataSync());
    const b = tf.tidy(() => clf.backbone.apply(patches, { grid }).pooled.dataSync());
    expect(maxAbsDiff(a, b)).toBe(0);
    const c = tf.tidy(() => vatt.audio.apply(ap).pooled.dataSync());
    const d = tf.tidy(() => aclf.backbone.apply(ap).pooled.dataSync());
    expect(maxAbsDiff(c, d)).toBe(0);
    expect(clf.apply(patches, grid).shape).toEqual([2, 3]);
    // Official heads: bias -log(C-1) for audio (every class starts at p = 1/C), dropout 0.5 / 0.0.
    expect(maxAbsDiff(aclf.classifier.bias!.dataSync(), new Float32Array(5).fill(-Math.log(4)))).toBeLessThan(1e-6);
    expect(clf.dropout.rate).toBe(0.5);
    expect(aclf.dropout.rate).toBe(0);
    expect(clf.backbone.config.dropTokenKeepRate).toBeNull();
    tf.dispose([patches, ap]);
    clf.dispose();
    aclf.dispose();
  });

  test('fine-tuning at a larger resolution spline-resamples the positional tables and matches the on-the-fly resample', () => {
    // 32 -> 48 px: spatial buckets 4 -> 6 (the paper's 224 -> 320, 14 -> 20).
    const input = { ...tinyConfig.video.input, height: 48, width: 48, buckets: [2, 6, 6] as const };
    const clf = VideoClassifier.fromVatt(vatt, { numClasses: 2, input: input as VideoBackboneConfig['input'] }).eval();
    const name = 'pos_embedding_lookup/height_position_embeddings/embeddings';
    const names = clf.backbone
      .namedParameters()
      .map(([n]) => n)
      .filter((n) => n.startsWith('pos_embedding_lookup/') && n.endsWith('/embeddings'));
    expect(names.length).toBe(3);
    for (const n of names) {
      const src = vatt.video.namedWeights()[n] as tf.Tensor2D;
      const dst = clf.backbone.namedWeights()[n];
      const expected = resamplePositions(src, dst.shape[0]);
      expect(maxAbsDiff(expected.dataSync(), dst.dataSync())).toBeLessThan(1e-6);
      expected.dispose();
    }
    void name;
    const big = new VattPreprocessor({ ...preprocessing, video: { ...preprocessing.video, height: 48, width: 48 } }, TEST_VOCAB);
    const clip = new Uint8Array(8 * 48 * 48 * 3).map((_, i) => (i * 37) % 256);
    const { patches, grid } = big.videoPatches([clip]);
    expect(grid).toEqual([2, 6, 6]);
    const onTheFly = tf.tidy(() => vatt.video.apply(patches, { grid }).pooled.dataSync());
    const resampled = tf.tidy(() => clf.backbone.apply(patches, { grid }).pooled.dataSync());
    expect(maxAbsDiff(onTheFly, resampled)).toBeLessThan(1e-4);
    patches.dispose();
    clf.dispose();
  });

  test('an image becomes a single-frame video tiled to the temporal patch size and classifies on a [1, h, w] grid', () => {
    const [t] = preprocessing.video.patchSize;
    const img = new Uint8Array(32 * 32 * 3).map((_, i) => i % 251);
    const clip = tileImage(img, 32, 32, t);
    expect(clip.length).toBe(t * img.length);
    expect(Array.from(clip.subarray((t - 1) * img.length))).toEqual(Array.from(img));
    const imagePre = new VattPreprocessor({ ...preprocessing, video: { ...preprocessing.video, frames: t } }, TEST_VOCAB);
    const { patches, grid } = imagePre.videoPatches([clip]);
    expect(grid).toEqual([1, 4, 4]);
    const clf = VideoClassifier.fromVatt(vatt, { numClasses: 4 }).eval();
    const logits = clf.apply(patches, grid);
    expect(logits.shape).toEqual([1, 4]);
    expect(Array.from(logits.dataSync()).every(Number.isFinite)).toBe(true);
    tf.dispose([patches, logits]);
    clf.dispose();
    expect(() => tileImage(img, 32, 31, 4)).toThrow(/image has 3072 values, expected 32x31x3/);
  });

  test('multi-view evaluation cuts N uniformly spaced clips x 3 crops, and audio windows are spread over the wave', () => {
    const [T, H, W] = [20, 32, 48];
    const video = new Uint8Array(T * H * W * 3);
    for (let f = 0; f < T; f++)
      for (let y = 0; y < H; y++)
        for (let x = 0; x < W; x++) {
          video[((f * H + y) * W + x) * 3] = f;
          video[((f * H + y) * W + x) * 3 + 1] = x;
        }
    const views = multiViewClips(video, [T, H, W], 8, 32, 4);
    expect(views.length).toBe(12);
    expect(uniformStarts(T, 8, 4)).toEqual([0, 4, 8, 12]);
    // first pixel: frame of the clip start, x offset of the crop (left / centre / right).
    expect(views.map((v) => [v[0], v[1]])).toEqual(
      [0, 4, 8, 12].flatMap((f) => [
        [f, 0],
        [f, 8],
        [f, 16],
      ]),
    );
    const w = audioWindows(
      Float32Array.from({ length: 100 }, (_, i) => i),
      40,
      3,
    );
    expect(w.map((x) => x[0])).toEqual([0, 30, 60]);
    expect(audioWindows(new Float32Array(10).fill(1), 16, 1)[0][15]).toBe(0);
  });

  test('label smoothing 0.1 and the class-count-weighted BCE match hand-computed values', () => {
    const logits = tf.tensor2d([
      [2, 0, -1],
      [0.5, 0.5, 1],
    ]);
    const y = tf.tensor2d([
      [1, 0, 0],
      [0, 0, 1],
    ]);
    const ls = labelSmoothedCrossEntropy(logits, y, 0.1).dataSync()[0];
    const lsm = (row: number[]) => row.map((v) => v - Math.log(row.reduce((s, u) => s + Math.exp(u), 0)));
    const t = [
      [0.9 + 0.1 / 3, 0.1 / 3, 0.1 / 3],
      [0.1 / 3, 0.1 / 3, 0.9 + 0.1 / 3],
    ];
    const expected =
      -(
        [2, 0, -1].map((_, k) => t[0][k] * lsm([2, 0, -1])[k]).reduce((a, b) => a + b) +
        [0.5, 0.5, 1].map((_, k) => t[1][k] * lsm([0.5, 0.5, 1])[k]).reduce((a, b) => a + b)
      ) / 2;
    expect(Math.abs(ls - expected)).toBeLessThan(1e-5);
    // BCE: targets [[1,1,0],[1,0,0]]: n = [2,1,0]; w0 = (1/2 + 1/1)/2 = 0.75, w1 = (1/2)/1 = 0.5.
    const x = [
      [0.3, -1, 2],
      [1, 0, -0.5],
    ];
    const yy = [
      [1, 1, 0],
      [1, 0, 0],
    ];
    const bce = (l: number, q: number) => Math.max(l, 0) - l * q + Math.log1p(Math.exp(-Math.abs(l)));
    const rowLoss = (r: number) => x[r].reduce((s, l, c) => s + bce(l, yy[r][c]), 0);
    const want = (0.75 * rowLoss(0) + 0.5 * rowLoss(1)) / 2;
    const got = classBalancedSigmoidCrossEntropy(tf.tensor2d(x), tf.tensor2d(yy)).dataSync()[0];
    expect(Math.abs(got - want)).toBeLessThan(1e-5);
    tf.dispose([logits, y]);
  });

  test('mixup with Beta(5, 5) mixes inputs and labels with the same per-example lambda, reproducibly for a seed', () => {
    const x = tf.tensor3d(
      Float32Array.from({ length: 64 * 2 }, (_, i) => Math.floor(i / 2)),
      [64, 2, 1],
    );
    const y = tf.oneHot(
      tf.tensor1d(
        Array.from({ length: 64 }, (_, i) => i % 2),
        'int32',
      ),
      2,
    ) as tf.Tensor2D;
    random.setSeed(9);
    const a = mixup(x, y, 5);
    random.setSeed(9);
    const b = mixup(x, y, 5);
    const lam = a.lambda.dataSync();
    expect(maxAbsDiff(lam, b.lambda.dataSync())).toBe(0);
    const mean = Array.from(lam).reduce((s, v) => s + v, 0) / lam.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.06); // Beta(5,5): mean 0.5, sd 0.15
    const xi = a.inputs.dataSync();
    const yi = a.targets.dataSync();
    for (const i of [0, 17, 40]) {
      expect(xi[i * 2]).toBeCloseTo(lam[i] * i + (1 - lam[i]) * (63 - i), 3);
      expect(yi[i * 2 + (i % 2)]).toBeCloseTo(lam[i] + (1 - lam[i]) * ((63 - i) % 2 === i % 2 ? 1 : 0), 5);
    }
    tf.dispose([x, y, a.inputs, a.targets, a.lambda, b.inputs, b.targets, b.lambda]);
  });

  test('a short fine-tuning run lowers the loss, classifies held-out clips above chance, and resumes exactly', async () => {
    const p = pre();
    const train = toyVideoExamples(16, 2);
    const test = toyVideoExamples(8, 99).map((e) => ({ ...e, views: [e.views[0], e.views[0]] }));
    const opts = { steps: 8, batchSize: 8, lr: 0.01, warmup: 1, seed: 4, checkpointEvery: 4 };
    random.setSeed(1);
    const full = VideoClassifier.fromVatt(vatt, { numClasses: 2 });
    const run = await finetuneClassifier(full, p, train, { ...opts, outDir: path.join(dir, 'full'), classes: ['left', 'right'] });
    expect(run.history.length).toBe(8);
    // The last checkpoint loads as the same classifier (with its class names); loadVatt says what it is.
    const loaded = await loadClassifier(run.lastCheckpoint!);
    expect(loaded.training?.classes).toEqual(['left', 'right']);
    expect(loaded.classifier.config).toEqual(full.config);
    full.eval();
    for (const [n, w] of Object.entries(full.namedWeights())) expect(maxAbsDiff(loaded.classifier.namedWeights()[n].dataSync(), w.dataSync())).toBe(0);
    loaded.classifier.dispose();
    await expect(loadVatt(run.lastCheckpoint!)).rejects.toThrow(/is a fine-tuned video-classifier, not a VATT model: load it with loadClassifier/);
    expect(run.history[7].loss).toBeLessThan(run.history[0].loss);
    expect(run.history.every((r) => !r.skipped)).toBe(true);
    const ev = await evaluateClassifier(full, p, test);
    expect(ev.viewsPerExample).toBe(2);
    expect(ev.classification!.top1).toBeGreaterThan(0.5);

    // Killed during step 6, resumed from its step-4 checkpoint: identical losses and weights at step 8.
    random.setSeed(1);
    const part = VideoClassifier.fromVatt(vatt, { numClasses: 2 });
    const kill = (r: { step: number }) => {
      if (r.step === 6) throw new Error('killed');
    };
    await expect(finetuneClassifier(part, p, train, { ...opts, outDir: path.join(dir, 'cut'), onStep: kill })).rejects.toThrow('killed');
    random.setSeed(1);
    const resumed = VideoClassifier.fromVatt(vatt, { numClasses: 2 });
    const r2 = await finetuneClassifier(resumed, p, train, { ...opts, outDir: path.join(dir, 'cut'), resume: true });
    expect(r2.history.length).toBe(4);
    expect(r2.history[0].step).toBe(5);
    const fw = full.namedWeights();
    const rw = resumed.namedWeights();
    let worst = 0;
    for (const n of Object.keys(fw)) worst = Math.max(worst, maxAbsDiff(fw[n].dataSync(), rw[n].dataSync()));
    expect(worst).toBe(0);
    expect(r2.history.map((r) => r.loss)).toEqual(run.history.slice(4).map((r) => r.loss));
    [full, part, resumed].forEach((m) => m.dispose());
  });

  test('fine-tuning checkpoints leave no tensor behind (the optimizer step counter of each save is disposed)', async () => {
    const p = pre();
    random.setSeed(2);
    const clf = VideoClassifier.fromVatt(vatt, { numClasses: 2 });
    const r = await finetuneClassifier(clf, p, toyVideoExamples(8, 3), {
      steps: 5,
      batchSize: 4,
      warmup: 1,
      checkpointEvery: 1,
      keep: 2,
      outDir: path.join(dir, 'leak'),
    });
    // Step 1 creates the momentum slots; from step 2 on a save a step must not add a tensor.
    expect(r.history.slice(1).map((h) => h.tensors)).toEqual(Array(4).fill(r.history[1].tensors));
    clf.dispose();
  });

  test('the audio classifier trains multi-label with mixup and reports mAP, AUC and both d-primes', async () => {
    const p = pre();
    const wave = (f: number, ph: number) =>
      Float32Array.from({ length: preprocessing.audio.samples }, (_, i) => Math.sin((2 * Math.PI * f * i) / preprocessing.audio.sampleRate + ph));
    const ex = (k: number): ClassificationExample => ({ views: [wave(k % 2 ? 200 : 900, k)], label: k % 3 === 0 ? [k % 2, 2] : [k % 2] });
    const train = Array.from({ length: 12 }, (_, k) => ex(k));
    random.setSeed(2);
    const clf = AudioClassifier.fromVatt(vatt, { numClasses: 3 });
    const r = await finetuneClassifier(clf, p, train, { steps: 4, batchSize: 6, lr: 0.01, warmup: 1, seed: 1 });
    expect(r.history.every((h) => Number.isFinite(h.loss))).toBe(true);
    const ev = await evaluateClassifier(
      clf,
      p,
      Array.from({ length: 6 }, (_, k) => ex(k + 20)),
    );
    expect(ev.multiLabel).toBeDefined();
    const m = ev.multiLabel!;
    expect(m.auc.length).toBe(3);
    for (const a of m.auc) expect(a >= 0 && a <= 1).toBe(true);
    // The two tones separate perfectly (AUC 1 gives d' = +Infinity, as the official formula does): d' is the mean of the per-class d'.
    expect(m.dPrime).toBe(m.auc.map(dPrimeOfAuc).reduce((x, y) => x + y, 0) / 3);
    expect(Number.isNaN(m.dPrime)).toBe(false);
    expect(ev.classification).toBeUndefined();
    const again = classifierFromConfig(clf.config);
    expect(again).toBeInstanceOf(AudioClassifier);
    expect(again.namedParameters().map(([n]) => n)).toEqual(clf.namedParameters().map(([n]) => n));
    again.dispose();
    clf.dispose();
  });

  test('evaluating a classifier leaks no tensors', async () => {
    const clf = VideoClassifier.fromVatt(vatt, { numClasses: 2 });
    const test = toyVideoExamples(2, 5);
    await expectNoLeak(() => evaluateClassifier(clf, pre(), test));
    clf.dispose();
    void videoConfig;
    void TINY;
  });
});
