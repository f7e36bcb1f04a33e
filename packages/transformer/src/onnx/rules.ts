/**
 * The ONNX export rule of every @vatt/transformer module type, registered in `defaultOnnxRegistry`.
 * Each rule emits the module's eval-mode forward pass with standard ai.onnx opset-17 operators (ONNX
 * operator spec), in the same order of operations as the tfjs code, so exported graphs match it to
 * float32 rounding: no dropout, no DropToken (both training-only, docs/numerics.md §4, §2.5), BatchNorm
 * with its moving statistics (§5).
 *
 * Shapes stay dynamic in the batch (and sequence) dimension: reshapes copy leading dimensions with 0
 * (Reshape-14, `allowzero = 0`), the [AGG] token is broadcast with `Expand` over `Shape(x)[0]`.
 */
import { PatchTransformer } from '../backbones/patch-transformer.js';
import { ModalityAgnosticText } from '../backbones/ma-text.js';
import { TextTransformer } from '../backbones/text.js';
import { FactorisedPositionEmbeddings } from '../embeddings/positions.js';
import { splineResampleMatrix } from '../embeddings/spline.js';
import { MASK_VALUE, MultiHeadAttention } from '../encoders/attention.js';
import { Mlp, TransformerEncoderLayer } from '../encoders/block.js';
import { relativePositionBuckets } from '../encoders/relative-position.js';
import { T5Encoder } from '../encoders/t5.js';
import { TransformerEncoder } from '../encoders/transformer.js';
import type { Activation } from '../nn/activations.js';
import { Dense } from '../nn/dense.js';
import { Dropout } from '../nn/dropout.js';
import { Embedding } from '../nn/embedding.js';
import { BatchNorm, LayerNorm, RMSNorm } from '../nn/norm.js';
import { Sequential, type SequentialStep } from '../nn/sequential.js';
import type { OnnxGraphBuilder, OnnxValue } from './graph.js';
import { defaultOnnxRegistry, type OnnxExportContext } from './registry.js';

/**
 * Exact GELU `0.5 · x · (1 + erf(x / √2))` (docs/numerics.md §2.5). Written as Div(√2) -> Erf -> Add(1)
 * -> Mul(x) -> Mul(0.5), the pattern onnxruntime's GeluFusion turns into one Gelu kernel (opset 17 has no
 * Gelu operator; Gelu-20 came later).
 *
 * @example
 * const y = onnxGelu(ctx.graph, ctx.graph.op('MatMul', [x, w]));
 */
export function onnxGelu(g: OnnxGraphBuilder, x: OnnxValue): OnnxValue {
  const erf = g.op('Erf', [g.op('Div', [x, g.constFloat(Math.SQRT2)])]);
  return g.op('Mul', [g.op('Mul', [x, g.op('Add', [erf, g.constFloat(1)])]), g.constFloat(0.5)], {}, 'gelu');
}

/** The named activation (`linear`: `x` itself). *
 * @example
 * const y = onnxActivation(ctx.graph, h, dense.activation);
 */
export function onnxActivation(g: OnnxGraphBuilder, x: OnnxValue, activation: Activation): OnnxValue {
  if (activation === 'gelu') return onnxGelu(g, x);
  if (activation === 'relu') return g.op('Relu', [x]);
  return x;
}

/** `[B, N]` padding mask (1 = valid) -> additive key bias `[B, 1, 1, N]`: 0 valid, −1e9 padded (docs/numerics.md §2.5). *
 * @example
 * const bias = onnxMaskBias(ctx.graph, mask); // add to scores [B, H, N, N]
 */
export function onnxMaskBias(g: OnnxGraphBuilder, mask: OnnxValue): OnnxValue {
  const bias = g.op('Mul', [g.op('Sub', [g.constFloat(1), mask]), g.constFloat(MASK_VALUE)], {}, 'mask_bias');
  return g.op('Unsqueeze', [bias, g.constInt64([1, 2])]);
}

