import * as tf from '@tensorflow/tfjs-core';
import { milNce, milNcePerSample, nce, symmetricInfoNce, vattPretrainLoss } from '../src/index.js';
import { useBackend } from '@vatt-testing/backends';

// Shape checks run before any kernel, so one backend (the default cpu) covers them.
describe('bad input is rejected with an error naming the argument and the expected shape', () => {
  let video: tf.Tensor2D;
  let text: tf.Tensor2D;
  beforeAll(async () => {
    await useBackend('cpu');
    video = tf.zeros([6, 16]);
    text = tf.zeros([30, 16]);
  });
  afterAll(() => tf.dispose([video, text]));

  test('milNce: text rows not divisible by K name text and [B·K, D]', () => {
    const badText = tf.zeros([29, 16]) as tf.Tensor2D;
    expect(() => milNce(video, badText, { numCandidates: 5 })).toThrow(
      /milNce: text must have shape \[B·K, D\] = \[30, 16\] \(B = 6 and D from video, K = numCandidates = 5.*got \[29, 16\]/,
    );
    badText.dispose();
  });

  test('milNce: a text embedding size different from the video one names text and D', () => {
    const badText = tf.zeros([30, 8]) as tf.Tensor2D;
    expect(() => milNce(video, badText, { numCandidates: 5 })).toThrow(/text must have shape \[B·K, D\] = \[30, 16\].*got \[30, 8\]/);
    badText.dispose();
  });

  test('milNce: video of the wrong rank names video and [B, D]', () => {
    const badVideo = tf.zeros([6, 2, 8]) as unknown as tf.Tensor2D;
    expect(() => milNcePerSample(badVideo, text, { numCandidates: 5 })).toThrow(/milNcePerSample: video must have shape \[B, D\]; got \[6, 2, 8\]/);
    badVideo.dispose();
  });

  test('milNce: K missing or not a positive integer names numCandidates', () => {
    expect(() => milNce(video, text, { numCandidates: 0 })).toThrow(/milNce: numCandidates must be an integer >= 1; got 0/);
    expect(() => milNce(video, text, { numCandidates: 2.5 })).toThrow(/numCandidates must be an integer >= 1; got 2.5/);
    expect(() => milNce(video, text, undefined as never)).toThrow(/milNce: options must be given with numCandidates/);
  });

  test('milNce: masks of the wrong length name the mask and [B]', () => {
    expect(() => milNce(video, text, { numCandidates: 5, textMask: [1, 1, 0] })).toThrow(
      /milNce: textMask must have shape \[B\] = \[6\] \(one 0\/1 entry per clip\); got \[3\]/,
    );
    const badMask = tf.ones([6, 1]) as unknown as tf.Tensor1D;
    expect(() => milNce(video, text, { numCandidates: 5, videoMask: badMask })).toThrow(/videoMask must have shape \[B\] = \[6\].*got \[6, 1\]/);
    badMask.dispose();
  });

  test('a non-positive temperature names temperature', () => {
    expect(() => milNce(video, text, { numCandidates: 5, temperature: 0 })).toThrow(/milNce: temperature must be a finite number > 0; got 0/);
    expect(() => symmetricInfoNce(video, video, { temperature: -1 })).toThrow(/symmetricInfoNce: temperature must be a finite number > 0/);
  });

  test('nce: mismatched batch sizes name audio and [B, D] from video', () => {
    const audio = tf.zeros([5, 16]) as tf.Tensor2D;
    expect(() => nce(video, audio)).toThrow(/nce: audio must have shape \[B, D\] = \[6, 16\] \(B and D from video\); got \[5, 16\]/);
    expect(() => nce(video, video, { audioMask: [1] })).toThrow(/nce: audioMask must have shape \[B\] = \[6\]/);
    audio.dispose();
  });

  test('symmetricInfoNce: mismatched shapes name b and the shape of a', () => {
    const b = tf.zeros([6, 12]) as tf.Tensor2D;
    expect(() => symmetricInfoNce(video, b)).toThrow(/symmetricInfoNce: b must have shape \[B, D\] = \[6, 16\] \(B and D from a\); got \[6, 12\]/);
    b.dispose();
  });

  test('integer embeddings are rejected with the dtype named', () => {
    const ints = tf.zeros([6, 16], 'int32') as tf.Tensor2D;
    expect(() => nce(ints, video)).toThrow(/nce: video must be float32; got int32/);
    ints.dispose();
  });

  test('vattPretrainLoss: bad weights and a bad term input name the weight or the input', () => {
    const audio = tf.zeros([4, 16]) as tf.Tensor2D;
    const inputs = { videoVa: video, audioVa: video, videoVt: video, textVt: text, numCandidates: 5 };
    expect(() => vattPretrainLoss({ ...inputs, weights: { va: 0, vt: 0 } })).toThrow(/weights.va \+ weights.vt must be > 0/);
    expect(() => vattPretrainLoss({ ...inputs, weights: { va: -1 } })).toThrow(/vattPretrainLoss: weights.va must be a finite number >= 0; got -1/);
    expect(() => vattPretrainLoss({ ...inputs, audioVa: audio })).toThrow(/nce: audio must have shape \[B, D\] = \[6, 16\].*got \[4, 16\]/);
    audio.dispose();
  });

  test('a rejected call leaves no tensors behind', () => {
    const before = tf.memory().numTensors;
    expect(() => milNce(video, text, { numCandidates: 5, textMask: [1] })).toThrow();
    expect(tf.memory().numTensors).toBe(before);
  });
});
