/**
 * The layout of the released VATT checkpoints (docs/numerics.md §10): for every variable of every model
 * family, our parameter name, the official object path (checkpoint key = path + `/.ATTRIBUTES/VARIABLE_VALUE`),
 * the shape TensorFlow stores, and how that tensor becomes ours. `OFFICIAL_LAYOUT` below is the one table;
 * everything else in this folder (import, export, inspect) reads it.
 *
 * How the official keys come about (google-research/google-research `vatt/`):
 *
 * - `experiments/base.py Executor.train` saves `tf.train.Checkpoint(model=keras_model, optimizer=optimizer)`;
 *   `experiments/pretrain.py` / `finetune.py construct_model` wrap the VATT model in a functional
 *   `tf.keras.Model(inputs=..., outputs=...)`. A functional model names its layers `layer_with_weights-N`
 *   (before `layer-N`, so the breadth-first key uses it); the Input layers have no weights, so the one
 *   model layer is `model/layer_with_weights-0` ([code] `utils/train/restore.py` `_KRS_TO_CKPT`).
 * - Below it, every path segment is the Python attribute the object is assigned to (Keras tracks
 *   attributes, `_private` ones included, not the Keras `name=`): `modeling/factory.py MMRLModel` has
 *   `_base_layer` (`modeling/backbones/multimodal.py AudioTextVideoFusion`: `vid_backbone`, `aud_backbone`,
 *   `txt_backbone`; or `UnifiedFusion.unified_backbone`) and `_head_layer` (`modeling/heads/factory.py
 *   HeadStack._bridge_heads`, a list: `_bridge_heads/0` is the `heads/bridge.py FACHead`).
 *   `backbones/video/factory.py VideoModel` and `audio/factory.py AudioModel` hold the tower as `_base` and
 *   the classifier as `_ops['cls']` (a dict: `_ops/cls`). A Python list is tracked with its indices as names
 *   (`tx/layers/3`: `common/transformers.py TransformerEncoder.layers`), a dict with its keys
 *   (`raw_to_embeddings/video` in `unified/uvatt.py`).
 * - Variables are named by `add_weight(name=...)`: Dense/Conv `kernel`, `bias`; Embedding `embeddings`;
 *   LayerNormalization and BatchNormalization `gamma`, `beta` (`moving_mean`, `moving_variance`); T5LayerNorm
 *   `weight`; the [AGG] vectors `agg_embedding` / `vid_agg_embedding` (the `add_weight` name is tracked
 *   before the attribute `agg_token_embd` it is also assigned to, so the breadth-first key uses it).
 *
 * Certainty, per part (`basis` below):
 *
 * - [code] The video and audio towers of the modality-specific models and the whole modality-agnostic
 *   backbone except its text inputs: `utils/train/restore.py` maps Keras names to exactly these keys
 *   (`_KRS_TO_CKPT`, `_KRS_TO_UT_CKPT`: `vid_backbone/_base`, `aud_backbone/_base`, `wave_to_patch`,
 *   `pos_embedding_lookup`, `layernorm`, `tx`, `layers/{i}`, `mha`, `mlp`; `unified_transformer`,
 *   `raw_to_embeddings/{video,audio}`, `pre_proj/{m}`, `post_proj/{m}`, `pos_embedding_lookup/{m}`,
 *   `vid_agg_embedding`, `aud_agg_embedding`), and the official fine-tuning restores the released
 *   checkpoints through them. `optimizer/iter` is read by name in `experiments/base.py get_optimizer_step`.
 * - [inferred] (docs/numerics.md §10.2 marks these unverified) by the tracking rules above: the T5 text
 *   tower `_base_layer/txt_backbone/...` (`text/factory.py LanguageModel` is the tower itself, no `_base`;
 *   `embedding`, `agg_embedding`, `pre_proj`, `base_lm` = `text/t5.py T5Encoder`: `layers/{i}/self_attention/
 *   {layer_norm,attention/{q,k,v,o,relative_attention_bias}}`, `feed_forward/{layer_norm,mlp/{wi,wo}}`,
 *   `final_layer_norm`); the VATT-MA text inputs (`raw_to_embeddings/text`, `pre_proj/text`,
 *   `pos_embedding_lookup/text`, `post_proj/text`, `txt_agg_embedding`: the same dicts as video and audio,
 *   which restore.py does not list because fine-tuning never needs them); the FAC head
 *   `_head_layer/_bridge_heads/0/{vid_to_hid, hid_to_va/{pre_bn,dense,bn}, va_to_vat/{dense,bn}, aud_to_va,
 *   txt_to_vat}` (`heads/bridge.py`, `heads/mlp_lib.py ReluDenseBN`: the attributes, not the Keras names
 *   `aud_to_vid` / `linear_projection` / `batch_norm`); the fine-tuned classifiers
 *   `model/layer_with_weights-0/_base/...` and `.../_ops/cls/{kernel,bias}` (the functional model of
 *   `finetune.py` has one weighted layer, the VideoModel / AudioModel); the Adam slots
 *   `<variable>/.OPTIMIZER_SLOT/optimizer/{m,v}` and hyper-parameters `optimizer/{beta_1,beta_2,decay}` of
 *   Keras' (v2, TF 2.7 per `vatt/README.md`) Adam, whose learning rate is a schedule and so no variable.
 *   Run `vatt inspect tf` on a released checkpoint to see every key next to the mapping; nothing is
 *   imported that does not match this table exactly.
 * - [port] The paper-style FAC head (`head.style: 'paper'`) has no official counterpart; it is written in
 *   the same layout so that our own exports round-trip.
 *
 * Attention kernels: the official `common/transformers.py MultiHeadAttention` and `text/t5.py` use plain
 * `tf.keras.layers.Dense` for q, k, v (`[d, heads·d_kv]`) and o (`[heads·d_kv, d]`), not EinsumDense, so
 * every Dense kernel is `[in, out]` as ours. The only shape changes are the patch projections, Keras
 * convolutions whose kernel = stride (docs/numerics.md §1.1, §1.2): Conv3D `[t, h, w, 3, d]`, Conv1D
 * `[128, 1, d]`, Conv2D `[t, f, 1, d]` are our `[t·h·w·3, d]`, `[128, d]`, `[t·f, d]` by a reshape of the
 * same row-major bytes, because our tokenizers flatten a patch in the kernel's (t, h, w, c) order.
 *
 * Names: our parameter names (`Module.namedParameters()`) are this project's stable checkpoint names and
 * are not renamed to match the official VATT-MA layout (`raw_to_embeddings/video/*` is our
 * `video/voxel_to_patch/*`, `pre_proj/video/*` our `video/pre_proj/*`, `vid_agg_embedding` our
 * `video/agg_embedding`): every released model still maps one-to-one, by this table.
 *
 * The spectrogram tower (SpT, `audio/autx2d.py`) maps one-to-one too (`spectrum_to_patch`,
 * `spectoral_position_embeddings`), but no SpT checkpoint is released and the official model pairs its
 * position ids spectral-major (docs/numerics.md §2.2), so official SpT weights would not give our embeddings.
 */