/** `[B]` (int64, shape [1]) of a value whose first dimension is the batch. */
function batchOf(g: OnnxGraphBuilder, x: OnnxValue): OnnxValue {
  return g.op('Shape', [x], { start: 0, end: 1 }, 'batch');
}

/** Prepends a `[d]` vector (the [AGG] token) at index 0 of every sequence `[B, N, d]` -> `[B, 1 + N, d]` (docs/numerics.md §2.4). *
 * @example
 * const tokens = onnxPrependToken(ctx, h, ctx.weight(m.aggEmbedding), d);
 */
export function onnxPrependToken(ctx: OnnxExportContext, x: OnnxValue, agg: OnnxValue, d: number): OnnxValue {
  const g = ctx.graph;
  const row = g.op('Reshape', [agg, g.constInt64([1, 1, d])]);
  const shape = g.op('Concat', [batchOf(g, x), g.constInt64([1, d])], { axis: 0 });
  return g.op('Concat', [g.op('Expand', [row, shape]), x], { axis: 1 }, 'with_agg');
}

/** A `[B, N]` mask with a valid (1) entry prepended for the [AGG] token -> `[B, 1 + N]`. *
 * @example
 * const mask = onnxPrependValid(ctx.graph, onnxPaddingMask(ctx.graph, ids));
 */
export function onnxPrependValid(g: OnnxGraphBuilder, mask: OnnxValue): OnnxValue {
  const ones = g.op('Expand', [g.constFloat([1], [1, 1]), g.op('Concat', [batchOf(g, mask), g.constInt64([1])], { axis: 0 })]);
  return g.op('Concat', [ones, mask], { axis: 1 }, 'mask_with_agg');
}

/** Index 0 of the sequence axis, `[B, N, d]` -> `[B, d]` (the pooled [AGG] output). *
 * @example
 * const pooled = onnxFirstToken(ctx.graph, hidden);
 */
export function onnxFirstToken(g: OnnxGraphBuilder, x: OnnxValue): OnnxValue {
  return g.op('Gather', [x, g.constInt64([0], [])], { axis: 1 }, 'pooled');
}

/** `ids != 0` as a float mask (docs/numerics.md §1.3: id 0 is padding). *
 * @example
 * const mask = onnxPaddingMask(ctx.graph, ids); // float [B, L]
 */
export function onnxPaddingMask(g: OnnxGraphBuilder, ids: OnnxValue): OnnxValue {
  const pad = g.op('Equal', [ids, g.constInt32([0], [])]);
  return g.op('Cast', [g.op('Not', [pad])], { to: 1 }, 'padding_mask');
}

defaultOnnxRegistry.register(Dense, (ctx, m, x) => {
  const g = ctx.graph;
  let y = g.op('MatMul', [x, ctx.weight(m.kernel, 'kernel')]);
  if (m.bias) y = g.op('Add', [y, ctx.weight(m.bias, 'bias')]);
  return onnxActivation(g, y, m.activation);
});

defaultOnnxRegistry.register(Dropout, (_ctx, _m, x) => x);

defaultOnnxRegistry.register(Embedding, (ctx, m, ids) => ctx.graph.op('Gather', [ctx.weight(m.embeddings, 'embeddings'), ids], { axis: 0 }));

// LayerNormalization-17 over the last axis, biased variance, float32 statistics (stash_type 1).
defaultOnnxRegistry.register(LayerNorm, (ctx, m, x) =>
  ctx.graph.op('LayerNormalization', [x, ctx.weight(m.gamma, 'gamma'), ctx.weight(m.beta, 'beta')], { axis: -1, epsilon: { float: m.eps } }),
);

// T5 RMSNorm `x / sqrt(mean(x²) + eps) · w` (docs/numerics.md §2.6), in the Pow -> ReduceMean -> Add -> Sqrt ->
// Div -> Mul form onnxruntime fuses into SimplifiedLayerNormalization.
defaultOnnxRegistry.register(RMSNorm, (ctx, m, x) => {
  const g = ctx.graph;
  const meanSquare = g.op('ReduceMean', [g.op('Pow', [x, g.constFloat(2)])], { axes: [-1], keepdims: 1 });
  const rms = g.op('Sqrt', [g.op('Add', [meanSquare, g.constFloat(m.eps)])]);
  return g.op('Mul', [g.op('Div', [x, rms]), ctx.weight(m.weight, 'weight')]);
});

