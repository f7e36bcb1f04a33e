/**
 * Experiment configs: the one source of truth of a run, as data (open_clip's model configs, big_vision's
 * `get_config`). A config holds the model (tower sizes and options), the preprocessing, the optimiser and
 * learning-rate schedule, and the training defaults; one JSON file per preset lives in `config/presets/`.
 * The model's input geometry (frames, patch grid, positional buckets, audio patches, caption length) is
 * derived from the preprocessing, never stated twice. `validateExperiment` names the bad field.
 *
 * @example
 * const exp = applyOverrides(getExperiment('tiny'), ['training.steps=50', 'preprocessing.video.height=64']);
 * const model = new VATT(resolveModel(exp)); // video input 8x64x32, buckets derived from it
 */
import { LogMelSpectrogram } from '@vatt/tokenizers';
import {
  audioConfig,
  textConfig,
  TRANSFORMER_SIZES,
  videoConfig,
  type AudioBackboneConfig,
  type TextBackboneConfig,
  type TransformerSize,
  type VideoBackboneConfig,
} from '@vatt/transformer';
import { z } from 'zod';
import { DEFAULT_FAC_HEAD, type FacHeadConfig } from '../model/fac-head.js';
import { SCHEDULE_KINDS } from '../train/schedule.js';

const int = (min: number) => z.number().int().min(min);
const positive = z.number().positive();
const rate = z.number().min(0).max(1);

const sizeName = z.enum(Object.keys(TRANSFORMER_SIZES) as [keyof typeof TRANSFORMER_SIZES, ...Array<keyof typeof TRANSFORMER_SIZES>]);

/** What a tower's size can be given as: a name (`"base"`) and/or the numbers, which win over the name. */
const sizeFields = {
  /** One of tiny, small, base, medium, large (@vatt/transformer's TRANSFORMER_SIZES). */
  size: sizeName.optional(),
  numLayers: int(1).optional(),
  dModel: int(1).optional(),
  dFF: int(1).optional(),
  numHeads: int(1).optional(),
  dKv: int(1).optional(),
};

const patchTowerSchema = z
  .object({
    ...sizeFields,
    /** Residual / MLP / positional dropout (0.1). */
    dropout: rate.optional(),
    /** Attention-probability dropout (0.1). */
    attnDropout: rate.optional(),
    lnEps: positive.optional(),
    useBias: z.boolean().optional(),
    preProjection: z.boolean().optional(),
    postProjectionDim: int(1).nullable().optional(),
    /** DropToken keep rate in training (0.5, the official `patch_sampling_rate`), or null for none. */
    dropTokenKeepRate: z.number().gt(0).max(1).nullable().optional(),
    dropTokenPerSample: z.boolean().optional(),
  })
  .strict();

const textTowerSchema = z
  .object({
    ...sizeFields,
    /** Word vocabulary (2^16 official). */
    vocabSize: int(5).optional(),
    /** Word-embedding width (300, word2vec). */
    embeddingDim: int(1).optional(),
    /** Train the word table (false: frozen word2vec, official). */
    trainableEmbeddings: z.boolean().optional(),
    dropout: rate.optional(),
    lnEps: positive.optional(),
    numRelativeBuckets: int(1).optional(),
    maxRelativeDistance: int(1).optional(),
    postProjectionDim: int(1).nullable().optional(),
  })
  .strict();

const modelSchema = z
  .object({
    /** `modality-specific`: three towers (BBS/MBS/LBS); `modality-agnostic`: one shared encoder (docs/numerics.md §3.3). */
    variant: z.enum(['modality-specific', 'modality-agnostic']),
    video: patchTowerSchema,
    audio: patchTowerSchema,
    text: textTowerSchema,
    head: z
      .object({
        dVa: int(1).optional(),
        dVt: int(1).optional(),
        style: z.enum(['code', 'paper']).optional(),
        bnMomentum: rate.optional(),
        bnEps: positive.optional(),
      })
      .strict()
      .default({}),
    /** Softmax temperature of NCE / MIL-NCE (0.07). */
    temperature: positive.default(0.07),
    /** The code's average of the two loss terms, or the paper's sum (docs/numerics.md §6.1). */
    lossWeighting: z.enum(['code', 'paper']).default('code'),
  })
  .strict();

const spectrogramSchema = z
  .object({
    nFft: int(2),
    hopLength: int(1),
    nMels: int(1),
    patchSize: z.tuple([int(1), int(1)]),
    center: z.boolean().optional(),
    power: positive.optional(),
    fMin: z.number().min(0).optional(),
    fMax: positive.optional(),
    logOffset: z.number().optional(),
    normalize: z.enum(['none', 'minmax']).optional(),
  })
  .strict();

