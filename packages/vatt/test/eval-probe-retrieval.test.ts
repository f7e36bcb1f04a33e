/** Linear probes on frozen features and multi-caption / multi-clip zero-shot retrieval. */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@vatt/tokenizers';
import { random } from '@vatt/transformer';
import { expectNoLeak, maxAbsDiff, useBackend } from '@vatt-testing/backends';
import { averageRows, linearProbe, LinearProbeClassifier, trainLinearProbe } from '../src/eval/linear-probe.js';
import {
  averageGroups,
  multiCaptionMetrics,
  multiCaptionRetrieval,
  multiCaptionSimilarity,
  npyToMatrix,
  similarityToNpy,
  videoToTextRanks,
  type SimilarityMatrix,
} from '../src/eval/multi-caption.js';
import { zeroShotRetrieval } from '../src/eval/zero-shot.js';
import { getPreset } from '../src/config/index.js';
import type { Matrix } from '../src/model/encode.js';
import { VattPreprocessor } from '../src/model/preprocess.js';
import { VATT } from '../src/model/vatt.js';
import { randomClips, TEST_VOCAB } from './random-clips.js';

beforeAll(async () => {
  await useBackend('wasm');
});

/** Gaussian blobs: class c centred at 3 * e_c in 16-D (plus noise), `perClass` rows each. */
function blobs(numClasses: number, perClass: number, seed: number): { features: Matrix; labels: number[] } {
  const rng = new Rng(seed);
  const rnd = () => rng.next();
  const gauss = () => Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd());
  const d = 16;
  const n = numClasses * perClass;
  const data = new Float32Array(n * d);
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % numClasses;
    labels.push(c);
    for (let k = 0; k < d; k++) data[i * d + k] = gauss() + (k === c ? 3 : 0);
  }
  return { features: { data, rows: n, cols: d }, labels };
}

describe('linear probes on frozen features', () => {
  test('the low-rank probe (d -> 128 -> C, dropout 0.9) and logistic regression both learn separable classes', async () => {
    const train = blobs(4, 20, 1);
    const test = blobs(4, 10, 2);
    for (const head of ['low-rank', 'logistic'] as const) {
      const r = await linearProbe(train, test, 4, { head, epochs: 40, lr: 5e-3, batchSize: 16 });
      expect(r.metrics.top1).toBeGreaterThan(0.7); // chance 0.25
      expect(r.finalLoss).toBeLessThan(r.firstLoss);
      expect(r.probabilities.rows).toBe(40);
    }
  });

  test('the same seed gives the same probe, bit for bit; another seed another one', async () => {
    const train = blobs(3, 8, 3);
    const test = blobs(3, 4, 4);
    const opts = { epochs: 5, lr: 1e-2, batchSize: 8 };
    const a = await linearProbe(train, test, 3, { ...opts, seed: 7 });
    const b = await linearProbe(train, test, 3, { ...opts, seed: 7 });
    const c = await linearProbe(train, test, 3, { ...opts, seed: 8 });
    expect(maxAbsDiff(a.probabilities.data, b.probabilities.data)).toBe(0);
    expect(maxAbsDiff(a.probabilities.data, c.probabilities.data)).toBeGreaterThan(0);
  });

  test('the official L2 0.1 on the last layer is an option that adds its penalty to the loss', async () => {
    const train = blobs(3, 8, 5);
    // lr 0: the first loss is measured at the (same, seeded) initial weights in both runs.
    const plain = await trainLinearProbe(train, 3, { epochs: 1, seed: 1, lr: 0 });
    const l2 = await trainLinearProbe(train, 3, { epochs: 1, seed: 1, lr: 0, l2: 0.1 });
    const w = plain.classifier.logits.kernel;
    const penalty = 0.1 * tf.sum(tf.square(w)).dataSync()[0];
    expect(l2.losses[0] - plain.losses[0]).toBeCloseTo(penalty, 4);
    expect(plain.classifier.lowRank!.outDim).toBe(128);
    expect(plain.classifier.componentDropout!.rate).toBe(0.9);
    plain.classifier.dispose();
    l2.classifier.dispose();
  });

  test("multi-clip test examples average their clips' probabilities", () => {
    const m = averageRows({ data: Float32Array.from([1, 0, 0, 1, 0.5, 0.5]), rows: 3, cols: 2 }, [2, 1]);
    expect(Array.from(m.data)).toEqual([0.5, 0.5, 0.5, 0.5]);
    expect(() => averageRows(m, [3])).toThrow(/groups sum to 3, expected the 2 rows/);
  });

  test('bad labels are named, and probing leaks no tensors', async () => {
    const train = blobs(2, 4, 6);
    await expect(trainLinearProbe({ ...train, labels: train.labels.map((l) => l + 5) }, 2)).rejects.toThrow(/label 0 = 5 is outside 0..1/);
    expect(() => new LinearProbeClassifier(4, 1)).toThrow(/numClasses must be an integer >= 2/);
    await expectNoLeak(() => linearProbe(train, train, 2, { epochs: 1 }));
  });
});