// Eval BatchNorm with the moving statistics (docs/numerics.md §5): (x − mean) · gamma / sqrt(var + eps) + beta,
// as the tfjs code orders it; works on any rank with channels last (ONNX BatchNormalization wants channels at
// axis 1). The scale is a constant subgraph onnxruntime folds at load time.
defaultOnnxRegistry.register(BatchNorm, (ctx, m, x) => {
  const g = ctx.graph;
  const scale = g.op('Div', [
    ctx.weight(m.gamma, 'gamma'),
    g.op('Sqrt', [g.op('Add', [ctx.weight(m.movingVariance, 'moving_variance'), g.constFloat(m.eps)])]),
  ]);
  return g.op('Add', [g.op('Mul', [g.op('Sub', [x, ctx.weight(m.movingMean, 'moving_mean')]), scale]), ctx.weight(m.beta, 'beta')]);
});

defaultOnnxRegistry.register(Sequential, (ctx, m, x) => {
  const steps = m['steps'] as SequentialStep[];
  return steps.reduce<OnnxValue>((h, s) => (s === 'relu' ? ctx.graph.op('Relu', [h]) : ctx.value(s, h)), x);
});

defaultOnnxRegistry.register(Mlp, (ctx, m, x) => ctx.value(m.wo, ctx.value(m.wi, x)));

/**
 * Multi-head attention (docs/numerics.md §2.5, §2.6): q, k, v Dense layers; heads split by Reshape
 * `[B, N, H, dk]` + Transpose (keys straight to `[B, H, dk, N]`); `1/√dk` folded into the q kernel and bias
 * at export (the tfjs code scales q before QKᵀ: the same product); `bias`, then the padding mask's key
 * bias, added to the scores; Softmax-13 over keys; heads joined again and projected by o.
 */
defaultOnnxRegistry.register(MultiHeadAttention, (ctx, m, x, args) => {
  const g = ctx.graph;
  const h = m.numHeads;
  const dk = m.dKv;
  let q: OnnxValue;
  if (m.scale) {
    const s = Math.fround(1 / Math.sqrt(dk));
    const scaled = (t: Float32Array) => t.map((v) => v * s);
    q = g.scoped('q', () => {
      let y = g.op('MatMul', [x, ctx.derivedWeight(m.q.kernel, 'scaled', (v) => ({ data: scaled(v), dims: [...m.q.kernel.shape] }))]);
      if (m.q.bias) y = g.op('Add', [y, ctx.derivedWeight(m.q.bias, 'scaled', (v) => ({ data: scaled(v), dims: [...m.q.bias!.shape] }))]);
      return y;
    });
  } else {
    q = ctx.value(m.q, x);
  }
  const split = (t: OnnxValue, perm: number[], hint: string) => g.op('Transpose', [g.op('Reshape', [t, g.constInt64([0, 0, h, dk])])], { perm }, hint);
  const qh = split(q, [0, 2, 1, 3], 'q_heads');
  const kh = split(ctx.value(m.k, x), [0, 2, 3, 1], 'k_heads_t');
  const vh = split(ctx.value(m.v, x), [0, 2, 1, 3], 'v_heads');
  let scores = g.op('MatMul', [qh, kh], {}, 'scores');
  if (args.bias) scores = g.op('Add', [scores, args.bias]);
  if (args.mask) scores = g.op('Add', [scores, onnxMaskBias(g, args.mask)]);
  const probs = g.op('Softmax', [scores], { axis: -1 }, 'probs');
  const context = g.op('Transpose', [g.op('MatMul', [probs, vh])], { perm: [0, 2, 1, 3] });
  return ctx.value(m.o, g.op('Reshape', [context, g.constInt64([0, 0, h * dk])], {}, 'context'));
});