const preprocessingSchema = z
  .object({
    video: z.object({ frames: int(1), height: int(1), width: int(1), patchSize: z.tuple([int(1), int(1), int(1)]), fps: positive }).strict(),
    /** `patchSize`: waveform samples per patch; with `spectrogram`, waveforms become log-mel patches (SpT) instead. */
    audio: z.object({ samples: int(1), patchSize: int(1), sampleRate: int(1), spectrogram: spectrogramSchema.optional() }).strict(),
    text: z.object({ maxTokens: int(1), numCandidates: int(1) }).strict(),
  })
  .strict();

const experimentSchema = z
  .object({
    /** What the config is, for `vatt info` and logs. */
    description: z.string().optional(),
    model: modelSchema,
    preprocessing: preprocessingSchema,
    optimizer: z
      .object({ kind: z.literal('adam').default('adam'), beta1: rate.default(0.9), beta2: rate.default(0.999), epsilon: positive.default(1e-7) })
      .strict()
      .default({ kind: 'adam', beta1: 0.9, beta2: 0.999, epsilon: 1e-7 }),
    schedule: z
      .object({
        /** `code`: linear warmup then half-cosine to `endLrFraction·lr` (the official schedule); `paper`; `constant`. */
        kind: z.enum(SCHEDULE_KINDS),
        lr: positive,
        warmupSteps: int(0),
        endLrFraction: rate.default(0.5),
      })
      .strict(),
    training: z
      .object({
        steps: int(1),
        batchSize: int(2),
        seed: int(0).default(0),
        /** Clips per forward/backward pass (gradient cache); the loss still sees the whole batch. null: the batch. */
        microBatch: int(2).nullable().default(null),
        /** Worker threads with one model replica each (data parallel). */
        replicas: int(1).default(1),
        /** Recompute each Transformer layer in the backward pass (less memory, ~1.3x compute). */
        checkpointLayers: z.boolean().default(false),
        /** Global-norm gradient clipping (0 = off, the official pretraining default). */
        clipNorm: z.number().min(0).default(0),
        checkpointEvery: int(1),
        keep: int(1),
      })
      .strict(),
  })
  .strict();

/** A whole experiment (see the file comment); `ExperimentInput` is what a JSON file may leave out. */
export type ExperimentConfig = z.output<typeof experimentSchema>;
export type ExperimentInput = z.input<typeof experimentSchema>;
export type ModelSpec = ExperimentConfig['model'];
export type PreprocessingConfig = ExperimentConfig['preprocessing'];
export type SpectrogramPreprocessing = NonNullable<PreprocessingConfig['audio']['spectrogram']>;
export type HeadConfig = Omit<FacHeadConfig, 'videoDim' | 'audioDim' | 'textDim'>;

/** The model as it is built and stored in checkpoints: every tower fully resolved, input geometry included. */
export interface VattConfig {
  variant: ModelSpec['variant'];
  video: VideoBackboneConfig;
  audio: AudioBackboneConfig;
  text: TextBackboneConfig;
  head: HeadConfig;
  temperature: number;
  lossWeighting: 'code' | 'paper';
}

/** A config that failed validation; the message lists every bad field by its path. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

function issuePath(path: PropertyKey[]): string {
  return (
    path
      .map((p) => (typeof p === 'number' ? `[${p}]` : String(p)))
      .join('.')
      .replace(/\.\[/g, '[') || '(root)'
  );
}

/**
 * Checks a parsed config (from a JSON file or built in code), fills in the defaults, and returns it.
 * Unknown fields are errors (a typo would otherwise be ignored); so is input geometry the patches do
 * not divide.
 *
 * @example
 * validateExperiment(JSON.parse(text), 'my.json'); // throws: my.json: model.video.numLayer: unknown field
 */
export function validateExperiment(raw: unknown, source = 'config'): ExperimentConfig {
  const r = experimentSchema.safeParse(raw);
  if (!r.success) {
    const lines = r.error.issues.map((i) => {
      if (i.code === 'unrecognized_keys') return i.keys.map((k) => `${issuePath([...i.path, k])}: unknown field`).join('\n  ');
      return `${issuePath(i.path)}: ${i.message}`;
    });
    throw new ConfigError(`${source}: invalid experiment config\n  ${lines.join('\n  ')}`);
  }
  const problems = geometryProblems(r.data);
  if (problems.length) throw new ConfigError(`${source}: invalid experiment config\n  ${problems.join('\n  ')}`);
  return r.data;
}

