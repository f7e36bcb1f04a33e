/**
 * What an official checkpoint is imported as: a VATT preset (`bbs`, `mbs`, `lbs`, `ma-medium`, ... any
 * name of config/presets.ts) or a fine-tuned classifier. Classifiers have presets named after the
 * released checkpoints (`vit-base-k400` = `finetune/vit_base/k400_modality_specific_pretrain`, see
 * `CLASSIFIER_PRESETS`), or are described generically: `{ classifier: 'video', preset: 'bbs', classes: 400 }`
 * (CLI `--classifier video --preset bbs --classes 400`): the tower of a VATT preset plus a Dense head.
 *
 * Classifier geometry: the official `Finetune` config trains at 32 frames of 224 px (docs/numerics.md
 * §11.3), whose positional tables (8, 14, 14) the presets expect; a checkpoint fine-tuned at another size
 * has other table sizes, which the import reports, naming the `input` option (`--frames`, `--size`)
 * that matches. Video classifiers read 12.5 fps (25 fps with stride 2, §8.1), audio classifiers 24 kHz
 * (the AudioSet fine-tune, §1.2).
 */
import type { AudioBackboneConfig, VideoBackboneConfig } from '@vatt/transformer';
import { getPreset, isPresetName, PRESET_NAMES, type PresetName } from '../../config/presets.js';
import type { PreprocessingConfig, VattConfig } from '../../config/experiment.js';
import type { ClassifierConfig } from '../../finetune/classifier.js';
import { OfficialCheckpointError } from './errors.js';
import { familyOfConfig, type LayoutSource, type OfficialFamily } from './layout.js';

/** A released fine-tuned checkpoint as a preset: the tower of a VATT preset, the class count, the official folder. */
export interface ClassifierPreset {
  tower: 'video' | 'audio';
  /** The VATT preset whose tower the classifier fine-tuned. */
  from: PresetName;
  classes: number;
  /** The folder under `tf_model_garden/vision/vatt/` (vatt/README.md). */
  official: string;
}

/** The released fine-tuned checkpoints (vatt/README.md "Fine-tuned checkpoints"). */
export const CLASSIFIER_PRESETS = {
  'vit-base-k400': { tower: 'video', from: 'bbs', classes: 400, official: 'finetune/vit_base/k400_modality_specific_pretrain' },
  'vit-medium-k400': { tower: 'video', from: 'mbs', classes: 400, official: 'finetune/vit_medium/k400_modality_specific_pretrain' },
  'vit-large-k400': { tower: 'video', from: 'lbs', classes: 400, official: 'finetune/vit_large/k400_modality_specific_pretrain' },
  'vit-medium-ma-k400': { tower: 'video', from: 'ma-medium', classes: 400, official: 'finetune/vit_medium/k400_modality_agnostic_pretrain' },
  'vit-base-k600': { tower: 'video', from: 'bbs', classes: 600, official: 'finetune/vit_base/k600_modality_specific_pretrain' },
  'vit-medium-k600': { tower: 'video', from: 'mbs', classes: 600, official: 'finetune/vit_medium/k600_modality_specific_pretrain' },
  'vit-large-k600': { tower: 'video', from: 'lbs', classes: 600, official: 'finetune/vit_large/k600_modality_specific_pretrain' },
  'vit-medium-ma-k600': { tower: 'video', from: 'ma-medium', classes: 600, official: 'finetune/vit_medium/k600_modality_agnostic_pretrain' },
  'vit-large-k700': { tower: 'video', from: 'lbs', classes: 700, official: 'finetune/vit_large/k700_modality_specific_pretrain' },
  'vit-base-mit': { tower: 'video', from: 'bbs', classes: 339, official: 'finetune/vit_base/mit_modality_specific_pretrain' },
  'vit-medium-mit': { tower: 'video', from: 'mbs', classes: 339, official: 'finetune/vit_medium/mit_modality_specific_pretrain' },
  'vit-large-mit': { tower: 'video', from: 'lbs', classes: 339, official: 'finetune/vit_large/mit_modality_specific_pretrain' },
  'vit-medium-ma-mit': { tower: 'video', from: 'ma-medium', classes: 339, official: 'finetune/vit_medium/mit_modality_agnostic_pretrain' },
  'wat-base-audioset': { tower: 'audio', from: 'bbs', classes: 527, official: 'finetune/wat_base/audioset_modality_specific_pretrain' },
  'wat-medium-ma-audioset': { tower: 'audio', from: 'ma-medium', classes: 527, official: 'finetune/wat_medium/audioset_modality_agnostic_pretrain' },
} as const satisfies Record<string, ClassifierPreset>;