import type { AudioBackboneConfig, TextBackboneConfig, VideoBackboneConfig } from '@vatt/transformer';
import type { VattConfig } from '../../config/experiment.js';
import type { ClassifierConfig } from '../../finetune/classifier.js';
import { VARIABLE_VALUE } from '../tf/index.js';

/** How an official tensor becomes ours. Every transform keeps the row-major bytes; only the shape changes. */
export type ShapeTransform =
  /** The same shape. */
  | 'identity'
  /** A Keras Conv3D / Conv1D / Conv2D kernel `[..., c, d]` flattened to our `[prod(...)·c, d]` patch kernel. */
  | 'flatten-conv';

/** How an official path is known (see the file comment). */
export type LayoutBasis = 'code' | 'inferred' | 'port';

/** The model families of the official code (and their classifier cousins). */
export type OfficialFamily = 'modality-specific' | 'modality-agnostic' | 'video-classifier' | 'audio-classifier';

/** Sizes a tower's entries are expanded with (derived from our configs by `layoutDims`). */
export interface LayoutDims {
  d: number;
  layers: number;
  heads: number;
  dkv: number;
  ff: number;
  /** Biases in attention and MLP. */
  bias: boolean;
  /** Patch projection name (`voxel_to_patch`, `wave_to_patch`, `spectrum_to_patch`). */
  proj: string;
  /** The official conv kernel's shape without the output axis: `[t, h, w, 3]`, `[128, 1]`, `[t, f, 1]`. */
  patch: number[];
  /** Positional tables: axis name (`temporal`, `vertical`, ...) and rows. */
  axes: Array<[string, number]>;
  preProj: boolean;
  /** `post_proj` output width, or 0 for none. */
  post: number;
  /** Text: vocabulary rows, word-embedding width, relative-position buckets, frozen word table. */
  vocab: number;
  emb: number;
  buckets: number;
  frozenWords: boolean;
  /** Head inputs and spaces, head style; classifier input and classes. */
  dv: number;
  da: number;
  dt: number;
  va: number;
  vt: number;
  paperHead: boolean;
  classes: number;
}

/**
 * One table entry: our path and the official path (both relative to the part's roots; `{i}` = every
 * layer, `{axis}` = every positional axis, `{proj}`, `{m}`, `{agg}` = the part's names), the official
 * shape from the dims, the transform to ours, when the variable exists, and whether it is trained.
 */
export interface LayoutEntry {
  ours: string;
  official: string;
  shape: (x: LayoutDims) => number[];
  transform?: ShapeTransform;
  when?: (x: LayoutDims) => boolean;
  /** Not trained (no optimizer slots): a frozen word table, BatchNorm moving statistics. */
  frozen?: (x: LayoutDims) => boolean;
  basis?: LayoutBasis;
}

/** One part of a family: a tower table placed under our root and the official root. */
export interface LayoutPart {
  table: keyof typeof TOWER_TABLES;
  /** Our root (`video`, `text`, `head`, `classifier`, or `` for the shared VATT-MA stack). */
  ours: string;
  /** The official root object path. */
  official: string;
  /** Which tower's config sizes the part (the towers of `LayoutSource`). */
  dims: 'video' | 'audio' | 'text' | 'head' | 'classifier' | 'shared';
  basis: LayoutBasis;
  /** Values of `{m}` / `{agg}` in the table. */
  vars?: Record<string, string>;
  /** Why the basis is what it is: the official files, for `vatt inspect tf`. */
  source: string;
}

