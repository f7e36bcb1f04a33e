import { dropTokenKeepCount } from './embeddings/drop-token.js';
import { patchValues, positionBuckets, type BackboneConfig } from './presets.js';

/**
 * Forward-pass FLOPs of one sample through a backbone, term by term. Convention: a matMul of
 * [m, k] x [k, n] costs 2*m*k*n FLOPs (a multiply-add is 2); every matMul is counted, attention's
 * two products included; element-wise work (LayerNorm, softmax, GELU, bias adds, residuals,
 * positional sums) and the embedding lookup are NOT counted.
 */
export interface FlopsBreakdown {
  /** Tokens the Transformer sees: kept patches (or words) + [AGG]. */
  encoderTokens: number;
  /** Patch projection on every input patch (before DropToken), or the text `pre_proj` 300 -> d. */
  tokenizer: number;
  /** Modality-agnostic `pre_proj` / `post_proj` (d -> d). */
  projections: number;
  /** q, k, v, o Dense layers of every layer. */
  attentionProjections: number;
  /** Q K^T of every layer: 2 * heads * N^2 * dKv. */
  attentionScores: number;
  /** softmax(QK^T) V of every layer: 2 * heads * N^2 * dKv. */
  attentionValues: number;
  /** The two MLP Dense layers of every layer. */
  mlp: number;
  /** Sum of all the matMul terms above. */
  total: number;
  /**
   * The count TF's graph profiler gives for the official model, which reproduces the paper's GFLOPs
   * (Tables 5, 6) to within ~0.2 %: every matMul EXCEPT Q K^T (an Einsum op, for which TF registers
   * no FLOPs), plus 7 FLOPs per attention score (scale 1, mask add 1, softmax 5 -- the profiler's
   * per-element costs). Inferred from the numbers; the paper does not state its convention.
   */
  paperConvention: number;
}

export interface FlopsOptions {
  /** Apply the config's DropToken as in training (default false: inference sees every token). */
  dropToken?: boolean;
}

/**
 * Estimates the forward FLOPs of one sample with `tokens` input patches (video / audio) or words
 * (text, [AGG] excluded). See `FlopsBreakdown` for what is counted.
 *
 * Against the paper: `total` is ~10 % above the paper's GFLOPs; `paperConvention` (see there)
 * reproduces them: Medium at 32x224x224 (1568 patches, no DropToken): total 604.7 G,
 * paperConvention 547.5 G, paper 548.1 G (Table 6); 32x320x320: 1252.4 G vs 1252.3 G.
 *
 * @example
 * estimateForwardFlops(videoConfig(MEDIUM), 1568).total / 1e9; // 604.7
 */
export function estimateForwardFlops(config: BackboneConfig, tokens: number, opts: FlopsOptions = {}): FlopsBreakdown {
  if (!Number.isInteger(tokens) || tokens < 1) throw new Error(`estimateForwardFlops: tokens must be a positive integer, got ${tokens}`);
  const d = config.dModel;
  const inner = config.numHeads * config.dKv;
  let kept = tokens;
  let tokenizer: number;
  let projections = 0;
  if (config.kind === 'text') {
    tokenizer = 2 * (tokens + 1) * config.input.embeddingDim * d;
    if (config.postProjectionDim) projections += 2 * (tokens + 1) * d * config.postProjectionDim;
  } else {
    tokenizer = 2 * tokens * patchValues(config) * d;
    if (opts.dropToken && config.dropTokenKeepRate !== null) {
      const configuredTokens = positionBuckets(config).reduce((a, b) => a * b, 1);
      kept = Math.min(tokens, dropTokenKeepCount({ keepRate: config.dropTokenKeepRate, configuredTokens }));
    }
    if (config.preProjection) projections += 2 * tokens * d * d;
    if (config.postProjectionDim) projections += 2 * (kept + 1) * d * config.postProjectionDim;
  }
  const n = kept + 1;
  const L = config.numLayers;
  const attentionProjections = L * 2 * n * (3 * d * inner + inner * d);
  const attentionScores = L * 2 * config.numHeads * n * n * config.dKv;
  const attentionValues = attentionScores;
  const mlp = L * 2 * n * 2 * d * config.dFF;
  const total = tokenizer + projections + attentionProjections + attentionScores + attentionValues + mlp;
  const attentionElementwise = L * 7 * config.numHeads * n * n;
  const paperConvention = total - attentionScores + attentionElementwise;
  return { encoderTokens: n, tokenizer, projections, attentionProjections, attentionScores, attentionValues, mlp, total, paperConvention };
}
