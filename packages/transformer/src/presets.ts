/**
 * Model-size and input presets as plain typed data (docs/numerics.md §3), and the analytic
 * parameter count of every backbone.
 *
 * Sizes: paper Table 7 / official configs. `TINY` is ours: a 2-layer, 64-wide model whose forward
 * and backward pass on an 8x32x32 clip takes milliseconds on 2 CPU cores, for tests and examples.
 */

/** The shape of a Transformer stack. */
export interface TransformerSize {
  /** Number of encoder layers. */
  numLayers: number;
  /** Token width d. */
  dModel: number;
  /** MLP hidden width (4 d in every VATT preset). */
  dFF: number;
  numHeads: number;
  /** Width of one attention head (64 in every VATT preset; numHeads * dKv = dModel there). */
  dKv: number;
}

/** Tests and examples: 2 layers, d 64, 4 heads x 16, MLP 256 (ours, not in the paper). */
export const TINY: Readonly<TransformerSize> = Object.freeze({ numLayers: 2, dModel: 64, dFF: 256, numHeads: 4, dKv: 16 });
/** Paper Table 7 "Small" (6 x 512): 20.9 M. */
export const SMALL: Readonly<TransformerSize> = Object.freeze({ numLayers: 6, dModel: 512, dFF: 2048, numHeads: 8, dKv: 64 });
/** Paper Table 7 "Base" (12 x 768, ViT/WaT-Base): 87.9 M. */
export const BASE: Readonly<TransformerSize> = Object.freeze({ numLayers: 12, dModel: 768, dFF: 3072, numHeads: 12, dKv: 64 });
/** Paper Table 7 "Medium" (12 x 1024): 155.0 M. */
export const MEDIUM: Readonly<TransformerSize> = Object.freeze({ numLayers: 12, dModel: 1024, dFF: 4096, numHeads: 16, dKv: 64 });
/** Paper Table 7 "Large" (24 x 1024): 306.1 M. */
export const LARGE: Readonly<TransformerSize> = Object.freeze({ numLayers: 24, dModel: 1024, dFF: 4096, numHeads: 16, dKv: 64 });

/** The sizes by name, as experiment configs spell them (`"size": "base"`). */
export const TRANSFORMER_SIZES = { tiny: TINY, small: SMALL, base: BASE, medium: MEDIUM, large: LARGE } as const;
export type TransformerSizeName = keyof typeof TRANSFORMER_SIZES;

/** The T5-Small text encoder of the modality-specific models (docs/numerics.md §1.3, §2.6). */
export const T5_SMALL: Readonly<TransformerSize> = SMALL;
/** A tiny T5 text encoder for tests and examples (ours). */
export const T5_TINY: Readonly<TransformerSize> = TINY;

/** Video input geometry: clip size, voxel patch and the positional buckets it yields. */
export interface VideoInputConfig {
  frames: number;
  height: number;
  width: number;
  /** Voxel patch [t, h, w] (official 4x16x16). */
  patchSize: readonly [number, number, number];
  /** Positional table sizes [T/t, H/h, W/w]. */
  buckets: readonly [number, number, number];
  /** Colour channels (3). */
  channels: number;
}

/** Pre-training video: 32 frames of 224x224, patch 4x16x16 -> 8x14x14 = 1568 tokens (section 1.1). */
export const VIDEO_INPUT: Readonly<VideoInputConfig> = Object.freeze({
  frames: 32,
  height: 224,
  width: 224,
  patchSize: [4, 16, 16] as const,
  buckets: [8, 14, 14] as const,
  channels: 3,
});
/** Tiny video: 8 frames of 32x32, patch 4x8x8 -> 2x4x4 = 32 tokens of 768 values (ours). */
export const TINY_VIDEO_INPUT: Readonly<VideoInputConfig> = Object.freeze({
  frames: 8,
  height: 32,
  width: 32,
  patchSize: [4, 8, 8] as const,
  buckets: [2, 4, 4] as const,
  channels: 3,
});