/** A family: how to recognise its checkpoints, its parts, and variables that exist officially but not here. */
export interface FamilyLayout {
  description: string;
  /** An object path of this family (and of no other); `detectFamily` looks for it. */
  marker: RegExp;
  parts: LayoutPart[];
  /** Official variables deliberately left out of our model, with the reason. */
  ignore: Array<{ pattern: RegExp; reason: string }>;
}

const attention = (x: LayoutDims) => x.heads * x.dkv;
const d = (x: LayoutDims) => [x.d];
const hasBias = (x: LayoutDims) => x.bias;

/** The pre-LN Transformer stack, `common/transformers.py TransformerEncoder` (docs/numerics.md §2.5). */
const TX_STACK: LayoutEntry[] = [
  { ours: 'tx/layers/{i}/layer_norm/gamma', official: 'tx/layers/{i}/layer_norm/gamma', shape: d },
  { ours: 'tx/layers/{i}/layer_norm/beta', official: 'tx/layers/{i}/layer_norm/beta', shape: d },
  ...(['q', 'k', 'v'] as const).flatMap((n): LayoutEntry[] => [
    { ours: `tx/layers/{i}/mha/${n}/kernel`, official: `tx/layers/{i}/mha/${n}/kernel`, shape: (x) => [x.d, attention(x)] },
    { ours: `tx/layers/{i}/mha/${n}/bias`, official: `tx/layers/{i}/mha/${n}/bias`, shape: (x) => [attention(x)], when: hasBias },
  ]),
  { ours: 'tx/layers/{i}/mha/o/kernel', official: 'tx/layers/{i}/mha/o/kernel', shape: (x) => [attention(x), x.d] },
  { ours: 'tx/layers/{i}/mha/o/bias', official: 'tx/layers/{i}/mha/o/bias', shape: d, when: hasBias },
  { ours: 'tx/layers/{i}/feed_forward/layer_norm/gamma', official: 'tx/layers/{i}/feed_forward/layer_norm/gamma', shape: d },
  { ours: 'tx/layers/{i}/feed_forward/layer_norm/beta', official: 'tx/layers/{i}/feed_forward/layer_norm/beta', shape: d },
  { ours: 'tx/layers/{i}/feed_forward/mlp/wi/kernel', official: 'tx/layers/{i}/feed_forward/mlp/wi/kernel', shape: (x) => [x.d, x.ff] },
  { ours: 'tx/layers/{i}/feed_forward/mlp/wi/bias', official: 'tx/layers/{i}/feed_forward/mlp/wi/bias', shape: (x) => [x.ff], when: hasBias },
  { ours: 'tx/layers/{i}/feed_forward/mlp/wo/kernel', official: 'tx/layers/{i}/feed_forward/mlp/wo/kernel', shape: (x) => [x.ff, x.d] },
  { ours: 'tx/layers/{i}/feed_forward/mlp/wo/bias', official: 'tx/layers/{i}/feed_forward/mlp/wo/bias', shape: d, when: hasBias },
  { ours: 'tx/final_layer_norm/gamma', official: 'tx/final_layer_norm/gamma', shape: d },
  { ours: 'tx/final_layer_norm/beta', official: 'tx/final_layer_norm/beta', shape: d },
];

/** Positions and the embedding LayerNorm of a patch tower (`SpatioTemporalEmbeddings` etc., §2.1, §2.2), below `prefix`. */
const positions = (prefix: string): LayoutEntry[] => [
  {
    ours: 'pos_embedding_lookup/{axis}_position_embeddings/embeddings',
    official: `${prefix}/{axis}_position_embeddings/embeddings`,
    shape: () => [], // set per axis by `expandPart`
  },
  { ours: 'pos_embedding_lookup/layernorm/gamma', official: `${prefix}/layernorm/gamma`, shape: d },
  { ours: 'pos_embedding_lookup/layernorm/beta', official: `${prefix}/layernorm/beta`, shape: d },
];

