import * as tf from '@tensorflow/tfjs-core';
import { l2Normalize } from './normalize.js';
import { checkMask, checkMatrix, checkPositive, checkPositiveInteger, maskTensor, type SampleMask } from './validate.js';

/** Logit offset that removes a masked pair from a logsumexp (`LARGE_NUM` of the official code, §6.2 step 6). */
export const MASKED_LOGIT_OFFSET = 1e9;

/** VATT's contrastive temperature τ (docs/numerics.md §6.1; paper §3.4). */
export const DEFAULT_TEMPERATURE = 0.07;

/** Options of {@link milNce} and {@link milNcePerSample}. */
export interface MilNceOptions {
  /** Number of positive text candidates per clip (K; 5 in VATT, §6.3). `text` has `B·K` rows. */
  numCandidates: number;
  /** Softmax temperature τ; logits are cosine similarities divided by τ. Default 0.07 (§6.1). */
  temperature?: number;
  /** `[B]` 0/1: 0 excludes clip i's text (AudioSet clips without narration, §6.2 step 6). */
  textMask?: SampleMask;
  /**
   * `[B]` 0/1: 0 excludes clip i's video. Not in the official `AsymmetricNCE` (which masks only its second
   * input); the mirror image of `textMask`: the video's whole video→all block and its rows in every other
   * clip's all→local block get −1e9. A clip takes part only when both masks are 1.
   */
  videoMask?: SampleMask;
}

/** Options of {@link nce}. */
export interface NceOptions {
  /** Softmax temperature τ. Default 0.07 (§6.1). */
  temperature?: number;
  /** `[B]` 0/1: 0 excludes clip i's audio (the official code's `audio_mask`). */
  audioMask?: SampleMask;
  /** `[B]` 0/1: 0 excludes clip i's video (see {@link MilNceOptions.videoMask}). */
  videoMask?: SampleMask;
}

interface ContrastiveInputs {
  fn: string;
  videoName: string;
  candidatesName: string;
  video: tf.Tensor2D;
  candidates: tf.Tensor2D;
  numCandidates: number;
  temperature: number;
  videoMask?: SampleMask;
  candidatesMask?: SampleMask;
  candidatesMaskName: string;
}

function validate(inputs: ContrastiveInputs): void {
  const { fn, videoName, candidatesName, video, candidates, numCandidates, temperature } = inputs;
  checkPositiveInteger(fn, 'numCandidates', numCandidates);
  checkPositive(fn, 'temperature', temperature);
  checkMatrix(fn, videoName, video, undefined, undefined, '[B, D]');
  const [batchSize, dim] = video.shape;
  const rows = batchSize * numCandidates;
  const expected =
    numCandidates === 1
      ? `[B, D] = [${batchSize}, ${dim}] (B and D from ${videoName})`
      : `[B·K, D] = [${rows}, ${dim}] (B = ${batchSize} and D from ${videoName}, K = numCandidates = ${numCandidates}; row j·K + l is candidate l of clip j)`;
  checkMatrix(fn, candidatesName, candidates, rows, dim, expected);
  if (inputs.videoMask !== undefined) checkMask(fn, 'videoMask', inputs.videoMask, batchSize);
  if (inputs.candidatesMask !== undefined) {
    checkMask(fn, inputs.candidatesMaskName, inputs.candidatesMask, batchSize);
  }
}

/** `(mask − 1)·1e9`: 0 for a valid clip, −1e9 for a masked one. Built outside the differentiated path. */
function maskOffset(mask: tf.Tensor1D): tf.Tensor1D {
  return tf.mul(tf.sub(mask, 1), MASKED_LOGIT_OFFSET);
}

/** A per-clip `[B]` offset spread over the K columns `j·K + l` of each clip j: `[1, B·K]`. */
function perClipColumns(offset: tf.Tensor1D, k: number): tf.Tensor2D {
  const batchSize = offset.shape[0];
  return tf.reshape(tf.tile(tf.reshape(offset, [batchSize, 1]), [1, k]), [1, batchSize * k]);
}