/** Raw-waveform audio input: samples, patch length and the positional buckets. */
export interface AudioInputConfig {
  samples: number;
  /** Samples per patch (128, section 1.2). */
  patchSize: number;
  /** Positional table size samples / patchSize. */
  buckets: number;
}

/** Pre-training audio: 153,600 samples (3.2 s at 48 kHz), patch 128 -> 1200 tokens (section 1.2). */
export const AUDIO_INPUT: Readonly<AudioInputConfig> = Object.freeze({ samples: 153600, patchSize: 128, buckets: 1200 });
/** Tiny audio: 4096 samples, patch 128 -> 32 tokens (ours). */
export const TINY_AUDIO_INPUT: Readonly<AudioInputConfig> = Object.freeze({ samples: 4096, patchSize: 128, buckets: 32 });

/** Spectrogram audio input (SpT ablation, section 1.2): [frames, mel bins] cut into 2-D patches. */
export interface SpectrogramInputConfig {
  /** Patch [time frames, mel bins] (official 16 x 5). */
  patchSize: readonly [number, number];
  /** Positional table sizes [time, spectral] (official 9 x 16). */
  buckets: readonly [number, number];
}

/** SpT: 150 frames x 80 mel bins, patch 16x5 -> 9x16 tokens (section 1.2). */
export const SPECTROGRAM_INPUT: Readonly<SpectrogramInputConfig> = Object.freeze({ patchSize: [16, 5] as const, buckets: [9, 16] as const });

/** Text input: word vocabulary, frozen word-embedding width, caption length. */
export interface TextInputConfig {
  vocabSize: number;
  /** Width of the word embedding table and of the text [AGG] token (300, word2vec). */
  embeddingDim: number;
  /** Tokens per caption (16). */
  maxTokens: number;
}

/** Text: vocabulary 2^16, 300-d word2vec, 16 tokens (section 1.3). */
export const TEXT_INPUT: Readonly<TextInputConfig> = Object.freeze({ vocabSize: 65536, embeddingDim: 300, maxTokens: 16 });
/** Tiny text: vocabulary 512, 32-d embeddings, 8 tokens (ours). */
export const TINY_TEXT_INPUT: Readonly<TextInputConfig> = Object.freeze({ vocabSize: 512, embeddingDim: 32, maxTokens: 8 });

/** Options shared by the pre-LN (ViT / WaT / SpT) backbones (docs/numerics.md §2.5). */
export interface EncoderOptions {
  /** Residual / MLP / positional dropout (0.1). */
  dropout: number;
  /** Attention-probability dropout (0.1). */
  attnDropout: number;
  /** LayerNorm epsilon (1e-6). */
  lnEps: number;
  /** Biases in attention and MLP (true; SpT false). */
  useBias: boolean;
  /** Dense d->d GELU `pre_proj` after the patch projection (fine-tuning a modality-agnostic checkpoint). */
  preProjection: boolean;
  /** Output width of the Dense GELU `post_proj` on every output token, or null for none. */
  postProjectionDim: number | null;
}

const ENCODER_DEFAULTS: EncoderOptions = { dropout: 0.1, attnDropout: 0.1, lnEps: 1e-6, useBias: true, preProjection: false, postProjectionDim: null };

/** A complete ViT-3D video backbone config. */
export interface VideoBackboneConfig extends TransformerSize, EncoderOptions {
  kind: 'video';
  input: VideoInputConfig;
  /** DropToken keep rate in training (official `patch_sampling_rate` 0.5), or null for none. */
  dropTokenKeepRate: number | null;
  /** One DropToken permutation per batch (false, official) or per sample (true). */
  dropTokenPerSample: boolean;
}

/** A complete WaT (waveform) or SpT (spectrogram) audio backbone config. */
export interface AudioBackboneConfig extends TransformerSize, EncoderOptions {
  kind: 'audio';
  input: AudioInputConfig | SpectrogramInputConfig;
  /** DropToken keep rate (waveform only; the official 2-D model has none), or null. */
  dropTokenKeepRate: number | null;
  dropTokenPerSample: boolean;
}

