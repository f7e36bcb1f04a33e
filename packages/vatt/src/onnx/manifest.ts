/**
 * `manifest.json` of an exported ONNX folder (browser-safe): the model and preprocessing configs and the
 * vocabulary, so the folder alone is enough to embed (preprocessing stays in JS: frames, waveforms and
 * captions become patches and ids exactly as `VattPreprocessor` makes them), plus each tower's file and
 * its input and output signature.
 */
import type { PreprocessingConfig, VattConfig } from '../config/experiment.js';

export const ONNX_FORMAT = 'vatt-onnx/1';
export const MANIFEST_FILE = 'manifest.json';

export type TowerName = 'video' | 'audio' | 'text';
export const TOWER_NAMES: readonly TowerName[] = ['video', 'audio', 'text'];

/** A graph input or output: name, element type, shape (`batch` is the dynamic dimension). */
export interface OnnxTensorSpec {
  name: string;
  dtype: 'float32' | 'int32';
  shape: Array<number | string>;
}

/** One exported tower. */
export interface OnnxTowerEntry {
  file: string;
  /** Size of the file in bytes. */
  bytes: number;
  inputs: OnnxTensorSpec[];
  /** `features` ([AGG] output), `va` (S_va), `vt` (S_vt). */
  outputs: OnnxTensorSpec[];
  /** Video / spectrogram patch grid the positional tables were prepared for. */
  grid?: number[];
}

/** What `exportOnnx` writes as manifest.json. */
export interface OnnxManifest {
  format: typeof ONNX_FORMAT;
  producer: string;
  /** ai.onnx opset of the graphs. */
  opset: number;
  /** Where the weights came from (checkpoint directory and training step, when known). */
  source: { checkpoint?: string; step?: number; seed?: number };
  model: VattConfig;
  preprocessing: PreprocessingConfig;
  vocab: string[];
  towers: Partial<Record<TowerName, OnnxTowerEntry>>;
  createdAt: string;
}

/**
 * Checks a parsed manifest.json; `source` names it in errors.
 *
 * @example
 * const manifest = parseOnnxManifest(JSON.parse(await (await fetch('onnx/manifest.json')).text()), 'onnx/manifest.json');
 */
export function parseOnnxManifest(raw: unknown, source: string): OnnxManifest {
  const m = raw as Partial<OnnxManifest> | null;
  if (!m || typeof m !== 'object') throw new Error(`${source}: not a JSON object`);
  if (m.format !== ONNX_FORMAT)
    throw new Error(`${source}: format is ${JSON.stringify(m.format)}, expected "${ONNX_FORMAT}" (a folder written by \`vatt export onnx\`)`);
  for (const k of ['model', 'preprocessing', 'vocab', 'towers'] as const) if (!m[k]) throw new Error(`${source}: "${k}" is missing`);
  if (!Array.isArray(m.vocab) || !m.vocab.length) throw new Error(`${source}: "vocab" must be a non-empty list of words`);
  for (const [name, t] of Object.entries(m.towers ?? {})) {
    if (!TOWER_NAMES.includes(name as TowerName)) throw new Error(`${source}: unknown tower "${name}"`);
    if (!t || typeof t.file !== 'string' || !Array.isArray(t.inputs) || !Array.isArray(t.outputs)) throw new Error(`${source}: tower "${name}" is malformed`);
    if (t.file === '' || t.file === '.' || t.file === '..' || /[/\\]|^[a-z]+:/i.test(t.file)) {
      throw new Error(`${source}: tower "${name}" names the file ${JSON.stringify(t.file)}: tower files must be plain names beside the manifest`);
    }
  }
  return m as OnnxManifest;
}
