import * as tf from '@tensorflow/tfjs-core';
import { expectNoLeak, forEachBackend, testBackends, type TestBackend } from '@vatt-testing/backends';
import { l2Normalize, milNce, milNcePerSample, nce, symmetricInfoNce, vattPretrainLoss, vattPretrainLossTerms } from '../src/index.js';

const B = 4;
const K = 3;
const D = 8;

function randomEmbeddings(rows: number, seed: number): tf.Tensor2D {
  return tf.randomNormal([rows, D], 0, 1, 'float32', seed) as tf.Tensor2D;
}

/** Each clip's K candidates are noisy copies of its video: a perfectly learned embedding space. */
function alignedText(video: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const repeated = tf.reshape(tf.tile(tf.reshape(video, [B, 1, D]), [1, K, 1]), [B * K, D]);
    return tf.add(repeated, tf.mul(randomEmbeddings(B * K, 7), 0.05)) as tf.Tensor2D;
  });
}

/** Rows in reverse clip order (every clip paired with another clip's embeddings). */
function shuffledClips(x: tf.Tensor2D, rowsPerClip: number): tf.Tensor2D {
  return tf.tidy(() => {
    const clips = x.shape[0] / rowsPerClip;
    return tf.reshape(tf.reverse(tf.reshape(x, [clips, rowsPerClip, D]), 0), [clips * rowsPerClip, D]) as tf.Tensor2D;
  });
}

async function scalar(t: tf.Tensor): Promise<number> {
  const value = (await t.data())[0];
  t.dispose();
  return value;
}