/** A complete T5 text backbone config (docs/numerics.md §1.3, §2.3, §2.6). */
export interface TextBackboneConfig extends TransformerSize {
  kind: 'text';
  input: TextInputConfig;
  /** Train the word-embedding table (false: frozen word2vec, official). */
  trainableEmbeddings: boolean;
  /** All dropouts of the tower (0.1). */
  dropout: number;
  lnEps: number;
  /** Relative position buckets (32) and max distance (64). */
  numRelativeBuckets: number;
  maxRelativeDistance: number;
  /** Output width of a bias-free Dense GELU `post_proj`, or null (T5-Small: none). */
  postProjectionDim: number | null;
}

export type BackboneConfig = VideoBackboneConfig | AudioBackboneConfig | TextBackboneConfig;

function isSpectrogram(input: AudioInputConfig | SpectrogramInputConfig): input is SpectrogramInputConfig {
  return Array.isArray((input as SpectrogramInputConfig).patchSize);
}

/**
 * A ViT-3D config from a size and an input geometry (defaults: pre-training, DropToken keep 0.5).
 *
 * @example
 * const cfg = videoConfig(BASE); // 32x224x224, patch 4x16x16, 12 x 768
 * const tiny = videoConfig(TINY, TINY_VIDEO_INPUT, { dropTokenKeepRate: null });
 */
export function videoConfig(
  size: TransformerSize,
  input: VideoInputConfig = VIDEO_INPUT,
  overrides: Partial<Omit<VideoBackboneConfig, 'kind'>> = {},
): VideoBackboneConfig {
  return { kind: 'video', ...size, ...ENCODER_DEFAULTS, input, dropTokenKeepRate: 0.5, dropTokenPerSample: false, ...overrides };
}

/**
 * A WaT (waveform) or SpT (spectrogram) config. Spectrogram inputs default to no DropToken and no
 * biases, as the official SpT configs (section 1.2).
 *
 * @example
 * const wat = audioConfig(BASE); // 153,600 samples, patch 128, 1200 buckets
 * const spt = audioConfig(BASE, SPECTROGRAM_INPUT);
 */
export function audioConfig(
  size: TransformerSize,
  input: AudioInputConfig | SpectrogramInputConfig = AUDIO_INPUT,
  overrides: Partial<Omit<AudioBackboneConfig, 'kind'>> = {},
): AudioBackboneConfig {
  const spectrogram = isSpectrogram(input);
  return {
    kind: 'audio',
    ...size,
    ...ENCODER_DEFAULTS,
    useBias: !spectrogram,
    input,
    dropTokenKeepRate: spectrogram ? null : 0.5,
    dropTokenPerSample: false,
    ...overrides,
  };
}

/**
 * A T5 text config (frozen 2^16 x 300 word table, 16 tokens).
 *
 * @example
 * const t5 = textConfig(T5_SMALL);
 */
export function textConfig(
  size: TransformerSize = T5_SMALL,
  input: TextInputConfig = TEXT_INPUT,
  overrides: Partial<Omit<TextBackboneConfig, 'kind'>> = {},
): TextBackboneConfig {
  return {
    kind: 'text',
    ...size,
    input,
    trainableEmbeddings: false,
    dropout: 0.1,
    lnEps: 1e-6,
    numRelativeBuckets: 32,
    maxRelativeDistance: 64,
    postProjectionDim: null,
    ...overrides,
  };
}

/** True for a spectrogram (SpT) audio config. */
export function isSpectrogramInput(cfg: AudioBackboneConfig): cfg is AudioBackboneConfig & { input: SpectrogramInputConfig } {
  return isSpectrogram(cfg.input);
}

/** Number of values in one patch of a video / audio config (t*h*w*3, 128, or time x mel). */
export function patchValues(cfg: VideoBackboneConfig | AudioBackboneConfig): number {
  if (cfg.kind === 'video') return cfg.input.patchSize[0] * cfg.input.patchSize[1] * cfg.input.patchSize[2] * cfg.input.channels;
  const p = cfg.input.patchSize;
  return typeof p === 'number' ? p : p[0] * p[1];
}