/** Tower tables: our path below our root -> official path below the official root -> official shape, transform. */
const TOWER_TABLES = {
  /** ViT (`video/vitx3d.py ViTx3D`), WaT (`audio/autx1d.py AuTx1D`), SpT (`audio/autx2d.py AuTx2D`). */
  patch: [
    { ours: 'agg_embedding', official: 'agg_embedding', shape: d },
    { ours: '{proj}/kernel', official: '{proj}/kernel', shape: (x) => [...x.patch, x.d], transform: 'flatten-conv' },
    { ours: '{proj}/bias', official: '{proj}/bias', shape: d },
    { ours: 'pre_proj/kernel', official: 'pre_proj/kernel', shape: (x) => [x.d, x.d], when: (x) => x.preProj },
    { ours: 'pre_proj/bias', official: 'pre_proj/bias', shape: d, when: (x) => x.preProj },
    ...positions('pos_embedding_lookup'),
    ...TX_STACK,
    { ours: 'post_proj/kernel', official: 'post_proj/kernel', shape: (x) => [x.d, x.post], when: (x) => x.post > 0 },
    { ours: 'post_proj/bias', official: 'post_proj/bias', shape: (x) => [x.post], when: (x) => x.post > 0 },
  ],
  /** The T5 text tower: `text/factory.py LanguageModel` around `text/t5.py T5Encoder` (§1.3, §2.3, §2.6). */
  t5: [
    { ours: 'agg_embedding', official: 'agg_embedding', shape: (x) => [x.emb] },
    { ours: 'embedding/embeddings', official: 'embedding/embeddings', shape: (x) => [x.vocab, x.emb], frozen: (x) => x.frozenWords },
    { ours: 'pre_proj/kernel', official: 'pre_proj/kernel', shape: (x) => [x.emb, x.d] },
    { ours: 'base_lm/layers/{i}/self_attention/layer_norm/weight', official: 'base_lm/layers/{i}/self_attention/layer_norm/weight', shape: d },
    ...(['q', 'k', 'v'] as const).map((n): LayoutEntry => ({
      ours: `base_lm/layers/{i}/self_attention/attention/${n}/kernel`,
      official: `base_lm/layers/{i}/self_attention/attention/${n}/kernel`,
      shape: (x) => [x.d, attention(x)],
    })),
    {
      ours: 'base_lm/layers/{i}/self_attention/attention/o/kernel',
      official: 'base_lm/layers/{i}/self_attention/attention/o/kernel',
      shape: (x) => [attention(x), x.d],
    },
    // Layer 0 only: T5Encoder passes num_relative_buckets to the first layer and None to the others.
    {
      ours: 'base_lm/layers/0/self_attention/attention/relative_attention_bias/embeddings',
      official: 'base_lm/layers/0/self_attention/attention/relative_attention_bias/embeddings',
      shape: (x) => [x.buckets, x.heads],
    },
    { ours: 'base_lm/layers/{i}/feed_forward/layer_norm/gamma', official: 'base_lm/layers/{i}/feed_forward/layer_norm/gamma', shape: d },
    { ours: 'base_lm/layers/{i}/feed_forward/layer_norm/beta', official: 'base_lm/layers/{i}/feed_forward/layer_norm/beta', shape: d },
    { ours: 'base_lm/layers/{i}/feed_forward/mlp/wi/kernel', official: 'base_lm/layers/{i}/feed_forward/mlp/wi/kernel', shape: (x) => [x.d, x.ff] },
    { ours: 'base_lm/layers/{i}/feed_forward/mlp/wo/kernel', official: 'base_lm/layers/{i}/feed_forward/mlp/wo/kernel', shape: (x) => [x.ff, x.d] },
    { ours: 'base_lm/final_layer_norm/weight', official: 'base_lm/final_layer_norm/weight', shape: d },
    { ours: 'post_proj/kernel', official: 'post_proj/kernel', shape: (x) => [x.d, x.post], when: (x) => x.post > 0 },
  ],
  /** The shared stack of VATT-MA (`unified/uvatt.py UniversalVATT.tx`). */
  'ma-shared': TX_STACK,
  /** A VATT-MA video or audio input path: `raw_to_embeddings`, `pre_proj`, `pos_embedding_lookup`, `post_proj` dicts. */
  'ma-patch': [
    { ours: 'agg_embedding', official: '{agg}_agg_embedding', shape: d },
    { ours: '{proj}/kernel', official: 'raw_to_embeddings/{m}/kernel', shape: (x) => [...x.patch, x.d], transform: 'flatten-conv' },
    { ours: '{proj}/bias', official: 'raw_to_embeddings/{m}/bias', shape: d },
    { ours: 'pre_proj/kernel', official: 'pre_proj/{m}/kernel', shape: (x) => [x.d, x.d] },
    { ours: 'pre_proj/bias', official: 'pre_proj/{m}/bias', shape: d },
    ...positions('pos_embedding_lookup/{m}'),
    { ours: 'post_proj/kernel', official: 'post_proj/{m}/kernel', shape: (x) => [x.d, x.post] },
    { ours: 'post_proj/bias', official: 'post_proj/{m}/bias', shape: (x) => [x.post] },
  ],
  /** The VATT-MA text input path (word table 300 wide, `pre_proj` 300 -> d with bias, 16 absolute positions). */
  'ma-text': [
    { ours: 'agg_embedding', official: 'txt_agg_embedding', shape: d },
    { ours: 'embedding/embeddings', official: 'raw_to_embeddings/text/embeddings', shape: (x) => [x.vocab, x.emb], frozen: (x) => x.frozenWords },
    { ours: 'pre_proj/kernel', official: 'pre_proj/text/kernel', shape: (x) => [x.emb, x.d] },
    { ours: 'pre_proj/bias', official: 'pre_proj/text/bias', shape: d },
    ...positions('pos_embedding_lookup/text'),
    { ours: 'post_proj/kernel', official: 'post_proj/text/kernel', shape: (x) => [x.d, x.d] },
    { ours: 'post_proj/bias', official: 'post_proj/text/bias', shape: d },
  ],
  /** The FAC head (`heads/bridge.py FACHead`, `heads/mlp_lib.py ReluDenseBN`; docs/numerics.md §5). */
  fac: [
    { ours: 'vid_to_hid/kernel', official: 'vid_to_hid/kernel', shape: (x) => [x.dv, x.va] },
    ...bn('hid_to_va/pre_bn', (x) => x.va),
    { ours: 'hid_to_va/dense/kernel', official: 'hid_to_va/dense/kernel', shape: (x) => [x.va, x.va] },
    ...bn('hid_to_va/bn', (x) => x.va),
    { ours: 'va_to_vat/dense/kernel', official: 'va_to_vat/dense/kernel', shape: (x) => [x.va, x.vt] },
    ...bn('va_to_vat/bn', (x) => x.vt),
    { ours: 'aud_to_va/kernel', official: 'aud_to_va/kernel', shape: (x) => [x.da, x.va], when: (x) => !x.paperHead },
    { ours: 'aud_to_va/bias', official: 'aud_to_va/bias', shape: (x) => [x.va], when: (x) => !x.paperHead },
    { ours: 'txt_to_vat/kernel', official: 'txt_to_vat/kernel', shape: (x) => [x.dt, x.vt], when: (x) => !x.paperHead },
    { ours: 'txt_to_vat/bias', official: 'txt_to_vat/bias', shape: (x) => [x.vt], when: (x) => !x.paperHead },
    // [port] The paper-style head: linear + BN on the audio and text projections, no official counterpart.
    { ours: 'aud_to_va/dense/kernel', official: 'aud_to_va/dense/kernel', shape: (x) => [x.da, x.va], when: (x) => x.paperHead, basis: 'port' },
    ...bn(
      'aud_to_va/bn',
      (x) => x.va,
      (x) => x.paperHead,
      'port',
    ),
    { ours: 'txt_to_vat/dense/kernel', official: 'txt_to_vat/dense/kernel', shape: (x) => [x.dt, x.vt], when: (x) => x.paperHead, basis: 'port' },
    ...bn(
      'txt_to_vat/bn',
      (x) => x.vt,
      (x) => x.paperHead,
      'port',
    ),
  ],
  /** A classifier's Dense (`VideoModel._ops['cls']`, `AudioModel._ops['cls']`). */
  dense: [
    { ours: 'kernel', official: 'kernel', shape: (x) => [x.dv, x.classes] },
    { ours: 'bias', official: 'bias', shape: (x) => [x.classes] },
  ],
} satisfies Record<string, LayoutEntry[]>;