/** The one Transformer block (docs/numerics.md §2.5, §2.6): pre-norm `x + Attn(ln1(x))`, `h + MLP(ln2(h))`, or post-norm. */
defaultOnnxRegistry.register(TransformerEncoderLayer, (ctx, m, x, args) => {
  const g = ctx.graph;
  const attend = (h: OnnxValue) => ctx.value(m.attention, h, { bias: args.bias, mask: args.mask });
  if (!m.preNorm) {
    const h = ctx.value(m.ln1, g.op('Add', [x, attend(x)]));
    return ctx.value(m.ln2, g.op('Add', [h, ctx.value(m.mlp, h)]));
  }
  const h = g.op('Add', [x, attend(ctx.value(m.ln1, x))], {}, 'residual_attention');
  return g.op('Add', [h, ctx.value(m.mlp, ctx.value(m.ln2, h))], {}, 'residual_mlp');
});

/** Pre-LN encoder stack (docs/numerics.md §2.5): the mask's key bias computed once for all layers, final LayerNorm. */
defaultOnnxRegistry.register(TransformerEncoder, (ctx, m, x, args) => {
  const bias = args.mask ? onnxMaskBias(ctx.graph, args.mask) : undefined;
  const h = m.layers.reduce<OnnxValue>((t, layer) => ctx.value(layer, t, bias ? { bias } : {}), x);
  return m.finalLayerNorm ? ctx.value(m.finalLayerNorm, h) : h;
});

/**
 * T5 encoder (docs/numerics.md §2.3, §2.6): the relative position bias of layer 0, `table[bucket(k − q), h]`,
 * gathered from the learned `[32, H]` table with a bucket matrix precomputed for `maxRelativeLength`
 * positions (the bucket depends only on k − q, so its top-left `[n, n]` block is the bias of any n up to
 * that), plus the padding mask's key bias, added to the scores of every layer; final RMSNorm.
 */
defaultOnnxRegistry.register(T5Encoder, (ctx, m, x, args) => {
  const g = ctx.graph;
  const attention = m.layers[0].attention;
  const table = attention.relativeAttentionBias;
  if (!table) throw new Error(`${m.path}: layer 0 has no relative position bias table`);
  const maxLen = ctx.maxRelativeLength;
  const buckets = relativePositionBuckets(maxLen, maxLen, { numBuckets: attention['numBuckets'] as number, maxDistance: attention['maxDistance'] as number });
  const n = g.op('Shape', [x], { start: 1, end: 2 }, 'length');
  const ends = g.op('Concat', [n, n], { axis: 0 });
  const sliced = g.op('Slice', [g.constInt32(buckets, [maxLen, maxLen]), g.constInt64([0, 0]), ends, g.constInt64([0, 1])], {}, 'buckets');
  const values = g.scoped(attention.name, () => g.scoped(table.name, () => g.op('Gather', [ctx.weight(table.embeddings, 'embeddings'), sliced], { axis: 0 })));
  let bias = g.op('Unsqueeze', [g.op('Transpose', [values], { perm: [2, 0, 1] }), g.constInt64([0])], {}, 'position_bias');
  if (args.mask) bias = g.op('Add', [bias, onnxMaskBias(g, args.mask)], {}, 'bias');
  const h = m.layers.reduce<OnnxValue>((t, layer) => ctx.value(layer, t, { bias }), x);
  return ctx.value(m.finalLayerNorm, h);
});

/**
 * Factorised learned positions (docs/numerics.md §2.1, §2.2): one table per grid axis, spline-resampled by a
 * constant `[size, N]` matrix when the grid differs from the table, broadcast-summed over the grid,
 * LayerNorm of the summed vector, added to the tokens. The grid is static (`args.grid`, default the table
 * sizes); onnxruntime folds this whole subgraph to one constant at load time.
 */