/** The positional table sizes of a video / audio config, one per factorised axis. */
export function positionBuckets(cfg: VideoBackboneConfig | AudioBackboneConfig): number[] {
  const b = cfg.input.buckets;
  return typeof b === 'number' ? [b] : [...b];
}

/** A breakdown of a backbone's weights, in scalars. */
export interface ParameterCount {
  /** Patch projection (`voxel_to_patch` / `wave_to_patch` / `spectrum_to_patch`) or word table. */
  tokenizer: number;
  /** Positional tables and their LayerNorm (or nothing for T5, whose relative bias is in `encoder`). */
  positions: number;
  /** The [AGG] vector. */
  aggToken: number;
  /** `pre_proj` (and the text `pre_proj` 300 -> d) plus `post_proj`. */
  projections: number;
  /** The Transformer stack (`tx` / `base_lm`), final norm included. */
  encoder: number;
  /** Everything. */
  total: number;
  /** Everything the optimiser trains (total minus a frozen word table). */
  trainable: number;
}

/** Parameters of one pre-LN Transformer stack (`tx`): q,k,v,o, 2 LNs, MLP per layer, final LN. */
export function countEncoderParameters(size: TransformerSize, useBias = true): number {
  const d = size.dModel;
  const inner = size.numHeads * size.dKv;
  const b = useBias ? 1 : 0;
  const attention = 3 * (d * inner + b * inner) + inner * d + b * d;
  const mlp = d * size.dFF + b * size.dFF + size.dFF * d + b * d;
  const norms = 2 * 2 * d;
  return size.numLayers * (attention + mlp + norms) + 2 * d;
}

/** Parameters of the T5 text stack (`base_lm`): no biases, RMSNorm + LN per layer, relative bias in layer 0. */
export function countT5EncoderParameters(size: TransformerSize, numRelativeBuckets = 32): number {
  const d = size.dModel;
  const inner = size.numHeads * size.dKv;
  const perLayer = 3 * d * inner + inner * d + 2 * d * size.dFF + d /* RMSNorm */ + 2 * d; /* FF LayerNorm */
  return size.numLayers * perLayer + numRelativeBuckets * size.numHeads + d; /* final RMSNorm */
}

/**
 * Analytic parameter count of a backbone built from `cfg` (equals `module.countParams()` of the
 * built module; tests check this on Tiny/Small and against the paper's Table 7 for the rest).
 *
 * @example
 * countParameters(videoConfig(BASE)).total; // 87,446,016 (paper: 87.9 M)
 */
export function countParameters(cfg: BackboneConfig): ParameterCount {
  const d = cfg.dModel;
  let tokenizer: number;
  let positions: number;
  let aggToken: number;
  let projections: number;
  let encoder: number;
  let frozen = 0;
  if (cfg.kind === 'text') {
    const e = cfg.input.embeddingDim;
    tokenizer = cfg.input.vocabSize * e;
    if (!cfg.trainableEmbeddings) frozen = tokenizer;
    positions = 0;
    aggToken = e;
    projections = e * d + (cfg.postProjectionDim ? d * cfg.postProjectionDim : 0);
    encoder = countT5EncoderParameters(cfg, cfg.numRelativeBuckets);
  } else {
    tokenizer = patchValues(cfg) * d + d;
    positions = positionBuckets(cfg).reduce((s, n) => s + n * d, 0) + 2 * d;
    aggToken = d;
    projections = (cfg.preProjection ? d * d + d : 0) + (cfg.postProjectionDim ? d * cfg.postProjectionDim + cfg.postProjectionDim : 0);
    encoder = countEncoderParameters(cfg, cfg.useBias);
  }
  const total = tokenizer + positions + aggToken + projections + encoder;
  return { tokenizer, positions, aggToken, projections, encoder, total, trainable: total - frozen };
}