/**
 * Per-clip NCE / MIL-NCE of the official `AsymmetricNCE._calculate_nce` (docs/numerics.md §6.2), times the clip's
 * validity (`videoMask·candidatesMask`). Returns the per-clip losses `[B]` and the number of valid clips.
 */
function contrastivePerSample(inputs: ContrastiveInputs): { perSample: tf.Tensor1D; numValid: tf.Scalar | null } {
  validate(inputs);
  const { video, candidates, numCandidates: k, temperature } = inputs;
  const [batchSize, dim] = video.shape;
  const v = l2Normalize(video); // [B, D]
  const x = l2Normalize(candidates); // [B·K, D], row j·K + l = candidate l of clip j
  const invTemperature = 1 / temperature;

  // Positives v_i·x_{i,l}/τ, [B, K]: a row-wise product (the diagonal of local-vs-local, without a gather).
  const positives = tf.mul(tf.sum(tf.mul(tf.reshape(x, [batchSize, k, dim]), tf.reshape(v, [batchSize, 1, dim])), 2), invTemperature);
  // Similarities v_i·x_{j,l}/τ as [video i, clip j, candidate l]: one matMul serves both directions.
  const similarities = tf.reshape(tf.mul(tf.matMul(v, x, false, true), invTemperature), [batchSize, batchSize, k]);
  // Local video i vs all candidates: row i, column j·K + l.
  let videoToAll: tf.Tensor2D = tf.reshape(similarities, [batchSize, batchSize * k]);
  // All videos j vs the local clip i's candidates: row i, column j·K + l.
  let allToLocal: tf.Tensor2D = tf.reshape(tf.transpose(similarities, [1, 0, 2]), [batchSize, batchSize * k]);

  // Masks are additive offsets applied after the temperature, as in the official code (§6.2 step 6).
  let validity: tf.Tensor1D | null = null;
  if (inputs.candidatesMask !== undefined) {
    const mask = maskTensor(inputs.candidatesMask);
    const offset = maskOffset(mask);
    // Candidates of masked clips leave every video→all row; a masked clip's all→local row is all −1e9.
    videoToAll = tf.add(videoToAll, perClipColumns(offset, k));
    allToLocal = tf.add(allToLocal, tf.reshape(offset, [batchSize, 1]));
    validity = mask;
  }
  if (inputs.videoMask !== undefined) {
    const mask = maskTensor(inputs.videoMask);
    const offset = maskOffset(mask);
    // A masked video's video→all row is all −1e9; it leaves every clip's all→local row.
    videoToAll = tf.add(videoToAll, tf.reshape(offset, [batchSize, 1]));
    allToLocal = tf.add(allToLocal, perClipColumns(offset, k));
    validity = validity === null ? mask : tf.mul<tf.Tensor1D>(validity, mask);
  }

  // One denominator per clip over 2·B·K logits: the positives appear once in each block (§6.2 step 4).
  const denominator = tf.concat([videoToAll, allToLocal], 1);
  const loss = tf.sub(tf.logSumExp(denominator, 1), tf.logSumExp(positives, 1)) as tf.Tensor1D;
  if (validity === null) return { perSample: loss, numValid: null };
  return { perSample: tf.mul<tf.Tensor1D>(loss, validity), numValid: tf.sum<tf.Scalar>(validity) };
}

/** Mean over the batch, rescaled by B/#valid when masks were given (0, not NaN, when none is valid). */
function reduceBatch(perSample: tf.Tensor1D, numValid: tf.Scalar | null): tf.Scalar {
  const mean = tf.mean<tf.Scalar>(perSample);
  if (numValid === null) return mean;
  return tf.mul<tf.Scalar>(mean, tf.divNoNan(tf.scalar(perSample.shape[0]), numValid));
}

