import * as tf from '@tensorflow/tfjs-core';
import { DEFAULT_TEMPERATURE, milNce, nce } from './mil-nce.js';
import type { SampleMask } from './validate.js';

/** Inputs of {@link vattPretrainLoss} and {@link vattPretrainLossTerms}. */
export interface VattPretrainLossInputs {
  /** `[B, D_va]` video embeddings in the video-audio space S_va. */
  videoVa: tf.Tensor2D;
  /** `[B, D_va]` audio embeddings in S_va. */
  audioVa: tf.Tensor2D;
  /** `[B, D_vt]` video embeddings in the video-text space S_vt. */
  videoVt: tf.Tensor2D;
  /** `[B·K, D_vt]` text embeddings in S_vt; row `j·K + l` is candidate l of clip j. */
  textVt: tf.Tensor2D;
  /** K, the narrations per clip (5 in VATT, §6.3). */
  numCandidates: number;
  /** `[B]` 0/1: clips without text (AudioSet) take part only in the video-audio NCE (§6.2 step 6). */
  textMask?: SampleMask;
  /** `[B]` 0/1: clips without audio are left out of the video-audio NCE (the official code's `audio_mask`). */
  audioMask?: SampleMask;
  /** Softmax temperature τ of both terms. Default 0.07 (§6.1). */
  temperature?: number;
  /** Term weights. Default `{ va: 1, vt: 1 }` (the configs' `vid_aud_weight`, `vid_txt_weight`; paper λ = 1). */
  weights?: { va?: number; vt?: number };
  /**
   * false (default, the official code): total = (w_va·L_va + w_vt·L_vt)/(w_va + w_vt) = ½(L_va + L_vt).
   * true (the paper, §3.4): total = w_va·L_va + w_vt·L_vt = NCE + λ·MIL-NCE with λ = w_vt — twice the code's
   * value at the default weights. The gradients differ only by that constant factor (§6.1, §11 item 5).
   */
  paperWeighting?: boolean;
}

/** The total loss and its two (unweighted) terms. */
export interface VattPretrainLossTerms {
  /** The weighted total that is minimised. */
  total: tf.Scalar;
  /** L_va: NCE between `videoVa` and `audioVa`. */
  lossVa: tf.Scalar;
  /** L_vt: MIL-NCE between `videoVt` and `textVt`. */
  lossVt: tf.Scalar;
}

function termWeights(weights: VattPretrainLossInputs['weights']): { va: number; vt: number } {
  const va = weights?.va ?? 1;
  const vt = weights?.vt ?? 1;
  for (const [name, value] of [
    ['weights.va', va],
    ['weights.vt', vt],
  ] as const) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new Error(`vattPretrainLoss: ${name} must be a finite number >= 0; got ${String(value)}`);
    }
  }
  if (va + vt <= 0) throw new Error('vattPretrainLoss: weights.va + weights.vt must be > 0; got 0');
  return { va, vt };
}

/**
 * VATT's pre-training objective with its two terms (docs/numerics.md §6.1): NCE between video and audio in S_va
 * ({@link nce}) and MIL-NCE between video and its K narrations in S_vt ({@link milNce}), both at temperature τ.
 * Caller disposes the three scalars.
 *
 * @example
 * const { total, lossVa, lossVt } = vattPretrainLossTerms({ videoVa, audioVa, videoVt, textVt, numCandidates: 5 });
 */
export function vattPretrainLossTerms(inputs: VattPretrainLossInputs): VattPretrainLossTerms {
  const weights = termWeights(inputs.weights);
  const temperature = inputs.temperature ?? DEFAULT_TEMPERATURE;
  return tf.tidy(() => {
    const lossVa = nce(inputs.videoVa, inputs.audioVa, { temperature, audioMask: inputs.audioMask });
    const lossVt = milNce(inputs.videoVt, inputs.textVt, {
      temperature,
      numCandidates: inputs.numCandidates,
      textMask: inputs.textMask,
    });
    const weightedSum = tf.add<tf.Scalar>(tf.mul(lossVa, weights.va), tf.mul(lossVt, weights.vt));
    const total = inputs.paperWeighting ? weightedSum : tf.div<tf.Scalar>(weightedSum, weights.va + weights.vt);
    return { total, lossVa, lossVt };
  });
}

/**
 * VATT's total pre-training loss as a scalar (what an optimiser minimises); see {@link vattPretrainLossTerms}
 * for the terms and {@link VattPretrainLossInputs.paperWeighting} for code-vs-paper weighting.
 *
 * @example
 * const loss = vattPretrainLoss({ videoVa, audioVa, videoVt, textVt, numCandidates: 5, textMask });
 */
export function vattPretrainLoss(inputs: VattPretrainLossInputs): tf.Scalar {
  return tf.tidy(() => vattPretrainLossTerms(inputs).total);
}