/** A BatchNormalization layer's four variables (moving statistics are not trained). */
function bn(prefix: string, dim: (x: LayoutDims) => number, when?: (x: LayoutDims) => boolean, basis?: LayoutBasis): LayoutEntry[] {
  return (['gamma', 'beta', 'moving_mean', 'moving_variance'] as const).map((n) => ({
    ours: `${prefix}/${n}`,
    official: `${prefix}/${n}`,
    shape: (x: LayoutDims) => [dim(x)],
    ...(n.startsWith('moving') ? { frozen: () => true } : {}),
    ...(when ? { when } : {}),
    ...(basis ? { basis } : {}),
  }));
}

const MODEL = 'model/layer_with_weights-0';
const UNIFIED = `${MODEL}/_base_layer/unified_backbone/unified_transformer`;
const HEAD: LayoutPart = {
  table: 'fac',
  ours: 'head',
  official: `${MODEL}/_head_layer/_bridge_heads/0`,
  dims: 'head',
  basis: 'inferred',
  source: 'modeling/factory.py MMRLModel._head_layer, heads/factory.py HeadStack._bridge_heads[0], heads/bridge.py FACHead attributes',
};
const MASKING = 'the BERT-style mask token of use_masking (off in every released config), unused at inference; not ported (docs/numerics.md §4)';

/**
 * THE TABLE: the tower tables above and the families that place them under their official roots. See the
 * file comment for where each path comes from.
 */