defaultOnnxRegistry.register(FactorisedPositionEmbeddings, (ctx, m, x, args) => {
  const g = ctx.graph;
  const grid = args.grid ? [...args.grid] : m.buckets;
  if (grid.length !== m.axes.length || grid.some((s) => !Number.isInteger(s) || s < 1)) {
    throw new Error(`${m.path}: ONNX export needs a grid of ${m.axes.length} positive integers, got [${grid}]`);
  }
  let sum: OnnxValue | undefined;
  m.tables.forEach((t, k) => {
    let rows = g.scoped(t.name, () => ctx.weight(t.embeddings, 'embeddings'));
    const n = m.buckets[k];
    if (grid[k] !== n)
      rows = g.op('MatMul', [g.constFloat(Array.from(Float32Array.from(splineResampleMatrix(n, grid[k]))), [grid[k], n]), rows], {}, 'resampled');
    const part = g.op('Reshape', [rows, g.constInt64([...grid.map((s, j) => (j === k ? s : 1)), m.dim])]);
    sum = sum ? g.op('Add', [sum, part]) : part;
  });
  const cells = grid.reduce((a, b) => a * b, 1);
  const pos = ctx.value(m.layernorm, g.op('Reshape', [sum!, g.constInt64([cells, m.dim])]));
  return g.op('Add', [x, pos], {}, 'with_positions');
});

/**
 * Patch backbones, video and audio (docs/numerics.md §14): patch projection -> [pre_proj] -> x + LN(positions)
 * -> [AGG] -> `tx` (own or shared) -> [post_proj] -> `{ pooled: index 0, tokens }`. No DropToken (eval).
 */
defaultOnnxRegistry.register(PatchTransformer, (ctx, m, patches, args) => {
  let h = ctx.value(m.projection, patches);
  if (m.preProj) h = ctx.value(m.preProj, h);
  h = ctx.value(m.posEmbeddingLookup, h, args.grid ? { grid: args.grid } : {});
  const tokens = onnxPrependToken(ctx, h, ctx.weight(m.aggEmbedding, 'agg_embedding'), m.config.dModel);
  const mask = args.mask ? onnxPrependValid(ctx.graph, args.mask) : undefined;
  let out = ctx.value(m.tx, tokens, mask ? { mask } : {});
  if (m.postProj) out = ctx.value(m.postProj, out);
  return { pooled: onnxFirstToken(ctx.graph, out), tokens: out };
});

/**
 * T5 text backbone (docs/numerics.md §1.3, §2.3, §2.6): word ids (int32, 0 = padding) -> embedding ->
 * 300-d [AGG] prepended -> `pre_proj` -> T5 encoder with mask `ids != 0` ([AGG] valid) -> [post_proj] ->
 * `{ pooled, tokens }`.
 */
defaultOnnxRegistry.register(TextTransformer, (ctx, m, ids, args) => {
  const g = ctx.graph;
  const words = ctx.value(m.embedding, ids);
  const mask = onnxPrependValid(g, args.mask ?? onnxPaddingMask(g, ids));
  const x = ctx.value(m.preProj, onnxPrependToken(ctx, words, ctx.weight(m.aggEmbedding, 'agg_embedding'), m.config.input.embeddingDim));
  let out = ctx.value(m.baseLm, x, { mask });
  if (m.postProj) out = ctx.value(m.postProj, out);
  return { pooled: onnxFirstToken(g, out), tokens: out };
});

/** The modality-agnostic text path (docs/numerics.md §3.3) around the shared encoder. */
defaultOnnxRegistry.register(ModalityAgnosticText, (ctx, m, ids) => {
  const g = ctx.graph;
  const mask = onnxPaddingMask(g, ids);
  let x = ctx.value(m.preProj, ctx.value(m.embedding, ids));
  x = ctx.value(m.positions, x);
  const tokens = onnxPrependToken(ctx, x, ctx.weight(m.aggEmbedding, 'agg_embedding'), m.preProj.outDim);
  const encoder = m['encoder'] as TransformerEncoder;
  const hidden = ctx.value(m.postProj, ctx.value(encoder, tokens, { mask: onnxPrependValid(g, mask) }));
  return { pooled: onnxFirstToken(g, hidden), tokens: hidden };
});