describe('zero-shot retrieval with several captions and clips per video', () => {
  const sim = (rows: number[][], captionVideo: number[]): SimilarityMatrix => ({
    data: Float32Array.from(rows.flat()),
    rows: rows.length,
    cols: rows[0].length,
    captionVideo: Int32Array.from(captionVideo),
  });

  test("video->text counts a hit when ANY of the video's captions ranks within K; ties count against", () => {
    // 3 videos; captions 0,1 -> video 0; 2 -> video 1; 3,4 -> video 2.
    const s = sim(
      [
        [0.1, 0.9, 0.0],
        [0.8, 0.2, 0.0],
        [0.0, 0.5, 0.4],
        [0.3, 0.1, 0.4],
        [0.2, 0.0, 0.1],
      ],
      [0, 0, 1, 2, 2],
    );
    // video 0: best own 0.8; other captions' scores 0.0, 0.3, 0.2 -> rank 0.
    // video 1: own 0.5; others 0.9, 0.2, 0.1, 0.0 -> rank 1. video 2: best own 0.4; others 0, 0, 0.4 (tie) -> rank 1.
    expect(Array.from(videoToTextRanks(s))).toEqual([0, 1, 1]);
    const m = multiCaptionMetrics(s);
    expect(m.videoToText.R1).toBeCloseTo(1 / 3, 12);
    expect(m.textToVideo.n).toBe(5);
    // text->video: captions 1, 2, 3 put their video first; caption 0 prefers video 1, caption 4 video 0.
    expect(m.textToVideo.R1).toBeCloseTo(3 / 5, 12);
    // Exact random-ranking chance for "some of m captions in the top 1 of 5": m / 5, averaged over videos.
    expect(m.videoToText.chance.R1).toBeCloseTo((2 / 5 + 1 / 5 + 2 / 5) / 3, 12);
  });

  test('video embeddings are the L2-normalised mean of their clips', () => {
    const clips: Matrix = { data: Float32Array.from([1, 0, 0, 1, 3, 4]), rows: 3, cols: 2 };
    const v = averageGroups(clips, [2, 1]);
    expect(maxAbsDiff(v.data, [Math.SQRT1_2, Math.SQRT1_2, 0.6, 0.8])).toBeLessThan(1e-6);
    const s = multiCaptionSimilarity(clips, [2, 1], { data: Float32Array.from([2, 0]), rows: 1, cols: 2 }, Int32Array.from([1]));
    expect(maxAbsDiff(s.data, [Math.SQRT1_2, 0.6])).toBeLessThan(1e-6);
  });

  test('the similarity matrix exports as a NumPy .npy file with its shape in the header', () => {
    const m: Matrix = { data: Float32Array.from({ length: 6 }, (_, i) => i / 7), rows: 2, cols: 3 };
    const bytes = similarityToNpy(m);
    const headerLen = bytes[8] + 256 * bytes[9];
    expect((10 + headerLen) % 64).toBe(0);
    expect(String.fromCharCode(...bytes.subarray(10, 10 + headerLen))).toContain("'shape': (2, 3)");
    const back = npyToMatrix(bytes);
    expect([back.rows, back.cols]).toEqual([2, 3]);
    expect(Array.from(back.data)).toEqual(Array.from(m.data));
  });

  test('with one clip and one caption per video it reproduces zeroShotRetrieval exactly; more clips and captions run end to end', async () => {
    const { model: cfg, preprocessing } = getPreset('tiny');
    random.setSeed(11);
    const model = new VATT(cfg).eval();
    const pre = new VattPreprocessor(preprocessing, TEST_VOCAB);
    const clips = randomClips(preprocessing, 6, 3).clips;
    const single = await multiCaptionRetrieval(
      model,
      pre,
      clips.map((c) => ({ clips: [c.video as Uint8Array], captions: [c.captions[0]] })),
    );
    const reference = await zeroShotRetrieval(model, pre, clips);
    expect(single.textToVideo).toEqual(reference.textToVideo);
    expect({ ...single.videoToText, chance: undefined }).toEqual({ ...reference.videoToText, chance: undefined });
    const multi = await multiCaptionRetrieval(
      model,
      pre,
      clips.map((c, i) => ({ clips: [c.video as Uint8Array, clips[(i + 1) % 6].video as Uint8Array], captions: c.captions })),
    );
    expect(multi.numCaptions).toBe(clips.reduce((s, c) => s + c.captions.length, 0));
    expect(multi.clipsPerVideo).toBe(2);
    expect([multi.similarity.rows, multi.similarity.cols]).toEqual([multi.numCaptions, 6]);
    await expect(
      multiCaptionRetrieval(model, pre, [
        { clips: [], captions: ['a'] },
        { clips: [clips[0].video as Uint8Array], captions: ['b'] },
      ]),
    ).rejects.toThrow(/video 0 has no clips/);
    model.dispose();
  });
});