export const OFFICIAL_LAYOUT = {
  towers: TOWER_TABLES,
  families: {
    'modality-specific': {
      description: 'modality-specific VATT (pretrain/tx_fac_{bbs,mbs,lbs}): ViT + WaT + T5 towers, FAC head',
      marker: /^model\/layer_with_weights-0\/_base_layer\/(vid|aud|txt)_backbone\//,
      parts: [
        {
          table: 'patch',
          ours: 'video',
          official: `${MODEL}/_base_layer/vid_backbone/_base`,
          dims: 'video',
          basis: 'code',
          source: 'utils/train/restore.py _KRS_TO_CKPT (video_module/vit_*), video/vitx3d.py',
        },
        {
          table: 'patch',
          ours: 'audio',
          official: `${MODEL}/_base_layer/aud_backbone/_base`,
          dims: 'audio',
          basis: 'code',
          source: 'utils/train/restore.py _KRS_TO_CKPT (audio_module/wat_*, spt_*), audio/autx1d.py, audio/autx2d.py',
        },
        {
          table: 't5',
          ours: 'text',
          official: `${MODEL}/_base_layer/txt_backbone`,
          dims: 'text',
          basis: 'inferred',
          source: 'backbones/multimodal.py AudioTextVideoFusion.txt_backbone = text/factory.py LanguageModel (no _base), text/t5.py',
        },
        HEAD,
      ],
      ignore: [{ pattern: /^model\/layer_with_weights-0\/_base_layer\/(vid|aud)_backbone\/_base\/mask_embedding$/, reason: MASKING }],
    },
    'modality-agnostic': {
      description: 'modality-agnostic VATT-MA (pretrain/ut_fac_medium): one shared Transformer, FAC head',
      marker: /^model\/layer_with_weights-0\/_base_layer\/unified_backbone\//,
      parts: [
        {
          table: 'ma-shared',
          ours: '',
          official: UNIFIED,
          dims: 'shared',
          basis: 'code',
          source: 'utils/train/restore.py _KRS_TO_UT_CKPT, unified/uvatt.py tx',
        },
        {
          table: 'ma-patch',
          ours: 'video',
          official: UNIFIED,
          dims: 'video',
          basis: 'code',
          vars: { m: 'video', agg: 'vid' },
          source: 'utils/train/restore.py _KRS_TO_UT_CKPT (raw_to_embeddings/video, pre_proj/video, ...)',
        },
        {
          table: 'ma-patch',
          ours: 'audio',
          official: UNIFIED,
          dims: 'audio',
          basis: 'code',
          vars: { m: 'audio', agg: 'aud' },
          source: 'utils/train/restore.py _KRS_TO_UT_CKPT (raw_to_embeddings/audio, pre_proj/audio, ...)',
        },
        {
          table: 'ma-text',
          ours: 'text',
          official: UNIFIED,
          dims: 'text',
          basis: 'inferred',
          source: "unified/uvatt.py dicts raw_to_embeddings['text'], pre_proj['text'], pos_embedding_lookup['text'], post_proj['text'], txt_agg_embedding",
        },
        HEAD,
      ],
      ignore: [],
    },
    'video-classifier': {
      description: 'fine-tuned ViT video classifier (finetune/vit_*/{k400,k600,k700,mit}_*): ViT tower + Dense',
      marker: /^model\/layer_with_weights-0\/_base\/voxel_to_patch\//,
      parts: [
        {
          table: 'patch',
          ours: 'video',
          official: `${MODEL}/_base`,
          dims: 'video',
          basis: 'inferred',
          source: 'experiments/finetune.py construct_model, video/factory.py VideoModel._base',
        },
        {
          table: 'dense',
          ours: 'classifier',
          official: `${MODEL}/_ops/cls`,
          dims: 'classifier',
          basis: 'inferred',
          source: "video/factory.py VideoModel._ops['cls']",
        },
      ],
      ignore: [{ pattern: /^model\/layer_with_weights-0\/_base\/mask_embedding$/, reason: MASKING }],
    },
    'audio-classifier': {
      description: 'fine-tuned WaT audio classifier (finetune/wat_*/audioset_*): WaT tower + Dense',
      marker: /^model\/layer_with_weights-0\/_base\/(wave_to_patch|spectrum_to_patch)\//,
      parts: [
        {
          table: 'patch',
          ours: 'audio',
          official: `${MODEL}/_base`,
          dims: 'audio',
          basis: 'inferred',
          source: 'experiments/finetune.py construct_model, audio/factory.py AudioModel._base',
        },
        {
          table: 'dense',
          ours: 'classifier',
          official: `${MODEL}/_ops/cls`,
          dims: 'classifier',
          basis: 'inferred',
          source: "audio/factory.py AudioModel._ops['cls']",
        },
      ],
      ignore: [{ pattern: /^model\/layer_with_weights-0\/_base\/mask_embedding$/, reason: MASKING }],
    },
  } satisfies Record<OfficialFamily, FamilyLayout>,
};

/** Variables of every TF2 checkpoint that are not model weights: the Checkpoint's own counter, the optimizer's. */
export const NON_MODEL_VARIABLES: Array<{ pattern: RegExp; role: 'checkpoint' | 'optimizer'; reason: string }> = [
  { pattern: /^save_counter$/, role: 'checkpoint', reason: 'tf.train.Checkpoint save counter' },
  { pattern: /^optimizer\/iter$/, role: 'optimizer', reason: 'optimizer step (experiments/base.py get_optimizer_step)' },
  { pattern: /^optimizer\/[^/]+$/, role: 'optimizer', reason: 'optimizer hyper-parameter' },
];

/**
 * The checkpoint key of an object path's value (`trackable.VARIABLE_VALUE_KEY`).
 *
 * @example
 * variableKey('optimizer/iter'); // 'optimizer/iter/.ATTRIBUTES/VARIABLE_VALUE'
 */
export function variableKey(path: string): string {
  return `${path}/.ATTRIBUTES/${VARIABLE_VALUE}`;
}

/** What a model is, for the layout: the family and the configs that size its parts. */
export type LayoutSource =
  { family: 'modality-specific' | 'modality-agnostic'; config: VattConfig } | { family: 'video-classifier' | 'audio-classifier'; config: ClassifierConfig };