export type ClassifierPresetName = keyof typeof CLASSIFIER_PRESETS;
export const CLASSIFIER_PRESET_NAMES = Object.keys(CLASSIFIER_PRESETS) as ClassifierPresetName[];

/** Input geometry of an imported classifier (defaults: the preset's 32 x 224 x 224 video, 153,600 audio samples). */
export interface ClassifierInput {
  frames?: number;
  height?: number;
  width?: number;
  samples?: number;
}

/**
 * What to import a checkpoint as: a preset name (VATT or classifier), a VATT model given as configs
 * (`getPreset(name)` or your own), or a generic classifier.
 */
export type TargetSpec =
  | string
  | { model: VattConfig; preprocessing: PreprocessingConfig; name?: string }
  | { classifier: 'video' | 'audio'; preset: PresetName; classes?: number; input?: ClassifierInput }
  | { preset: ClassifierPresetName; input?: ClassifierInput };

/** A resolved import target: the family, the model config we write, and its preprocessing. */
export interface ImportTarget {
  /** How the target is named in messages (`bbs`, `vit-base-k400`, `video classifier on bbs`). */
  name: string;
  source: LayoutSource;
  preprocessing: PreprocessingConfig;
  /** For a classifier whose class count is to be read from the checkpoint (`classes` left out). */
  classesFromCheckpoint?: boolean;
}

const ALL_NAMES = () => [...PRESET_NAMES, ...CLASSIFIER_PRESET_NAMES].join(', ');

function presetOrThrow(name: string, what: string): ReturnType<typeof getPreset> {
  if (!isPresetName(name)) throw new OfficialCheckpointError('BAD_PRESET', `${what} "${name}" is not a VATT preset (one of ${PRESET_NAMES.join(', ')})`);
  return getPreset(name);
}

function positiveInt(v: number | undefined, what: string): number | undefined {
  if (v !== undefined && !(Number.isInteger(v) && v >= 1)) throw new OfficialCheckpointError('BAD_PRESET', `${what} must be a positive integer, got ${v}`);
  return v;
}

/**
 * A classifier target: the tower of `from` (VATT-MA towers get their pre/post projections, as the
 * official fine-tuning of an MA checkpoint, docs/numerics.md §3.3), the input geometry, a Dense head.
 */
function classifierTarget(name: string, tower: 'video' | 'audio', from: PresetName, classes: number | undefined, input: ClassifierInput = {}): ImportTarget {
  const preset = getPreset(from);
  const m = preset.model;
  const ma = m.variant === 'modality-agnostic' ? { preProjection: true, postProjectionDim: m.video.dModel } : {};
  const pre = structuredClone(preset.preprocessing);
  const numClasses = positiveInt(classes, 'classes') ?? 2;
  if (numClasses < 2) throw new OfficialCheckpointError('BAD_PRESET', `a classifier needs at least 2 classes, got ${numClasses}`);
  if (tower === 'video') {
    const v = m.video.input;
    const frames = positiveInt(input.frames, 'frames') ?? pre.video.frames;
    const height = positiveInt(input.height, 'height') ?? pre.video.height;
    const width = positiveInt(input.width, 'width') ?? pre.video.width;
    const [t, h, w] = v.patchSize;
    if (frames % t || height % h || width % w) {
      throw new OfficialCheckpointError('BAD_PRESET', `video input ${frames}x${height}x${width} is not a multiple of the ${t}x${h}x${w} voxel patch`);
    }
    pre.video = { ...pre.video, frames, height, width, fps: 12.5 };
    // No DropToken: the classifiers' default (docs/numerics.md §4, §11.3), as VideoClassifier builds it.
    const backbone: VideoBackboneConfig = {
      ...m.video,
      ...ma,
      input: { ...v, frames, height, width, buckets: [frames / t, height / h, width / w] },
      dropTokenKeepRate: null,
    };
    const config: ClassifierConfig = { kind: 'video-classifier', backbone, numClasses, dropout: 0.5 };
    return { name, source: familyOfConfig(config), preprocessing: pre, ...(classes === undefined ? { classesFromCheckpoint: true } : {}) };
  }
  const a = m.audio.input;
  if (typeof a.patchSize !== 'number')
    throw new OfficialCheckpointError('BAD_PRESET', `preset ${from} has a spectrogram audio tower; no such classifier is released`);
  const samples = positiveInt(input.samples, 'samples') ?? pre.audio.samples;
  if (samples % a.patchSize)
    throw new OfficialCheckpointError('BAD_PRESET', `audio input of ${samples} samples is not a multiple of the ${a.patchSize}-sample patch`);
  pre.audio = { ...pre.audio, samples, sampleRate: 24000 };
  const backbone: AudioBackboneConfig = {
    ...m.audio,
    ...ma,
    input: { samples, patchSize: a.patchSize, buckets: samples / a.patchSize },
    dropTokenKeepRate: null,
  };
  const config: ClassifierConfig = { kind: 'audio-classifier', backbone, numClasses, dropout: 0 };
  return { name, source: familyOfConfig(config), preprocessing: pre, ...(classes === undefined ? { classesFromCheckpoint: true } : {}) };
}

