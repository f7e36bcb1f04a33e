/**
 * The named presets, one JSON file each in `presets/` (docs/numerics.md §3): `bbs` / `mbs` / `lbs` (ViT
 * Base / Medium / Large video, WaT-Base audio, T5-Small text; paper section 4.1), `bbs-spt` (spectrogram
 * audio, the paper's ablation), `ma-medium` (VATT-MA Medium), and ours for tests, examples and
 * `npm start`: `tiny`, `tiny-ma`, `tiny-spt`. Copy one (`vatt config <preset>`) to start a custom config.
 */
import bbs from './presets/bbs.json' with { type: 'json' };
import bbsSpt from './presets/bbs-spt.json' with { type: 'json' };
import lbs from './presets/lbs.json' with { type: 'json' };
import maMedium from './presets/ma-medium.json' with { type: 'json' };
import mbs from './presets/mbs.json' with { type: 'json' };
import tiny from './presets/tiny.json' with { type: 'json' };
import tinyMa from './presets/tiny-ma.json' with { type: 'json' };
import tinySpt from './presets/tiny-spt.json' with { type: 'json' };
import { resolveModel, validateExperiment, type ExperimentConfig, type PreprocessingConfig, type VattConfig } from './experiment.js';

const PRESETS = { tiny, 'tiny-ma': tinyMa, 'tiny-spt': tinySpt, bbs, 'bbs-spt': bbsSpt, mbs, lbs, 'ma-medium': maMedium } as const;

export type PresetName = keyof typeof PRESETS;
export const PRESET_NAMES = Object.keys(PRESETS) as PresetName[];

/** Whether `name` is a preset's name. */
export function isPresetName(name: string): name is PresetName {
  return Object.hasOwn(PRESETS, name);
}

/** The experiment config of a preset (a fresh copy, validated). */
export function getExperiment(name: PresetName): ExperimentConfig {
  if (!isPresetName(name)) throw new Error(`unknown preset "${name as string}", expected one of ${PRESET_NAMES.join(', ')}`);
  return validateExperiment(structuredClone(PRESETS[name]), `preset ${name}`);
}

/** A preset's model (resolved, input geometry included) and preprocessing. */
export interface VattPreset {
  model: VattConfig;
  preprocessing: PreprocessingConfig;
  experiment: ExperimentConfig;
}

/**
 * A preset's model and preprocessing configs.
 *
 * @example
 * const { model, preprocessing } = getPreset('tiny');
 * new VATT(model).countParams(); // 424608
 */
export function getPreset(name: PresetName): VattPreset {
  const experiment = getExperiment(name);
  return { model: resolveModel(experiment), preprocessing: experiment.preprocessing, experiment };
}