/** One variable of a model, in both layouts. */
export interface LayoutVariable {
  /** Our parameter name (`video/voxel_to_patch/kernel`). */
  ours: string;
  /** The official object path. */
  official: string;
  /** The official checkpoint key (`official` + `/.ATTRIBUTES/VARIABLE_VALUE`). */
  key: string;
  /** The shape TensorFlow stores. */
  officialShape: number[];
  /** Our shape. */
  shape: number[];
  transform: ShapeTransform;
  trainable: boolean;
  basis: LayoutBasis;
  /** The official files the path is derived from. */
  source: string;
}

const ZERO_DIMS: LayoutDims = {
  d: 0,
  layers: 0,
  heads: 0,
  dkv: 0,
  ff: 0,
  bias: true,
  proj: '',
  patch: [],
  axes: [],
  preProj: false,
  post: 0,
  vocab: 0,
  emb: 0,
  buckets: 0,
  frozenWords: false,
  dv: 0,
  da: 0,
  dt: 0,
  va: 0,
  vt: 0,
  paperHead: false,
  classes: 0,
};

function patchDims(c: VideoBackboneConfig | AudioBackboneConfig): LayoutDims {
  const base = { ...ZERO_DIMS, d: c.dModel, layers: c.numLayers, heads: c.numHeads, dkv: c.dKv, ff: c.dFF, bias: c.useBias };
  const proj = { preProj: c.preProjection, post: c.postProjectionDim ?? 0 };
  if (c.kind === 'video') {
    const [t, h, w] = c.input.patchSize;
    const b = c.input.buckets;
    const axes: Array<[string, number]> = [
      ['temporal', b[0]],
      ['vertical', b[1]],
      ['horizontal', b[2]],
    ];
    return { ...base, ...proj, proj: 'voxel_to_patch', patch: [t, h, w, c.input.channels], axes };
  }
  const input = c.input;
  if (typeof input.patchSize === 'number') {
    return { ...base, ...proj, proj: 'wave_to_patch', patch: [input.patchSize, 1], axes: [['temporal', input.buckets as number]] };
  }
  const b = input.buckets as readonly [number, number];
  const axes: Array<[string, number]> = [
    ['temporal', b[0]],
    ['spectoral', b[1]],
  ];
  return { ...base, ...proj, proj: 'spectrum_to_patch', patch: [input.patchSize[0], input.patchSize[1], 1], axes };
}

function textDims(c: TextBackboneConfig, maDModel?: number): LayoutDims {
  const words = { vocab: c.input.vocabSize, emb: c.input.embeddingDim, frozenWords: !c.trainableEmbeddings };
  if (maDModel !== undefined) return { ...ZERO_DIMS, ...words, d: maDModel, axes: [['temporal', c.input.maxTokens]] };
  return {
    ...ZERO_DIMS,
    ...words,
    d: c.dModel,
    layers: c.numLayers,
    heads: c.numHeads,
    dkv: c.dKv,
    ff: c.dFF,
    buckets: c.numRelativeBuckets,
    post: c.postProjectionDim ?? 0,
  };
}

/** The towers of a VATT model as the `VATT` constructor builds them (VATT-MA: pre/post projections, docs/numerics.md §3.3). */
function vattTowers(c: VattConfig): { video: VideoBackboneConfig; audio: AudioBackboneConfig } {
  if (c.variant !== 'modality-agnostic') return { video: c.video, audio: c.audio };
  const ma = { preProjection: true, postProjectionDim: c.video.dModel };
  return { video: { ...c.video, ...ma }, audio: { ...c.audio, ...ma } };
}

/**
 * Whether a layout source is a fine-tuned classifier's.
 *
 * @example
 * isClassifierSource(resolveTarget('vit-base-k400').source); // true
 */
export function isClassifierSource(src: LayoutSource): src is Extract<LayoutSource, { config: ClassifierConfig }> {
  return src.family === 'video-classifier' || src.family === 'audio-classifier';
}

/**
 * The dims of every part of a model (keyed as `LayoutPart.dims`).
 *
 * @example
 * layoutDims({ family: 'modality-specific', config: getPreset('bbs').model }).video?.patch; // [4, 16, 16, 3]
 */
export function layoutDims(src: LayoutSource): Partial<Record<LayoutPart['dims'], LayoutDims>> {
  if (isClassifierSource(src)) {
    const b = src.config.backbone;
    const tower = patchDims(b);
    const classifier = { ...ZERO_DIMS, dv: b.postProjectionDim ?? b.dModel, classes: src.config.numClasses };
    return src.family === 'video-classifier' ? { video: tower, classifier } : { audio: tower, classifier };
  }
  const c = (src as Extract<LayoutSource, { config: VattConfig }>).config;
  const { video, audio } = vattTowers(c);
  const out = (t: VideoBackboneConfig | AudioBackboneConfig) => t.postProjectionDim ?? t.dModel;
  const ma = c.variant === 'modality-agnostic';
  const head = {
    ...ZERO_DIMS,
    dv: out(video),
    da: out(audio),
    dt: ma ? c.video.dModel : (c.text.postProjectionDim ?? c.text.dModel),
    va: c.head.dVa,
    vt: c.head.dVt,
    paperHead: c.head.style === 'paper',
  };
  return {
    video: patchDims(video),
    audio: patchDims(audio),
    text: textDims(c.text, ma ? c.video.dModel : undefined),
    head,
    ...(ma ? { shared: patchDims(c.video) } : {}),
  };
}