/** Input geometry the model cannot take, as `field: why` lines. */
function geometryProblems(c: ExperimentConfig): string[] {
  const out: string[] = [];
  const v = c.preprocessing.video;
  (['frames', 'height', 'width'] as const).forEach((k, i) => {
    if (v[k] % v.patchSize[i] !== 0) out.push(`preprocessing.video.${k}: ${v[k]} is not a multiple of preprocessing.video.patchSize[${i}] = ${v.patchSize[i]}`);
  });
  const a = c.preprocessing.audio;
  if (a.spectrogram) {
    const s = a.spectrogram;
    const frames = spectrogramFrames(c.preprocessing);
    if (frames < s.patchSize[0])
      out.push(`preprocessing.audio.samples: ${a.samples} samples give ${frames} STFT frames, fewer than patchSize[0] = ${s.patchSize[0]}`);
    if (s.nMels < s.patchSize[1]) out.push(`preprocessing.audio.spectrogram.nMels: ${s.nMels} is fewer than patchSize[1] = ${s.patchSize[1]}`);
  } else if (a.samples % a.patchSize !== 0) {
    out.push(`preprocessing.audio.samples: ${a.samples} is not a multiple of preprocessing.audio.patchSize = ${a.patchSize}`);
  }
  const sizes = (['video', 'audio', 'text'] as const).map((t) => {
    try {
      return sizeOf(c.model[t], `model.${t}`);
    } catch (e) {
      out.push((e as Error).message);
      return undefined;
    }
  });
  const [video, audio] = sizes;
  if (c.model.variant === 'modality-agnostic' && video && audio) {
    if (audio.dModel !== video.dModel) {
      out.push(`model.audio.dModel: ${audio.dModel} must equal model.video.dModel (${video.dModel}): the modality-agnostic towers share one encoder`);
    }
  }
  return out;
}

function spectrogramFrames(pre: PreprocessingConfig): number {
  const s = pre.audio.spectrogram!;
  return new LogMelSpectrogram({ sampleRate: pre.audio.sampleRate, nFft: s.nFft, hopLength: s.hopLength, nMels: s.nMels, center: s.center }).numFrames(
    pre.audio.samples,
  );
}

function sizeOf(t: { size?: keyof typeof TRANSFORMER_SIZES } & Partial<TransformerSize>, where: string): TransformerSize {
  const base = t.size ? TRANSFORMER_SIZES[t.size] : undefined;
  const pick = (k: keyof TransformerSize) => {
    const value = t[k] ?? base?.[k];
    if (value === undefined) throw new ConfigError(`${where}: give "size" (${Object.keys(TRANSFORMER_SIZES).join(', ')}) or "${k}"`);
    return value;
  };
  return { numLayers: pick('numLayers'), dModel: pick('dModel'), dFF: pick('dFF'), numHeads: pick('numHeads'), dKv: pick('dKv') };
}

/** The tower fields other than the size, with undefined ones dropped (they keep the backbone defaults). */
function towerOverrides<T extends object>(t: T): Partial<T> {
  const skip = new Set(['size', 'numLayers', 'dModel', 'dFF', 'numHeads', 'dKv', 'vocabSize', 'embeddingDim']);
  return Object.fromEntries(Object.entries(t).filter(([k, v]) => v !== undefined && !skip.has(k))) as Partial<T>;
}

/**
 * The model config a config builds: tower sizes and options from `model`, every input shape from
 * `preprocessing` (video grid = frames / patch, audio buckets = samples / patch or the log-mel patch grid,
 * caption length = maxTokens).
 */
export function resolveModel(c: Pick<ExperimentConfig, 'model' | 'preprocessing'>): VattConfig {
  const { model: m, preprocessing: p } = c;
  const pv = p.video;
  const video = videoConfig(
    sizeOf(m.video, 'model.video'),
    {
      frames: pv.frames,
      height: pv.height,
      width: pv.width,
      patchSize: pv.patchSize,
      buckets: [pv.frames / pv.patchSize[0], pv.height / pv.patchSize[1], pv.width / pv.patchSize[2]],
      channels: 3,
    },
    towerOverrides(m.video),
  );
  const spec = p.audio.spectrogram;
  const audioInput = spec
    ? { patchSize: spec.patchSize, buckets: [Math.floor(spectrogramFrames(p) / spec.patchSize[0]), Math.floor(spec.nMels / spec.patchSize[1])] as const }
    : { samples: p.audio.samples, patchSize: p.audio.patchSize, buckets: p.audio.samples / p.audio.patchSize };
  const audio = audioConfig(sizeOf(m.audio, 'model.audio'), audioInput, towerOverrides(m.audio));
  const text = textConfig(
    sizeOf(m.text, 'model.text'),
    { vocabSize: m.text.vocabSize ?? 65536, embeddingDim: m.text.embeddingDim ?? 300, maxTokens: p.text.maxTokens },
    towerOverrides(m.text),
  );
  const head = { ...DEFAULT_FAC_HEAD, ...Object.fromEntries(Object.entries(m.head).filter(([, v]) => v !== undefined)) };
  return { variant: m.variant, video, audio, text, head, temperature: m.temperature, lossWeighting: m.lossWeighting };
}