function milNceInputs(video: tf.Tensor2D, text: tf.Tensor2D, options: MilNceOptions, fn: string): ContrastiveInputs {
  if (options === undefined || options === null) {
    throw new Error(`${fn}: options must be given with numCandidates (K, the text candidates per clip)`);
  }
  return {
    fn,
    videoName: 'video',
    candidatesName: 'text',
    video,
    candidates: text,
    numCandidates: options.numCandidates,
    temperature: options.temperature ?? DEFAULT_TEMPERATURE,
    videoMask: options.videoMask,
    candidatesMask: options.textMask,
    candidatesMaskName: 'textMask',
  };
}

/**
 * MIL-NCE between clips and their K candidate narrations, in the form of VATT's official `AsymmetricNCE`
 * (docs/numerics.md §6.2). Both inputs are L2-normalised inside. For clip i:
 *
 *   loss_i = logsumexp(denominator_i) − logsumexp_l(v_i·x_{i,l}/τ)
 *
 * where denominator_i concatenates `v_i·x_{j,l}/τ` (local video vs every clip's candidates) and `v_j·x_{i,l}/τ`
 * (every video vs the local candidates): 2·B·K logits, the positives counted once per direction. The result is
 * the mean of loss_i over the batch; with masks, masked clips are excluded and the mean runs over valid clips
 * (B/#valid rescaling; 0 when no clip is valid).
 *
 * @param video `[B, D]` video embeddings in the video-text space.
 * @param text `[B·K, D]` text embeddings; row `j·K + l` is candidate l of clip j.
 * @returns a scalar.
 *
 * @example
 * const video = tf.randomNormal([4, 8], 0, 1, 'float32', 1) as tf.Tensor2D;
 * const text = tf.randomNormal([4 * 5, 8], 0, 1, 'float32', 2) as tf.Tensor2D;
 * milNce(video, text, { numCandidates: 5, textMask: [1, 1, 0, 1] }).print();
 */
export function milNce(video: tf.Tensor2D, text: tf.Tensor2D, options: MilNceOptions): tf.Scalar {
  return tf.tidy(() => {
    const { perSample, numValid } = contrastivePerSample(milNceInputs(video, text, options, 'milNce'));
    return reduceBatch(perSample, numValid);
  });
}

/**
 * The per-clip terms of {@link milNce}, `[B]`: loss_i for valid clips and 0 for masked ones (not rescaled, so
 * `milNce = sum(milNcePerSample) / #valid`). Useful for logging hard examples.
 *
 * @example
 * milNcePerSample(video, text, { numCandidates: 5, textMask: [1, 1, 0, 1] }).print(); // [l0, l1, 0, l3]
 */
export function milNcePerSample(video: tf.Tensor2D, text: tf.Tensor2D, options: MilNceOptions): tf.Tensor1D {
  return tf.tidy(() => contrastivePerSample(milNceInputs(video, text, options, 'milNcePerSample')).perSample);
}

/**
 * VATT's video-audio NCE (docs/numerics.md §6.2 with L = 1): {@link milNce} with one positive per clip, so
 * loss_i = logsumexp(v_i·a_j/τ for all j ++ v_j·a_i/τ for all j) − v_i·a_i/τ, averaged over the batch.
 *
 * @param video `[B, D]` video embeddings in the video-audio space.
 * @param audio `[B, D]` audio embeddings in the video-audio space.
 * @returns a scalar.
 *
 * @example
 * const video = tf.randomNormal([4, 8], 0, 1, 'float32', 1) as tf.Tensor2D;
 * nce(video, video).print(); // aligned pairs: low loss
 */
export function nce(video: tf.Tensor2D, audio: tf.Tensor2D, options: NceOptions = {}): tf.Scalar {
  return tf.tidy(() => {
    const { perSample, numValid } = contrastivePerSample({
      fn: 'nce',
      videoName: 'video',
      candidatesName: 'audio',
      video,
      candidates: audio,
      numCandidates: 1,
      temperature: options.temperature ?? DEFAULT_TEMPERATURE,
      videoMask: options.videoMask,
      candidatesMask: options.audioMask,
      candidatesMaskName: 'audioMask',
    });
    return reduceBatch(perSample, numValid);
  });
}
