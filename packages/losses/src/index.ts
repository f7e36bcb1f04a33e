/**
 * @vatt/losses — VATT's contrastive objectives on embeddings (docs/numerics.md §6): NCE (video-audio),
 * MIL-NCE (video-text, K candidate narrations), the combined pre-training loss, and a CLIP-style
 * symmetric InfoNCE. Pure functions of tfjs-core tensors; each returns a scalar and is differentiable
 * on cpu, wasm and webgpu.
 */
export { l2Normalize, L2_NORMALIZE_EPSILON } from './normalize.js';
export { milNce, milNcePerSample, nce, DEFAULT_TEMPERATURE, MASKED_LOGIT_OFFSET, type MilNceOptions, type NceOptions } from './mil-nce.js';
export { symmetricInfoNce, type SymmetricInfoNceOptions } from './symmetric-info-nce.js';
export { vattPretrainLoss, vattPretrainLossTerms, type VattPretrainLossInputs, type VattPretrainLossTerms } from './vatt-pretrain-loss.js';
export type { SampleMask } from './validate.js';

export const VERSION = '0.1.0';