/**
 * Resolves a `TargetSpec`.
 *
 * @example
 * resolveTarget('bbs').source.family;                                   // 'modality-specific'
 * resolveTarget('vit-base-k400').source.family;                         // 'video-classifier'
 * resolveTarget({ classifier: 'audio', preset: 'ma-medium', classes: 527 }).name; // 'audio classifier on ma-medium'
 */
export function resolveTarget(spec: TargetSpec): ImportTarget {
  if (typeof spec === 'string') {
    if (Object.hasOwn(CLASSIFIER_PRESETS, spec)) {
      const c: ClassifierPreset = CLASSIFIER_PRESETS[spec as ClassifierPresetName];
      return classifierTarget(spec, c.tower, c.from, c.classes);
    }
    if (!isPresetName(spec)) throw new OfficialCheckpointError('BAD_PRESET', `unknown preset "${spec}", expected one of ${ALL_NAMES()}`);
    const p = getPreset(spec);
    return { name: spec, source: familyOfConfig(p.model), preprocessing: p.preprocessing };
  }
  if ('model' in spec) return { name: spec.name ?? 'the given model config', source: familyOfConfig(spec.model), preprocessing: spec.preprocessing };
  if ('classifier' in spec) {
    if (spec.classifier !== 'video' && spec.classifier !== 'audio') {
      throw new OfficialCheckpointError('BAD_PRESET', `classifier must be "video" or "audio", got "${String(spec.classifier)}"`);
    }
    presetOrThrow(spec.preset, 'the classifier tower preset');
    return classifierTarget(`${spec.classifier} classifier on ${spec.preset}`, spec.classifier, spec.preset, spec.classes, spec.input);
  }
  if (!Object.hasOwn(CLASSIFIER_PRESETS, spec.preset)) {
    throw new OfficialCheckpointError('BAD_PRESET', `unknown classifier preset "${spec.preset}", expected one of ${CLASSIFIER_PRESET_NAMES.join(', ')}`);
  }
  const c: ClassifierPreset = CLASSIFIER_PRESETS[spec.preset];
  return classifierTarget(spec.preset, c.tower, c.from, c.classes, spec.input);
}

/**
 * The same target with another class count (a generic classifier sized from the checkpoint's Dense).
 *
 * @example
 * withClasses(resolveTarget({ classifier: 'video', preset: 'bbs' }), 400).source.config; // { ..., numClasses: 400 }
 */
export function withClasses(t: ImportTarget, classes: number): ImportTarget {
  if (t.source.family !== 'video-classifier' && t.source.family !== 'audio-classifier') return t;
  const config: ClassifierConfig = { ...t.source.config, numClasses: classes };
  return { ...t, source: { family: t.source.family, config }, classesFromCheckpoint: false };
}

/**
 * The targets a checkpoint of `family` can be imported with, each with its CLI spelling (for hints and
 * `inspectTfCheckpoint`'s guess).
 *
 * @example
 * presetsOfFamily('modality-agnostic').map((p) => p.cli); // ['--preset tiny-ma', '--preset ma-medium']
 */
export function presetsOfFamily(family: OfficialFamily): Array<{ spec: TargetSpec; cli: string }> {
  if (family === 'video-classifier' || family === 'audio-classifier') {
    const tower = family === 'video-classifier' ? 'video' : 'audio';
    const named = CLASSIFIER_PRESET_NAMES.filter((n) => CLASSIFIER_PRESETS[n].tower === tower).map((n) => ({ spec: n, cli: `--preset ${n}` }));
    // Generic classifiers on every VATT preset's tower (a spectrogram tower has no released classifier).
    const generic = PRESET_NAMES.filter((p) => tower === 'video' || typeof getPreset(p).model.audio.input.patchSize === 'number').map((p) => ({
      spec: { classifier: tower, preset: p } as TargetSpec,
      cli: `--classifier ${tower} --preset ${p}`,
    }));
    return [...named, ...generic];
  }
  return PRESET_NAMES.filter((n) => getPreset(n).model.variant === family).map((n) => ({ spec: n, cli: `--preset ${n}` }));
}