function fill(pattern: string, vars: Record<string, string>): string {
  return pattern.replace(/\{(\w+)\}/g, (m, k: string) => vars[k] ?? m);
}

const join = (root: string, rest: string) => (root ? `${root}/${rest}` : rest);

/** Every variable of one part, expanded over layers and positional axes. */
function expandPart(part: LayoutPart, x: LayoutDims): LayoutVariable[] {
  const out: LayoutVariable[] = [];
  for (const e of TOWER_TABLES[part.table] as LayoutEntry[]) {
    if (e.when && !e.when(x)) continue;
    const layers = e.ours.includes('{i}') ? Array.from({ length: x.layers }, (_, i) => String(i)) : [''];
    const axes: Array<[string, number] | undefined> = e.ours.includes('{axis}') ? x.axes : [undefined];
    for (const i of layers) {
      for (const axis of axes) {
        const vars = { ...part.vars, proj: x.proj, i, axis: axis?.[0] ?? '' };
        const officialShape = axis ? [axis[1], x.d] : e.shape(x);
        const transform = e.transform ?? 'identity';
        const official = join(part.official, fill(e.official, vars));
        out.push({
          ours: join(part.ours, fill(e.ours, vars)),
          official,
          key: variableKey(official),
          officialShape,
          shape:
            transform === 'flatten-conv' ? [officialShape.slice(0, -1).reduce((a, b) => a * b, 1), officialShape[officialShape.length - 1]] : officialShape,
          transform,
          trainable: !(e.frozen?.(x) ?? false),
          basis: e.basis ?? part.basis,
          source: part.source,
        });
      }
    }
  }
  return out;
}

/**
 * Every variable of a model in both layouts: our name and shape, the official path, key and shape, the
 * transform, whether it is trained. Derived from the table and the config alone (no model is built);
 * the tests check it against `Module.namedParameters()` of every preset.
 *
 * @example
 * const vars = layoutVariables({ family: 'modality-specific', config: getPreset('bbs').model });
 * vars.find((v) => v.ours === 'video/voxel_to_patch/kernel');
 * // { official: 'model/layer_with_weights-0/_base_layer/vid_backbone/_base/voxel_to_patch/kernel',
 * //   officialShape: [4, 16, 16, 3, 768], shape: [3072, 768], transform: 'flatten-conv', ... }
 */
export function layoutVariables(src: LayoutSource): LayoutVariable[] {
  const family: FamilyLayout = OFFICIAL_LAYOUT.families[src.family];
  const dims = layoutDims(src);
  return family.parts.flatMap((p) => {
    const x = dims[p.dims];
    if (!x) throw new Error(`layout: family ${src.family} has no ${p.dims} dims`);
    return expandPart(p, x);
  });
}

/**
 * The family of a VATT model config or a classifier config.
 *
 * @example
 * familyOfConfig(getPreset('ma-medium').model).family; // 'modality-agnostic'
 */
export function familyOfConfig(config: VattConfig | ClassifierConfig): LayoutSource {
  const kind = (config as ClassifierConfig).kind;
  if (kind === 'video-classifier' || kind === 'audio-classifier') return { family: kind, config: config as ClassifierConfig };
  const c = config as VattConfig;
  if (c.variant === 'modality-agnostic' || c.variant === 'modality-specific') return { family: c.variant, config: c };
  throw new Error(`layout: a model config with variant "${String(c.variant)}" / kind "${String(kind)}" is neither VATT nor a classifier`);
}

/**
 * The family a set of official object paths belongs to (by `FamilyLayout.marker`), or undefined.
 *
 * @example
 * detectFamily(['model/layer_with_weights-0/_base_layer/unified_backbone/unified_transformer/tx/final_layer_norm/gamma']);
 * // 'modality-agnostic'
 */
export function detectFamily(paths: Iterable<string>): OfficialFamily | undefined {
  const counts = new Map<OfficialFamily, number>();
  for (const p of paths) {
    for (const [name, f] of Object.entries(OFFICIAL_LAYOUT.families) as Array<[OfficialFamily, FamilyLayout]>) {
      if (f.marker.test(p)) counts.set(name, (counts.get(name) ?? 0) + 1);
    }
  }
  let best: OfficialFamily | undefined;
  for (const [name, n] of counts) if (!best || n > counts.get(best)!) best = name;
  return best;
}

/**
 * Why an official variable outside the model is there (`save_counter`, optimizer state, an ignored weight), or undefined.
 *
 * @example
 * nonModelRole('modality-specific', 'optimizer/beta_1')?.role; // 'optimizer'
 */
export function nonModelRole(family: OfficialFamily | undefined, path: string): { role: 'checkpoint' | 'optimizer' | 'ignored'; reason: string } | undefined {
  for (const v of NON_MODEL_VARIABLES) if (v.pattern.test(path)) return { role: v.role, reason: v.reason };
  if (family) for (const i of OFFICIAL_LAYOUT.families[family].ignore) if (i.pattern.test(path)) return { role: 'ignored', reason: i.reason };
  return undefined;
}