/**
 * Checks that a model config takes the inputs a preprocessing config makes (a checkpoint edited by hand, or
 * one written with another preprocessing), naming both fields when they disagree.
 */
export function checkGeometry(model: VattConfig, pre: PreprocessingConfig, source = 'checkpoint'): void {
  const v = model.video.input;
  const problems: string[] = [];
  for (const k of ['frames', 'height', 'width'] as const) {
    if (v[k] !== pre.video[k]) problems.push(`model video.input.${k} = ${v[k]} but preprocessing.video.${k} = ${pre.video[k]}`);
  }
  if (v.patchSize.join() !== pre.video.patchSize.join())
    problems.push(`model video.input.patchSize = [${v.patchSize}] but preprocessing.video.patchSize = [${pre.video.patchSize}]`);
  const a = model.audio.input;
  if ('samples' in a) {
    if (pre.audio.spectrogram) problems.push('the model takes waveform patches but preprocessing.audio.spectrogram is set');
    if (a.samples !== pre.audio.samples) problems.push(`model audio.input.samples = ${a.samples} but preprocessing.audio.samples = ${pre.audio.samples}`);
    if (a.patchSize !== pre.audio.patchSize)
      problems.push(`model audio.input.patchSize = ${a.patchSize} but preprocessing.audio.patchSize = ${pre.audio.patchSize}`);
  } else if (!pre.audio.spectrogram) problems.push('the model takes spectrogram patches but preprocessing.audio.spectrogram is not set');
  if (model.text.input.maxTokens !== pre.text.maxTokens) {
    problems.push(`model text.input.maxTokens = ${model.text.input.maxTokens} but preprocessing.text.maxTokens = ${pre.text.maxTokens}`);
  }
  if (problems.length) throw new ConfigError(`${source}: the model and its preprocessing disagree:\n  ${problems.join('\n  ')}`);
}

/** Parses `value` of a `--set key=value` as JSON when it is JSON (numbers, booleans, null, arrays), else as a string. */
function parseValue(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

/**
 * Applies `key=value` overrides (dotted paths into the config, e.g. `training.steps=100`,
 * `preprocessing.video.patchSize=[2,8,8]`, `model.video.size=small`) and validates the result.
 *
 * @example
 * applyOverrides(getExperiment('tiny'), ['model.video.numLayers=4', 'preprocessing.audio.sampleRate=8000']);
 */
export function applyOverrides(config: ExperimentInput, overrides: readonly string[], source = 'config'): ExperimentConfig {
  const out = structuredClone(config) as Record<string, unknown>;
  for (const o of overrides) {
    const eq = o.indexOf('=');
    if (eq <= 0) throw new ConfigError(`--set ${o}: expected key=value, e.g. training.steps=100`);
    const keys = o.slice(0, eq).trim().split('.');
    let node = out;
    for (const [i, k] of keys.slice(0, -1).entries()) {
      const next = node[k];
      if (next === undefined) node[k] = {};
      else if (typeof next !== 'object' || next === null || Array.isArray(next)) {
        throw new ConfigError(`--set ${o}: ${keys.slice(0, i + 1).join('.')} is not a section of the config`);
      }
      node = node[k] as Record<string, unknown>;
    }
    node[keys[keys.length - 1]] = parseValue(o.slice(eq + 1).trim());
  }
  return validateExperiment(out, overrides.length ? `${source} with --set ${overrides.join(' ')}` : source);
}

/** The fields two configs disagree on, as dotted paths (compared on `--resume`). */
export function configDifferences(a: unknown, b: unknown, prefix = ''): string[] {
  if (a === b) return [];
  const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
  if (isObj(a) && isObj(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => configDifferences(a[k], b[k], prefix ? `${prefix}.${k}` : k));
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [prefix || '(root)'];
}

/** The value at a dotted path of a config, for messages. */
export function configValue(c: unknown, dotted: string): unknown {
  return dotted.split('.').reduce<unknown>((n, k) => (n && typeof n === 'object' ? (n as Record<string, unknown>)[k] : undefined), c);
}