function propertiesSuite(backend: TestBackend) {
  // WebGPU (SwiftShader) is slow: it runs the all-masked and no-leak checks only.
  const full = backend !== 'webgpu';
  const fullTest = (name: string, fn: () => Promise<void>) => {
    if (full) test(name, fn);
  };
  let video: tf.Tensor2D;
  let text: tf.Tensor2D;
  beforeAll(() => {
    video = randomEmbeddings(B, 1);
    text = alignedText(video);
  });
  afterAll(() => tf.dispose([video, text]));

  fullTest('aligned video-text pairs give a lower MIL-NCE than shuffled pairs', async () => {
    const shuffled = shuffledClips(text, K);
    const aligned = await scalar(milNce(video, text, { numCandidates: K }));
    const mismatched = await scalar(milNce(video, shuffled, { numCandidates: K }));
    shuffled.dispose();
    expect(aligned).toBeLessThan(mismatched - 1);
  });

  fullTest('aligned video-audio pairs give a lower NCE and symmetric InfoNCE than shuffled pairs', async () => {
    const audio = tf.add(video, tf.mul(randomEmbeddings(B, 3), 0.05)) as tf.Tensor2D;
    const shuffled = shuffledClips(audio, 1);
    expect(await scalar(nce(video, audio))).toBeLessThan((await scalar(nce(video, shuffled))) - 1);
    expect(await scalar(symmetricInfoNce(video, audio))).toBeLessThan((await scalar(symmetricInfoNce(video, shuffled))) - 1);
    tf.dispose([audio, shuffled]);
  });

  fullTest('scaling the embeddings leaves the loss unchanged (both are L2-normalised inside)', async () => {
    const scaled = tf.mul(text, 12.5) as tf.Tensor2D;
    const base = await scalar(milNce(video, text, { numCandidates: K }));
    expect(await scalar(milNce(video, scaled, { numCandidates: K }))).toBeCloseTo(base, 5);
    scaled.dispose();
  });

  fullTest('a very high temperature flattens the loss to log(2B·K) − log(K); a low one favours aligned pairs', async () => {
    // τ → ∞: every logit → 0, so lse(2B·K logits) − lse(K positives) → log(2B·K) − log(K).
    const flat = await scalar(milNce(video, text, { numCandidates: K, temperature: 1e4 }));
    expect(flat).toBeCloseTo(Math.log(2 * B * K) - Math.log(K), 3);
    const sharp = await scalar(milNce(video, text, { numCandidates: K, temperature: 0.01 }));
    const soft = await scalar(milNce(video, text, { numCandidates: K, temperature: 0.5 }));
    expect(sharp).toBeLessThan(soft);
  });

  fullTest('a lower temperature makes a misaligned batch cost more', async () => {
    const shuffled = shuffledClips(text, K);
    const cold = await scalar(milNce(video, shuffled, { numCandidates: K, temperature: 0.05 }));
    const warm = await scalar(milNce(video, shuffled, { numCandidates: K, temperature: 0.5 }));
    shuffled.dispose();
    expect(cold).toBeGreaterThan(warm);
  });

  fullTest('nce is milNce with one candidate per clip', async () => {
    const audio = randomEmbeddings(B, 5);
    const viaNce = await scalar(nce(video, audio, { temperature: 0.1, audioMask: [1, 0, 1, 1] }));
    const viaMilNce = await scalar(milNce(video, audio, { numCandidates: 1, temperature: 0.1, textMask: [1, 0, 1, 1] }));
    audio.dispose();
    expect(viaNce).toBeCloseTo(viaMilNce, 6);
  });

  fullTest('a masked clip contributes 0 and the loss is the mean over the valid clips (tensor or array mask)', async () => {
    const other = randomEmbeddings(B * K, 9);
    const mask = tf.tensor1d([1, 1, 1, 0]);
    const masked = await scalar(milNce(video, other, { numCandidates: K, textMask: mask }));
    const arrayMasked = await scalar(milNce(video, other, { numCandidates: K, textMask: [1, 1, 1, 0] }));
    const perSample = milNcePerSample(video, other, { numCandidates: K, textMask: mask });
    const perSampleValues = Array.from(await perSample.data());
    expect(perSampleValues[3]).toBe(0);
    expect(masked).toBeCloseTo((perSampleValues[0] + perSampleValues[1] + perSampleValues[2]) / 3, 5);
    expect(arrayMasked).toBeCloseTo(masked, 6);
    tf.dispose([other, mask, perSample]);
  });

  test('all-masked batches give a loss of 0 (not NaN) and zero gradients', async () => {
    const f = (v: tf.Tensor2D, t: tf.Tensor2D) => milNce(v, t, { numCandidates: K, textMask: [0, 0, 0, 0] });
    const { value, grads } = tf.valueAndGrads((v: tf.Tensor, t: tf.Tensor) => f(v as tf.Tensor2D, t as tf.Tensor2D))([video, text]);
    expect((await value.data())[0]).toBe(0);
    for (const g of grads) expect(Array.from(await g.data()).every((x) => x === 0)).toBe(true);
    tf.dispose([value, ...grads]);
    expect(await scalar(nce(video, video, { audioMask: [0, 0, 0, 0] }))).toBe(0);
  });

  fullTest('all-zero embeddings give a finite loss and finite gradients (eps-safe normalisation)', async () => {
    const zeros = tf.zeros([B, D]) as tf.Tensor2D;
    expect(Array.from(await l2Normalize(zeros).data()).every((x) => x === 0)).toBe(true);
    const { value, grads } = tf.valueAndGrads((a: tf.Tensor, b: tf.Tensor) => nce(a as tf.Tensor2D, b as tf.Tensor2D))([zeros, video]);
    expect(Number.isFinite((await value.data())[0])).toBe(true);
    for (const g of grads) expect(Array.from(await g.data()).every(Number.isFinite)).toBe(true);
    tf.dispose([zeros, value, ...grads]);
  });

  fullTest('paperWeighting doubles the code total at the default weights (docs/numerics.md §6.1)', async () => {
    const audio = randomEmbeddings(B, 11);
    const inputs = { videoVa: video, audioVa: audio, videoVt: video, textVt: text, numCandidates: K };
    const code = await scalar(vattPretrainLoss(inputs));
    const paper = await scalar(vattPretrainLoss({ ...inputs, paperWeighting: true }));
    audio.dispose();
    expect(paper).toBeCloseTo(2 * code, 5);
  });

  test('forward and gradient of every loss leave no tensors behind', async () => {
    const audio = randomEmbeddings(B, 13);
    const textMask = tf.tensor1d([1, 0, 1, 1]);
    await expectNoLeak(() => {
      const run = (f: (...xs: tf.Tensor2D[]) => tf.Scalar, xs: tf.Tensor2D[]) => {
        const { value, grads } = tf.valueAndGrads((...ts: tf.Tensor[]) => f(...(ts as tf.Tensor2D[])))(xs);
        tf.dispose([value, ...grads]);
      };
      run((v, t) => milNce(v, t, { numCandidates: K, textMask, videoMask: [1, 1, 0, 1] }), [video, text]);
      run((v, a) => nce(v, a, { audioMask: [1, 1, 1, 0] }), [video, audio]);
      run((a, b) => symmetricInfoNce(a, b), [video, audio]);
      run((va, a, vt, t) => vattPretrainLoss({ videoVa: va, audioVa: a, videoVt: vt, textVt: t, numCandidates: K, textMask }), [video, audio, video, text]);
      tf.dispose(milNcePerSample(video, text, { numCandidates: K, textMask }));
      const terms = vattPretrainLossTerms({ videoVa: video, audioVa: audio, videoVt: video, textVt: text, numCandidates: K });
      tf.dispose([terms.total, terms.lossVa, terms.lossVt]);
    });
    tf.dispose([audio, textMask]);
  });
}

forEachBackend(testBackends({ webgpu: true }), propertiesSuite);
